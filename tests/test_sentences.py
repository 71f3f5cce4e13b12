"""Chunk and sentence vectors from one model pass (index.sentences.embed_chunks), on the bundled transcript."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.chunk import chunk_turns
from index.ingest import index_is_fresh, ingest
from index.parse import parse_file
from index.sentences import embed_chunks, embed_sentences
from index.settings import PROJECT_ROOT
from index.store import FORMAT_VERSION, IndexMismatch, current_generation, load_index
from index.text import fold, sentence_spans

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"

# bfloat16 vectors shift with the batch they are computed in (padding): compare by cosine.
SAME_VECTOR = 0.999


@pytest.fixture(scope="module")
def chunks(seed_path, embedder):
    transcript = parse_file(seed_path)
    return chunk_turns(transcript.turns, transcript.session.title, embedder.count_tokens, min(160, embedder.max_tokens), 1)


@pytest.fixture(scope="module")
def one_pass(embedder, chunks):
    return embed_chunks(embedder, chunks)


class SpanlessEmbedder:
    """The real embedder without `encode_with_spans`: what any embedder that only encodes texts looks like."""

    def __init__(self, embedder):
        self.inner, self.dimension = embedder, embedder.dimension

    def encode(self, texts, **kwargs):
        return self.inner.encode(texts, **kwargs)


def test_sentence_vectors_are_each_sentence_embedded_alone(embedder, chunks, one_pass):
    _, table = one_pass
    alone = embed_sentences(embedder, chunks)
    assert np.array_equal(table.chunk_rows, alone.chunk_rows)
    assert len(table) == sum(len(sentence_spans(c.text)) or 1 for c in chunks)
    assert (table.vectors * alone.vectors).sum(axis=1).min() > SAME_VECTOR


@pytest.mark.parametrize(
    "question, said",
    [
        ("How many ECOWAS member states are least developed countries?", "11 are classified as LDCs"),
        ("Which West African countries lack national coordination on cybersecurity?", "lacking a national coordination"),
    ],
)
def test_a_sentence_vector_is_closest_to_a_question_about_it(embedder, chunks, one_pass, question, said):
    _, table = one_pass
    row, chunk = next((i, c) for i, c in enumerate(chunks) if "11 are classified as LDCs" in c.text)
    spans = sentence_spans(chunk.text)
    assert len(spans) >= 4  # the sentence has neighbours in its chunk to lose against
    asked = next(i for i, (a, b) in enumerate(spans) if said in chunk.text[a:b])
    cosines = table.vectors[table.chunk_rows == row] @ embedder.encode_query(question)
    assert int(np.argmax(cosines)) == asked


def test_chunk_vectors_pool_their_sentences_tokens(embedder, chunks, one_pass):
    vectors, _ = one_pass
    assert vectors.shape == (len(chunks), embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    whole = embedder.encode([c.embedding_text for c in chunks])
    cosines = vectors @ whole.T
    # A one-sentence chunk is its sentence: the same tokens, only [CLS]/[SEP] left out of the pool.
    single = [i for i, c in enumerate(chunks) if len(sentence_spans(c.text)) == 1]
    assert single and cosines.diagonal()[single].min() > 0.97
    # Longer chunks see each sentence without the others' context, yet their vector still finds their own text
    # among all chunks' (measured: 176 of 179; the rest find a neighbour they overlap).
    assert (cosines.argmax(axis=1) == np.arange(len(chunks))).mean() > 0.95


def test_chunk_vectors_find_evidence_as_well_as_a_pass_of_their_own(embedder, chunks, one_pass):
    """Dense search alone over the question set: the pooled chunk vectors put a chunk holding the evidence first,
    and in the top five, about as often as vectors of the chunks' own texts (measured: 76 and 114 of 149 against
    65 and 109)."""
    questions = [q for q in map(json.loads, QUESTIONS.read_text(encoding="utf-8").splitlines()) if q["evidence"]]
    asked = embedder.encode([q["question"] for q in questions])
    texts = [fold(c.text) for c in chunks]

    def hits(vectors: np.ndarray, k: int) -> int:
        best = np.argsort(-(asked @ vectors.T), axis=1)[:, :k]
        return sum(any(fold(e) in texts[j] for j in row for e in q["evidence"]) for q, row in zip(questions, best))

    pooled, own = one_pass[0], embedder.encode([c.embedding_text for c in chunks])
    for k in (1, 5):
        assert hits(pooled, k) >= hits(own, k) - len(questions) // 50


def test_span_sums_count_the_tokens_of_their_characters(embedder):
    texts = ["Folake Olagunju: So what we have seen is a lack of national coordination.", "Tracy Hackshaw: Thank you."]
    prefix = len("Folake Olagunju: ")
    spans = [(0, prefix, len(texts[0])), (0, 0, len(texts[0])), (1, 0, len(texts[1])), (1, 0, 0)]
    vectors, sums, counts = embedder.encode_with_spans(texts, spans)
    assert (vectors * embedder.encode(texts)).sum(axis=1).min() > SAME_VECTOR
    assert counts.tolist() == [embedder.count_tokens(texts[0][prefix:]), embedder.count_tokens(texts[0]), embedder.count_tokens(texts[1]), 0]
    # The prefix's tokens are the difference between the whole text's sum and the sentence's.
    assert not np.allclose(sums[0], sums[1]) and np.allclose(sums[3], 0)


def test_an_embedder_without_spans_embeds_chunks_and_sentences_apart(embedder, chunks, one_pass):
    some = chunks[:12]
    vectors, table = embed_chunks(SpanlessEmbedder(embedder), some)
    assert (vectors * embedder.encode([c.embedding_text for c in some])).sum(axis=1).min() > SAME_VECTOR
    assert (table.vectors * embed_sentences(embedder, some).vectors).sum(axis=1).min() > SAME_VECTOR
    assert embed_chunks(embedder, [])[0].shape == (0, embedder.dimension)


def test_ingest_stores_one_pass_vectors(settings, embedder, one_pass):
    index = load_index(settings)
    vectors, table = one_pass
    stored = np.vstack([index.vectors.reconstruct(i) for i in range(len(index.chunks))])
    assert (stored * vectors).sum(axis=1).min() > SAME_VECTOR
    assert np.array_equal(index.sentences.chunk_rows, table.chunk_rows)
    assert index.manifest.format_version == FORMAT_VERSION


def test_an_index_of_the_two_pass_format_is_stale_and_rebuilds(settings, seed_path, embedder, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(settings.home / "index", home / "index", symlinks=True)
    old = settings.with_overrides(home=home)
    live = current_generation(old.index_dir)
    manifest = json.loads((live / "manifest.json").read_text())
    manifest["format_version"] = 2  # chunk vectors from a pass of their own
    (live / "manifest.json").write_text(json.dumps(manifest))
    assert not index_is_fresh(old, [seed_path])
    with pytest.raises(IndexMismatch, match="format 2.*rebuild"):
        load_index(old)
    report = ingest([seed_path], old, embedder, rebuild=True)
    assert not report.errors and report.chunks_embedded == len(load_index(old).chunks)
    assert index_is_fresh(old, [seed_path])
