"""Crash safety and concurrency of the index: whatever happens to an ingest, the index still loads and answers.

test_sessions.py kills an ingest while it is still embedding and at two fixed points of the write, and runs two
ingests against each other. Here:
- `igf-rag ingest` of a folder SIGKILLed after a random delay (seeded), anywhere from just after it takes the lock
  to after it has finished, and at a random step (seeded) of writing and switching generations: the index then
  holds the previous generation or the complete new one, answers, and the next ingest completes it;
- every index file damaged in turn (bit flip, truncation, deletion, a bad CURRENT pointer): detected by checksum
  or structure, with a message that says how to rebuild, and `ingest --rebuild` repairs it;
- readers loading the index while writers add and remove sessions in threads: no reader sees a half-switched
  index, and the writers are serialised by the index lock (no session is lost).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from filelock import FileLock, Timeout
from typer.testing import CliRunner

from index.ingest import ingest, remove_sessions
from index.store import CURRENT, MANIFEST, REBUILD_HINT, IndexCorrupt, IndexError_, current_generation, load_index
from rag.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]

# Three small sessions, one per format, each with a fact no other session states.
NEW_SESSIONS = {
    "lighthouses.txt": (
        "Ines Duarte: The Azores lighthouse keepers now run a volunteer mesh network that links all nine islands.\n"
        "Tomas Reyes: Who pays for the radios?\n"
        "Ines Duarte: A regional fisheries fund pays for the radios and the solar panels.\n"
    ),
    "glaciers.vtt": (
        "WEBVTT - Glacier sensors\n\n00:00:01.000 --> 00:00:06.000\n<v Sigrun Olafsdottir>Our glacier sensors in Iceland send "
        "meltwater readings over satellite every ten minutes.\n\n00:00:06.000 --> 00:00:11.000\n<v Pablo Ruiz>Farmers downstream "
        "get a flood warning on their phones two hours earlier than before.\n"
    ),
    "libraries.json": json.dumps([
        {"speaker": "Grace Mensah", "text": "Public libraries in Accra lend laptops to students for a whole semester."},
        {"speaker": "Ken Ito", "text": "In Osaka the libraries teach older people to spot phishing emails every Thursday."},
    ]),
}
# (question, words the cited passage holds)
NEW_FACT = ("How often do the glacier sensors in Iceland send meltwater readings?", "every ten minutes")
SEED_FACT = ("What share of websites pass through Cloudflare's network?", "20%")

# A child ingest that SIGKILLs itself just before its Nth durable step (fsync, rename, replace, rmtree), or with
# KILL_AT_STEP=0 counts them. These are the steps of writing a generation, switching CURRENT and clearing old ones.
STEP_KILLER = """
import atexit, os, shutil, signal, sys
kill_at, steps = int(os.environ["KILL_AT_STEP"]), 0
def step(real):
    def wrapped(*args, **kwargs):
        global steps
        steps += 1
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return wrapped
os.fsync, os.rename, os.replace, shutil.rmtree = map(step, (os.fsync, os.rename, os.replace, shutil.rmtree))
atexit.register(lambda: print(f"durable steps: {steps}", file=sys.stderr, flush=True))
from rag.cli import main
main()
"""


def copy_home(source: Path, target: Path) -> Path:
    """A data directory holding a copy of `source`'s index and sharing its converted models."""
    target.mkdir(parents=True)
    shutil.copytree(source / "index", target / "index", symlinks=True)
    (target / "models").symlink_to((source / "models").resolve(), target_is_directory=True)
    return target


def write_sessions(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NEW_SESSIONS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def session_files(settings) -> set[str]:
    return {Path(s.source).name for s in load_index(settings).manifest.sessions}


def start_ingest(home: Path, folder: Path, kill_at_step: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "IGF_RAG_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if kill_at_step is None:
        command = [sys.executable, "-m", "rag.cli", "ingest", str(folder)]
    else:
        command = [sys.executable, "-c", STEP_KILLER, "ingest", str(folder)]
        env["KILL_AT_STEP"] = str(kill_at_step)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_locked(home: Path, process: subprocess.Popen, limit_s: float = 600) -> bool:
    """True once `process` holds the index lock; False if it ended first."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        probe = FileLock(str(home / "index.lock"), timeout=0)
        try:
            probe.acquire()
        except Timeout:
            return True
        probe.release()
        time.sleep(0.01)
    process.kill()
    pytest.fail("the ingest never took the index lock")


@pytest.fixture(scope="module")
def base(settings, tmp_path_factory):
    """The bundled transcript's index, the folder of new sessions, and one uninterrupted ingest of that folder:
    how long it holds the lock, how many durable steps it takes, and the sessions it ends with."""
    root = tmp_path_factory.mktemp("reliability")
    folder = write_sessions(root / "new")
    home = copy_home(settings.home, root / "reference")
    process = start_ingest(home, folder, kill_at_step=0)
    assert wait_until_locked(home, process), process.communicate()
    locked_at = time.monotonic()
    _, stderr = process.communicate(timeout=600)
    held_s = time.monotonic() - locked_at
    assert process.returncode == 0, stderr
    steps = int(stderr.rsplit("durable steps: ", 1)[1].split()[0])
    reference = dataclasses.replace(settings, home=home)
    return SimpleNamespace(
        settings=settings, folder=folder, root=root, held_s=held_s, steps=steps,
        before=session_files(settings), after=session_files(reference),
    )


@pytest.fixture()
def victim(base, tmp_path):
    """A fresh copy of the bundled transcript's index for one crash."""
    return dataclasses.replace(base.settings, home=copy_home(base.settings.home, tmp_path / "home"))


def assert_answered(pipeline, question: str, expected: str) -> None:
    answer = pipeline.ask(question, generator="extractive")
    assert not answer.abstained and any(expected in c.passage.chunk.text for c in answer.citations), answer.answer


def assert_usable_after_crash(base, settings, embedder) -> None:
    """The index is the previous generation or the complete new one, answers, and the next ingest completes it."""
    index_dir = settings.index_dir
    sessions = session_files(settings)  # load_index verifies every checksum
    assert sessions in (base.before, base.after)
    pipeline = Pipeline(settings)
    pipeline._embedder = embedder
    questions = [SEED_FACT] + ([NEW_FACT] if sessions == base.after else [])
    for question, expected in questions:
        assert_answered(pipeline, question, expected)
    FileLock(str(settings.home / "index.lock"), timeout=5).acquire()  # a dead writer leaves the lock free

    report = ingest([base.folder], settings, embedder)
    assert not report.errors, report.errors
    assert session_files(settings) == base.after
    live = (index_dir / CURRENT).read_text(encoding="utf-8")
    assert sorted(p.name for p in index_dir.iterdir() if p.name != CURRENT) == [live]  # what the dead writer left is gone
    pipeline = Pipeline(settings)
    pipeline._embedder = embedder
    assert_answered(pipeline, *NEW_FACT)


@pytest.mark.parametrize("seed", [3, 17, 58])
def test_ingest_killed_after_a_random_delay(base, victim, embedder, seed):
    """Killed anywhere from taking the lock to a little after it would have finished (then there is nothing to kill)."""
    delay = random.Random(seed).uniform(0, 1.2 * base.held_s)
    process = start_ingest(victim.home, base.folder)
    try:
        if wait_until_locked(victim.home, process):
            time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode in (0, -signal.SIGKILL), stderr
    print(f"seed {seed}: killed {delay:.2f} s after taking the lock (an uninterrupted ingest holds it {base.held_s:.2f} s); exit {process.returncode}")
    assert_usable_after_crash(base, victim, embedder)


@pytest.mark.parametrize("seed", [5, 23, 71])
def test_ingest_killed_at_a_random_step_of_the_write(base, victim, embedder, seed):
    step = random.Random(seed).randint(1, base.steps)
    process = start_ingest(victim.home, base.folder, kill_at_step=step)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == -signal.SIGKILL, f"step {step} of {base.steps}: {stderr}"
    assert_usable_after_crash(base, victim, embedder)


# -- Damaged index files ---------------------------------------------------------------------------------------


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate_to_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = {"bit flip": flip_middle_byte, "truncated": truncate_to_half, "deleted": Path.unlink}


@pytest.fixture()
def damaged(settings, tmp_path):
    return dataclasses.replace(settings, home=copy_home(settings.home, tmp_path / "home"))


def index_files(settings) -> list[str]:
    return sorted(json.loads((current_generation(settings.index_dir) / MANIFEST).read_text(encoding="utf-8"))["files"])


def test_every_data_file_is_covered_by_a_checksum(settings):
    generation = current_generation(settings.index_dir)
    on_disk = {str(p.relative_to(generation)) for p in generation.rglob("*") if p.is_file()}
    assert on_disk - {MANIFEST} == set(index_files(settings))


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_each_damaged_data_file_is_detected_with_how_to_rebuild(damaged, damage):
    for name in index_files(damaged):
        path = current_generation(damaged.index_dir) / name
        original = path.read_bytes()
        DAMAGE[damage](path)
        with pytest.raises(IndexCorrupt) as error:
            load_index(damaged)
        message = str(error.value)
        assert str(path) in message and REBUILD_HINT in message, message
        assert ("is missing" if damage == "deleted" else "fails its checksum") in message
        path.write_bytes(original)
    load_index(damaged)  # restored: loads again


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("manifest is not JSON", "manifest .* is unreadable"),
        ("manifest is truncated", "manifest .* is unreadable"),
        ("CURRENT is empty", "CURRENT names no index generation"),
        ("CURRENT names a missing generation", "CURRENT names gen-gone, which is not in"),
    ],
)
def test_a_damaged_manifest_or_pointer_is_detected_with_how_to_rebuild(damaged, what, expected):
    generation = current_generation(damaged.index_dir)
    manifest, pointer = generation / MANIFEST, damaged.index_dir / CURRENT
    {
        "manifest is not JSON": lambda: manifest.write_bytes(b"\x00garbage"),
        "manifest is truncated": lambda: truncate_to_half(manifest),
        "CURRENT is empty": lambda: pointer.write_bytes(b""),
        "CURRENT names a missing generation": lambda: pointer.write_text("gen-gone"),
    }[what]()
    with pytest.raises(IndexCorrupt, match=expected) as error:
        load_index(damaged)
    assert REBUILD_HINT in str(error.value)


def test_a_damaged_index_is_one_clear_line_in_the_cli_and_rebuild_repairs_it(damaged, embedder, tmp_path, monkeypatch):
    from rag.cli import app

    flip_middle_byte(current_generation(damaged.index_dir) / "vectors.faiss")
    monkeypatch.setenv("IGF_RAG_HOME", str(damaged.home))
    monkeypatch.setenv("IGF_RAG_GENERATOR", "extractive")
    result = CliRunner().invoke(app, ["ask", SEED_FACT[0]])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "fails its checksum" in errors[0] and "igf-rag ingest --rebuild" in errors[0], result.output

    # An incremental ingest refuses to build on a damaged index (it would drop what it cannot read).
    small = tmp_path / "small.txt"
    small.write_text("Ana Silva: Submarine cables carry most of the traffic.\nBob Jones: Repair ships are scarce.\n", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="rebuild"):
        ingest([small], damaged, embedder)
    # A rebuild replaces it, even when the manifest itself is unreadable.
    (current_generation(damaged.index_dir) / MANIFEST).write_bytes(b"{")
    report = ingest([small], damaged, embedder, rebuild=True)
    assert report.added and not report.errors
    assert session_files(damaged) == {"small.txt"}


def test_a_dangling_current_pointer_never_lets_an_ingest_drop_the_index(damaged, embedder, tmp_path):
    """Before: a pointer to nothing read as "no index", and the next ingest replaced every session silently."""
    (damaged.index_dir / CURRENT).write_text("gen-gone")
    small = tmp_path / "small.txt"
    small.write_text("Ana Silva: Submarine cables carry most of the traffic.\n", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="rebuild"):
        ingest([small], damaged, embedder)
    assert [p for p in damaged.index_dir.iterdir() if p.name.startswith("gen-")]  # the old generation is still there


# -- Readers and writers at once -----------------------------------------------------------------------------------


def test_readers_never_see_a_half_switched_index_while_writers_are_serialised(settings, embedder, tmp_path):
    """Three writers in threads (two ingests and a removal) and a reader loading the index over and over: every load
    succeeds with a whole generation, and every write lands (a writer that skipped the lock would lose another's session)."""
    home = dataclasses.replace(settings, home=copy_home(settings.home, tmp_path / "home"))
    folder = write_sessions(tmp_path / "new")
    files = sorted(folder.iterdir())
    first = ingest([files[0]], home, embedder)  # a session for the removal to take away
    assert first.added and not first.errors

    writers_done = threading.Event()
    loads, failures, generations = [], [], set()

    def reader():
        while not writers_done.is_set():
            try:
                index = load_index(home)
                assert index.vectors.ntotal == len(index.chunks) == sum(s.chunks for s in index.manifest.sessions)
                loads.append(len(index.manifest.sessions))
                generations.add(index.path.name)
            except (IndexError_, AssertionError) as error:
                failures.append(repr(error))

    results = {}

    def write(name, action):
        try:
            results[name] = action()
        except Exception as error:  # reported below
            results[name] = error

    threads = [threading.Thread(target=reader)] + [
        threading.Thread(target=write, args=("ingest-1", lambda: ingest([files[1]], home, embedder))),
        threading.Thread(target=write, args=("ingest-2", lambda: ingest([files[2]], home, embedder))),
        threading.Thread(target=write, args=("remove", lambda: remove_sessions(home, first.added, embedder.dimension))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(timeout=600)
    writers_done.set()
    threads[0].join(timeout=60)

    assert not failures, failures[:3]
    assert loads and len(generations) >= 2, "the reader never saw a write land"
    assert results["remove"] == first.added
    for name in ("ingest-1", "ingest-2"):
        assert not isinstance(results[name], Exception) and results[name].added and not results[name].errors, results[name]
    seed_name = next(iter(session_files(settings)))
    assert session_files(home) == {seed_name, files[1].name, files[2].name}
