"""Many clients at once against a running `igf-rag serve`, through gradio_client: the load test
(tests/test_load.py) and the benchmark's load section (eval/bench.py) both use this.

Every client is its own gradio_client.Client (its own session) in its own thread; all are connected first, then
released together, so the questions reach the server's queue at the same moment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.settings import PROJECT_ROOT


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(home: Path, log_path: Path, env: dict[str, str] | None = None, start_timeout_s: float = 600) -> Iterator[str]:
    """`igf-rag serve` on a free loopback port over the index in `home`; yields its URL and stops it afterwards.

    `env` adds to (or overrides) the environment, e.g. {"IGF_RAG_GENERATOR": "extractive", "IGF_RAG_AUTH": "u:p"}."""
    port = free_loopback_port()
    environment = {**os.environ, "IGF_RAG_HOME": str(home), "IGF_RAG_AUTH": "", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env or {})}
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"igf-rag serve exited with {server.returncode}: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(url + "/gradio_api/info", timeout=5):
                        break
                except urllib.error.HTTPError:
                    break  # it answers (with a password wall, for a server started with auth)
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"igf-rag serve did not answer on {url} within {start_timeout_s:.0f} s") from None
                    time.sleep(1)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


@dataclass
class Reply:
    question: str
    result: dict | None  # the `ask --json` object
    error: str | None
    seconds: float  # from the common release to this client's answer


def ask_at_once(url: str, questions: list[str], timeout_s: float = 600, auth: tuple[str, str] | None = None) -> tuple[list[Reply], float]:
    """Each question from its own client and thread, all released together; (replies in question order, wall
    seconds from the release to the last reply). A client that fails or times out gets a Reply with `error`."""
    from gradio_client import Client

    replies: list[Reply | None] = [None] * len(questions)
    clients: list[Client | None] = [None] * len(questions)
    start = threading.Barrier(len(questions) + 1)
    released_at = [0.0]

    def run(i: int) -> None:
        try:
            clients[i] = Client(url, auth=auth, verbose=False, download_files=False)
        except Exception as error:  # a client that cannot connect is a dropped request, reported as such
            replies[i] = Reply(questions[i], None, f"connect: {type(error).__name__}: {error}", 0.0)
        try:
            start.wait(timeout=timeout_s)
        except threading.BrokenBarrierError:
            pass
        if clients[i] is None:
            return
        try:
            job = clients[i].submit(questions[i], api_name="/ask")
            result = job.result(timeout=timeout_s)
            replies[i] = Reply(questions[i], result, None, time.perf_counter() - released_at[0])
        except Exception as error:
            replies[i] = Reply(questions[i], None, f"{type(error).__name__}: {error}", time.perf_counter() - released_at[0])

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(questions))]
    for thread in threads:
        thread.start()
    start.wait(timeout=timeout_s)  # every client is connected
    released_at[0] = time.perf_counter()
    deadline = time.monotonic() + timeout_s + 30
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    wall = time.perf_counter() - released_at[0]
    for client in clients:
        if client is not None:
            client.close()
    return [r if r is not None else Reply(q, None, "no reply within the time limit", wall) for q, r in zip(questions, replies)], wall

