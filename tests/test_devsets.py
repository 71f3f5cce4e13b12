"""The development corpus (eval/transcripts/) and its question sets (eval/devsets/): every transcript parses
into 40-70 turns, every question set follows the schema of eval/questions.jsonl, and every evidence string and
gold answer is checked against the transcript the way tests/test_questions.py checks the bundled set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.metrics import normalize
from index.parse import parse_file
from index.text import speaker_key

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS = ROOT / "eval" / "transcripts"
DEVSETS = ROOT / "eval" / "devsets"

KEYS = {"id", "question", "answers", "speakers", "evidence", "type"}
OPTIONAL_KEYS = {"tags"}
TYPES = {"factoid", "number", "who", "list", "opinion", "summary", "multi", "unanswerable"}
TAGS = {"typed_span", "relayed", "correction", "stance", "not_covered", "off_topic", "cross_session", "role_reference", "first_name"}
MIN_QUESTIONS, MIN_UNANSWERABLE = 40, 8
MIN_TURNS, MAX_TURNS = 40, 70
MIN_EVIDENCE_WORDS, MAX_EVIDENCE_WORDS = 3, 15
# Gold answers that are facts stated in the transcript must occur in it; opinions and summaries may paraphrase.
VERBATIM_TYPES = {"factoid", "number", "who"}


def _question_sets() -> list[Path]:
    return sorted(DEVSETS.glob("*.jsonl"))


def _transcript_for(question_set: Path) -> Path:
    found = [p for p in TRANSCRIPTS.iterdir() if p.stem == question_set.stem]
    assert len(found) == 1, f"{question_set.name}: expected one transcript named {question_set.stem}.* in {TRANSCRIPTS}, found {found}"
    return found[0]


def _load(question_set: Path) -> list[dict]:
    rows = []
    for line_no, line in enumerate(question_set.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                pytest.fail(f"{question_set.name}:{line_no}: invalid JSON: {error}")
    return rows


SETS = _question_sets()
CASES = [(qs, q) for qs in SETS for q in _load(qs)]


def _case_id(case) -> str:
    qs, q = case
    return f"{qs.stem}:{q.get('id')}"


_TRANSCRIPT_CACHE: dict[Path, object] = {}


def _parsed(question_set: Path):
    path = _transcript_for(question_set)
    if path not in _TRANSCRIPT_CACHE:
        _TRANSCRIPT_CACHE[path] = parse_file(path)
    return _TRANSCRIPT_CACHE[path]


def test_corpus_size_and_formats():
    assert len(SETS) >= 5, [p.name for p in SETS]
    suffixes = {_transcript_for(qs).suffix for qs in SETS}
    assert ".vtt" in suffixes, suffixes


@pytest.mark.parametrize("question_set", SETS, ids=[p.stem for p in SETS])
def test_transcript_parses_into_turns(question_set):
    transcript = _parsed(question_set)
    assert MIN_TURNS <= len(transcript.turns) <= MAX_TURNS, len(transcript.turns)
    assert len({t.speaker for t in transcript.turns}) >= 5


@pytest.mark.parametrize("question_set", SETS, ids=[p.stem for p in SETS])
def test_question_set_counts(question_set):
    rows = _load(question_set)
    assert len(rows) >= MIN_QUESTIONS, len(rows)
    assert sum(q.get("type") == "unanswerable" for q in rows) >= MIN_UNANSWERABLE
    ids = [q.get("id") for q in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    texts = [q.get("question", "").strip().lower() for q in rows]
    assert len(texts) == len(set(texts)), "duplicate questions"


@pytest.mark.parametrize("question_set,q", CASES, ids=[_case_id(c) for c in CASES])
def test_schema(question_set, q):
    assert KEYS <= set(q) <= KEYS | OPTIONAL_KEYS, sorted(q)
    assert re.fullmatch(r"[a-z0-9]+-q\d{3}", q["id"]), q["id"]
    assert q["type"] in TYPES, q["type"]
    assert set(q.get("tags", [])) <= TAGS, q.get("tags")
    for field in ("answers", "speakers", "evidence"):
        assert isinstance(q[field], list) and all(isinstance(x, str) and x.strip() for x in q[field]), field
        assert len(set(q[field])) == len(q[field]), f"duplicate entries in {field}"
    unanswerable = q["type"] == "unanswerable"
    assert unanswerable == (not q["answers"])
    if unanswerable:
        assert q["speakers"] == [] and q["evidence"] == []
    else:
        assert q["evidence"] and q["speakers"]


@pytest.mark.parametrize("question_set,q", CASES, ids=[_case_id(c) for c in CASES])
def test_evidence_verbatim_in_a_listed_speakers_turn(question_set, q):
    transcript = _parsed(question_set)
    listed = {speaker_key(s) if s.isupper() else "AUDIENCE" for s in q["speakers"]}
    for evidence in q["evidence"]:
        assert MIN_EVIDENCE_WORDS <= len(evidence.split()) <= MAX_EVIDENCE_WORDS, evidence
        owners = {t.speaker for t in transcript.turns if evidence in t.text.replace("\u00a0", " ")}
        assert owners, f"evidence not inside any one turn: {evidence!r}"
        assert owners & listed, f"evidence {evidence!r} spoken by {owners}, not by {sorted(listed)}"


@pytest.mark.parametrize("question_set,q", CASES, ids=[_case_id(c) for c in CASES])
def test_speakers_are_speakers_of_the_transcript(question_set, q):
    transcript = _parsed(question_set)
    keys = {t.speaker for t in transcript.turns}
    text = transcript.text.replace("\u00a0", " ")
    for speaker in q["speakers"]:
        if speaker.isupper():
            assert speaker_key(speaker) in keys, f"{speaker!r} is not a speaker of {question_set.stem}"
        else:  # an audience member's name, as they introduce themselves
            assert speaker in text and "AUDIENCE" in q["speakers"], speaker


FACTUAL = [c for c in CASES if c[1].get("type") in VERBATIM_TYPES]


@pytest.mark.parametrize("question_set,q", FACTUAL, ids=[_case_id(c) for c in FACTUAL])
def test_factual_gold_answers_occur_in_the_transcript(question_set, q):
    text = normalize(_parsed(question_set).text)
    assert any(normalize(answer) in text for answer in q["answers"]), q["answers"]
