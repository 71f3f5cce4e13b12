"""Who can reach the server and the files, and the limits that keep one client from taking it over.

test_ui_app.py covers the bind address, the warning for a public address without a password, `--auth` parsing,
upload types and sizes through ingest_upload, and HTML escaping. Here: a password actually required when set
(a real `igf-rag serve --auth`), the per-client rate limit of a shared server, the API's limits and type checks,
Gradio's file routes serving none of the machine's files, and upload names that cannot leave their folder.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.load import free_loopback_port, running_server
from index.settings import Settings
from ui.app import MAX_UPLOAD_BYTES, RateLimiter, safe_file_name, shared_server_limiter

QUESTION = "How many negotiation sessions had the UN cybercrime treaty gone through?"


def http(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def upload(url: str, name: str, data: bytes) -> tuple[int, bytes]:
    """POST a file to Gradio's upload route the way the browser does."""
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return http(url + "/gradio_api/upload", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


# -- The rate limit ------------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_allows_a_burst_then_refills_per_client():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)
    assert [limiter.take("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("10.0.0.1") == pytest.approx(10.0)  # one request every 10 s
    assert limiter.take("10.0.0.2") == 0.0  # another client has its own bucket
    clock.now += 9.9
    assert limiter.take("10.0.0.1") > 0
    clock.now += 0.2
    assert limiter.take("10.0.0.1") == 0.0
    clock.now += 3600
    assert [limiter.take("10.0.0.1") for _ in range(4)][-1] > 0  # an idle hour refills the burst, no more


def test_rate_limit_forgets_idle_clients(monkeypatch):
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    monkeypatch.setattr(RateLimiter, "FORGET_AFTER", 100)
    for n in range(150):
        limiter.take(f"10.0.{n // 256}.{n % 256}")
        clock.now += 1.0  # each earlier client's bucket refills within a second
    assert len(limiter._buckets) <= 101


def test_rate_limit_applies_only_when_the_server_is_shared(tmp_path):
    assert shared_server_limiter(Settings(home=tmp_path)) is None  # 127.0.0.1: one's own machine
    assert shared_server_limiter(Settings(home=tmp_path, host="::1")) is None
    shared = shared_server_limiter(Settings(home=tmp_path, host="0.0.0.0"))
    assert (shared.per_minute, shared.burst) == (Settings.rate_limit_per_minute, Settings.rate_limit_burst)
    assert shared_server_limiter(Settings(home=tmp_path, host="0.0.0.0", rate_limit_per_minute=0)) is None
    configured = Settings.from_env({"IGF_RAG_HOME": str(tmp_path), "IGF_RAG_RATE_LIMIT_PER_MINUTE": "3", "IGF_RAG_RATE_LIMIT_BURST": "2"})
    assert shared_server_limiter(dataclasses.replace(configured, host="192.168.1.5")).burst == 2
    with pytest.raises(ValueError, match="rate_limit_burst at least 1"):
        Settings(home=tmp_path).with_overrides(rate_limit_burst=0)


@pytest.fixture(scope="module")
def limited_server(settings, embedder):
    """The app (build_app, as `serve` builds it for a shared server) with a tight rate limit, on loopback."""
    from rag.pipeline import Pipeline
    from ui.app import CONCURRENCY, QUEUE_SIZE, build_app

    pipeline = Pipeline(dataclasses.replace(settings, generator="extractive"))
    pipeline._embedder = embedder
    demo = build_app(pipeline, RateLimiter(per_minute=1, burst=2))
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    port = free_loopback_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False, mcp_server=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@pytest.mark.slow
def test_a_client_over_the_rate_limit_is_told_when_to_come_back(limited_server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(limited_server, verbose=False, download_files=False)
    for _ in range(2):
        assert not client.predict(QUESTION, api_name="/ask")["abstained"]
    with pytest.raises(AppError, match=r"too many requests from 127\.0\.0\.1: this shared server allows 2 in a row and 1 a minute; try again in \d+ s"):
        client.predict(QUESTION, api_name="/ask")


# -- The API's limits and types (the loopback server every UI test uses) --------------------------------------


@pytest.fixture(scope="module")
def client(ui_server):
    from gradio_client import Client

    return Client(ui_server, verbose=False, download_files=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((QUESTION, None, 51), "k must be between 1 and 50, not 51"),
        ((QUESTION, None, 2.5), "k must be a whole number between 1 and 50, not 2.5"),
        ((QUESTION, None, "ten"), "k must be a whole number between 1 and 50, not 'ten'"),
        ((12345,), "question, speaker and session must be text"),
        ((QUESTION, ["Painter"]), "question, speaker and session must be text"),
        (("x" * 501,), "the question is 501 characters; the limit is 500"),
    ],
)
def test_the_api_refuses_out_of_range_or_mistyped_input_with_a_reason(client, args, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=re.escape(message)):
        client.predict(*args, api_name="/ask")


@pytest.mark.slow
def test_the_largest_k_is_served(client):
    result = client.predict(QUESTION, None, 50, api_name="/ask")
    assert not result["abstained"] and len(result["retrieved"]) == 50


def test_question_length_and_k_limits_come_from_the_settings(tmp_path):
    from rag.pipeline import Pipeline, QuestionError

    pipeline = Pipeline(Settings(home=tmp_path))  # validating loads nothing
    assert pipeline.validate("x" * 500, 50) == "x" * 500
    with pytest.raises(QuestionError, match="the question is 501 characters; the limit is 500"):
        pipeline.validate("x" * 501, None)
    with pytest.raises(QuestionError, match="k must be between 1 and 50, not 0"):
        pipeline.validate("Who spoke?", 0)
    tight = Pipeline(Settings.from_env({"IGF_RAG_HOME": str(tmp_path), "IGF_RAG_MAX_QUESTION_CHARS": "40", "IGF_RAG_MAX_K": "8"}))
    with pytest.raises(QuestionError, match="the limit is 40"):
        tight.validate("x" * 41, None)
    with pytest.raises(QuestionError, match="k must be between 1 and 8, not 9"):
        tight.validate("Who spoke?", 9)


def test_a_transcript_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    from index.parse import MAX_FILE_BYTES, TranscriptError, parse_file

    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written, and nothing may be read
    with pytest.raises(TranscriptError, match=rf"huge\.txt: file is {MAX_FILE_BYTES + 1:,} bytes; the limit is {MAX_FILE_BYTES:,}"):
        parse_file(huge)


# -- Files the server must not hand out ---------------------------------------------------------------------


@pytest.mark.slow
def test_gradio_serves_none_of_the_machines_files(ui_server, settings):
    from index.settings import PROJECT_ROOT

    targets = [
        "/etc/passwd",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        str(PROJECT_ROOT / "README.md"),
        "pyproject.toml",  # relative to the server's working directory, the project
        str(settings.index_dir / "CURRENT"),
        str(next(settings.index_dir.glob("gen-*")) / "chunks.jsonl"),
        "seeds/igf2023-day2-main-session-2-cybersecurity-trust-online-safety.txt",
    ]
    for target in targets:
        for prefix in ("/gradio_api/file=", "/file="):
            status, body = http(ui_server + prefix + target)
            assert status in (403, 404), (prefix + target, status, body[:200])
    for path in ("/static/../../../etc/passwd", "/assets/..%2f..%2f..%2fetc/passwd"):
        assert http(ui_server + path)[0] in (403, 404), path


@pytest.mark.slow
def test_uploads_keep_to_gradios_folder_and_size_limit(ui_server):
    status, body = upload(ui_server, "../../../../tmp/escaped-upload.txt", b"Ana Silva: hello there.\n")
    assert status == 200, body
    stored = Path(body.decode().strip('[]"\n'))
    assert stored.name == "escaped-upload.txt" and ".." not in stored.parts
    assert not Path("/tmp/escaped-upload.txt").exists()
    stored.unlink(missing_ok=True)
    status, body = upload(ui_server, "big.txt", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert status == 413 and str(MAX_UPLOAD_BYTES).encode() in body


# -- Upload names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("/etc/cron.d/job.txt", "job.txt"),
        ("..\\..\\Windows\\evil.SRT", "evil.srt"),
        ("C:\\Users\\x\\talk.vtt", "talk.vtt"),
        ("evil.txt\x00.sh", "evil.txt.sh"),
        ("\x00", "transcript"),
        ("..", "transcript"),
        ("تقرير الجلسة.json", "transcript.json"),
        ("a" * 300 + ".txt", "a" * 80 + ".txt"),
    ],
)
def test_hostile_upload_names_are_made_safe(name, safe):
    assert safe_file_name(name) == safe


@given(st.text(max_size=120))
def test_any_upload_name_stays_in_the_uploads_folder(name):
    safe = safe_file_name(name)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,79}(\.[a-z0-9]{1,10})?", safe), safe
    uploads = Path("/srv/igf-rag/uploads")
    assert (uploads / safe).resolve().parent == uploads


# -- A password that is actually required ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def password_server(settings, test_output):
    with running_server(settings.home, test_output / "ui-server-auth.log", {"IGF_RAG_GENERATOR": "extractive", "IGF_RAG_AUTH": "ana:s3cret pass"}) as url:
        yield url


@pytest.mark.slow
def test_with_auth_set_nothing_is_served_without_the_password(password_server):
    from gradio_client import Client

    for path in ("/config", "/gradio_api/info", "/gradio_api/file=/etc/passwd"):
        assert http(password_server + path)[0] in (401, 403), path
    status, _ = upload(password_server, "note.txt", b"Ana: hi\n")
    assert status in (401, 403)
    for auth in (None, ("ana", "wrong"), ("bob", "s3cret pass")):
        with pytest.raises(Exception) as error:
            Client(password_server, auth=auth, verbose=False, download_files=False).predict(QUESTION, api_name="/ask")
        assert re.search(r"401|403|login|credentials|auth", str(error.value), re.I), (auth, error.value)


@pytest.mark.slow
def test_with_auth_set_the_password_opens_the_api(password_server):
    from gradio_client import Client

    result = Client(password_server, auth=("ana", "s3cret pass"), verbose=False, download_files=False).predict(QUESTION, api_name="/ask")
    assert not result["abstained"] and result["citations"]
