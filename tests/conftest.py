"""Shared fixtures: the real bundled transcript, indexed once per test session in a temporary data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "igf2023-day2-main-session-2-cybersecurity-trust-online-safety.txt"
TEST_OUTPUT = ROOT / "test-output"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture(scope="session")
def embedder():
    from index.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def seed_chunks(seed_path, embedder):
    """The bundled transcript's chunks as ingest makes them with the default settings."""
    from index.chunk import chunk_turns
    from index.parse import parse_file

    transcript = parse_file(seed_path)
    return chunk_turns(transcript.turns, transcript.session.title, embedder.count_tokens, min(160, embedder.max_tokens), 1)


@pytest.fixture(scope="session")
def settings(tmp_path_factory, embedder):
    """Settings whose data directory holds an index of the bundled transcript (built once).

    The converted generator model is shared with the project's data directory, so it is converted once per machine.
    """
    from index.ingest import ingest
    from index.settings import PROJECT_ROOT, Settings

    home = tmp_path_factory.mktemp("igf-rag-home")
    shared_models = Path(os.environ.get("IGF_RAG_HOME") or PROJECT_ROOT / ".igf-rag") / "models"
    shared_models.mkdir(parents=True, exist_ok=True)
    (home / "models").symlink_to(shared_models, target_is_directory=True)
    result = Settings(home=home)
    report = ingest([SEED], result, embedder)
    assert not report.errors, report.errors
    return result


@pytest.fixture(scope="session")
def query_encoder(settings):
    """What the default pipeline embeds questions with: the ONNX graph of the embedding model (exported once per machine)."""
    from index.query_graph import QueryGraph, load_query_encoder

    result = load_query_encoder(settings)
    assert isinstance(result, QueryGraph), "the default question encoder fell back to torch"
    return result


@pytest.fixture(scope="session")
def pipeline(settings, embedder, query_encoder):
    from rag.pipeline import Pipeline

    result = Pipeline(settings)
    result._embedder = query_encoder  # the default path, loaded once for the session
    result._ingest_embedder = embedder  # share the session's torch model instead of loading a second copy
    return result


@pytest.fixture(scope="session")
def ui_server(settings, test_output):
    """The chat UI (`igf-rag serve`) on a free loopback port over the test index; the extractive generator is the
    default, so tests that need the causal model choose it. Stopped at the end of the session."""
    from eval.load import running_server

    with running_server(settings.home, test_output / "ui-server.log", env={"IGF_RAG_GENERATOR": "extractive"}) as url:
        yield url


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, embedder):
    """Settings whose data directory holds every development transcript (eval/transcripts/) and the bundled one, indexed
    together as `igf-rag eval --questions eval/devsets` indexes them (built once per test session)."""
    from index.ingest import ingest
    from index.settings import PROJECT_ROOT, Settings

    home = tmp_path_factory.mktemp("igf-rag-corpus")
    shared_models = Path(os.environ.get("IGF_RAG_HOME") or PROJECT_ROOT / ".igf-rag") / "models"
    shared_models.mkdir(parents=True, exist_ok=True)
    (home / "models").symlink_to(shared_models, target_is_directory=True)
    result = Settings(home=home)
    report = ingest([ROOT / "eval" / "transcripts", SEED], result, embedder)
    assert not report.errors, report.errors
    return result


@pytest.fixture(scope="session")
def corpus_pipeline(corpus_settings, embedder, query_encoder):
    """The default pipeline over every development transcript and the bundled one."""
    from rag.pipeline import Pipeline

    result = Pipeline(corpus_settings)
    result._embedder = query_encoder
    result._ingest_embedder = embedder
    return result
