"""The eval harness: metric functions on hand-made results, `igf-rag eval` end to end, and the regression floor
of the extractive generator over the whole question set."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval import metrics as m
from eval.doc import replace_section, update_doc
from eval.harness import DEFAULT_QUESTIONS, QuestionSetError, load_questions, run_eval
from rag.cli import app

# Measured 2026-12-06 (second session of the day) with `igf-rag eval` (the defaults: extractive generator, hybrid
# retriever, k=10), all 171 questions on the seed transcript alone: retrieval hit@5 0.973, citation precision 0.879,
# accuracy of the short answer 0.671 and of the answer with its quote beside it 0.832, unanswerable questions refused
# 0.909, answerable ones refused 0.074 (abstention thresholds chosen by eval.loto on the five development transcripts).
# (The figures before 2026-12-01, accuracy 0.852 and abstention 0.909, scored the quote alone and were reached with
# weights chosen on these same questions; the defaults are now chosen on the development transcripts, docs/eval.md.)
# The floors are these minus MARGIN (the refusal ceiling plus it); raise them when you improve.
MEASURED_HIT5 = 0.973
MEASURED_CITATION_P = 0.879
MEASURED_ACCURACY = 0.671
MEASURED_ACCURACY_SHOWN = 0.832
MEASURED_ABSTAIN = 0.909
MEASURED_FALSE_REFUSAL = 0.074
MARGIN = 0.03


# -- matching rules ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("It is held in beautiful KYOTO, Japan.", "Kyoto"),  # case
        ("Ernesto Rodriguez Hernandez spoke next.", "Ernesto Rodríguez Hernández"),  # accents
        ("Ernesto Rodríguez Hernández spoke next.", "Ernesto Rodriguez Hernandez"),
        ("She is in New \n  York today.", "New York"),  # whitespace
        ("They removed 9,126 units.", "9126"),  # thousands separators, both ways
        ("They removed 9126 units.", "9,126"),
        ("They removed 9\u202f126 units.", "9126"),
        ("about twenty\u2011five countries", "twenty-five"),  # hyphen variants
        ("they keep black lists and blacklists", "blacklist"),  # a plural ending may follow
        ("lack of incentives", "incentiv"),
        ("20% of all websites", "20%"),
    ],
)
def test_answer_matches(answer, gold):
    assert m.answer_matches(answer, gold)


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("sixty countries", "six"),  # whole words only
        ("published in 2022", "20"),
        ("an effective measure", "EFF"),
        ("9,1266 units", "9126"),
        ("Kyot", "Kyoto"),
        ("", "Kyoto"),
    ],
)
def test_answer_does_not_match(answer, gold):
    assert not m.answer_matches(answer, gold)


def test_answer_correct_needs_one_gold_answer():
    assert m.answer_correct("The Electronic Frontier Foundation.", ["EFF", "Electronic Frontier Foundation"])
    assert not m.answer_correct("Cloudflare.", ["EFF", "Electronic Frontier Foundation"])


def test_token_f1():
    assert m.token_f1("the Global Forum on Cyber Expertise", "Global Forum on Cyber Expertise") == 1.0
    assert m.token_f1("GLOBAL forum", "Global Forum on Cyber Expertise") == pytest.approx(2 * 1.0 * 0.4 / 1.4)
    assert m.token_f1("9,126 units", "9126") == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert m.token_f1("Hernández", "HERNANDEZ") == 1.0
    assert m.token_f1("nothing shared", "Kyoto") == 0.0
    assert m.best_f1("Kyoto", ["Osaka", "Kyoto"]) == 1.0


def test_gold_speaker_keys():
    keys = m.gold_speaker_keys(["ERNESTO RODRIGUEZ HERNÁNDEZ", "AUDIENCE", "Jinson Alufi", "UNKNOWN"])
    assert keys == {"ERNESTO RODRIGUEZ HERNANDEZ", "AUDIENCE", "UNKNOWN"}


def test_relevance_by_text_and_by_span():
    evidence = ["Global Forum on Cyber Expertise"]
    assert m.is_relevant({"text": "Director of the GFC, GLOBAL forum on  cyber expertise."}, evidence)
    assert not m.is_relevant({"text": "Director of the GFC."}, evidence)
    # evidence at 100..131 cut by a chunk boundary at 120: the passage holding most of it is relevant
    span = m.EvidenceSpan("s1", 100, 131)
    assert m.is_relevant({"session": "s1", "start_char": 40, "end_char": 120, "text": "… Global Forum on"}, evidence, [span])
    assert not m.is_relevant({"session": "s1", "start_char": 120, "end_char": 200, "text": "Expertise …"}, evidence, [span])
    assert not m.is_relevant({"session": "s2", "start_char": 40, "end_char": 120, "text": "…"}, evidence, [span])


def test_ndcg():
    assert m.ndcg([True, False], 10) == 1.0
    assert m.ndcg([False, True], 10) == pytest.approx(1 / __import__("math").log2(3))
    assert m.ndcg([True, False], 10, total_relevant=2) == pytest.approx(1 / (1 + 1 / __import__("math").log2(3)))
    assert m.ndcg([False] * 10, 10, total_relevant=1) == 0.0


def test_percentile_matches_numpy():
    import numpy as np

    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0]
    for q in (0, 50, 95, 100):
        assert m.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert m.percentile([], 50) is None


# -- aggregation on hand-made results -------------------------------------------------------------------
QUESTIONS = [
    {"id": "q1", "question": "Where?", "answers": ["Kyoto"], "speakers": ["OLGA CAVALLI"], "evidence": ["here in beautiful Kyoto"], "type": "factoid"},
    {"id": "q2", "question": "Who asked?", "answers": ["Jinson Alufi"], "speakers": ["AUDIENCE", "Jinson Alufi"], "evidence": ["My name is Jinson Alufi"], "type": "who"},
    {"id": "q3", "question": "Cost?", "answers": ["9,126"], "speakers": ["ERNESTO RODRIGUEZ HERNÁNDEZ"], "evidence": ["removed 9,126 units"], "type": "number"},
    {"id": "q4", "question": "Weather?", "answers": [], "speakers": [], "evidence": [], "type": "unanswerable"},
    {"id": "q5", "question": "Lunch?", "answers": [], "speakers": [], "evidence": [], "type": "unanswerable"},
]


def passage(text: str, speaker_key: str = "OLGA CAVALLI", rank: int = 1) -> dict:
    return {"text": text, "speaker_key": speaker_key, "session": "s", "start_char": 0, "end_char": len(text), "rank": rank}


def result(qid, answer, retrieved, citations, abstained=False, total=100.0):
    return {
        "id": qid,
        "question": "?",
        "answer": answer,
        "abstained": abstained,
        "citations": citations,
        "retrieved": retrieved,
        "timings_ms": {"retrieve": total / 4, "generate": total * 3 / 4, "total": total},
    }


RESULTS = [
    # q1: evidence at rank 2, correct answer, cited the right passage and speaker
    result("q1", "In KYOTO. [1]", [passage("Welcome all."), passage("We are here in Beautiful  Kyoto, Japan.", rank=2)],
           [passage("We are here in Beautiful  Kyoto, Japan.", rank=2)], total=100),
    # q2: evidence at rank 1, wrong answer, two citations: one by an audience member (gold), one irrelevant
    result("q2", "Someone from Nigeria. [1][2]", [passage("My name is Jinson\u00a0Alufi, based in Abuja", "AUDIENCE")],
           [passage("My name is Jinson Alufi, based in Abuja", "AUDIENCE"), passage("Thank you.", "TRACY HACKSHAW")], total=200),
    # q3: refused although answerable; evidence not retrieved
    result("q3", "The transcript does not cover this question.", [passage("Nothing here.")], [], abstained=True, total=10),
    # q4: unanswerable, rightly refused; q5: unanswerable, answered anyway
    result("q4", "The transcript does not cover this question.", [passage("Rain.")], [], abstained=True, total=20),
    result("q5", "Sandwiches. [1]", [passage("Sandwiches.")], [passage("Sandwiches.")], total=300),
]


def test_aggregate_on_hand_made_results():
    summary = m.compute(RESULTS, QUESTIONS)
    overall = summary["overall"]
    assert (overall["n"], overall["n_answerable"], overall["n_unanswerable"]) == (5, 3, 2)
    assert overall["hit@1"] == pytest.approx(1 / 3)
    assert overall["hit@3"] == pytest.approx(2 / 3)
    assert overall["mrr"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert overall["accuracy"] == pytest.approx(1 / 3)
    assert overall["f1"] == pytest.approx((2 * 0.5 * 1 / 1.5 + 0 + 0) / 3)  # "In KYOTO" vs "Kyoto"
    assert overall["speaker_accuracy"] == 1.0  # q1 and q2 have citations; q2 has one AUDIENCE citation
    assert overall["citation_precision"] == pytest.approx(2 / 3)  # q1: 1 of 1, q2: 1 of 2; q5 is unanswerable
    assert overall["citation_recall"] == pytest.approx(2 / 3)
    assert overall["abstain_unanswerable"] == 0.5
    assert overall["false_refusal"] == pytest.approx(1 / 3)
    assert overall["total_p50_ms"] == 100
    assert overall["retrieve_p95_ms"] == pytest.approx(float(__import__("numpy").percentile([25, 50, 2.5, 5, 75], 95)))
    by_type = summary["by_type"]
    assert list(by_type) == ["factoid", "number", "who", "unanswerable"]
    assert by_type["number"]["accuracy"] == 0.0 and by_type["number"]["speaker_accuracy"] is None
    assert by_type["unanswerable"]["hit@5"] is None and by_type["unanswerable"]["abstain_unanswerable"] == 0.5
    assert by_type["who"]["citation_precision"] == 0.5


def test_speaker_accuracy_fails_on_wrong_speaker():
    wrong = [result("q1", "Kyoto [1]", [], [passage("here in beautiful Kyoto", "TRACY HACKSHAW")])]
    assert m.compute(wrong, QUESTIONS)["overall"]["speaker_accuracy"] == 0.0
    accented = [result("q3", "9126 [1]", [], [passage("removed 9,126 units", "ERNESTO RODRIGUEZ HERNANDEZ")])]
    overall = m.compute(accented, QUESTIONS)["overall"]
    assert overall["speaker_accuracy"] == 1.0 and overall["accuracy"] == 1.0 and overall["citation_precision"] == 1.0


def test_unknown_question_id_is_named():
    with pytest.raises(ValueError, match="q99"):
        m.compute([result("q99", "x", [], [])], QUESTIONS)


def test_failures_are_ranked_worst_first():
    scores = m.score_all(RESULTS, QUESTIONS)
    reasons = {s.id: m.failure_reasons(s) for s in scores}
    assert reasons["q1"] == [] and reasons["q4"] == []
    assert reasons["q3"] == ["refused", "no evidence retrieved"]
    assert reasons["q5"] == ["answered an unanswerable question"]
    assert max(scores, key=m.severity).id == "q3"


# -- question set loading and docs/eval.md sections -----------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", ":2: not valid JSON"),
        ('{"id": "q9", "question": "?", "answers": "Kyoto", "speakers": [], "evidence": [], "type": "factoid"}', ":2: field 'answers' must be a list"),
        ('{"id": "q9", "question": "?", "answers": ["x"], "speakers": [], "type": "factoid"}', ":2: field 'evidence' must be a list"),
        ('{"id": "q1", "question": "?", "answers": [], "speakers": [], "evidence": [], "type": "unanswerable"}', ":2: duplicate id 'q1'"),
    ],
)
def test_bad_question_set_names_line_and_field(tmp_path, line, message):
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps(QUESTIONS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=message):
        load_questions(path)


def test_bad_question_set_is_one_line_on_the_cli(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("IGF_RAG_HOME", str(settings.home))
    path = tmp_path / "questions.jsonl"
    path.write_text("{not json\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--questions", str(path), "-g", "extractive"])
    assert result.exit_code == 2
    assert "questions.jsonl:1: not valid JSON" in result.output and "Traceback" not in result.output


def test_replace_section_keeps_other_tools_sections():
    other = "<!-- section:retrieval-ablation -->\nTheirs | 1\n<!-- /section:retrieval-ablation -->"
    document = f"# Evaluation\n\nIntro by hand.\n\n{other}\n\n<!-- section:mine -->\nold\n<!-- /section:mine -->\n\nFooter.\n"
    updated = replace_section(document, "mine", "new table")
    assert updated == document.replace("\nold\n", "\nnew table\n")
    appended = replace_section(updated, "another", "x")
    assert appended.startswith(updated.rstrip("\n")) and appended.endswith("<!-- section:another -->\nx\n<!-- /section:another -->\n")
    assert replace_section("", "mine", "x").startswith("# Evaluation\n")


def test_update_doc_rewrites_only_its_sections(tmp_path):
    doc = tmp_path / "docs" / "eval.md"
    update_doc(doc, {"a": "first"})
    doc.write_text(doc.read_text(encoding="utf-8") + "\nHand-written note.\n", encoding="utf-8")
    update_doc(doc, {"a": "second", "b": "other"})
    text = doc.read_text(encoding="utf-8")
    assert "first" not in text and "second" in text and "Hand-written note." in text
    assert text.index("section:a") < text.index("Hand-written note.") < text.index("section:b")


# -- end to end -----------------------------------------------------------------------------------------
def test_eval_cli_end_to_end(settings, pipeline, tmp_path, monkeypatch):
    monkeypatch.setenv("IGF_RAG_HOME", str(settings.home))
    out = tmp_path / "eval-out"
    result = CliRunner().invoke(app, ["eval", "-g", "extractive", "--limit", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("results.jsonl", "metrics.json", "report.md", "report.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    questions = load_questions(DEFAULT_QUESTIONS)[:4]
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [q["id"] for q in questions]
    for record, question in zip(records, questions):
        expected = {"id": question["id"], **pipeline.ask(question["question"], generator="extractive").to_dict()}
        assert set(record) == set(expected)
        for key in ("timings_ms",):
            assert set(record[key]) == set(expected[key])
            record.pop(key), expected.pop(key)
        assert record == expected
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["generator"] == "extractive" and metrics["overall"]["n"] == 4
    assert set(metrics["by_type"]) == {q["type"] for q in questions}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Retrieval by question type" in report and "## Worst failures" in report
    assert "hit@5" in result.output  # the summary table


def test_extractive_regression_floor(pipeline):
    """The whole question set through the extractive generator: retrieval, answers, citations and abstention must
    not regress."""
    questions = load_questions(DEFAULT_QUESTIONS)
    results = run_eval(pipeline, questions, generator="extractive")
    grounding = m.ground(questions, pipeline.index.turns, pipeline.index.chunks)
    overall = m.compute(results, questions, grounding)["overall"]
    assert overall["n"] == len(questions)
    assert overall["hit@5"] >= MEASURED_HIT5 - MARGIN, overall
    assert overall["citation_precision"] >= MEASURED_CITATION_P - MARGIN, overall
    assert overall["accuracy"] >= MEASURED_ACCURACY - MARGIN, overall
    assert overall["accuracy_shown"] >= MEASURED_ACCURACY_SHOWN - MARGIN, overall
    assert overall["abstain_unanswerable"] >= MEASURED_ABSTAIN - 2 * MARGIN, overall  # 22 questions: one is 0.045
    assert overall["false_refusal"] <= MEASURED_FALSE_REFUSAL + MARGIN, overall
