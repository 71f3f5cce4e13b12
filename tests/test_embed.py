"""The embedder's own path (transformers + mean pooling, optionally bfloat16) against sentence-transformers float32,
on the bundled transcript's real chunks and sentences and on the eval questions; and the index manifest naming the
precision its vectors had."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from index.embed import Embedder, effective_precision, mean_pooling_layout, native_bf16, resolve_model_path, token_batches
from index.ingest import ingest
from index.sentences import sentence_texts
from index.store import load_index, read_manifest

# float32 on the same weights differs only in summation order; bfloat16 keeps 8 bits of mantissa in the transformer
# (measured minimum 0.99992 over the bundled transcript's chunks and sentences): 0.9995 leaves room, and is still far
# above what separates neighbours in a ranking.
FP32_MIN_COSINE = 0.99999
BF16_MIN_COSINE = 0.9995
# Mean over all texts: measured 0.99995-0.99996.
BF16_MEAN_COSINE = 0.9998


@pytest.fixture(scope="module")
def texts(seed_chunks):
    _, sentences = sentence_texts(seed_chunks)
    return [c.embedding_text for c in seed_chunks] + sentences[::3]


@pytest.fixture(scope="module")
def reference(texts):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model_path("all-MiniLM-L6-v2"), device="cpu", trust_remote_code=False)
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True), model


@pytest.fixture(scope="module")
def questions():
    from index.settings import PROJECT_ROOT

    lines = (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_packaged_model_takes_the_transformers_path():
    assert mean_pooling_layout(__import__("pathlib").Path(resolve_model_path("all-MiniLM-L6-v2"))) == (256, True)


def test_fp32_vectors_match_sentence_transformers(texts, reference):
    vectors = Embedder(precision="fp32").encode(texts)
    cosines = (vectors * reference[0]).sum(axis=1)
    assert vectors.dtype == np.float32 and vectors.shape == reference[0].shape
    assert cosines.min() >= FP32_MIN_COSINE
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_default_precision_vectors_match_sentence_transformers(texts, reference, questions, embedder):
    vectors = embedder.encode(texts)
    cosines = (vectors * reference[0]).sum(axis=1)
    assert cosines.min() >= BF16_MIN_COSINE and cosines.mean() >= BF16_MEAN_COSINE
    # Questions are shorter than chunks: the query side of every search.
    asked = (embedder.encode(questions) * reference[1].encode(questions, batch_size=64, normalize_embeddings=True)).sum(axis=1)
    assert asked.min() >= BF16_MIN_COSINE and asked.mean() >= BF16_MEAN_COSINE
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Each text's nearest other text is the same one under both: rankings survive the precision change.
    ref_sims, sims = reference[0] @ reference[0].T, vectors @ vectors.T
    np.fill_diagonal(ref_sims, -1), np.fill_diagonal(sims, -1)
    assert (ref_sims.argmax(axis=1) == sims.argmax(axis=1)).mean() >= 0.98


def test_token_counts_and_limits_match_sentence_transformers(texts, reference, embedder):
    model = reference[1]
    assert embedder.max_tokens == model.max_seq_length - 2
    assert [embedder.count_tokens(t) for t in texts[:50]] == [len(model.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts[:50]]


def test_precision_falls_back_where_bfloat16_is_emulated(monkeypatch):
    assert effective_precision("fp32") == "fp32"
    assert effective_precision("bf16") == ("bf16" if native_bf16() else "fp32")
    monkeypatch.setattr("index.embed.native_bf16", lambda: False)
    assert effective_precision("bf16") == "fp32"
    with pytest.raises(ValueError, match="embedding_precision must be one of bf16, fp32, not 'fp16'"):
        effective_precision("fp16")


def test_manifest_records_the_precision_of_the_vectors(settings, embedder, tmp_path):
    assert read_manifest(settings.index_dir).embedding_precision == embedder.precision
    # Adding a session embedded at another precision to that index marks it mixed; a rebuild makes it uniform again.
    home = tmp_path / "home"
    import shutil

    shutil.copytree(settings.home / "index", home / "index")
    copy = dataclasses.replace(settings, home=home)
    other = "fp32" if embedder.precision == "bf16" else "bf16"

    class OtherPrecision:
        def __init__(self, inner):
            self.inner, self.precision = inner, other

        def __getattr__(self, name):
            return getattr(self.inner, name)

    extra = tmp_path / "extra.txt"
    extra.write_text("Ana Silva: Submarine cables carry almost all intercontinental traffic.\n", encoding="utf-8")
    report = ingest([extra], copy, OtherPrecision(embedder))
    assert report.added and not report.errors
    assert read_manifest(copy.index_dir).embedding_precision == "mixed"
    ingest([extra], copy, embedder, rebuild=True)
    assert read_manifest(copy.index_dir).embedding_precision == embedder.precision
    assert len(load_index(copy).chunks) == 1



def test_the_frozen_graph_gives_the_models_vectors(texts, questions, embedder, monkeypatch):
    assert embedder.frozen  # a CPU transformers model is traced and frozen at load
    monkeypatch.setattr("index.embed.freeze", lambda model, tokenizer: None)
    eager = Embedder(precision=embedder.precision)
    assert not eager.frozen
    for sample in (texts, questions):
        assert (embedder.encode(sample) * eager.encode(sample)).sum(axis=1).min() >= 0.99999


def test_the_model_is_kept_when_tracing_fails_or_disagrees(monkeypatch):
    import torch

    from index import embed

    def broken(*args, **kwargs):
        raise RuntimeError("no TorchScript here")

    with monkeypatch.context() as patch:
        patch.setattr(torch.jit, "trace", broken)
        kept = Embedder(precision="fp32")
    assert not kept.frozen and kept.encode(["Who chaired the session?"]).shape == (1, kept.dimension)
    monkeypatch.setattr(embed, "FROZEN_MIN_COSINE", 1.01)  # no graph can agree this well
    assert embed.freeze(kept.model, kept.tokenizer) is None


def test_token_batches_cover_every_text_once_within_both_limits(texts, embedder):
    lengths = [embedder.count_tokens(t) + 2 for t in texts]
    batches = token_batches(lengths, max_texts=64, max_tokens=2048)
    order = np.concatenate(batches)
    assert sorted(order.tolist()) == list(range(len(texts)))
    assert [lengths[i] for i in order] == sorted(lengths, reverse=True)  # longest first, so each batch pads little
    for batch in batches:
        padded = len(batch) * max(lengths[i] for i in batch)
        assert len(batch) <= 64 and (padded <= 2048 or len(batch) == 1)
    # Sorted by word pieces, padding stays under a tenth of the real tokens (64 texts sorted by characters: about half).
    assert sum(len(b) * max(lengths[i] for i in b) for b in batches) < 1.1 * sum(lengths)
