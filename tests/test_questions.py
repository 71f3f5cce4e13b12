"""Schema and grounding checks for the evaluation question set eval/questions.jsonl.

Stdlib + pytest only; does not import the project package.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS_PATH = ROOT / "eval" / "questions.jsonl"
TRANSCRIPT_PATH = ROOT / "seeds" / "igf2023-day2-main-session-2-cybersecurity-trust-online-safety.txt"

KEYS = {"id", "question", "answers", "speakers", "evidence", "type"}
TYPES = {"factoid", "number", "who", "list", "opinion", "summary", "multi", "unanswerable"}
SPECIAL_SPEAKERS = {"AUDIENCE", "UNKNOWN"}
MIN_QUESTIONS = 100
MIN_UNANSWERABLE = 15
MIN_EVIDENCE_WORDS = 3
MAX_EVIDENCE_WORDS = 15

HEADER_RE = re.compile(r"^>> ?([A-ZÁÉÍÓÚÑ][A-ZÁÉÍÓÚÑ .'\-]*?):", re.M)
TURN_RE = re.compile(r"^>>", re.M)


def _read_transcript():
    return TRANSCRIPT_PATH.read_text(encoding="utf-8")


def _load_questions():
    rows = []
    with QUESTIONS_PATH.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
                pytest.fail(f"{QUESTIONS_PATH.name}:{lineno}: invalid JSON: {exc}")
            rows.append((lineno, obj))
    return rows


TRANSCRIPT = _read_transcript()
# Names are sometimes separated by U+00A0 in the captions ("Jinson\xa0Alufi").
TRANSCRIPT_NORM_WS = TRANSCRIPT.replace("\u00a0", " ")
QUESTIONS = _load_questions()
HEADER_NAMES = {m.group(1).strip() for m in HEADER_RE.finditer(TRANSCRIPT)}


def _turns():
    """List of (start, end, speaker); a turn without a NAME: header is UNKNOWN."""
    starts = [m.start() for m in TURN_RE.finditer(TRANSCRIPT)]
    turns = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(TRANSCRIPT)
        nl = TRANSCRIPT.find("\n", start, end)
        line = TRANSCRIPT[start:nl if nl != -1 else end]
        m = HEADER_RE.match(line)
        turns.append((start, end, m.group(1).strip() if m else "UNKNOWN"))
    return turns


TURNS = _turns()


def _speaker_at(pos):
    for start, end, speaker in TURNS:
        if start <= pos < end:
            return speaker
    return None


def _ids(rows):
    return [obj.get("id", f"line{lineno}") if isinstance(obj, dict) else f"line{lineno}" for lineno, obj in rows]


def test_files_exist():
    assert QUESTIONS_PATH.is_file(), QUESTIONS_PATH
    assert TRANSCRIPT_PATH.is_file(), TRANSCRIPT_PATH


def test_transcript_headers_parsed():
    # sanity: the known panel headers are found, including both spellings of the Cuban deputy minister
    for name in ("OLGA CAVALLI", "TRACY HACKSHAW", "CHRISTOPHER PAINTER", "KATITZA RODRIGUEZ",
                 "ALISSA STARZAK", "ELIZAVETA BELYAKOVA", "FOLAKE OLAGUNJU",
                 "ERNESTO RODRIGUEZ HERNÁNDEZ", "ERNESTO RODRIGUEZ HERNANDEZ", "AUDIENCE", "MODERATOR"):
        assert name in HEADER_NAMES, name
    assert "UNKNOWN" in {s for _, _, s in TURNS}


def test_minimum_counts():
    assert len(QUESTIONS) >= MIN_QUESTIONS
    n_unanswerable = sum(1 for _, q in QUESTIONS if isinstance(q, dict) and q.get("type") == "unanswerable")
    assert n_unanswerable >= MIN_UNANSWERABLE


def test_all_types_present():
    present = {q.get("type") for _, q in QUESTIONS if isinstance(q, dict)}
    assert TYPES <= present, TYPES - present


def test_ids_unique():
    ids = [q.get("id") for _, q in QUESTIONS]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, dupes


def test_questions_unique():
    texts = [q.get("question", "").strip().lower() for _, q in QUESTIONS]
    dupes = sorted({t for t in texts if texts.count(t) > 1})
    assert not dupes, dupes


@pytest.mark.parametrize("lineno,q", QUESTIONS, ids=_ids(QUESTIONS))
def test_schema(lineno, q):
    assert isinstance(q, dict), f"line {lineno}: not an object"
    assert set(q) == KEYS, f"line {lineno}: keys {sorted(q)}"
    assert isinstance(q["id"], str) and re.fullmatch(r"q\d{3,}", q["id"]), q["id"]
    assert isinstance(q["question"], str) and q["question"].strip()
    assert q["type"] in TYPES, q["type"]
    for field in ("answers", "speakers", "evidence"):
        assert isinstance(q[field], list), field
        for item in q[field]:
            assert isinstance(item, str) and item.strip(), (field, item)
        assert len(set(q[field])) == len(q[field]), f"duplicate entries in {field}"


@pytest.mark.parametrize("lineno,q", QUESTIONS, ids=_ids(QUESTIONS))
def test_answerability_consistent(lineno, q):
    unanswerable = q["type"] == "unanswerable"
    assert unanswerable == (len(q["answers"]) == 0)
    if unanswerable:
        assert q["speakers"] == [] and q["evidence"] == []
    else:
        assert len(q["evidence"]) >= 1
        assert len(q["speakers"]) >= 1


@pytest.mark.parametrize("lineno,q", QUESTIONS, ids=_ids(QUESTIONS))
def test_evidence_verbatim(lineno, q):
    for ev in q["evidence"]:
        assert ev in TRANSCRIPT, f"evidence not in transcript: {ev!r}"
        n_words = len(ev.split())
        assert MIN_EVIDENCE_WORDS <= n_words <= MAX_EVIDENCE_WORDS, (n_words, ev)
        # must lie inside a single speaker turn
        assert ">>" not in ev and "\n" not in ev, ev


@pytest.mark.parametrize("lineno,q", QUESTIONS, ids=_ids(QUESTIONS))
def test_speakers_valid(lineno, q):
    for sp in q["speakers"]:
        if sp in HEADER_NAMES or sp in SPECIAL_SPEAKERS:
            continue
        # audience self-introduction: a name that occurs in the transcript text
        assert sp in TRANSCRIPT_NORM_WS, f"unknown speaker {sp!r}"
        assert "AUDIENCE" in q["speakers"], f"audience member {sp!r} listed without AUDIENCE"


@pytest.mark.parametrize("lineno,q", QUESTIONS, ids=_ids(QUESTIONS))
def test_evidence_in_listed_speakers_turn(lineno, q):
    speakers = set(q["speakers"])
    for ev in q["evidence"]:
        owners = {_speaker_at(m.start()) for m in re.finditer(re.escape(ev), TRANSCRIPT)}
        assert owners & speakers, f"evidence {ev!r} spoken by {owners}, not by {sorted(speakers)}"
