"""The dialogue eval set eval/dialogues.jsonl: its schema, and every follow-up's gold answers, speakers and evidence
checked against its transcript as the question sets' are (tests/test_devsets.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.metrics import normalize
from index.parse import parse_file
from index.text import speaker_key

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = ROOT / "eval" / "dialogues.jsonl"
SEED = ROOT / "seeds" / "igf2023-day2-main-session-2-cybersecurity-trust-online-safety.txt"
TURN_KEYS = {"question", "answers", "speakers", "evidence", "type"}
FOLLOW_UP_KEYS = {"must_mention", "must_not_mention", "reference"}
REFERENCES = {"pronoun", "phrase", "what_about", "topic_switch", "speaker_switch", "ellipsis"}
TYPES = {"factoid", "number", "who", "list", "opinion", "summary", "multi", "unanswerable"}


def _load():
    return [json.loads(line) for line in DIALOGUES.read_text(encoding="utf-8").splitlines() if line.strip()]


DIALOGUE_ROWS = _load() if DIALOGUES.exists() else []
_PARSED: dict[str, object] = {}


def transcript(session: str):
    if session not in _PARSED:
        path = SEED if session == "bundled" else next(p for p in (ROOT / "eval" / "transcripts").iterdir() if p.stem == session)
        _PARSED[session] = parse_file(path)
    return _PARSED[session]


def test_the_set_has_forty_dialogues_over_every_transcript():
    assert len(DIALOGUE_ROWS) >= 40
    sessions = {d["session"] for d in DIALOGUE_ROWS}
    assert "bundled" in sessions and len(sessions) >= 6
    references = {t["reference"] for d in DIALOGUE_ROWS for t in d["turns"][1:]}
    assert REFERENCES <= references, REFERENCES - references
    assert len({d["id"] for d in DIALOGUE_ROWS}) == len(DIALOGUE_ROWS)


@pytest.mark.parametrize("dialogue", DIALOGUE_ROWS, ids=[d["id"] for d in DIALOGUE_ROWS])
def test_a_dialogue_follows_the_schema(dialogue):
    assert set(dialogue) == {"id", "session", "turns"}
    assert 2 <= len(dialogue["turns"]) <= 3
    first, *follow_ups = dialogue["turns"]
    assert set(first) == TURN_KEYS
    for turn in follow_ups:
        assert set(turn) == TURN_KEYS | FOLLOW_UP_KEYS, sorted(turn)
        assert turn["reference"] in REFERENCES
        assert isinstance(turn["must_mention"], list) and all(isinstance(group, list) and group for group in turn["must_mention"])
        assert all(isinstance(s, str) for s in turn["must_not_mention"])
    for turn in dialogue["turns"]:
        assert turn["type"] in TYPES
        assert (turn["type"] == "unanswerable") == (not turn["answers"])


@pytest.mark.parametrize("dialogue", DIALOGUE_ROWS, ids=[d["id"] for d in DIALOGUE_ROWS])
def test_evidence_and_gold_answers_are_in_the_transcript(dialogue):
    parsed = transcript(dialogue["session"])
    text = normalize(parsed.text)
    for turn in dialogue["turns"]:
        listed = {speaker_key(s) if s.isupper() else "AUDIENCE" for s in turn["speakers"]}
        for evidence in turn["evidence"]:
            owners = {t.speaker for t in parsed.turns if evidence in t.text.replace("\u00a0", " ")}
            assert owners & listed, (evidence, owners, listed)
        if turn["type"] in ("factoid", "number", "who"):
            assert any(normalize(a) in text for a in turn["answers"]), turn["answers"]
