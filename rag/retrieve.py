"""Rank chunks for a question: dense (FAISS), BM25 (bm25s), or both fused by reciprocal rank."""

from __future__ import annotations

import numpy as np

from index.store import CorpusIndex
from index.text import fold
from rag.types import Passage

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.); damps the top ranks' lead


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize([fold(t) for t in texts], stopwords="en", return_ids=False, show_progress=False)


def build_bm25(index: CorpusIndex):
    import bm25s

    bm25 = bm25s.BM25()
    tokens = bm25_tokens([c.embedding_text for c in index.chunks])
    bm25.index(tokens, show_progress=False)
    return bm25


class Retriever:
    def __init__(self, index: CorpusIndex, embedder, mode: str = "hybrid"):
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.bm25 = build_bm25(index) if mode in ("bm25", "hybrid") and index.chunks else None

    def search(
        self,
        question: str,
        k: int = 10,
        speakers: set[str] | None = None,
        sessions: set[str] | None = None,
        mode: str | None = None,
    ) -> list[Passage]:
        mode = mode or self.mode
        allowed = self._allowed(speakers, sessions)
        if allowed is not None and not allowed.any():
            return []
        pool = max(4 * k, 50)
        dense = self._dense(question, pool, allowed) if mode in ("dense", "hybrid") else {}
        lexical = self._bm25(question, pool, allowed) if mode in ("bm25", "hybrid") else {}
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = lexical
        else:
            fused = _rrf([dense, lexical])
        ranked = sorted(fused, key=lambda i: -fused[i])[:k]
        similarity = self.similarity(question, ranked)
        return [
            Passage(chunk=self.index.chunks[i], score=float(fused[i]), rank=r, similarity=float(s))
            for r, (i, s) in enumerate(zip(ranked, similarity), start=1)
        ]

    def similarity(self, question: str, rows: list[int]) -> np.ndarray:
        """Cosine similarity of the question to the given chunks (the calibrated confidence signal)."""
        if not rows:
            return np.zeros(0, dtype=np.float32)
        query = self.embedder.encode_query(question)
        vectors = np.vstack([self.index.vectors.reconstruct(int(i)) for i in rows])
        return vectors @ query

    def _allowed(self, speakers, sessions) -> np.ndarray | None:
        if not speakers and not sessions:
            return None
        return np.array(
            [(not speakers or c.speaker in speakers) and (not sessions or c.session_id in sessions) for c in self.index.chunks],
            dtype=bool,
        )

    def _dense(self, question: str, pool: int, allowed: np.ndarray | None) -> dict[int, float]:
        import faiss

        query = self.embedder.encode_query(question)[None, :]
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64)))
        scores, ids = self.index.vectors.search(query, min(pool, self.index.vectors.ntotal), params=params)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}

    def _bm25(self, question: str, pool: int, allowed: np.ndarray | None) -> dict[int, float]:
        tokens = bm25_tokens([question])[0]
        if not tokens or self.bm25 is None:
            return {}
        scores = self.bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores)[:pool]
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}


def _rrf(rankings: list[dict[int, float]]) -> dict[int, float]:
    fused: dict[int, float] = {}
    for scores in rankings:
        for rank, row in enumerate(sorted(scores, key=lambda i: -scores[i]), start=1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
    return fused
