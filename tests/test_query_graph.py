"""Questions embedded by the ONNX graph (index/query_graph.py): the same vectors and tokens as torch on the bundled
transcript, the same answers, a cache that is reused and rebuilt when the model changes, a fallback that says why,
and an answering process that never imports torch."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys

import numpy as np
import pytest

from index import query_graph
from index.embed import resolve_model_path
from index.query_graph import GraphUnavailable, QueryGraph, ensure_query_graph, graph_dir, load_query_encoder
from index.sentences import sentence_texts
from index.settings import PROJECT_ROOT, Settings

from tests.test_embed import BF16_MIN_COSINE, FP32_MIN_COSINE  # the graph is float32; the index is built in bfloat16

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def transcript_texts(seed_chunks):
    _, sentences = sentence_texts(seed_chunks)
    return [c.embedding_text for c in seed_chunks] + sentences


@pytest.fixture(scope="module")
def questions():
    lines = (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_graph_vectors_match_torch_on_the_transcript_and_questions(query_encoder, transcript_texts, questions):
    from index.embed import Embedder

    texts = transcript_texts + questions
    graph = query_encoder.encode(texts)
    assert graph.shape == (len(texts), 384) and graph.dtype == np.float32
    assert np.allclose(np.linalg.norm(graph, axis=1), 1.0, atol=1e-5)
    fp32 = Embedder(precision="fp32").encode(texts)
    assert float((graph * fp32).sum(1).min()) >= FP32_MIN_COSINE
    # One text at a time (no padding) gives the vector it gets in a padded batch.
    alone = np.vstack([query_encoder.encode([t]) for t in questions[:20]])
    assert float((alone * graph[len(transcript_texts):][:20]).sum(1).min()) >= FP32_MIN_COSINE


def test_graph_vectors_match_the_bf16_index(query_encoder, embedder, questions):
    if embedder.precision != "bf16":
        pytest.skip("this CPU has no native bfloat16: the index is float32, covered above")
    cosines = (query_encoder.encode(questions) * embedder.encode(questions)).sum(1)
    assert float(cosines.min()) >= BF16_MIN_COSINE


def test_tokens_are_the_models_own(query_encoder, embedder, transcript_texts):
    """The tokenizers-only tokeniser gives transformers' ids, special tokens and truncation included (U+2011 hyphens,
    accented names, a text longer than the model reads)."""
    long_text = " ".join(transcript_texts[:12])
    texts = transcript_texts + [long_text, "Ernesto Rodríguez Hernández on e‑applications"]
    ours = [e.ids for e in query_encoder.tokenizer.encode_batch(texts)]
    theirs = embedder.tokenizer(texts, truncation=True, max_length=embedder.max_length)["input_ids"]
    assert ours == theirs
    assert len(ours[-2]) == embedder.max_length == 256


def test_the_default_pipeline_answers_as_it_does_with_torch(pipeline, settings, embedder, questions):
    """Swapping torch for the graph changes no answer and no citation on a sample of the question set."""
    from rag.pipeline import Pipeline

    on_torch = Pipeline(settings)
    on_torch._embedder = embedder
    assert isinstance(pipeline.embedder, QueryGraph) and not isinstance(on_torch.embedder, QueryGraph)
    for question in questions[::7]:
        graph_answer, torch_answer = pipeline.ask(question), on_torch.ask(question)
        assert graph_answer.answer == torch_answer.answer, question
        assert [c.passage.chunk.chunk_id for c in graph_answer.citations] == [c.passage.chunk.chunk_id for c in torch_answer.citations], question


def test_the_cached_graph_is_reused(settings, query_encoder, monkeypatch):
    def no_export(*args):
        raise AssertionError("exported again although the cache holds the graph")

    monkeypatch.setattr(query_graph, "export_query_graph", no_export)
    assert ensure_query_graph(settings.model_cache, MODEL) == query_encoder.directory


def test_a_changed_model_gets_its_own_graph(tmp_path):
    """The cache is keyed by the model's files: a copy edited in place is exported anew, and the export is whole."""
    model = tmp_path / "minilm-copy"
    shutil.copytree(resolve_model_path(MODEL), model)
    before = graph_dir(tmp_path / "models", str(model))
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "note": "edited"}))
    after = ensure_query_graph(tmp_path / "models", str(model))
    assert after != before and after.name.startswith("query-graph-minilm-copy-")
    assert sorted(p.name for p in after.iterdir()) == ["graph.json", "model.onnx", "tokenizer.json"]
    assert json.loads((after / "graph.json").read_text())["min_cosine_to_torch"] >= FP32_MIN_COSINE
    assert [p.name for p in (tmp_path / "models").iterdir() if p.is_dir()] == [after.name]  # no staging left


def test_a_failed_export_leaves_nothing_and_falls_back_to_torch(tmp_path, monkeypatch, caplog):
    def broken(model_path, directory):
        (directory / "model.onnx").write_bytes(b"half a graph")
        raise GraphUnavailable("exporting all-MiniLM-L6-v2 to ONNX failed: simulated")

    monkeypatch.setattr(query_graph, "export_query_graph", broken)
    settings = Settings(home=tmp_path)
    with caplog.at_level(logging.WARNING, logger="index.query_graph"):
        encoder = load_query_encoder(settings)
    assert not isinstance(encoder, QueryGraph) and hasattr(encoder, "encode_query")
    assert "questions are embedded with torch: exporting all-MiniLM-L6-v2 to ONNX failed: simulated" in caplog.text
    assert [p.name for p in settings.model_cache.iterdir()] == ["query-graph.lock"]


def test_a_model_without_mean_pooling_is_refused_with_its_reason(tmp_path):
    model = tmp_path / "cls-pooling"
    shutil.copytree(resolve_model_path(MODEL), model)
    pooling = model / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(GraphUnavailable, match="is not a transformer with mean pooling"):
        ensure_query_graph(tmp_path / "models", str(model))


def test_the_torch_backend_is_a_setting():
    assert Settings.from_env({"IGF_RAG_QUERY_BACKEND": "torch"}).query_backend == "torch"
    with pytest.raises(ValueError, match="query_backend must be one of onnx, torch, not 'tensorflow'"):
        Settings().with_overrides(query_backend="tensorflow")


def test_answering_never_imports_torch(settings, query_encoder):
    """A new process answers from the cached graph without importing torch or transformers (what makes a start fast)."""
    script = (
        "import json, sys\n"
        "from index.settings import Settings\n"
        "from rag.pipeline import Pipeline\n"
        "answer = Pipeline(Settings.from_env()).ask('What did the ECOWAS speaker say about resources?')\n"
        "print(json.dumps({'text': answer.answer, 'citations': len(answer.citations),\n"
        "                  'heavy': [m for m in ('torch', 'transformers') if m in sys.modules]}))\n"
    )
    env = {"IGF_RAG_HOME": str(settings.home), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Folake Olagunju" in result["text"] and result["citations"] >= 1
    assert result["heavy"] == []


def test_a_damaged_cached_graph_is_exported_again(tmp_path, query_encoder):
    settings = Settings(home=tmp_path)
    cached = settings.model_cache / query_encoder.directory.name
    shutil.copytree(query_encoder.directory, cached)
    (cached / "model.onnx").write_bytes(b"\x00not a graph")
    encoder = load_query_encoder(settings)
    assert isinstance(encoder, QueryGraph) and encoder.directory == cached
    question = "What did the ECOWAS speaker say about resources?"
    assert float((encoder.encode([question]) * query_encoder.encode([question])).sum()) >= FP32_MIN_COSINE


def test_an_unwritable_model_cache_falls_back_to_torch_and_says_where(tmp_path, caplog):
    (tmp_path / "models").write_text("a file where the model cache should be")
    with caplog.at_level(logging.WARNING, logger="index.query_graph"):
        encoder = load_query_encoder(Settings(home=tmp_path))
    assert not isinstance(encoder, QueryGraph)
    assert f"questions are embedded with torch: cannot write the question graph to {tmp_path / 'models'}" in caplog.text


def test_ingest_on_a_fresh_machine_leaves_the_question_graph_ready(tmp_path, monkeypatch, seed_path):
    """`igf-rag ingest` (what `make run` does first) exports the graph while torch is loaded, so the server's first
    start does not."""
    from typer.testing import CliRunner

    from rag.cli import app

    monkeypatch.setenv("IGF_RAG_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["ingest", str(seed_path)])
    assert result.exit_code == 0, result.output
    graphs = [p.name for p in (tmp_path / "models").iterdir() if p.is_dir()]
    assert graphs == [graph_dir(tmp_path / "models", MODEL).name]
    assert isinstance(load_query_encoder(Settings(home=tmp_path)), QueryGraph)
