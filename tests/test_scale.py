"""Scale machinery: the approximate (HNSW) vector index above a size threshold, filtered search on it, its
recall against exact search, incremental ingest on it, and the retriever's sub-linear helpers, which must
give exactly what the plain computations give. No timings here: speed is measured by `make bench`."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from index.settings import PROJECT_ROOT
from index.text import fold

SESSIONS = 4  # generated sessions: 4 x 179 chunks, over the threshold below
THRESHOLD = 300


def questions(n: int) -> list[str]:
    lines = (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:n]]


@pytest.fixture(scope="module")
def large(settings, tmp_path_factory):
    """An index of generated sessions (eval.synthetic) written with a low HNSW threshold."""
    from eval.synthetic import generated_index
    from index.store import load_index

    home = tmp_path_factory.mktemp("scale-home")
    large_settings = dataclasses.replace(settings, home=home, hnsw_threshold=THRESHOLD, hnsw_ef_search=64)
    chunks = generated_index(large_settings, load_index(settings), SESSIONS)
    assert chunks == SESSIONS * len(load_index(settings).chunks)
    return large_settings


def test_small_index_stays_exact_and_manifest_says_so(settings):
    from index.store import load_index, read_manifest, vector_index_kind

    assert read_manifest(settings.index_dir).vector_index == "flat"
    assert vector_index_kind(load_index(settings).vectors) == "flat"


def test_hnsw_above_threshold_recorded_and_configured(large):
    from index.store import load_index, read_manifest, vector_index_kind

    index = load_index(large)
    assert read_manifest(large.index_dir).vector_index == "hnsw"
    assert vector_index_kind(index.vectors) == "hnsw"
    assert index.vectors.hnsw.efSearch == large.hnsw_ef_search
    assert index.vectors.ntotal == len(index.chunks)


def test_hnsw_scores_are_cosines_and_recall_matches_exact(large, embedder):
    from index.store import all_vectors, build_vector_index, load_index

    index = load_index(large)
    exact = build_vector_index(all_vectors(index.vectors))
    queries = embedder.encode(questions(40))
    exact_scores, exact_ids = exact.search(queries, 10)
    scores, ids = index.vectors.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids, ids)])
    assert recall >= 0.98, recall
    # Inner product, not L2: the scores are the cosines exact search reports for the same rows.
    vectors = all_vectors(index.vectors)
    assert np.allclose(scores, np.einsum("qkd,qd->qk", vectors[ids], queries), atol=1e-4)
    assert scores.max() <= 1.0001 and np.allclose(scores[:, 0], exact_scores[:, 0], atol=1e-4)


@pytest.mark.parametrize("exact_filter_rows", [20_000, 0], ids=["exact-over-filter", "hnsw-selector"])
def test_filtered_search_on_hnsw(large, embedder, monkeypatch, exact_filter_rows):
    import index.store as store
    from rag.retrieve import Retriever
    from rag.speakers import SpeakerDirectory

    monkeypatch.setattr(store, "EXACT_FILTER_ROWS", exact_filter_rows)
    index = store.load_index(large)
    retriever = Retriever(index, embedder, "hybrid", settings=large, directory=SpeakerDirectory(index.turns))
    second = index.manifest.sessions[1].session_id
    speaker = next(c.speaker for c in index.chunks if c.session_id == second and c.speaker not in ("MODERATOR", "AUDIENCE", "UNKNOWN"))
    for question in questions(5):
        by_speaker = retriever.search(question, k=10, speakers={speaker})
        assert by_speaker and all(p.chunk.speaker == speaker for p in by_speaker)
        by_session = retriever.search(question, k=10, sessions={second})
        assert len(by_session) == 10 and all(p.chunk.session_id == second for p in by_session)
        dense = retriever.search(question, k=10, sessions={second}, mode="dense", routing="off", rerank=False)
        rows = np.flatnonzero([c.session_id == second for c in index.chunks])
        best = rows[np.argmax(store.all_vectors(index.vectors)[rows] @ embedder.encode_query(question))]
        assert dense[0].chunk.chunk_id == index.chunks[best].chunk_id


def test_pooled_reranking_keeps_the_answer_on_top(large, settings, embedder):
    """Above the exact limit, re-ranking ranks a candidate pool: on the bundled session's own questions the top
    passage it picks is the one exact re-ranking picks (checked on the generated index with the limit lowered)."""
    from index.store import load_index
    from rag.retrieve import Retriever
    from rag.speakers import SpeakerDirectory

    index = load_index(large)
    directory = SpeakerDirectory(index.turns)
    exact = Retriever(index, embedder, "hybrid", settings=dataclasses.replace(large, hnsw_threshold=10**9), directory=directory)
    pooled = Retriever(index, embedder, "hybrid", settings=large, directory=directory)
    assert pooled.exact_limit < len(index.chunks) <= exact.exact_limit
    agree = 0
    for question in questions(20):
        a, b = exact.search(question, k=10), pooled.search(question, k=10)
        assert len(b) == 10 and len({p.chunk.chunk_id for p in b}) == 10
        agree += a[0].chunk.chunk_id == b[0].chunk.chunk_id
    assert agree >= 16, agree


def test_incremental_ingest_and_removal_on_hnsw(large, embedder, tmp_path):
    from index.ingest import ingest, remove_sessions
    from index.store import load_index, read_manifest

    before = load_index(large)
    extra = tmp_path / "extra-session.txt"
    extra.write_text("Ana Silva: The Pacific islands need submarine cables.\n\nBo Chen: Cable repair ships are scarce.\n", encoding="utf-8")
    report = ingest([extra], large, embedder)
    assert not report.errors and len(report.added) == 1
    after = load_index(large)
    assert read_manifest(large.index_dir).vector_index == "hnsw"
    assert len(after.chunks) == len(before.chunks) + report.chunks_embedded
    kept = np.stack([before.vectors.reconstruct(i) for i in range(0, len(before.chunks), 97)])
    assert np.allclose(kept, np.stack([after.vectors.reconstruct(i) for i in range(0, len(before.chunks), 97)]))
    query = embedder.encode_query("submarine cables for the Pacific islands")
    _, ids = after.vectors.search(query[None, :], 1)
    assert after.chunks[ids[0][0]].session_id == report.added[0]
    assert remove_sessions(large, report.added, embedder.dimension) == report.added
    assert len(load_index(large).chunks) == len(before.chunks)


def test_sentence_vectors_are_memory_mapped(settings):
    from index.store import load_index

    assert isinstance(load_index(settings).sentences.vectors, np.memmap)


@pytest.mark.parametrize("which", ["a few rows", "every row, reversed"])
def test_sentence_max_matches_brute_force(pipeline, which):
    retriever = pipeline.retriever
    table = pipeline.index.sentences
    query = pipeline.embedder.encode_query("ransomware attacks on hospitals")
    last = len(pipeline.index.chunks) - 1
    rows = np.array([0, 5, 17, 3, last]) if which == "a few rows" else np.arange(last, -1, -1)
    expected = [max((float(v @ query) for v in table.vectors[table.chunk_rows == row]), default=-1.0) for row in rows]
    assert np.allclose(retriever._sentence_max(query, rows), expected, atol=1e-5)


scores_strategy = st.lists(st.sampled_from([-np.inf, 0.0, 0.25, 0.5, 1.0, 2.0]) | st.floats(-5, 5), min_size=0, max_size=60)


@hypothesis_settings(max_examples=200, deadline=None)
@given(scores_strategy, st.integers(1, 70))
def test_top_rows_is_a_cut_stable_sort(values, n):
    from rag.retrieve import top_rows

    scores = np.array(values, dtype=np.float64)
    full = [int(i) for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])]
    assert top_rows(scores, n) == full[:n]


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.sampled_from(["Café naïve", "Ǆ ﬁ ½ e\u0301", "9,126 people", "Ana–Silva’s"]))
def test_text_fast_paths_change_nothing(text):
    import unicodedata

    from index.text import fold, strip_accents, words
    from rag.introductions import same_length_ascii

    decomposed = unicodedata.normalize("NFKD", text)
    assert strip_accents(text) == "".join(c for c in decomposed if not unicodedata.combining(c))
    reference = "".join(s if len(s := strip_accents(c)) == 1 else c for c in text)
    assert same_length_ascii(text) == reference and len(reference) == len(text)
    assert words(text) == [re.sub(r"(?<=\d),(?=\d{3})", "", t).rstrip(".,'") for t in re.findall(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*", fold(text))]


def test_query_cache_embeds_missing_queries_in_one_call():
    from index.embed import QueryCache

    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = QueryCache(encode, maxsize=2)
    cache("ab")
    first, second = cache.many(["ab", "xyz"])
    assert calls == [["ab"], ["xyz"]]  # the cached one is not embedded again
    assert second.tolist() == [3.0, 1.0] and not first.flags.writeable
    cache("q")
    assert list(cache.vectors) == ["xyz", "q"]  # least recently used dropped
    cache.cache_clear()
    assert not cache.vectors


def plain_route_weights(retriever, query) -> np.ndarray:
    """Routing weights computed over every row, one target at a time: what Retriever.route_weights must equal."""
    from rag.query import PROFILE
    from rag.retrieve import DISCOURSE_WEIGHT, INTRODUCTION_WEIGHT, POSITION_WEIGHT, UNKNOWN_SHARE, discourse_kinds

    chunks = retriever.index.chunks
    session = np.array([c.session_id for c in chunks], dtype=object)
    speaker = np.array([c.speaker for c in chunks], dtype=object)
    turn = np.array([c.turn_no for c in chunks])
    start = np.array([c.start_char for c in chunks])
    end = np.array([c.end_char for c in chunks])
    weights = np.zeros(len(chunks), dtype=np.float32)
    kinds = discourse_kinds(query)
    targets = {(t.session_id, t.key) for t in query.targets}
    for a in retriever.index.annotations:
        if a.kind in kinds and (not query.sessions or a.session_id in query.sessions):
            if a.kind == "stance" and targets and (a.session_id, retriever.index.turn(a.session_id, a.turn_no).speaker) not in targets:
                continue
            weights = np.maximum(weights, DISCOURSE_WEIGHT * ((session == a.session_id) & (start < a.end) & (a.start < end)))
    names = {fold(n) for n in query.names}
    for a in retriever.index.annotations:  # the questions asked or read out for someone the question names
        if a.kind in ("relayed", "asked") and a.who and fold(a.who) in names and (not query.sessions or a.session_id in query.sessions):
            weights = np.maximum(weights, DISCOURSE_WEIGHT * ((session == a.session_id) & (start < a.end) & (a.start < end)))
    if query.quoted:  # the passages saying the words the question quotes
        saying = np.array([any(fold(q) in fold(c.text) for q in query.quoted) and (not query.sessions or c.session_id in query.sessions) for c in chunks])
        weights = np.maximum(weights, DISCOURSE_WEIGHT * saying)
    for target in query.targets:
        own = (session == target.session_id) & (speaker == target.key)
        if target.turn_nos is not None:
            own &= np.isin(turn, list(target.turn_nos))
        if query.position and own.any():
            turns = sorted(set(turn[own].tolist()))
            chosen = turns[-1] if query.position == "last" else retriever._first_substantive(target.session_id, turns)
            weights = np.maximum(weights, POSITION_WEIGHT * (own & (turn == chosen)))
        weights = np.maximum(weights, own.astype(np.float32))
        if query.kind == PROFILE or (query.answer_type in ("person", "name") and target.how in ("role", "organisation", "country")):
            introducing = np.zeros(len(chunks), dtype=bool)
            for a, b in target.speaker.introductions:
                introducing |= (session == target.session_id) & (start < b) & (a < end)
            if not introducing.any() and own.any():  # introduced by nobody: the start of their first turn
                first = own & (turn == turn[own].min())
                introducing = first & (start == start[first].min())
            weights = np.maximum(weights, INTRODUCTION_WEIGHT * introducing)
        weights = np.maximum(weights, UNKNOWN_SHARE * ((session == target.session_id) & (speaker == "UNKNOWN")))
    return weights


def test_route_weights_equal_the_plain_computation(large, embedder):
    from index.store import load_index
    from rag.retrieve import Retriever
    from rag.speakers import SpeakerDirectory

    index = load_index(large)
    retriever = Retriever(index, embedder, "hybrid", settings=large, directory=SpeakerDirectory(index.turns))
    asked = questions(400) + ["What was Folake Olagunju's final recommendation?", "What is the EFF speaker's job title?",
                              "What did Chris Painter say in his first remarks?"]
    routed = 0
    for question in asked:
        query = retriever.analyze(question)
        routed += bool(query.targets)
        assert np.array_equal(retriever.route_weights(query), plain_route_weights(retriever, query)), question
    assert routed >= 50  # most questions name or describe a speaker, in every generated session
