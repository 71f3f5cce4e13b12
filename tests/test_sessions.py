"""Many sessions: the bundled transcript plus one test-written file per other format in one index.

Incremental ingest, session filters, citations that name their session, removal, and an index that
survives an ingest killed half-way (kill -9 of a real `igf-rag ingest`) or racing another ingest.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from filelock import FileLock, Timeout
from typer.testing import CliRunner

from index.ingest import ingest
from index.store import CURRENT, current_generation, load_index
from rag.cli import app
from rag.pipeline import Pipeline, QuestionError

IGF_RAG = Path(sys.executable).with_name("igf-rag")

COMMUNITY_NETWORKS = """\
Amina Yusuf: Community networks in northern Kenya now connect forty villages with solar-powered relays.
Pedro Alves: What stops them from growing faster?
Amina Yusuf: Spectrum licences cost more than a year of the network's income, so regulators should waive the fee for non-profit operators.
Pedro Alves: In Brazil the regulator created a secondary-use spectrum licence for exactly that reason.
"""

BEEKEEPING_VTT = """\
WEBVTT - Urban beekeeping and city policy

00:00:01.000 --> 00:00:05.000
<v Mara Lindqvist>Welcome to our panel on urban beekeeping. Rooftop hives in Stockholm now host two million bees.

00:00:05.000 --> 00:00:09.000
<v Mara Lindqvist>The city council pays beekeepers a small grant for every hive they register.

00:03:41.000 --> 00:03:50.000
<v Tomas Berg>Banning pesticides in public parks doubled the honey yield within three summers.
"""

CARIBBEAN_CYBER_SRT = """\
1
00:00:02,000 --> 00:00:08,000
JOANNE PIERRE: Small island states cannot each build a national CERT, so the Caribbean shares one regional incident response team.

2
00:00:08,000 --> 00:00:15,000
JOANNE PIERRE: Cybersecurity capacity building here means training thirty security analysts a year at the regional academy in Barbados.

3
00:00:15,000 --> 00:00:22,000
MARCUS LEE: Last year a ransomware attack shut down the hospital records system in Kingstown for nine days.

4
00:00:22,000 --> 00:00:30,000
MARCUS LEE: Since then every ministry must report a cyber incident to the regional team within twenty-four hours.
"""

AGE_TOKENS = [
    {"speaker": "Hana Sato", "text": "Age checks for social media should not require uploading a passport.", "start": 5, "end": 11},
    {"speaker": "Hana Sato", "text": "Privacy-preserving tokens can prove a child's age without revealing who they are.", "start": 11, "end": 17},
    {"speaker": "Omar Haddad", "text": "Our pilot in Jordan issued age tokens through mobile operators to twenty thousand teenagers.", "start": "00:00:17.500", "end": "00:00:25.000"},
]


def write_formats(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "generic": folder / "community_networks.txt",
        "vtt": folder / "beekeeping.vtt",
        "srt": folder / "caribbean-cyber.srt",
        "json": folder / "age-tokens.json",
    }
    files["generic"].write_text(COMMUNITY_NETWORKS, encoding="utf-8")
    files["vtt"].write_text(BEEKEEPING_VTT, encoding="utf-8")
    files["srt"].write_text(CARIBBEAN_CYBER_SRT, encoding="utf-8")
    files["json"].write_text(json.dumps(AGE_TOKENS, indent=1), encoding="utf-8")
    return files


def copy_home(source: Path, target: Path) -> Path:
    """A data directory with a copy of `source`'s index, sharing its converted models."""
    target.mkdir(parents=True)
    shutil.copytree(source / "index", target / "index", symlinks=True)
    (target / "models").symlink_to((source / "models").resolve(), target_is_directory=True)
    return target


def variant(seed_text: str, n: int) -> str:
    """The bundled transcript as another session: new title, renamed speakers (so its chunks are new text)."""
    lines = seed_text.splitlines(keepends=True)
    lines[0] = f"IGF 2023 WS #{900 + n} Generated variant {n} of the cybersecurity main session\n"
    tag = "VARIANT " + "ABCDEFGHIJ"[n]  # IGF speaker names are letters only
    body = re.sub(r"^>> ([A-Z\u00C0-\u00DE][A-Z\u00C0-\u00DE .'’-]{0,60}?):", lambda m: f">> {m.group(1)} {tag}:", "".join(lines[1:]), flags=re.M)
    return lines[0] + body


@pytest.fixture(scope="module")
def multi(settings, embedder, tmp_path_factory):
    """The bundled transcript's index plus one session per other format, ingested incrementally."""
    root = tmp_path_factory.mktemp("multi")
    home_settings = dataclasses.replace(settings, home=copy_home(settings.home, root / "home"))
    files = write_formats(root / "transcripts")
    report = ingest([root / "transcripts"], home_settings, embedder)
    assert not report.errors, report.errors
    index = load_index(home_settings)
    ids = {kind: next(s.session_id for s in index.manifest.sessions if s.source == str(path)) for kind, path in files.items()}
    ids["igf"] = load_index(settings).manifest.sessions[0].session_id
    pipeline = Pipeline(home_settings)
    pipeline._embedder = embedder
    return SimpleNamespace(settings=home_settings, files=files, ids=ids, report=report, pipeline=pipeline, root=root)


def cli_in(home: Path, monkeypatch, *args: str):
    monkeypatch.setenv("IGF_RAG_HOME", str(home))
    monkeypatch.setenv("IGF_RAG_GENERATOR", "extractive")
    return CliRunner().invoke(app, list(args))


def sessions_of(passages) -> set[str]:
    return {p.chunk.session_id for p in passages}


# -- Ingest -------------------------------------------------------------------------------------------------


def test_every_format_becomes_a_session_with_counts(multi, monkeypatch):
    assert sorted(multi.report.added) == sorted(multi.ids[k] for k in ("generic", "vtt", "srt", "json"))
    index = load_index(multi.settings)
    assert len(index.manifest.sessions) == 5
    result = cli_in(multi.settings.home, monkeypatch, "sessions", "--json")
    assert result.exit_code == 0, result.output
    listed = {s["session_id"]: s for s in json.loads(result.stdout)}
    assert set(listed) == set(multi.ids.values())
    for sid, info in listed.items():
        turns = [t for t in index.turns if t.session_id == sid]
        assert info["turns"] == len(turns) > 0
        assert info["chunks"] == sum(c.session_id == sid for c in index.chunks) > 0
        assert info["speakers"] == len({t.speaker for t in turns})
    assert listed[multi.ids["vtt"]]["title"] == "Urban beekeeping and city policy"
    assert listed[multi.ids["srt"]]["title"] == "caribbean-cyber"
    assert listed[multi.ids["srt"]]["source"] == str(multi.files["srt"])
    assert (listed[multi.ids["igf"]]["date"], listed[multi.ids["igf"]]["session_type"]) == ("2023 Day 2", "Main Session")
    assert listed[multi.ids["json"]]["speakers"] == 2
    human = cli_in(multi.settings.home, monkeypatch, "sessions")
    assert "Urban beekeeping and city policy" in human.stdout and "4 turns, " in human.stdout


def test_timestamps_reach_chunks_and_citations(multi, monkeypatch):
    index = load_index(multi.settings)
    bee_chunks = [c for c in index.chunks if c.session_id == multi.ids["vtt"]]
    assert [(c.turn_no, c.start_time, c.end_time) for c in bee_chunks] == [(1, 1.0, 9.0), (2, 221.0, 230.0)]
    assert all(c.start_time is None for c in index.chunks if c.session_id == multi.ids["igf"])
    result = cli_in(multi.settings.home, monkeypatch, "ask", "What did banning pesticides do to the honey yield?", "--session", "beekeeping")
    assert result.exit_code == 0, result.output
    assert "Tomas Berg — Urban beekeeping and city policy, turn 2, 00:03:41" in result.stdout
    result = cli_in(multi.settings.home, monkeypatch, "ask", "What did banning pesticides do to the honey yield?", "--session", "beekeeping", "--json")
    citation = json.loads(result.stdout)["citations"][0]
    assert (citation["session"], citation["session_title"]) == (multi.ids["vtt"], "Urban beekeeping and city policy")
    assert (citation["start_time"], citation["end_time"]) == (221.0, 230.0)


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed."""

    def __init__(self, embedder):
        self.inner, self.texts = embedder, []
        self.dimension, self.max_tokens, self.count_tokens = embedder.dimension, embedder.max_tokens, embedder.count_tokens

    def encode(self, texts, **kwargs):
        self.texts.extend(texts)
        return self.inner.encode(texts, **kwargs)


def test_reingesting_unchanged_files_does_no_work(multi, embedder, seed_path, monkeypatch):
    import index.ingest as ingest_module

    pointer = multi.settings.index_dir / CURRENT
    before = (pointer.read_text(), pointer.stat().st_mtime_ns)
    total = len(load_index(multi.settings).chunks)
    monkeypatch.setattr(ingest_module, "parse_text", lambda *a, **k: pytest.fail("an unchanged file was parsed"))
    monkeypatch.setattr(ingest_module, "load_index", lambda *a, **k: pytest.fail("the index was loaded for nothing"))
    counting = CountingEmbedder(embedder)
    report = ingest([multi.root / "transcripts", seed_path], multi.settings, counting)
    assert sorted(report.unchanged) == sorted(multi.ids.values())
    assert not (report.added or report.replaced or report.errors)
    assert report.chunks_embedded == 0 and counting.texts == []
    assert report.chunks_total == total
    assert (pointer.read_text(), pointer.stat().st_mtime_ns) == before


def test_adding_and_changing_a_file_embeds_only_its_chunks(multi, embedder, tmp_path):
    home = dataclasses.replace(multi.settings, home=copy_home(multi.settings.home, tmp_path / "home"))
    old = load_index(home)
    keep_id = old.chunks[0].chunk_id
    keep_vector = old.vectors.reconstruct(0)
    extra = tmp_path / "extra.txt"
    extra.write_text("Ana Silva: Submarine cables carry almost all intercontinental traffic.\nBob Jones: And repair ships are few.\n", encoding="utf-8")
    counting = CountingEmbedder(embedder)
    report = ingest([extra, multi.root / "transcripts"], home, counting)
    new = load_index(home)
    added = [c for c in new.chunks if c.session_id == report.added[0]]
    assert len(report.added) == 1 and len(report.unchanged) == 4
    assert report.chunks_embedded == len(added) == 2
    # Everything embedded is the new session's (its chunks, and any finer units of them); nothing kept is.
    assert {c.embedding_text for c in added} <= set(counting.texts)
    assert all(text.startswith(("Ana Silva: ", "Bob Jones: ")) for text in counting.texts)
    row = next(i for i, c in enumerate(new.chunks) if c.chunk_id == keep_id)
    assert (new.vectors.reconstruct(row) == keep_vector).all()  # kept, not re-embedded

    # A changed file replaces its session: the old id goes, the new one holds the new text.
    extra.write_text("Ana Silva: Submarine cables carry almost all intercontinental traffic.\n", encoding="utf-8")
    counting.texts.clear()
    report2 = ingest([extra], home, counting)
    assert len(report2.replaced) == 1 and report2.replaced[0] != report.added[0]
    changed = load_index(home)
    assert report.added[0] not in {s.session_id for s in changed.manifest.sessions}
    assert [c.text for c in changed.chunks if c.session_id == report2.replaced[0]] == ["Submarine cables carry almost all intercontinental traffic."]
    assert set(counting.texts) == {"Ana Silva: Submarine cables carry almost all intercontinental traffic."}
    assert changed.vectors.ntotal == len(changed.chunks) == len(new.chunks) - 1


def test_bad_file_in_a_folder_is_reported_and_the_rest_ingested(multi, embedder, tmp_path):
    home = dataclasses.replace(multi.settings, home=copy_home(multi.settings.home, tmp_path / "home"))
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "broken.json").write_text('[{"speaker": "A", "text": "fine"}, {"text": "no speaker"}]', encoding="utf-8")
    (folder / "fine.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nANA: Good cables matter.\n", encoding="utf-8")
    report = ingest([folder], home, embedder)
    assert report.errors == [f"{folder / 'broken.json'}:1: item 1: missing field 'speaker'"]
    assert len(report.added) == 1


# -- Asking within one session, or across all --------------------------------------------------------------

QUESTIONS = [
    ("igf", "Cybersecurity, Trust", "What hub did the GFC launch in the Pacific?", "Pacific hub"),
    ("srt", "caribbean", "How many security analysts are trained each year?", "thirty"),
    ("json", "age-tokens", "Who issued the age tokens in the Jordan pilot?", "mobile operators"),
    ("generic", "community networks", "How many villages do the community networks connect?", "forty villages"),
    ("vtt", "beekeep", "What does the city council pay beekeepers?", "grant"),
]


@pytest.mark.parametrize(("kind", "session", "question", "expected"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_question_about_one_session_is_answered_from_it(multi, kind, session, question, expected):
    answer = multi.pipeline.ask(question, session=session, generator="extractive")
    assert not answer.abstained, answer.answer
    assert expected in f"{answer.answer} {answer.quote}"  # the short answer or the sentences shown beside it
    assert sessions_of(answer.retrieved) == {multi.ids[kind]}
    assert {c.passage.chunk.session_id for c in answer.citations} == {multi.ids[kind]}


def test_session_filter_changes_which_session_answers(multi):
    question = "How is cybersecurity capacity building organised in the region?"
    everywhere = multi.pipeline.ask(question, generator="extractive")
    assert {multi.ids["igf"], multi.ids["srt"]} <= sessions_of(everywhere.retrieved)
    for kind in ("igf", "srt"):
        answer = multi.pipeline.ask(question, session=multi.ids[kind], generator="extractive")
        assert sessions_of(answer.retrieved) == {multi.ids[kind]}
        assert {c.passage.chunk.session_id for c in answer.citations} <= {multi.ids[kind]}


def test_citations_across_sessions_name_their_session(multi):
    answer = multi.pipeline.ask("What did the speakers say about ransomware and cyber incidents?", generator="extractive", k=20)
    titles = {s.session_id: s.title for s in load_index(multi.settings).manifest.sessions}
    assert len(sessions_of(answer.retrieved)) >= 2
    for item in answer.to_dict()["citations"] + answer.to_dict()["retrieved"]:
        assert item["session_title"] == titles[item["session"]]
        assert ("start_time" in item) == (item["session"] in {multi.ids["vtt"], multi.ids["srt"], multi.ids["json"]})


def test_unknown_or_ambiguous_session_is_a_clear_error(multi, monkeypatch):
    with pytest.raises(QuestionError, match="no session matches 'whales'; known sessions: .*Urban beekeeping"):
        multi.pipeline.ask("What about whales?", session="whales", generator="extractive")
    with pytest.raises(QuestionError, match="matches 2 sessions"):
        multi.pipeline.ask("What about cables?", session="c", generator="extractive")  # caribbean-…, community-…
    result = cli_in(multi.settings.home, monkeypatch, "ask", "What about whales?", "--session", "whales")
    assert result.exit_code == 1 and "no session matches 'whales'" in result.output and "Traceback" not in result.output


# -- Removal ------------------------------------------------------------------------------------------------


def test_remove_drops_one_session(multi, tmp_path, monkeypatch):
    home = copy_home(multi.settings.home, tmp_path / "home")
    settings = dataclasses.replace(multi.settings, home=home)
    before = load_index(settings)
    result = cli_in(home, monkeypatch, "remove", "caribbean")
    assert result.exit_code == 0, result.output
    assert f"removed {multi.ids['srt']}" in result.stdout
    after = load_index(settings)
    assert multi.ids["srt"] not in {s.session_id for s in after.manifest.sessions}
    assert multi.ids["srt"] not in {c.session_id for c in after.chunks} | {t.session_id for t in after.turns}
    removed = sum(c.session_id == multi.ids["srt"] for c in before.chunks)
    assert after.vectors.ntotal == len(after.chunks) == len(before.chunks) - removed
    # The vectors kept their rows: every remaining chunk still finds itself first.
    pipeline = Pipeline(settings)
    pipeline._embedder = multi.pipeline.embedder
    answer = pipeline.ask("What hub did the GFC launch in the Pacific?", generator="extractive")
    assert "Pacific hub" in answer.answer
    with pytest.raises(QuestionError, match="no session matches 'caribbean'"):
        pipeline.ask("How many analysts?", session="caribbean", generator="extractive")
    again = cli_in(home, monkeypatch, "remove", multi.ids["srt"])
    assert again.exit_code == 1 and "no session matches" in again.output


# -- Killed and concurrent ingests ---------------------------------------------------------------------------


@pytest.fixture()
def crash_home(settings, seed_path, tmp_path):
    """The bundled transcript's index, and a folder of two more sessions (variants of it) to ingest."""
    home = copy_home(settings.home, tmp_path / "home")
    folder = tmp_path / "more"
    folder.mkdir()
    seed_text = seed_path.read_text(encoding="utf-8")
    for n in (1, 2):
        (folder / f"variant-{n}.txt").write_text(variant(seed_text, n), encoding="utf-8")
    return SimpleNamespace(home=home, settings=dataclasses.replace(settings, home=home), folder=folder, seed_name=seed_path.name)


def child_env(home: Path) -> dict[str, str]:
    return {**os.environ, "IGF_RAG_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def wait_for_lock_holder(home: Path, process: subprocess.Popen, limit_s: float = 300) -> None:
    """Return once `process` holds the index lock (it has loaded its model and started ingesting)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"ingest ended before taking the lock: {process.stderr.read()}"
        probe = FileLock(str(home / "index.lock"), timeout=0)
        try:
            probe.acquire()
        except Timeout:
            return
        probe.release()
        time.sleep(0.02)
    pytest.fail("the ingest never took the index lock")


def assert_previous_index_answers(crash, expected_sessions: set[str], embedder) -> None:
    index = load_index(crash.settings)  # checksums verified
    assert {s.session_id for s in index.manifest.sessions} == expected_sessions
    assert index.vectors.ntotal == len(index.chunks)
    pipeline = Pipeline(crash.settings)
    pipeline._embedder = embedder
    answer = pipeline.ask("What hub did the GFC launch in the Pacific?", generator="extractive")
    assert "Pacific hub" in answer.answer and answer.citations


@pytest.mark.parametrize("seed", [11, 29])
def test_killed_ingest_leaves_the_previous_index(crash_home, embedder, seed):
    previous = {s.session_id for s in load_index(crash_home.settings).manifest.sessions}
    process = subprocess.Popen([str(IGF_RAG), "ingest", str(crash_home.folder)], env=child_env(crash_home.home),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_lock_holder(crash_home.home, process)
        time.sleep(random.Random(seed).uniform(0.1, 2.5))  # somewhere in parsing, chunking or embedding ~350 chunks
        assert process.poll() is None, "the ingest finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert_previous_index_answers(crash_home, previous, embedder)
    FileLock(str(crash_home.home / "index.lock"), timeout=5).acquire()  # the dead process's lock is free


# Kill points that a timer cannot hit reliably: mid-way through writing the new generation, and with the
# new generation complete but CURRENT not yet switched. The child patches the store to SIGKILL itself there.
KILL_POINTS = {
    "mid-write": "real = store._write_lines\n"
    "def dying(path, lines):\n"
    "    real(path, lines)\n"
    "    os.kill(os.getpid(), signal.SIGKILL)\n"
    "store._write_lines = dying\n",
    "before-switch": "real = os.replace\n"
    "def dying(src, dst):\n"
    "    if str(dst).endswith('CURRENT'):\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    real(src, dst)\n"
    "store.os.replace = dying\n",
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_ingest_killed_while_writing_leaves_the_previous_index(crash_home, embedder, point):
    previous = {s.session_id for s in load_index(crash_home.settings).manifest.sessions}
    small = crash_home.folder / "small.txt"
    small.write_text("Ana Silva: Cables matter.\nBob Jones: So do repair ships.\n", encoding="utf-8")
    script = "import os, signal, sys\nimport index.store as store\n" + KILL_POINTS[point] + "from rag.cli import main\nmain()\n"
    process = subprocess.run([sys.executable, "-c", script, "ingest", str(small)], env=child_env(crash_home.home),
                             capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=600)
    assert process.returncode == -signal.SIGKILL, process.stderr
    index_dir = crash_home.settings.index_dir
    leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith((".gen-", "gen-"))]
    assert len(leftovers) == 2  # the live generation and the dead writer's
    assert_previous_index_answers(crash_home, previous, embedder)
    # The next ingest works and clears what the dead one left behind.
    report = ingest([small], crash_home.settings, embedder)
    assert len(report.added) == 1 and not report.errors
    assert [p.name for p in index_dir.iterdir() if p.name.startswith((".gen-", "gen-"))] == [(index_dir / CURRENT).read_text()]


def test_ingest_that_cannot_get_the_lock_says_so(crash_home, embedder, monkeypatch):
    import index.ingest as ingest_module

    small = crash_home.folder / "small.txt"
    small.write_text("Ana Silva: Cables matter.\n", encoding="utf-8")
    monkeypatch.setattr(ingest_module, "LOCK_TIMEOUT_S", 0.2)
    with FileLock(str(crash_home.home / "index.lock"), timeout=5):  # another writer holds the index
        report = ingest([small], crash_home.settings, embedder)
    assert report.errors == [f"{crash_home.home}: another ingest holds the index lock; try again when it finishes"]
    assert not report.added and len(load_index(crash_home.settings).manifest.sessions) == 1


# The child says when it reaches the lock, so the test knows both ingests are contending for it.
ANNOUNCE_LOCK = """import sys
import index.ingest as ingest_module
real_lock = ingest_module.index_lock
def announced_lock(settings):
    print("waiting for the index lock", file=sys.stderr, flush=True)
    return real_lock(settings)
ingest_module.index_lock = announced_lock
from rag.cli import main
main()
"""


def test_concurrent_ingests_are_serialised(crash_home):
    """Two ingests that reach the lock together both land: the second builds on the first's generation."""
    files = []
    for name in ("first", "second"):
        files.append(crash_home.folder / f"{name}.txt")
        files[-1].write_text(f"Ana Silva: The {name} ingest's words.\nBob Jones: Noted for the {name} time.\n", encoding="utf-8")
    generation = (crash_home.settings.index_dir / CURRENT).read_text()
    with FileLock(str(crash_home.home / "index.lock"), timeout=5):
        processes = [
            subprocess.Popen([sys.executable, "-c", ANNOUNCE_LOCK, "ingest", str(path)], env=child_env(crash_home.home),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
            for path in files
        ]
        for process in processes:
            line = process.stderr.readline()
            assert "waiting for the index lock" in line, line + process.stderr.read()
        time.sleep(0.5)
        assert (crash_home.settings.index_dir / CURRENT).read_text() == generation  # neither wrote past the lock
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    sessions = load_index(crash_home.settings).manifest.sessions
    assert {Path(s.source).name for s in sessions} == {crash_home.seed_name, "first.txt", "second.txt"}


def test_a_running_pipeline_follows_an_ingest_by_another_process(multi, embedder, tmp_path):
    """`igf-rag ingest` beside a running server replaces the index and removes the old generation: the server's next
    question is answered from the new index (the new session included), not from files that are gone."""
    home = dataclasses.replace(multi.settings, home=copy_home(multi.settings.home, tmp_path / "home"))
    serving = Pipeline(home)
    serving._embedder = embedder
    before = serving.ask("What did the EFF speaker say about the cybercrime treaty?", generator="extractive")
    assert not before.abstained
    old_generation = current_generation(home.index_dir)
    extra = tmp_path / "harbour.txt"
    extra.write_text("Ana Silva: The harbour authority of Valparaiso stores its cable maps in a vault.\n"
                     "Bob Jones: And the vault floods every winter.\n", encoding="utf-8")
    report = ingest([extra], home, embedder)  # as another process would: the serving pipeline is not told
    assert report.added and not old_generation.exists()
    after = serving.ask("What did Ana Silva say about the cable maps of the harbour authority of Valparaiso?", generator="extractive")
    assert not after.abstained and "vault" in after.answer
    assert serving.ask("What did the EFF speaker say about the cybercrime treaty?", generator="extractive").answer == before.answer
