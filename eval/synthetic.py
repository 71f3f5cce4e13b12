"""Large indexes for the benchmark, generated from an index of the bundled transcript without running a model.

Embedding 250,000 chunks would take hours on two cores, so session g (1 <= g < n) is made from the seed:
every chunk and turn of the seed again, under a new session id and title, with the speakers renamed (a
letter tag, so names and BM25 vocabulary differ per session), and each vector replaced by
normalise(v_i + MIX * v_j + noise): v_j is a random other chunk of the seed and the noise is Gaussian, so
the sessions are near each other but not copies, and exact and approximate search must tell them apart.
Sentence vectors get the same mixture as their chunk. The result is written by the real write path
(index.store.write_index: BM25, vector index, checksums), so loading and searching it is the real thing.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from index.sentences import SentenceTable
from index.settings import Settings
from index.store import CorpusIndex, empty_manifest, write_index
from index.types import Chunk, Turn

MIX = 0.5
NOISE = 0.03  # per dimension; 384 dimensions make the noise vector about 0.6 long
ROLES = {"AUDIENCE", "MODERATOR", "UNKNOWN"}  # not people: the same in every session

DESCRIPTION = (
    "Session g of the generated corpus repeats the bundled transcript's chunks and turns under a new id and title "
    "with renamed speakers; each chunk vector is normalise(v_i + 0.5 v_j + N(0, 0.03²) per dimension) with v_j a random "
    "other chunk of the seed (sentence vectors get their chunk's mixture), so no model runs to build it."
)


def tag(g: int) -> str:
    return "".join("ABCDEFGHIJ"[int(d)] for d in str(g))


def _renamed(key: str, name: str, label: str) -> tuple[str, str]:
    if key in ROLES:
        return key, name
    return f"{key} {label}", f"{name} {label}"


def generated_index(settings: Settings, seed: CorpusIndex, sessions: int, rng_seed: int = 0) -> int:
    """Write an index of `sessions` sessions (the seed's own first) into settings.home; returns its chunk count."""
    rng = np.random.default_rng(rng_seed)
    base_vectors = seed.vectors.reconstruct_n(0, seed.vectors.ntotal)
    seed_info = seed.manifest.sessions[0]
    table = seed.sentences
    chunks: list[Chunk] = list(seed.chunks)
    turns: list[Turn] = list(seed.turns)
    annotations = list(seed.annotations)
    vectors = [base_vectors]
    sentence_rows = [table.chunk_rows] if table is not None else []
    sentence_vectors = [table.vectors] if table is not None else []
    infos = [seed_info]
    n = len(seed.chunks)
    for g in range(1, sessions):
        label = tag(g)
        session_id = f"generated-{g:04d}-{hashlib.sha256(str(g).encode()).hexdigest()[:8]}"
        title = f"IGF 2023 WS #{1000 + g} Generated session {g} from the cybersecurity main session"
        for c in seed.chunks:
            key, name = _renamed(c.speaker, c.speaker_name, label)
            chunks.append(dataclasses.replace(c, chunk_id=f"{session_id}:{c.turn_no}:{c.chunk_id.rsplit(':', 1)[-1]}", session_id=session_id,
                                              session_title=title, speaker=key, speaker_name=name))
        for t in seed.turns:
            key, name = _renamed(t.speaker, t.speaker_name, label)
            turns.append(dataclasses.replace(t, session_id=session_id, speaker=key, speaker_name=name))
        annotations += [dataclasses.replace(a, session_id=session_id) for a in seed.annotations]
        partner = base_vectors[rng.integers(0, n, size=n)]
        vectors.append(_normalised(base_vectors + MIX * partner + rng.normal(0, NOISE, base_vectors.shape)))
        if table is not None:
            sentence_rows.append(table.chunk_rows + g * n)
            noise = rng.normal(0, NOISE, table.vectors.shape)
            sentence_vectors.append(_normalised(table.vectors + MIX * partner[table.chunk_rows] + noise))
        infos.append(dataclasses.replace(seed_info, session_id=session_id, title=title, sha256=hashlib.sha256(session_id.encode()).hexdigest()))
    manifest = empty_manifest(settings, seed.manifest.dimension)
    manifest.sessions = infos
    sentences = SentenceTable(np.concatenate(sentence_rows).astype(np.int32), np.vstack(sentence_vectors)) if table is not None else None
    write_index(settings, manifest, chunks, turns, np.vstack(vectors), sentences, annotations)
    return len(chunks)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = vectors.astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors
