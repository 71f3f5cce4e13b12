"""The retriever's fast paths for large indexes give what the plain computations give (no timings here)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings as hypothesis_settings, strategies as st

from rag.retrieve import LEXICAL_RANKED, RRF_K, descending, rrf_scores, top_rows

float32_values = st.lists(st.sampled_from([-np.inf, -0.0, 0.0, 0.25, 0.5, 1.0, -2.0, 3e38, 1e-45]) | st.floats(-5, 5, width=32), max_size=80)


@hypothesis_settings(max_examples=300, deadline=None)
@given(float32_values)
def test_descending_is_a_stable_sort_by_descending_value(values):
    scores = np.array(values, dtype=np.float32)
    finite = np.flatnonzero(np.isfinite(scores))
    assert descending(scores[finite], finite).tolist() == finite[np.argsort(-scores[finite], kind="stable")].tolist()


@hypothesis_settings(max_examples=200, deadline=None)
@given(float32_values, st.sampled_from([np.float32, np.float64]))
def test_rrf_scores_rank_all_finite_rows(values, dtype):
    scores = np.array(values, dtype=dtype)
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    assert np.array_equal(rrf_scores(scores), np.where(np.isfinite(scores), 1.0 / (RRF_K + ranks), 0.0))


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([-np.inf, 0.0, 0.001, 0.016, 0.5, 1.0]) | st.floats(0, 1), max_size=80), st.integers(1, 50))
def test_top_rows_with_mostly_zero_scores(values, n):
    scores = np.array(values, dtype=np.float64)
    full = [int(i) for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])]
    assert top_rows(scores, n) == full[:n]


def test_lexical_ranking_above_the_exact_limit_counts_the_best_rows_and_their_ties():
    from rag.retrieve import Retriever

    rng = np.random.default_rng(0)
    lexical = np.round(rng.random(20 * LEXICAL_RANKED), 2).astype(np.float32)
    lexical[rng.random(len(lexical)) < 0.3] = 0.0
    retriever = Retriever.__new__(Retriever)
    retriever.exact_limit = len(lexical) - 1
    capped = retriever._lexical_rrf(lexical)
    exact = rrf_scores(np.where(lexical > 0, lexical, -np.inf))
    kept = capped > 0
    cut = np.sort(lexical[lexical > 0])[::-1][LEXICAL_RANKED - 1]
    assert np.array_equal(kept, lexical >= cut) and kept.sum() >= LEXICAL_RANKED
    assert np.array_equal(capped[kept], exact[kept])  # the ranked rows keep their exact RRF
    retriever.exact_limit = len(lexical)
    assert np.array_equal(retriever._lexical_rrf(lexical), exact)  # at or below the limit: every row is ranked


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 300), max_size=200), st.integers(1, 128), st.integers(1, 4096))
def test_token_batches_keep_both_limits_and_every_text_once(lengths, max_texts, max_tokens):
    from index.embed import token_batches

    batches = token_batches(lengths, max_texts, max_tokens)
    order = [int(i) for batch in batches for i in batch]
    assert sorted(order) == list(range(len(lengths)))
    assert [lengths[i] for i in order] == sorted(lengths, reverse=True)
    for batch in batches:
        assert 1 <= len(batch) <= max_texts
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= max_tokens
    # Greedy: a batch closes only when the next text would break a limit.
    for batch, following in zip(batches, batches[1:]):
        widest = max(lengths[i] for i in batch)
        assert len(batch) == max_texts or (len(batch) + 1) * widest > max_tokens
