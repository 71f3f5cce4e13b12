"""The dialogue eval set (eval/dialogues.jsonl): conversations of two or three turns over the bundled and development
transcripts, answered turn by turn with the conversation so far as history, on one index holding every transcript.

Scored per follow-up turn: resolution (the stand-alone question it was answered as names the speaker or topic it
refers to: every `must_mention` group has a string in it, no `must_not_mention` string is, case and accents ignored),
and the usual answer, speaker and citation metrics (eval/metrics.py). Writes dialogues.jsonl (every turn's answer) and
dialogues.json (the figures) to the output directory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from eval import metrics as m
from index.text import fold

DIALOGUES = Path(__file__).resolve().with_name("dialogues.jsonl")


class DialogueSetError(ValueError):
    """A dialogue set that cannot be used; the message names the file and line."""


def load_dialogues(path: Path = DIALOGUES) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DialogueSetError(f"{path}: cannot read the dialogue set ({error})") from None
    dialogues = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DialogueSetError(f"{path}:{line_no}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("turns"), list) or not record["turns"]:
            raise DialogueSetError(f"{path}:{line_no}: expected an object with a list of 'turns'")
        dialogues.append(record)
    return dialogues


def resolved_well(resolved: str, turn: dict) -> bool:
    said = fold(resolved)
    return all(any(fold(alt) in said for alt in group) for group in turn.get("must_mention", [])) and not any(
        fold(word) in said for word in turn.get("must_not_mention", []))


def run_dialogues(pipeline, dialogues: Sequence[dict], sessions: dict[str, str], generator: str | None = None, progress=None) -> list[dict]:
    """Every turn answered with the turns before it as history; one record per turn (the `ask --json` object, plus
    dialogue, turn, session and, for follow-ups, whether it was resolved well). `sessions`: dialogue session name ->
    indexed session id."""
    records = []
    for dialogue in dialogues:
        history: list[dict] = []
        for number, turn in enumerate(dialogue["turns"]):
            answer = pipeline.ask(turn["question"], generator=generator, history=history).to_dict()
            record = {"id": f"{dialogue['id']}.{number + 1}", "dialogue": dialogue["id"], "turn": number + 1, "session": sessions.get(dialogue["session"]), **answer}
            if number:
                record["resolved_well"] = resolved_well(answer["resolved_question"], turn)
                record["reference"] = turn.get("reference")
            records.append(record)
            history.append(answer)
        if progress:
            progress()
    return records


def score_dialogues(records: Sequence[dict], dialogues: Sequence[dict]) -> dict:
    """Resolution accuracy (overall and per kind of reference) and the answer metrics of the follow-up turns."""
    turns = {f"{d['id']}.{i + 1}": {**t, "id": f"{d['id']}.{i + 1}", "session": None} for d in dialogues for i, t in enumerate(d["turns"])}
    follow_ups = [r for r in records if r["turn"] > 1]
    scores = []
    for record in follow_ups:
        question = {**turns[record["id"]], "session": record["session"]}
        question.setdefault("tags", [])
        scores.append(m.score_question(record, question))
    by_reference: dict[str, list[bool]] = {}
    for record in follow_ups:
        by_reference.setdefault(record["reference"], []).append(record["resolved_well"])
    overall = m.aggregate(scores)
    return {
        "dialogues": len(dialogues),
        "follow_ups": len(follow_ups),
        "resolution_accuracy": sum(r["resolved_well"] for r in follow_ups) / max(1, len(follow_ups)),
        "resolution_by_reference": {k: sum(v) / len(v) for k, v in sorted(by_reference.items())},
        "follow_up_metrics": overall,
    }


def evaluate_dialogues(settings, out: Path, path: Path = DIALOGUES, generator: str | None = None, pipeline=None, progress=None) -> dict:
    from eval.corpus import BUNDLED, build_corpus, default_sets, session_of
    from rag.pipeline import Pipeline

    dialogues = load_dialogues(path)
    sets = default_sets()
    pipeline = pipeline or Pipeline(build_corpus(settings, sets))
    sessions = {s.name: session_of(s.transcript) for s in sets}
    sessions.setdefault(BUNDLED, sessions.get(BUNDLED))
    records = run_dialogues(pipeline, dialogues, sessions, generator, progress)
    summary = {"generator": generator or pipeline.settings.generator, **score_dialogues(records, dialogues)}
    out.mkdir(parents=True, exist_ok=True)
    with (out / "dialogues.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (out / "dialogues.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary
