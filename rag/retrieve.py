"""Rank chunks for a question: dense (FAISS), BM25 (bm25s), or both fused; then speaker routing and re-ranking.

Stages, each switchable in Settings (python -m eval.ablation measures every combination that matters):
1. Candidates: the dense ranking (cosine of the question to each chunk, FAISS) and the BM25 ranking.
2. Fusion (hybrid): reciprocal rank fusion, or a weighted sum of the cosine and the max-normalised BM25 score.
3. Speaker routing: a question that names a speaker (rag.query) lifts that speaker's passages, or keeps only
   them; a question about a speaker ("What role does X hold?") lifts the moderator's introduction of X too.
4. Re-ranking: the best fused candidates are ranked again by their best sentence's similarity to the question
   (sentence vectors are stored at index time: no model call per query) fused with BM25, plus the routing.
"""

from __future__ import annotations

import numpy as np

from index.lexical import bm25_scores, build_bm25
from index.settings import Settings
from index.store import CorpusIndex, read_rows, search_vectors
from index.text import fold, stem, words
from rag.query import PROFILE, Query, SessionCatalog, analyze
from rag.question_types import SESSION_WORDS
from rag.spans import NAME, PERSON
from rag.types import Passage

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al.); damps the top ranks' lead
DENSE_POOL = 200  # dense candidates taken from FAISS per query (all of them for a small index)
RERANK_CANDIDATES = 40
# Above `exact_limit` rows (an approximate vector index), BM25's ranking, like the dense one, counts only its best
# rows (and whatever ties the last of them): RRF gives the rest less than 1/(RRF_K + 1000) each, and ranking every
# row that shares a word with the question meant sorting most of a 250,000-row corpus per question.
LEXICAL_RANKED = 1000
RERANK_ROUTE_BOOST = 0.02
# Routing lift, in the unit of each score: one top rank's worth of RRF (1/61 ~ 0.016) lifts a routed passage
# over unrouted ones of similar rank without burying a much better match by someone else.
ROUTE_BOOST = {"rrf": 0.01, "weighted": 0.3}
# A question about a speaker ("What is the EFF speaker's job title?") is answered by the introduction, which
# must outrank the many passages of the speaker's own.
INTRODUCTION_WEIGHT = 2.0
DESCRIBED = frozenset({"role", "organisation", "country"})  # how a target is found when a question describes them
# "X's final recommendation", "X's first remarks": the turn is known exactly, and its words rarely echo the question.
POSITION_WEIGHT = 2.0
# An unnamed turn (">>" without a name) may be by the routed speaker: it gets part of the lift.
UNKNOWN_SHARE = 0.5
# A question about what the turns do ("Who asked whether ...", "Who corrected ...", "What is X's position on ...") lifts
# the passages holding that kind of annotation (index.annotate) as a routed speaker's are lifted.
DISCOURSE_WEIGHT = 1.0


class Retriever:
    def __init__(self, index: CorpusIndex, embedder, mode: str = "hybrid", settings: Settings | None = None, directory=None):
        settings = settings or Settings()
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.fusion = settings.fusion
        self.dense_weight = settings.fusion_dense_weight
        self.routing = settings.speaker_routing
        self.rerank = settings.rerank
        self.directory = directory
        self.bm25 = index.bm25 if index.bm25 is not None or not index.chunks else build_bm25([c.embedding_text for c in index.chunks])
        self._speaker = np.array([c.speaker for c in index.chunks], dtype=object)
        self._session = np.array([c.session_id for c in index.chunks], dtype=object)
        self._turn = np.array([c.turn_no for c in index.chunks], dtype=np.int64)
        self._start = np.array([c.start_char for c in index.chunks], dtype=np.int64)
        self._end = np.array([c.end_char for c in index.chunks], dtype=np.int64)
        # Above this size the vector index is approximate and re-ranking ranks a candidate pool, not every row.
        self.exact_limit = settings.hnsw_threshold
        self._rows_by_speaker: dict[tuple[str, str], np.ndarray] | None = None
        self._rows_by_session: dict[str, np.ndarray] | None = None
        self._sentence_starts: np.ndarray | None = None
        self._catalog: SessionCatalog | None = None

    def analyze(self, question: str) -> Query:
        if self._catalog is None:
            self._catalog = SessionCatalog.of(self.index.manifest.sessions if self.index.manifest is not None else ())
        return analyze(question, self.directory, self._catalog)

    def search(
        self,
        question: str,
        k: int = 10,
        speakers: set[str] | None = None,
        sessions: set[str] | None = None,
        mode: str | None = None,
        *,
        fusion: str | None = None,
        routing: str | None = None,
        rerank: bool | None = None,
        query: Query | None = None,
    ) -> list[Passage]:
        """The k best chunks. `speakers`/`sessions` are hard filters (the user's choice); the other keyword
        arguments override the configured stages for one call (the ablation uses them)."""
        mode = mode or self.mode
        fusion = fusion or self.fusion
        routing = routing or self.routing
        rerank = self.rerank if rerank is None else rerank
        rows = len(self.index.chunks)
        query = query or self.analyze(question)
        if query.sessions and not sessions and not speakers:
            sessions = set(query.sessions)  # the question names its session: "the open forum on data flows"
        allowed = self._allowed(speakers, sessions)
        if query.others and not speakers:
            # "Who disagreed with Owen?": Owen's own turns cannot hold the answer, however well they match his name.
            acted_on = self._acted_on(query)
            allowed = ~acted_on if allowed is None else allowed & ~acted_on
        if rows == 0 or (allowed is not None and not allowed.any()):
            return []
        route = np.zeros(rows, dtype=np.float32)
        text = query.asked_text if query.text == question else question
        if routing != "off" and self.directory is not None:
            route = self.route_weights(query)
            if allowed is not None:
                route = np.where(allowed, route, 0.0)
            if routing == "filter" and route.any():
                allowed = route > 0
            text = query.content
        many = getattr(self.embedder.encode_query, "many", None)
        if many is not None and text != question and mode in ("dense", "hybrid"):
            many([text, question])  # both vectors this search needs, in one model call
        dense = self._dense(text, allowed) if mode in ("dense", "hybrid") else None
        lexical = self._bm25(text, allowed) if mode in ("bm25", "hybrid") else None
        reranking = rerank and self.index.sentences is not None and mode == "hybrid"
        lexical_rrf = self._lexical_rrf(lexical) if lexical is not None and (fusion == "rrf" or reranking) else None
        fused = self._fuse(dense, lexical, fusion, lexical_rrf)
        if routing == "boost":
            fused = fused + ROUTE_BOOST[fusion] * route
        if allowed is not None:
            fused = np.where(allowed, fused, -np.inf)
        ranked = top_rows(fused, max(k, RERANK_CANDIDATES) + 1)  # rows further down are never shown or compared
        scores = {row: float(fused[row]) for row in ranked}
        if reranking:
            candidates, rest = ranked[:RERANK_CANDIDATES], ranked[RERANK_CANDIDATES:]
            pool = None if len(self.index.chunks) <= self.exact_limit else np.union1d(candidates, _pool(dense, lexical))
            rescored = self._rerank_scores(text, allowed, lexical_rrf, route if routing == "boost" else None, pool)
            candidates.sort(key=lambda row: -rescored[row])
            ranked = candidates + rest
            # Re-ranked candidates carry their re-ranking score, shifted above every score of the rest.
            floor = max((scores[row] for row in rest), default=0.0) - min(rescored[row] for row in candidates) + 1.0
            scores.update({row: float(rescored[row] + floor) for row in candidates})
        top = ranked[:k]
        similarity = self.similarity(question, top)
        return [
            Passage(chunk=self.index.chunks[i], score=float(scores[i]), rank=r, similarity=float(s))
            for r, (i, s) in enumerate(zip(top, similarity), start=1)
        ]

    # -- signals -------------------------------------------------------------------------------------
    def similarity(self, question: str, rows: list[int]) -> np.ndarray:
        """Cosine similarity of the whole question to the given chunks or, when higher, to their best sentence:
        the confidence signal abstention is calibrated on. It separates covered from uncovered questions better
        than the chunk's cosine alone (python -m eval.ablation, docs/eval.md)."""
        if not rows:
            return np.zeros(0, dtype=np.float32)
        query = self.embedder.encode_query(question)
        vectors = np.vstack([self.index.vectors.reconstruct(int(i)) for i in rows])
        chunk = vectors @ query
        if self.index.sentences is None:
            return chunk
        return np.maximum(chunk, self._sentence_max(query, np.asarray(rows)))

    def route_weights(self, query: Query) -> np.ndarray:
        """Per chunk, how strongly the question points at it: 1 for a routed speaker's passages (and, for a
        question about the speaker, the passages introducing them), a share for unnamed turns, and 1 for the passages
        holding the kind of annotation a question about the discourse asks for."""
        weights = np.zeros(len(self.index.chunks), dtype=np.float32)
        kinds = discourse_kinds(query)
        if kinds:
            _lift(weights, self._annotated_rows(kinds, query), DISCOURSE_WEIGHT)
        _lift(weights, self._asked_by_named(query), DISCOURSE_WEIGHT)
        _lift(weights, self._quoting(query), DISCOURSE_WEIGHT)
        if (query.asks_moderator or query.asks_relayer) and self.directory is not None:
            # "Who moderated ...?", "Who relayed the online questions?": answered where the session says who does.
            _lift(weights, self._introduction_rows(query), INTRODUCTION_WEIGHT)
        if query.session_end and self.directory is not None:
            _lift(weights, self._closing_rows(query), POSITION_WEIGHT)
        if not query.targets:
            return weights
        # Row lists per (session, speaker) and per session: work grows with the routed passages, not the corpus. A
        # lift is a maximum, so rows are gathered per weight and lifted once: a speaker named by organisation can be
        # a target in every one of a thousand sessions.
        by_speaker, by_session = self._row_groups()
        none = np.zeros(0, dtype=np.int64)
        lifted: dict[float, list[np.ndarray]] = {}
        for target in query.targets:
            own = by_speaker.get((target.session_id, target.key), none)
            if target.turn_nos is not None:
                own = own[np.isin(self._turn[own], list(target.turn_nos))]
            if query.position and len(own):
                turns = sorted(set(self._turn[own].tolist()))
                chosen = turns[-1] if query.position == "last" else self._first_substantive(target.session_id, turns)
                lifted.setdefault(POSITION_WEIGHT, []).append(own[self._turn[own] == chosen])
            lifted.setdefault(1.0, []).append(own)
            if query.kind == PROFILE or (query.answer_type in (PERSON, NAME) and target.how in DESCRIBED):
                # "Who heads the fund at ZICTA?": the person the description fits is answered where it was said of them.
                introducing = self._introducing(target.speaker, by_session)
                if not len(introducing) and len(own):
                    # Nobody introduced them: they did, at the start of their first turn ("My name is ..., I'm from ...").
                    first = own[self._turn[own] == self._turn[own].min()]
                    introducing = first[self._start[first] == self._start[first].min()]
                lifted.setdefault(INTRODUCTION_WEIGHT, []).append(introducing)
        for session_id in dict.fromkeys(t.session_id for t in query.targets):
            lifted.setdefault(UNKNOWN_SHARE, []).append(by_speaker.get((session_id, "UNKNOWN"), none))
        for weight, rows in lifted.items():
            _lift(weights, np.concatenate(rows), weight)
        return weights

    def _closing_rows(self, query: Query) -> np.ndarray:
        """Rows of each moderator's last turn, in the sessions the question names or in every session: where a
        session's outcome is summed up."""
        by_speaker, _ = self._row_groups()
        focus = {stem(w) for w in query.focus if w not in SESSION_WORDS}
        closing: list[tuple[int, np.ndarray]] = []
        for (session_id, key), speaker in self.directory.entries.items():
            if speaker.kind != "moderator" or (query.sessions and session_id not in query.sessions):
                continue
            own = by_speaker.get((session_id, key))
            turn = self.index.turn(session_id, speaker.last_turn) if speaker.last_turn is not None else None
            if own is not None and turn is not None:
                said = len(focus & {stem(w) for w in words(turn.text)})
                closing.append((said, own[self._turn[own] == speaker.last_turn]))
        # The closing turns saying most of what the question is about ("the draft model clauses"): not every session's.
        most = max((said for said, _ in closing), default=0)
        rows = [r for said, r in closing if said == most and most > 0]
        return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)

    def _introduction_rows(self, query: Query) -> np.ndarray:
        """Rows of the chunks introducing the moderators (for "who moderated") or the readers of the remote questions
        (for "who relayed") of the sessions the question names, or of every session."""
        _, by_session = self._row_groups()
        readers = set()
        if query.asks_relayer:
            for annotation in self.index.annotations:
                turn = self.index.turn(annotation.session_id, annotation.turn_no) if annotation.kind == "relayed" else None
                if turn is not None:
                    readers.add((annotation.session_id, turn.speaker))
        rows = []
        for (session_id, key), speaker in self.directory.entries.items():
            wanted = (session_id, key) in readers or (query.asks_moderator and speaker.kind == "moderator")
            if not wanted or (query.sessions and session_id not in query.sessions):
                continue
            rows.append(self._introducing(speaker, by_session))
        return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)

    def _introducing(self, speaker, by_session: dict[str, np.ndarray]) -> np.ndarray:
        """Rows of the chunks overlapping the passages that introduce `speaker`."""
        session = by_session.get(speaker.session_id, np.zeros(0, dtype=np.int64))
        rows = [session[(self._start[session] < end) & (start < self._end[session])] for start, end in speaker.introductions]
        return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)

    def _annotated_rows(self, kinds: frozenset[str], query: Query) -> np.ndarray:
        """Rows of the chunks overlapping an annotation of `kinds` (a stance: only the targets' own, when there are)."""
        targets = {(t.session_id, t.key) for t in query.targets}
        wanted = []
        for annotation in self.index.annotations:
            if annotation.kind not in kinds or (query.sessions and annotation.session_id not in query.sessions):
                continue
            if annotation.kind == "stance" and targets:
                turn = self.index.turn(annotation.session_id, annotation.turn_no)
                if turn is None or (annotation.session_id, turn.speaker) not in targets:
                    continue
            wanted.append(annotation)
        if not wanted:
            return np.zeros(0, dtype=np.int64)
        _, by_session = self._row_groups()
        none = np.zeros(0, dtype=np.int64)
        rows = [by_session.get(a.session_id, none)[(self._start[by_session.get(a.session_id, none)] < a.end) & (a.start < self._end[by_session.get(a.session_id, none)])] for a in wanted]
        return np.unique(np.concatenate(rows))

    def _asked_by_named(self, query: Query) -> np.ndarray:
        """Rows of the questions asked or read out for a person the question names ("What did María González in Bogotá
        want to know?"): someone who never held the microphone is found where their question was put, as a speaker is
        found in their turns."""
        names = {fold(n) for n in query.names}
        if not names:
            return np.zeros(0, dtype=np.int64)
        _, by_session = self._row_groups()
        none = np.zeros(0, dtype=np.int64)
        rows = []
        for annotation in self.index.annotations:
            if annotation.who and annotation.kind in ("relayed", "asked") and fold(annotation.who) in names:
                if query.sessions and annotation.session_id not in query.sessions:
                    continue
                session = by_session.get(annotation.session_id, none)
                rows.append(session[(self._start[session] < annotation.end) & (annotation.start < self._end[session])])
        return np.concatenate(rows) if rows else none

    def _quoting(self, query: Query) -> np.ndarray:
        """Rows whose text holds words the question quotes ("When Rizal said \"as Ana said\" ...")."""
        if not query.quoted:
            return np.zeros(0, dtype=np.int64)
        wanted = [fold(q) for q in query.quoted]
        rows = [row for row, chunk in enumerate(self.index.chunks)
                if (not query.sessions or chunk.session_id in query.sessions) and any(w in fold(chunk.text) for w in wanted)]
        return np.array(rows, dtype=np.int64)

    def _acted_on(self, query: Query) -> np.ndarray:
        """Rows of the turns of the people a "who" question names as acted on."""
        by_speaker, _ = self._row_groups()
        mask = np.zeros(len(self.index.chunks), dtype=bool)
        for other in query.others:
            mask[by_speaker.get((other.session_id, other.key), np.zeros(0, dtype=np.int64))] = True
        return mask

    def _row_groups(self) -> tuple[dict[tuple[str, str], np.ndarray], dict[str, np.ndarray]]:
        if self._rows_by_speaker is None:
            by_speaker: dict[tuple[str, str], list[int]] = {}
            by_session: dict[str, list[int]] = {}
            for row, chunk in enumerate(self.index.chunks):
                by_speaker.setdefault((chunk.session_id, chunk.speaker), []).append(row)
                by_session.setdefault(chunk.session_id, []).append(row)
            self._rows_by_session = {key: np.array(rows, dtype=np.int64) for key, rows in by_session.items()}
            self._rows_by_speaker = {key: np.array(rows, dtype=np.int64) for key, rows in by_speaker.items()}
        return self._rows_by_speaker, self._rows_by_session

    def _first_substantive(self, session_id: str, turns: list[int]) -> int:
        """The first of the turns that says more than a greeting ("Yes, I'm here.")."""
        for turn_no in turns:
            turn = self.index.turn(session_id, turn_no)
            if turn is not None and len(turn.text.split()) > 30:
                return turn_no
        return turns[0]

    def _allowed(self, speakers, sessions) -> np.ndarray | None:
        if not speakers and not sessions:
            return None
        mask = np.ones(len(self.index.chunks), dtype=bool)
        if speakers:
            mask &= np.isin(self._speaker, list(speakers))
        if sessions:
            mask &= np.isin(self._session, list(sessions))
        return mask

    def _dense(self, question: str, allowed: np.ndarray | None) -> np.ndarray:
        """Cosine per row from FAISS; rows outside the pool or the filter get -inf."""
        query = self.embedder.encode_query(question)
        pool = min(self.index.vectors.ntotal, DENSE_POOL)
        scores, ids = search_vectors(self.index.vectors, query, pool, allowed)
        dense = np.full(len(self.index.chunks), -np.inf, dtype=np.float32)
        found = ids >= 0
        dense[ids[found]] = scores[found]
        return dense

    def _bm25(self, question: str, allowed: np.ndarray | None) -> np.ndarray:
        scores = bm25_scores(self.bm25, question, len(self.index.chunks))
        return np.where(allowed, scores, 0.0) if allowed is not None else scores

    def _lexical_rrf(self, lexical: np.ndarray) -> np.ndarray:
        ranked = np.where(lexical > 0, lexical, -np.inf)
        if len(lexical) > self.exact_limit:
            positive = np.flatnonzero(lexical > 0)
            if len(positive) > LEXICAL_RANKED:
                cut = np.partition(lexical[positive], len(positive) - LEXICAL_RANKED)[len(positive) - LEXICAL_RANKED]
                ranked[positive[lexical[positive] < cut]] = -np.inf
        return rrf_scores(ranked)

    def _fuse(self, dense: np.ndarray | None, lexical: np.ndarray | None, fusion: str, lexical_rrf: np.ndarray | None) -> np.ndarray:
        """`lexical_rrf`: `_lexical_rrf(lexical)`, which RRF fusion needs whenever there is a lexical ranking."""
        if fusion == "rrf":
            parts = [rrf_scores(dense)] if dense is not None else []
            if lexical_rrf is not None:
                parts.append(lexical_rrf)
            return np.sum(parts, axis=0)
        parts = []
        if dense is not None:
            parts.append((self.dense_weight if lexical is not None else 1.0) * np.where(np.isfinite(dense), dense, -1.0))
        if lexical is not None:
            top = float(lexical.max())
            parts.append((1.0 - self.dense_weight if dense is not None else 1.0) * (lexical / top if top > 0 else lexical))
        return np.sum(parts, axis=0)

    def _sentence_max(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For each given chunk row, the best cosine of the question to one of its sentences (-1 for none).
        Reads only those chunks' sentences: at scale the table is larger than the chunk vectors."""
        table = self.index.sentences
        if self._sentence_starts is None:
            order = np.argsort(table.chunk_rows, kind="stable")  # written in chunk order; sorted costs nothing
            self._sentence_order = None if np.array_equal(order, np.arange(len(order))) else order
            self._sentence_starts = np.searchsorted(table.chunk_rows[order], np.arange(len(self.index.chunks) + 1))
        rows = np.asarray(rows, dtype=np.int64)
        begin, counts = self._sentence_starts[rows], self._sentence_starts[rows + 1] - self._sentence_starts[rows]
        best = np.full(len(rows), -1.0, dtype=np.float32)
        if not counts.any():
            return best
        offsets = np.cumsum(counts) - counts
        picked = np.arange(int(counts.sum())) - np.repeat(offsets, counts) + np.repeat(begin, counts)
        if self._sentence_order is not None:
            picked = self._sentence_order[picked]
        if len(picked) * 2 > len(table.vectors):  # most of the table: one pass over it beats copying the rows out
            similarity = np.asarray(np.asarray(table.vectors) @ query, dtype=np.float32)[picked]
        else:
            # einsum, not @: a BLAS matrix-vector product hands a few thousand rows to its threads, and on busy
            # cores waiting for them took 15 ms where one thread takes 0.4 ms.
            similarity = np.einsum("ij,j->i", read_rows(table.vectors, picked), np.asarray(query, dtype=np.float32))
        has = counts > 0
        best[has] = np.maximum.reduceat(similarity, offsets[has])
        return best

    def _rerank_scores(
        self, text: str, allowed: np.ndarray | None, lexical_rrf: np.ndarray, route: np.ndarray | None, pool: np.ndarray | None = None
    ) -> np.ndarray:
        """Per row: RRF of the best sentence's similarity and of BM25, plus the routing lift. Ranks are taken
        over every allowed row, so a candidate's rank means the same as in the first stage; above
        `exact_limit` rows, over `pool` (the candidates and both first-stage rankings' best rows)."""
        rows = np.arange(len(self.index.chunks)) if allowed is None else np.flatnonzero(allowed)
        if pool is not None:
            rows = pool if allowed is None else pool[allowed[pool]]
        sentence = np.full(len(self.index.chunks), -np.inf, dtype=np.float32)
        sentence[rows] = self._sentence_max(self.embedder.encode_query(text), rows)
        score = rrf_scores(sentence) + lexical_rrf
        if route is not None:
            score = score + RERANK_ROUTE_BOOST * route
        return score


def discourse_kinds(query: Query) -> frozenset[str]:
    """The annotation kinds (index.annotate) a question about the discourse asks for."""
    kinds = set()
    if query.asks_asker:
        kinds |= {"relayed", "asked"}
    if query.asks_relayer:
        kinds.add("relayed")
    if query.asks_corrector or query.asks_correction:
        kinds.add("correction")
    if query.answer_type == "stance":
        kinds.add("stance")
    return frozenset(kinds)


def rrf_scores(scores: np.ndarray) -> np.ndarray:
    """1/(RRF_K + rank) per row, by descending score; rows scored -inf get 0."""
    result = np.zeros(len(scores), dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(scores))  # -inf rows sort last: ranking only the others changes no rank
    order = descending(scores[finite], finite)
    result[order] = 1.0 / (RRF_K + np.arange(1, len(order) + 1))
    return result


def descending(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`rows` (ascending) ordered by descending value, ties in row order: rows[argsort(-values, kind="stable")].

    A stable sort of 250,000 floats takes ~30 ms; for float32 values the same order comes from one plain sort of
    64-bit keys (the value's bits made order-preserving, then the row), about a fifth of that."""
    if values.dtype != np.float32 or len(rows) == 0 or int(rows[-1]) >= 1 << 32:
        return rows[np.argsort(-values, kind="stable")]
    bits = (values + np.float32(0.0)).view(np.uint32)  # + 0.0 makes -0.0 equal to 0.0, as comparisons do
    ascending = np.where(bits >> np.uint32(31) != 0, ~bits, bits | np.uint32(0x80000000))
    keys = ((~ascending).astype(np.uint64) << np.uint64(32)) | rows.astype(np.uint64)
    keys.sort()
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)


def top_rows(scores: np.ndarray, n: int) -> list[int]:
    """The n best rows with a finite score, best first, ties in row order (a stable sort of all rows, cut at n)."""
    positive = np.flatnonzero((scores > 0) & (scores < np.inf))
    # Every positive score beats every other: with n of them, only they need sorting (RRF leaves most rows at 0).
    finite = positive if len(positive) >= n else np.flatnonzero(np.isfinite(scores))
    if len(finite) > n:
        cut = np.partition(scores[finite], len(finite) - n)[len(finite) - n]
        finite = finite[scores[finite] >= cut]
    return [int(row) for row in finite[np.argsort(-scores[finite], kind="stable")][:n]]


def _pool(dense: np.ndarray | None, lexical: np.ndarray | None, size: int = DENSE_POOL) -> np.ndarray:
    """The rows the first stage found: FAISS's pool and BM25's best `size`."""
    parts = [np.flatnonzero(np.isfinite(dense))] if dense is not None else []
    if lexical is not None:
        positive = np.flatnonzero(lexical > 0)
        if len(positive) > size:
            positive = positive[np.argpartition(-lexical[positive], size)[:size]]
        parts.append(positive)
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _lift(weights: np.ndarray, rows: np.ndarray, weight: float) -> None:
    weights[rows] = np.maximum(weights[rows], weight)
