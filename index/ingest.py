"""Ingest transcripts: parse -> chunk -> embed -> write a new index generation.

Incremental: sessions whose file is unchanged (same path and SHA-256) are kept with their stored
vectors; a changed file replaces its old session; only new chunks are embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from index.chunk import chunk_turns
from index.parse import TranscriptError, parse_file
from index.settings import Settings
from index.store import (
    CorpusIndex,
    IndexMissing,
    all_vectors,
    empty_manifest,
    load_index,
    session_info,
    write_index,
)
from index.types import Chunk, Transcript, Turn

TRANSCRIPT_SUFFIXES = {".txt", ".md", ".text"}
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
    files, errors = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES)
            if not found:
                errors.append(f"{path}: directory holds no transcript files ({', '.join(sorted(TRANSCRIPT_SUFFIXES))})")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            errors.append(f"{path}: no such file or directory")
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
            existing = None if rebuild else _load_existing(settings)
            return _ingest_locked(files, settings, embedder, existing, report, progress)
    except Timeout:
        report.errors.append(f"{settings.home}: another ingest holds the index lock; try again when it finishes")
        return report


def _load_existing(settings: Settings) -> CorpusIndex | None:
    try:
        return load_index(settings)
    except IndexMissing:
        return None


def _ingest_locked(files, settings, embedder, existing, report, progress) -> IngestReport:
    kept_chunks: list[Chunk] = []
    kept_turns: list[Turn] = []
    kept_vectors = np.zeros((0, embedder.dimension), dtype=np.float32)
    manifest = empty_manifest(settings, embedder.dimension)
    by_source: dict[str, str] = {}
    if existing is not None:
        manifest.sessions = list(existing.manifest.sessions)
        kept_chunks, kept_turns = list(existing.chunks), list(existing.turns)
        kept_vectors = all_vectors(existing.vectors)
        by_source = {str(Path(s.source).resolve()): s.session_id for s in manifest.sessions}

    new_transcripts: list[Transcript] = []
    replaced_ids: set[str] = set()
    for path in files:
        try:
            transcript = parse_file(path)
        except TranscriptError as error:
            report.errors.append(str(error))
            continue
        sid = transcript.session.session_id
        if sid in {s.session_id for s in manifest.sessions} or any(t.session.session_id == sid for t in new_transcripts):
            report.unchanged.append(sid)
            continue
        old = by_source.get(str(path.resolve()))
        if old:
            replaced_ids.add(old)
            report.replaced.append(sid)
        else:
            report.added.append(sid)
        new_transcripts.append(transcript)

    if not new_transcripts and not replaced_ids:
        report.chunks_total = len(kept_chunks)
        return report

    keep = np.array([c.session_id not in replaced_ids for c in kept_chunks], dtype=bool)
    kept_chunks = [c for c, k in zip(kept_chunks, keep) if k]
    kept_vectors = kept_vectors[keep] if len(keep) else kept_vectors
    kept_turns = [t for t in kept_turns if t.session_id not in replaced_ids]
    manifest.sessions = [s for s in manifest.sessions if s.session_id not in replaced_ids]

    new_chunks: list[Chunk] = []
    for transcript in new_transcripts:
        chunks = chunk_turns(
            transcript.turns,
            transcript.session.title,
            embedder.count_tokens,
            min(settings.chunk_tokens, embedder.max_tokens),
            settings.chunk_overlap_sentences,
        )
        new_chunks.extend(chunks)
        kept_turns.extend(transcript.turns)
        manifest.sessions.append(session_info(transcript.session, transcript.turns, chunks))

    new_vectors = _embed(embedder, new_chunks, progress)
    all_chunks = kept_chunks + new_chunks
    write_index(settings, manifest, all_chunks, kept_turns, np.vstack([kept_vectors, new_vectors]))
    report.chunks_embedded = len(new_chunks)
    report.chunks_total = len(all_chunks)
    return report


def _embed(embedder, chunks: list[Chunk], progress, batch: int = 64) -> np.ndarray:
    parts = []
    for start in range(0, len(chunks), batch):
        parts.append(embedder.encode([c.embedding_text for c in chunks[start : start + batch]], batch_size=batch))
        if progress:
            progress(min(start + batch, len(chunks)), len(chunks))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)


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
        manifest.sessions = [s for s in existing.manifest.sessions if s.session_id not in gone]
        write_index(
            settings,
            manifest,
            [c for c, k in zip(existing.chunks, keep) if k],
            [t for t in existing.turns if t.session_id not in gone],
            all_vectors(existing.vectors)[keep],
        )
        return gone


def index_is_fresh(settings: Settings, paths: Iterable[str | Path]) -> bool:
    """True when the index exists, matches the settings, and holds every given file unchanged."""
    from index.parse import read_text
    from index.store import IndexError_, read_manifest

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
    indexed = {s.sha256 for s in manifest.sessions}
    try:
        return all(read_text(f)[1] in indexed for f in files)
    except TranscriptError:
        return False
