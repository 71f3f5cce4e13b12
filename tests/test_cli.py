"""The command line on the real transcript: `ask --json` schema, retrieval, and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from index.store import load_index
from rag.cli import app

PASSAGE_FIELDS = {"chunk_id", "session", "speaker", "text", "start_char", "end_char", "score"}


@pytest.fixture()
def cli(settings, monkeypatch):
    monkeypatch.setenv("IGF_RAG_HOME", str(settings.home))
    monkeypatch.setenv("IGF_RAG_GENERATOR", "extractive")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_ask_json_schema(cli, seed_path):
    result = cli("ask", "What hub did the GFC launch in the Pacific?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "citations", "retrieved", "timings_ms"} <= set(answer)
    assert answer["abstained"] is False
    assert set(answer["timings_ms"]) >= {"retrieve", "generate", "total"}
    assert len(answer["retrieved"]) >= 10
    text = seed_path.read_text(encoding="utf-8")
    for passage in answer["retrieved"] + answer["citations"]:
        assert PASSAGE_FIELDS <= set(passage)
        assert text[passage["start_char"] : passage["end_char"]] == passage["text"]
    assert [c["n"] for c in answer["citations"]] == list(range(1, len(answer["citations"]) + 1))
    for c in answer["citations"]:
        assert f"[{c['n']}]" in answer["answer"]
    assert answer["citations"][0]["speaker"] == "Christopher Painter"
    assert "Pacific hub" in answer["answer"]


def test_pacific_hub_question_retrieves_painter_first(pipeline):
    passages = pipeline.retriever.search("Tell me about the GFC's Pacific hub", k=10)
    assert passages[0].chunk.speaker == "CHRISTOPHER PAINTER"
    assert "Pacific hub" in passages[0].chunk.text


def test_speaker_filter_accepts_surname(cli):
    result = cli("ask", "What did she say about resources?", "--speaker", "Olagunju", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert {p["speaker"] for p in answer["retrieved"]} == {"Folake Olagunju"}


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "question is empty"), ("   \t ", "question is empty"), ("why " * 400, "limit is")],
)
def test_bad_questions_get_one_line_errors(cli, question, message):
    result = cli("ask", question)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_speaker_lists_known_ones(cli):
    result = cli("ask", "What about cables?", "--speaker", "Nobody Atall")
    assert result.exit_code != 0
    assert "no speaker matches" in result.output and "Christopher Painter" in result.output


def test_k_out_of_range(cli):
    result = cli("ask", "What about cables?", "--k", "500")
    assert result.exit_code != 0 and "k must be between" in result.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "no such file"),
        ("latin1.txt", "Ana: caf\u00e9\n".encode("latin-1"), "not valid UTF-8"),
        ("blank.txt", b"\n \n", "no speaker turns"),
        ("prose.txt", b"Just some prose without any speaker.\n", "expected a '>> NAME:' turn"),
    ],
)
def test_bad_files_are_reported_and_the_index_is_kept(cli, settings, tmp_path, name, content, message):
    before = load_index(settings)
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = cli("ingest", str(path))
    assert result.exit_code != 0
    assert message in result.output and name in result.output
    assert "Traceback" not in result.output
    after = load_index(settings)
    assert after.path == before.path and len(after.chunks) == len(before.chunks)


def test_help_is_available_for_every_command():
    for command in ["ingest", "ask", "serve", "eval", "speakers", "sessions", "remove"]:
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_console_script_runs_offline(settings):
    """The installed entry point, in a fresh process, as a user runs it."""
    env = {"IGF_RAG_HOME": str(settings.home), "IGF_RAG_GENERATOR": "extractive", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "What share of the world's websites pass through Cloudflare's network?", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "20%" in answer["answer"]
    assert answer["citations"][0]["speaker"] == "Alissa Starzak"
