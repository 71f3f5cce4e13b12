"""50 clients at once against the running chat server (loopback, extractive generator), through gradio_client:
every one is answered, each with the answer to its own question. Speeds are measured by `python -m eval.bench
--only load`, not asserted here."""

from __future__ import annotations

import json

import pytest

from eval.load import ask_at_once
from index.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

CLIENTS = 50
# Five questions from the eval set that the bundled transcript answers, each from a different speaker's turn.
QUESTION_IDS = ["q012", "q021", "q024", "q033", "q040"]


def eval_questions() -> list[dict]:
    lines = (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    by_id = {q["id"]: q for q in map(json.loads, lines)}
    return [by_id[i] for i in QUESTION_IDS]


def answers_its_own_question(reply, question: dict) -> bool:
    """The reply is to this question, cites the speaker who said it, and a cited passage holds an accepted answer."""
    result = reply.result
    if result is None or result["question"] != question["question"] or result["abstained"]:
        return False
    cited = result["citations"]
    return any(c["speaker_key"] in question["speakers"] for c in cited) and any(
        answer.lower() in c["text"].lower() for c in cited for answer in question["answers"]
    )


def test_fifty_clients_at_once_are_all_answered_correctly(ui_server):
    from gradio_client import Client

    questions = eval_questions()
    assert len({q["speakers"][0] for q in questions}) == len(questions)  # distinct speakers: a mix-up would show
    lone = Client(ui_server, verbose=False, download_files=False)
    alone = {q["id"]: lone.predict(q["question"], api_name="/ask") for q in questions}  # each asked with no one else about
    asked = [questions[i % len(questions)] for i in range(CLIENTS)]
    replies, _ = ask_at_once(ui_server, [q["question"] for q in asked], timeout_s=900)
    dropped = [r.error for r in replies if r.result is None]
    assert not dropped, f"{len(dropped)} of {CLIENTS} requests got no answer: {dropped[:3]}"
    wrong = [(q["id"], r.result["answer"][:80]) for q, r in zip(asked, replies) if not answers_its_own_question(r, q)]
    assert not wrong, f"{len(wrong)} of {CLIENTS} answers do not answer their own question: {wrong[:5]}"
    # Under load each client gets exactly the answer its question gets when asked alone.
    for question, reply in zip(asked, replies):
        expected = alone[question["id"]]
        assert reply.result["answer"] == expected["answer"], question["id"]
        assert [c["chunk_id"] for c in reply.result["citations"]] == [c["chunk_id"] for c in expected["citations"]], question["id"]
