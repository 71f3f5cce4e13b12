"""The chat UI's presentation and upload code, without a browser: escaping, rendering, uploads, serve options."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil

import pytest

from ui.app import (
    MAX_UPLOAD_BYTES,
    UploadError,
    answer_html,
    ensure_index,
    esc,
    ingest_upload,
    is_loopback,
    parse_auth,
    passage_card,
    safe_file_name,
    sources_html,
)

HOSTILE = "<script>alert('x')</script> <img src=x onerror=alert(1)> **bold** `code` ${value} {{handlebars}} [1] # heading"
TAG = re.compile(r"<[^>]+>")


def visible_text(markup: str) -> str:
    return html.unescape(TAG.sub("", markup))


def test_esc_makes_transcript_text_inert_and_keeps_it_readable():
    escaped = esc(HOSTILE)
    assert not set("<>*`${}[]#") & set(escaped.replace("&#", ""))
    assert html.unescape(escaped) == HOSTILE


def test_a_hostile_passage_renders_as_text(pipeline):
    answer = pipeline.ask("Where did the GFC launch a Pacific hub?", generator="extractive", k=5)
    citation = answer.citations[0]
    hostile = dataclasses.replace(citation.passage, chunk=dataclasses.replace(citation.passage.chunk, text=HOSTILE, speaker_name="<b>Eve</b>"))
    card = passage_card(hostile, pipeline, key="7", n=1, quote="**bold**")
    assert "<script" not in card and "<img" not in card and "<b>Eve" not in card
    assert "<mark>" in card
    assert HOSTILE in visible_text(card) and "<b>Eve</b>" in visible_text(card)


def test_an_answer_links_its_markers_to_its_sources(pipeline):
    answer = pipeline.ask("Where did the GFC launch a Pacific hub?", generator="extractive", k=5)
    message = answer_html(answer.answer, answer, key="3")
    assert '<a class="igf-cite" href="#src-3-1">[1]</a>' in message
    assert "retrieval" in message and "generation" in message
    panel = sources_html(answer, pipeline, k=5, key="3")
    assert 'id="src-3-1"' in panel
    assert "Christopher Painter" in panel
    assert "Director of the GFC" in visible_text(panel)  # the speaker's role, from the speaker directory
    assert "turn 46" in panel
    assert f"<mark>{esc(answer.citations[0].quote)}</mark>" in panel
    turn = pipeline.index.turn(answer.citations[0].passage.chunk.session_id, 46)
    assert esc(turn.text[:80]) in panel  # the whole turn, to open


def test_a_not_covered_answer_looks_different_and_lists_closest_passages(pipeline):
    answer = pipeline.ask("What is the recipe for a chocolate cake?", generator="extractive", k=5)
    assert answer.abstained
    message = answer_html(answer.answer, answer, key="1")
    assert "Not covered by the transcript" in message and "igf-cite" not in message
    panel = sources_html(answer, pipeline, k=5, key="1")
    assert panel.count(">not supporting<") == 3
    assert 'class="src-n"' not in panel


def test_a_partial_answer_shows_a_cursor():
    assert answer_html("Partial <answer", None).endswith("▍")
    assert "<answer" not in answer_html("Partial <answer", None)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("my talk (final) v2.VTT", "my-talk-final-v2.vtt"),
        ("..hidden.srt", "hidden.srt"),
        ("???.json", "transcript.json"),
    ],
)
def test_upload_names_are_sanitised(name, safe):
    assert safe_file_name(name) == safe


@pytest.fixture
def upload_pipeline(settings, embedder, tmp_path):
    """A pipeline over a copy of the test index, so uploads do not change the shared one."""
    from rag.pipeline import Pipeline

    home = tmp_path / "home"
    shutil.copytree(settings.index_dir, home / "index")
    (home / "models").symlink_to(settings.model_cache.resolve(), target_is_directory=True)
    result = Pipeline(dataclasses.replace(settings, home=home))
    result._embedder = embedder
    return result


def test_an_uploaded_transcript_is_indexed_and_answerable(upload_pipeline, tmp_path):
    upload = tmp_path / "Rural networks: workshop.vtt"
    upload.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Ana Lima>Welcome to the workshop on community networks in rural Brazil.\n\n"
        "00:01:05.000 --> 00:01:12.000\n<v Ben Okafor>Community networks connected forty villages in Nigeria last year.\n",
        encoding="utf-8",
    )
    before = len(upload_pipeline.index.manifest.sessions)
    message = ingest_upload(upload_pipeline, upload)
    assert "Added Rural-networks-workshop.vtt" in message
    assert (upload_pipeline.settings.home / "uploads" / "Rural-networks-workshop.vtt").exists()
    sessions = upload_pipeline.index.manifest.sessions
    assert len(sessions) == before + 1
    assert "Ben Okafor" in upload_pipeline.speakers.names()
    new = sessions[-1].session_id
    answer = upload_pipeline.ask("How many villages did community networks connect?", session=new, generator="extractive")
    assert not answer.abstained and answer.citations[0].passage.chunk.speaker_name == "Ben Okafor"
    assert "turn 2 · 00:01:05" in sources_html(answer, upload_pipeline, k=5, key="1")
    assert "already in the index" in ingest_upload(upload_pipeline, upload)


def test_uploads_of_the_wrong_type_or_size_are_refused_with_a_reason(upload_pipeline, tmp_path):
    pdf = tmp_path / "slides.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(UploadError, match=r"slides\.pdf: only \.txt, \.vtt, \.srt, \.json files can be added"):
        ingest_upload(upload_pipeline, pdf)
    big = tmp_path / "huge.txt"
    big.write_bytes(b"A: b\n" * (MAX_UPLOAD_BYTES // 5 + 1))
    with pytest.raises(UploadError, match=r"huge\.txt is [\d,]+ bytes; the limit is 5,242,880"):
        ingest_upload(upload_pipeline, big)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(UploadError, match=r"^broken\.json"):
        ingest_upload(upload_pipeline, broken)
    assert not any((upload_pipeline.settings.home / "uploads").glob("*"))


def test_serve_builds_the_index_when_there_is_none(embedder, tmp_path, monkeypatch):
    import ui.app
    from index.settings import Settings
    from index.store import read_manifest

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "panel.txt").write_text("Ana Lima: Community networks connect rural villages.\nBen Okafor: Forty of them.\n", encoding="utf-8")
    monkeypatch.setattr(ui.app, "SEEDS", seeds)  # the bundled seed takes a minute to embed; the rule is the same
    fresh = Settings(home=tmp_path / "fresh")
    ensure_index(fresh, lambda: embedder)
    assert [s.turns for s in read_manifest(fresh.index_dir).sessions] == [2]
    ensure_index(fresh, lambda: pytest.fail("an existing index must not be rebuilt"))


def test_auth_and_bind_address_options():
    assert parse_auth("ana:s3cret:x") == ("ana", "s3cret:x")
    assert parse_auth(None) is None
    for bad in ("ana", ":pw", "ana:"):
        with pytest.raises(ValueError, match="USER:PASS"):
            parse_auth(bad)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_serve_with_bad_auth_is_a_one_line_error():
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, ["serve", "--auth", "no-colon"])
    assert result.exit_code == 1
    assert "must be USER:PASS" in result.output
    assert "Traceback" not in result.output


def test_serving_beyond_this_machine_without_a_password_warns(tmp_path, monkeypatch, capsys):
    import ui.app
    from index.settings import Settings

    def stop(*_):
        raise RuntimeError("stopped before loading models")

    monkeypatch.setattr(ui.app, "ensure_index", stop)
    monkeypatch.delenv("IGF_RAG_AUTH", raising=False)
    with pytest.raises(SystemExit):
        ui.app.serve(Settings(home=tmp_path, host="0.0.0.0"))
    err = " ".join(capsys.readouterr().err.split())
    assert "WARNING: binding 0.0.0.0 exposes the app to the network WITHOUT a password" in err
    assert "stopped before loading models" in err
    with pytest.raises(SystemExit):
        ui.app.serve(Settings(home=tmp_path, host="0.0.0.0"), auth="ana:pw")
    assert "WARNING" not in capsys.readouterr().err
