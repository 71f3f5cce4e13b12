"""Ingest transcripts: parse -> chunk -> embed -> write a new index generation.

Incremental: a file whose session is already indexed (same name and SHA-256, hence the same session id)
is not even parsed, and when nothing changed nothing is loaded or written; a changed file replaces the
session its path had; only new chunks are embedded. Writers hold a file lock, and every write is a new
generation switched in atomically (index.store), so a killed ingest leaves the previous index intact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from index.annotate import Annotation, annotate
from index.chunk import chunk_turns
from index.formats import SUFFIXES
from index.parse import TranscriptError, parse_text, read_text, session_id_for
from index.sentences import SentenceTable, embed_chunks, embed_sentences
from index.settings import Settings
from index.store import (
    CorpusIndex,
    IndexCorrupt,
    Manifest,
    all_vectors,
    empty_manifest,
    load_index,
    read_manifest,
    session_info,
    write_index,
)
from index.types import Chunk, Transcript, Turn

TRANSCRIPT_SUFFIXES = set(SUFFIXES)  # .txt .text .md .vtt .srt .json
LOCK_TIMEOUT_S = 600


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # session ids
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed)


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Files named directly, plus transcript files found in named directories."""
    files, errors, seen = [], [], set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES and not p.name.startswith("."))
            if not found:
                errors.append(f"{path}: directory holds no transcript files ({', '.join(sorted(TRANSCRIPT_SUFFIXES))})")
        elif path.exists():
            found = [path]
        else:
            errors.append(f"{path}: no such file or directory")
            continue
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, errors


def index_lock(settings: Settings) -> FileLock:
    settings.home.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.home / "index.lock"), timeout=LOCK_TIMEOUT_S)


def ingest(
    paths: Iterable[str | Path],
    settings: Settings,
    embedder,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Add or update the given transcripts. Bad files are reported and skipped; the index keeps the rest."""
    report = IngestReport()
    files, report.errors = expand_paths(paths)
    try:
        with index_lock(settings):
            return _ingest_locked(files, settings, embedder, rebuild, report, progress)
    except Timeout:
        report.errors.append(f"{settings.home}: another ingest holds the index lock; try again when it finishes")
        return report


def _ingest_locked(files, settings, embedder, rebuild, report, progress) -> IngestReport:
    try:
        current = read_manifest(settings.index_dir)
    except IndexCorrupt:
        if not rebuild:
            raise
        current = None  # a rebuild is how a damaged index is repaired: it reads nothing from it
    manifest = None if rebuild else current
    if manifest is not None:
        manifest.check_settings(settings, settings.index_dir)
    indexed = {s.session_id for s in manifest.sessions} if manifest else set()
    by_source = {str(Path(s.source).resolve()): s.session_id for s in manifest.sessions} if manifest else {}

    new_transcripts: list[Transcript] = []
    replaced_ids: set[str] = set()
    for path in files:
        try:
            text, sha = read_text(path)
            sid = session_id_for(path, sha)
            if sid in indexed or any(t.session.session_id == sid for t in new_transcripts):
                report.unchanged.append(sid)
                continue
            transcript = parse_text(text, source=str(path), sha256=sha, session_id=sid)
        except TranscriptError as error:
            report.errors.append(str(error))
            continue
        old = by_source.get(str(path.resolve()))
        if old and old != sid:
            replaced_ids.add(old)
            report.replaced.append(sid)
        else:
            report.added.append(sid)
        new_transcripts.append(transcript)

    if not new_transcripts:  # nothing to add; a rebuild whose every file failed keeps the old index too
        report.chunks_total = sum(s.chunks for s in current.sessions) if current else 0
        return report

    existing = load_index(settings) if manifest is not None else None
    return _write_with(new_transcripts, replaced_ids, existing, settings, embedder, report, progress)


def _write_with(new_transcripts, replaced_ids, existing: CorpusIndex | None, settings, embedder, report, progress) -> IngestReport:
    manifest: Manifest = empty_manifest(settings, embedder.dimension)
    kept_chunks: list[Chunk] = []
    kept_turns: list[Turn] = []
    annotations: list[Annotation] = []
    kept_vectors = np.zeros((0, embedder.dimension), dtype=np.float32)
    if existing is not None:
        keep = np.array([c.session_id not in replaced_ids for c in existing.chunks], dtype=bool)
        kept_chunks = [c for c, k in zip(existing.chunks, keep) if k]
        kept_vectors = all_vectors(existing.vectors)[keep] if len(keep) else kept_vectors
        kept_turns = [t for t in existing.turns if t.session_id not in replaced_ids]
        annotations = [a for a in existing.annotations if a.session_id not in replaced_ids]
        manifest.sessions = [s for s in existing.manifest.sessions if s.session_id not in replaced_ids]

    # An index whose kept vectors came from another precision than the new ones says so ("mixed"): a rebuild evens it out.
    precision = getattr(embedder, "precision", "fp32")
    if kept_chunks and existing.manifest.embedding_precision != precision:
        precision = "mixed"
    manifest.embedding_precision = precision

    new_chunks: list[Chunk] = []
    for transcript in new_transcripts:
        chunks = _with_times(
            chunk_turns(
                transcript.turns,
                transcript.session.title,
                embedder.count_tokens,
                min(settings.chunk_tokens, embedder.max_tokens),
                settings.chunk_overlap_sentences,
            ),
            transcript.turns,
        )
        new_chunks.extend(chunks)
        kept_turns.extend(transcript.turns)
        annotations.extend(annotate(transcript.turns))
        manifest.sessions.append(session_info(transcript.session, transcript.turns, chunks))

    new_vectors, new_sentences = _embed(embedder, new_chunks, progress)
    all_chunks = kept_chunks + new_chunks
    sentences = _sentence_table(embedder, existing, replaced_ids, kept_chunks, new_sentences)
    write_index(settings, manifest, all_chunks, kept_turns, np.vstack([kept_vectors, new_vectors]), sentences, annotations)
    report.chunks_embedded = len(new_chunks)
    report.chunks_total = len(all_chunks)
    return report


def _sentence_table(embedder, existing: CorpusIndex | None, replaced_ids, kept_chunks, new: SentenceTable) -> SentenceTable:
    """Kept chunks keep their sentence vectors (an index written before they existed gets them now)."""
    if existing is not None and existing.sentences is not None:
        kept = existing.sentences.select(np.array([c.session_id not in replaced_ids for c in existing.chunks], dtype=bool))
    else:
        kept = embed_sentences(embedder, kept_chunks)
    return SentenceTable.concat(kept, new, len(kept_chunks))


def _with_times(chunks: list[Chunk], turns: list[Turn]) -> list[Chunk]:
    """A chunk carries its turn's timing, so a citation can say when it was said."""
    times = {t.turn_no: (t.start_time, t.end_time) for t in turns if t.start_time is not None}
    if not times:
        return chunks
    return [dataclasses.replace(c, start_time=times[c.turn_no][0], end_time=times[c.turn_no][1]) if c.turn_no in times else c for c in chunks]


# Chunks whose sentences are embedded together: sorted by length, many sentences pad less than a few (64-chunk
# groups took about a fifth more model time than one group over the bundled transcript's 179 chunks).
EMBED_GROUP = 1024


def _embed(embedder, chunks: list[Chunk], progress, batch: int = 64) -> tuple[np.ndarray, SentenceTable]:
    """Chunk and sentence vectors, EMBED_GROUP chunks at a time (index.sentences.embed_chunks: one model pass)."""
    vectors, rows, sentence_vectors = [], [], []
    for start in range(0, len(chunks), EMBED_GROUP):
        part_vectors, part_sentences = embed_chunks(embedder, chunks[start : start + EMBED_GROUP], batch)
        vectors.append(part_vectors)
        rows.append(part_sentences.chunk_rows + start)
        sentence_vectors.append(part_sentences.vectors)
        if progress:
            progress(min(start + EMBED_GROUP, len(chunks)), len(chunks))
    if not vectors:
        return np.zeros((0, embedder.dimension), dtype=np.float32), SentenceTable.empty(embedder.dimension)
    return np.vstack(vectors), SentenceTable(np.concatenate(rows).astype(np.int32), np.vstack(sentence_vectors))


def remove_sessions(settings: Settings, session_ids: list[str], dimension: int) -> list[str]:
    """Drop sessions by id; returns the ids that were removed."""
    with index_lock(settings):
        existing = load_index(settings)
        present = {s.session_id for s in existing.manifest.sessions}
        gone = [s for s in session_ids if s in present]
        if not gone:
            return []
        keep = np.array([c.session_id not in gone for c in existing.chunks], dtype=bool)
        manifest = empty_manifest(settings, dimension)
        manifest.embedding_precision = existing.manifest.embedding_precision
        manifest.sessions = [s for s in existing.manifest.sessions if s.session_id not in gone]
        write_index(
            settings,
            manifest,
            [c for c, k in zip(existing.chunks, keep) if k],
            [t for t in existing.turns if t.session_id not in gone],
            all_vectors(existing.vectors)[keep],
            existing.sentences.select(keep) if existing.sentences is not None else None,
            [a for a in existing.annotations if a.session_id not in gone],
        )
        return gone


def index_is_fresh(settings: Settings, paths: Iterable[str | Path]) -> bool:
    """True when the index exists, matches the settings, and holds every given file unchanged."""
    from index.store import IndexError_

    try:
        manifest = read_manifest(settings.index_dir)
        if manifest is None:
            return False
        manifest.check_settings(settings, settings.index_dir)
    except IndexError_:
        return False
    files, errors = expand_paths(paths)
    if errors:
        return False
    indexed = {s.session_id for s in manifest.sessions}
    try:
        return all(session_id_for(f, read_text(f)[1]) in indexed for f in files)
    except TranscriptError:
        return False
