"""Persist and load the index: FAISS vectors, chunk and turn metadata (JSON lines), and a manifest.

Layout under `<home>/index/`: one directory per generation (`gen-*`) and a `CURRENT` file naming the
live one. A write builds a complete new generation, then replaces `CURRENT` atomically, so a crash at
any point leaves the previous generation loadable. Every file's SHA-256 is in the manifest and is
checked on load. Writers are serialised by a file lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.annotate import Annotation, annotate, rules_version
from index.parse import rules_version as parse_rules_version
from index.lexical import LEXICAL_VERSION, build_bm25, load_bm25, save_bm25
from index.sentences import SentenceTable
from index.settings import Settings
from index.types import Chunk, Session, Turn

# 2: BM25 model and sentence vectors stored beside the FAISS index.
# 3: chunk vectors pooled from the sentence pass's tokens (index.sentences.embed_chunks), not a pass of their own.
# 4: discourse annotations (index.annotate: relayed questions, corrections, stances) stored beside the turns.
FORMAT_VERSION = 4
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
TURNS = "turns.jsonl"
ANNOTATIONS = "annotations.jsonl"
BM25_DIR = "bm25"  # bm25s files (.npy arrays and JSON, no pickles), rows <-> chunks
SENTENCE_VECTORS = "sentence_vectors.npy"
SENTENCE_ROWS = "sentence_rows.npy"
CURRENT = "CURRENT"
FLAT, HNSW = "flat", "hnsw"
HNSW_NEIGHBOURS = 32  # graph degree (faiss M): recall and memory grow with it
HNSW_EF_CONSTRUCTION = 40  # faiss's default; building 250,000 vectors takes minutes on two cores
# A filter that keeps fewer rows than this is searched exactly over those rows (a graph search that must skip
# most nodes loses recall); beyond it, HNSW with the filter as an ID selector.
EXACT_FILTER_ROWS = 20_000
REBUILD_HINT = "rebuild it with: igf-rag ingest --rebuild seeds/ (or the paths you indexed)"


T = TypeVar("T")


class IndexError_(RuntimeError):
    """Base for index problems; messages say what is wrong and how to fix it."""


class IndexMissing(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


@dataclass
class SessionInfo:
    session_id: str
    title: str
    source: str
    sha256: str
    turns: int
    chunks: int
    speakers: int
    date: str | None = None
    session_type: str | None = None


@dataclass
class Manifest:
    format_version: int
    embedding_model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_sentences: int
    sessions: list[SessionInfo] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    created: float = 0.0
    lexical: str = ""  # tokenizer version of the persisted BM25 model (index.lexical.LEXICAL_VERSION)
    vector_index: str = FLAT  # FLAT (exact) or HNSW (approximate), chosen by size (Settings.hnsw_threshold)
    embedding_precision: str = "fp32"  # what computed the vectors (Embedder.precision); indexes before it was recorded: fp32
    annotation_rules: str = ""  # index.annotate.rules_version() of the stored annotations
    parse_rules: str = ""  # index.parse.rules_version() of the stored turns and chunks

    @classmethod
    def from_dict(cls, data: dict) -> "Manifest":
        data = dict(data)
        data["sessions"] = [SessionInfo(**s) for s in data.get("sessions", [])]
        return cls(**data)

    def check_settings(self, settings: Settings, where: Path) -> None:
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatch(f"index at {where} has format {self.format_version}, this version reads {FORMAT_VERSION}; {REBUILD_HINT}")
        if self.parse_rules != parse_rules_version():
            raise IndexMismatch(f"index at {where} was built by an older version's transcript reader (other turns or speaker names); {REBUILD_HINT}")
        expected = {
            "embedding_model": settings.embedding_model,
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap_sentences": settings.chunk_overlap_sentences,
        }
        for name, wanted in expected.items():
            actual = getattr(self, name)
            if actual != wanted:
                raise IndexMismatch(
                    f"index at {where} was built with {name}={actual!r}, but the configuration says {wanted!r}; {REBUILD_HINT}"
                )


@dataclass
class CorpusIndex:
    """A loaded index: what retrieval and citation display need."""

    manifest: Manifest
    chunks: list[Chunk]
    turns: list[Turn]
    vectors: object  # faiss.Index, row i <-> chunks[i]
    path: Path
    bm25: object = None  # bm25s.BM25, row i <-> chunks[i]; None for an empty index
    sentences: SentenceTable | None = None  # sentence vectors for re-ranking (absent in older indexes)
    annotations: list[Annotation] = field(default_factory=list)  # what turns do (index.annotate), in turn order

    def turn(self, session_id: str, turn_no: int) -> Turn | None:
        if not hasattr(self, "_turns_by_key"):
            self._turns_by_key = {(t.session_id, t.turn_no): t for t in self.turns}
        return self._turns_by_key.get((session_id, turn_no))

    def session_turns(self, session_id: str) -> list[Turn]:
        if not hasattr(self, "_turns_by_session"):
            by_session: dict[str, list[Turn]] = {}
            for turn in self.turns:
                by_session.setdefault(turn.session_id, []).append(turn)
            self._turns_by_session = by_session
        return self._turns_by_session.get(session_id, [])

    def session(self, session_id: str) -> SessionInfo | None:
        return next((s for s in self.manifest.sessions if s.session_id == session_id), None)

    def annotated_text(self, annotation: Annotation) -> str:
        """The sentences an annotation is about (offsets into its session's text, inside one turn)."""
        turn = self.turn(annotation.session_id, annotation.turn_no)
        return turn.text[annotation.start - turn.start_char : annotation.end - turn.start_char] if turn is not None else ""

    def locate(self, session_id: str, start: int, end: int) -> tuple[Chunk, int, int] | None:
        """The chunk holding the most of characters start..end of a session, with their offsets in its text; None when
        no chunk does. For citing an annotation that retrieval did not return."""
        if not hasattr(self, "_chunks_by_session"):
            by_session: dict[str, list[int]] = {}
            for row, chunk in enumerate(self.chunks):
                by_session.setdefault(chunk.session_id, []).append(row)
            self._chunks_by_session = by_session
        best, best_overlap = None, 0
        for row in self._chunks_by_session.get(session_id, ()):
            chunk = self.chunks[row]
            overlap = min(end, chunk.end_char) - max(start, chunk.start_char)
            if overlap > best_overlap:
                best, best_overlap = chunk, overlap
        if best is None:
            return None
        return best, max(start, best.start_char) - best.start_char, min(end, best.end_char) - best.start_char


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pointer_text(index_dir: Path) -> str | None:
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise IndexCorrupt(f"{index_dir / CURRENT} is unreadable ({error}); {REBUILD_HINT}") from None


def live_generation_name(index_dir: Path) -> str | None:
    """The name of the live generation as CURRENT says it (None: no index): cheap to read before every question."""
    text = _pointer_text(index_dir)
    return text.strip() if text is not None else None


def current_generation(index_dir: Path) -> Path | None:
    """The live generation, or None when there is no index. A CURRENT that names nothing is damage, not
    absence: read as "no index", the next ingest would replace every session."""
    pointer, text = index_dir / CURRENT, _pointer_text(index_dir)
    if text is None:
        return None
    name = text.strip()
    if not name:
        raise IndexCorrupt(f"{pointer} names no index generation; {REBUILD_HINT}")
    generation = index_dir / name
    if not name.startswith("gen-") or "/" in name or not generation.is_dir():
        raise IndexCorrupt(f"{pointer} names {name[:80]}, which is not in {index_dir}; {REBUILD_HINT}")
    return generation


def _read_live(index_dir: Path, read: Callable[[Path | None], T]) -> T:
    """`read(generation)` of the live generation. A writer may switch generations and remove the old one while
    it is being read; then the read fails, CURRENT has changed, and the new generation is read instead."""
    for attempt in range(5):
        before = _pointer_text(index_dir)
        try:
            return read(current_generation(index_dir))
        except IndexCorrupt:
            if attempt == 4 or _pointer_text(index_dir) == before:
                raise


def _manifest_of(generation: Path) -> Manifest:
    try:
        return Manifest.from_dict(json.loads((generation / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise IndexCorrupt(f"index manifest {generation / MANIFEST} is unreadable ({error}); {REBUILD_HINT}") from None


def read_manifest(index_dir: Path) -> Manifest | None:
    return _read_live(index_dir, lambda generation: None if generation is None else _manifest_of(generation))


def load_index(settings: Settings, verify: bool = True) -> CorpusIndex:
    return _read_live(settings.index_dir, lambda generation: _load_generation(settings, generation, verify))


def _load_generation(settings: Settings, generation: Path | None, verify: bool) -> CorpusIndex:
    import faiss

    if generation is None:
        raise IndexMissing(f"no index in {settings.index_dir}; build one with: igf-rag ingest seeds/")
    manifest = _manifest_of(generation)
    manifest.check_settings(settings, generation)
    if verify:
        # The checksums are computed in a thread while the JSON lines are parsed here (hashing releases the GIL):
        # at 250,000 chunks each takes seconds. Nothing native (FAISS, numpy) reads a file before its checksum passed.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            checking = pool.submit(_checksum_problem, generation, manifest)
            records = _read_metadata(generation)
            problem = checking.result()
        if problem is not None:
            raise problem
    else:
        records = _read_metadata(generation)
    if isinstance(records, IndexCorrupt):
        raise records
    chunks, turns, annotations = records
    if manifest.annotation_rules != rules_version():
        annotations = annotate(turns)  # written by other rules: derived again (cheap), the files stay as checksummed
    try:
        vectors = faiss.read_index(str(generation / VECTORS))
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        raise IndexCorrupt(f"index at {generation} is unreadable ({error}); {REBUILD_HINT}") from None
    if hasattr(vectors, "hnsw"):
        vectors.hnsw.efSearch = settings.hnsw_ef_search
    if vectors.ntotal != len(chunks) or vectors.d != manifest.dimension:
        raise IndexCorrupt(f"index at {generation} has {vectors.ntotal} vectors for {len(chunks)} chunks; {REBUILD_HINT}")
    bm25 = _load_bm25(generation, manifest, chunks)
    sentences = _load_sentences(generation, manifest, len(chunks))
    return CorpusIndex(manifest=manifest, chunks=chunks, turns=turns, vectors=vectors, path=generation, bm25=bm25, sentences=sentences,
                       annotations=annotations)


def _checksum_problem(generation: Path, manifest: Manifest) -> IndexCorrupt | None:
    """The first file (in manifest order) that is missing, unreadable or fails its checksum, as the error to raise."""
    for name, expected in manifest.files.items():
        path = generation / name
        try:
            if _sha256_file(path) != expected:
                return IndexCorrupt(f"index file {path} fails its checksum (corrupted or truncated); {REBUILD_HINT}")
        except FileNotFoundError:
            return IndexCorrupt(f"index file {path} is missing; {REBUILD_HINT}")
        except OSError as error:
            return IndexCorrupt(f"index file {path} is unreadable ({error.strerror}); {REBUILD_HINT}")
    return None


def _read_metadata(generation: Path) -> tuple[list[Chunk], list[Turn], list[Annotation]] | IndexCorrupt:
    """(chunks, turns, annotations), or the error to raise once the checksums are known (a checksum failure explains it
    better)."""
    try:
        chunks = _read_records(generation / CHUNKS, Chunk, ("session_id", "session_title", "speaker", "speaker_name"))
        turns = _read_records(generation / TURNS, Turn, ("session_id", "speaker", "speaker_name"))
        annotations = _read_records(generation / ANNOTATIONS, Annotation, ("session_id", "kind", "value"))
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        return IndexCorrupt(f"index at {generation} is unreadable ({error}); {REBUILD_HINT}")
    return chunks, turns, annotations


def _read_records(path: Path, kind: type[T], shared: tuple[str, ...]) -> list[T]:
    """One record per JSON line. Fields that repeat across records (session, speaker) share one string object
    per distinct value: each line decodes into new strings, 100 MiB of copies at 250,000 chunks."""
    seen: dict[str, str] = {}
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        for name in shared:
            value = data.get(name)
            if isinstance(value, str):
                data[name] = seen.setdefault(value, value)
        records.append(kind(**data))
    return records


def _load_bm25(generation: Path, manifest: Manifest, chunks: list[Chunk]):
    """The persisted BM25 model; an index written before it (or with another tokenizer) gets one built in memory."""
    if manifest.lexical != LEXICAL_VERSION or not any(name.startswith(f"{BM25_DIR}/") for name in manifest.files):
        return build_bm25([c.embedding_text for c in chunks])
    try:
        bm25 = load_bm25(generation / BM25_DIR)
    except (OSError, ValueError, KeyError) as error:
        raise IndexCorrupt(f"BM25 index in {generation / BM25_DIR} is unreadable ({error}); {REBUILD_HINT}") from None
    if bm25.scores["num_docs"] != len(chunks):
        raise IndexCorrupt(f"BM25 index in {generation / BM25_DIR} has {bm25.scores['num_docs']} rows for {len(chunks)} chunks; {REBUILD_HINT}")
    return bm25


def _load_sentences(generation: Path, manifest: Manifest, chunk_count: int) -> SentenceTable | None:
    if SENTENCE_VECTORS not in manifest.files:
        return None
    try:
        rows = np.load(generation / SENTENCE_ROWS, allow_pickle=False)
        # Memory-mapped: at scale this is the largest file, and re-ranking reads only its candidates' rows.
        vectors = np.load(generation / SENTENCE_VECTORS, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError) as error:
        raise IndexCorrupt(f"sentence vectors in {generation} are unreadable ({error}); {REBUILD_HINT}") from None
    if len(rows) != len(vectors) or (len(rows) and (rows.min() < 0 or rows.max() >= chunk_count)) or vectors.shape[1:] != (manifest.dimension,):
        raise IndexCorrupt(f"sentence vectors in {generation} do not match its {chunk_count} chunks; {REBUILD_HINT}")
    if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return SentenceTable(rows.astype(np.int32), vectors)


def read_rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """array[rows] for ascending `rows`. A memory-mapped array is read with pread, one call per run of adjacent
    rows: touching a memory map makes whole cached folios of the file resident (reading 2,400 scattered
    sentence vectors this way made 1.4 GiB of the 1.5 GiB file part of the process's resident set)."""
    rows = np.asarray(rows, dtype=np.int64)
    filename = getattr(array, "filename", None)
    if not isinstance(array, np.memmap) or filename is None or not len(rows) or array.ndim != 2 or np.any(np.diff(rows) < 0):
        return np.asarray(array)[rows]
    row_bytes = array.shape[1] * array.itemsize
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(rows)]])
    out = np.empty((len(rows), array.shape[1]), dtype=array.dtype)
    view = memoryview(out.reshape(-1).view(np.uint8))
    try:
        fd = os.open(filename, os.O_RDONLY)
    except FileNotFoundError:
        # Another process replaced the generation and removed this file: its pages are still mapped, so read them there.
        return np.asarray(array)[rows]
    try:
        for a, b in zip(starts.tolist(), ends.tolist()):
            want = (b - a) * row_bytes
            got = os.preadv(fd, [view[a * row_bytes : b * row_bytes]], array.offset + int(rows[a]) * row_bytes)
            if got != want:
                raise IndexCorrupt(f"{filename} ends early ({got} of {want} bytes at row {int(rows[a])}); {REBUILD_HINT}")
    finally:
        os.close(fd)
    return out


def build_vector_index(vectors: np.ndarray, hnsw_threshold: int | None = None):
    """Inner-product index over unit vectors: exact (flat) up to `hnsw_threshold` rows, HNSW above it."""
    import faiss

    if hnsw_threshold is not None and len(vectors) > hnsw_threshold:
        index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def vector_index_kind(index) -> str:
    return HNSW if hasattr(index, "hnsw") else FLAT


def search_vectors(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k best rows for one query vector, best first, optionally only among `allowed`
    (a boolean mask over rows). Rows past the last match are -1, as in faiss."""
    import faiss

    query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    if allowed is None:
        scores, ids = index.search(query, k)
        return scores[0], ids[0]
    rows = np.flatnonzero(allowed).astype(np.int64)
    if vector_index_kind(index) == HNSW and len(rows) <= EXACT_FILTER_ROWS:
        scores = np.full(k, -np.inf, dtype=np.float32)
        ids = np.full(k, -1, dtype=np.int64)
        if len(rows):
            similarity = index.reconstruct_batch(rows) @ query[0]
            best = np.argsort(-similarity, kind="stable")[:k]
            scores[: len(best)], ids[: len(best)] = similarity[best], rows[best]
        return scores, ids
    selector = faiss.IDSelectorBatch(rows)
    if vector_index_kind(index) == HNSW:
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(index.hnsw.efSearch, k))
    else:
        params = faiss.SearchParameters(sel=selector)
    scores, ids = index.search(query, k, params=params)
    return scores[0], ids[0]


def all_vectors(index) -> np.ndarray:
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


def write_index(
    settings: Settings,
    manifest: Manifest,
    chunks: list[Chunk],
    turns: list[Turn],
    vectors: np.ndarray,
    sentences: SentenceTable | None = None,
    annotations: list[Annotation] | None = None,
) -> Path:
    """Write a new generation and make it current. Call with the index lock held.

    The BM25 model is built here from the chunks, so it always matches them; sentence vectors are optional;
    `annotations` None: derived here from the turns (index.annotate)."""
    import faiss

    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    staging = index_dir / f".{name}.tmp"
    staging.mkdir()
    try:
        vector_index = build_vector_index(vectors, settings.hnsw_threshold)
        faiss.write_index(vector_index, str(staging / VECTORS))
        manifest.vector_index = vector_index_kind(vector_index)
        # _flat(), not asdict(): the same flat fields, without asdict's deep copy (a third of writing 250,000 chunks)
        _write_lines(staging / CHUNKS, (json.dumps(_flat(c), ensure_ascii=False) for c in chunks))
        _write_lines(staging / TURNS, (json.dumps(_flat(t), ensure_ascii=False) for t in turns))
        annotations = annotate(turns) if annotations is None else annotations
        manifest.annotation_rules = rules_version()
        _write_lines(staging / ANNOTATIONS, (json.dumps(a.to_dict(), ensure_ascii=False) for a in annotations))
        names = [VECTORS, CHUNKS, TURNS, ANNOTATIONS]
        bm25 = build_bm25([c.embedding_text for c in chunks])
        if bm25 is not None:
            save_bm25(bm25, staging / BM25_DIR)
            for path in sorted((staging / BM25_DIR).iterdir()):
                _fsync_file(path)  # bm25s writes without syncing
                names.append(f"{BM25_DIR}/{path.name}")
            _fsync_dir(staging / BM25_DIR)
        if sentences is not None:
            if len(sentences) and int(sentences.chunk_rows.max()) >= len(chunks):
                raise ValueError(f"sentence table names chunk row {int(sentences.chunk_rows.max())} of {len(chunks)}")
            _write_array(staging / SENTENCE_ROWS, sentences.chunk_rows.astype(np.int32))
            _write_array(staging / SENTENCE_VECTORS, sentences.vectors.astype(np.float32))
            names += [SENTENCE_ROWS, SENTENCE_VECTORS]
        manifest.lexical = LEXICAL_VERSION
        manifest.files = {n: _sha256_file(staging / n) for n in names}
        manifest.created = time.time()
        _write_bytes(staging / MANIFEST, json.dumps(asdict(manifest), indent=1, ensure_ascii=False).encode("utf-8"))
        _fsync_dir(staging)
        os.rename(staging, index_dir / name)
        _fsync_dir(index_dir)
        pointer_tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
        _write_bytes(pointer_tmp, name.encode("utf-8"))
        os.replace(pointer_tmp, index_dir / CURRENT)
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_stale_generations(index_dir, keep=name)
    return index_dir / name


def _flat(record) -> dict:
    """The fields of a flat dataclass (Chunk, Turn: slotted, so no vars()) as a dict, in declaration order."""
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def _remove_stale_generations(index_dir: Path, keep: str) -> None:
    for entry in index_dir.iterdir():
        if entry.name != keep and entry.is_dir() and (entry.name.startswith("gen-") or entry.name.startswith(".gen-")):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT}.") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def _write_lines(path: Path, lines) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_array(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.save(handle, array, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


def _write_bytes(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def empty_manifest(settings: Settings, dimension: int) -> Manifest:
    return Manifest(
        format_version=FORMAT_VERSION,
        embedding_model=settings.embedding_model,
        dimension=dimension,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap_sentences=settings.chunk_overlap_sentences,
        parse_rules=parse_rules_version(),
    )


def session_info(session: Session, turns: list[Turn], chunks: list[Chunk]) -> SessionInfo:
    return SessionInfo(
        session_id=session.session_id,
        title=session.title,
        source=session.source,
        sha256=session.sha256,
        turns=len(turns),
        chunks=len(chunks),
        speakers=len({t.speaker for t in turns}),
        date=session.date,
        session_type=session.session_type,
    )
