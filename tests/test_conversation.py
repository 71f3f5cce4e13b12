"""Follow-up questions in a conversation (rag/conversation.py) on the real transcript: each kind of reference is
resolved to the stand-alone question answered, a question that stands on its own is left alone, and the CLI, the
API and the terminal chat carry the conversation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.conversation import resolve, split_question


def converse(pipeline, *questions):
    history, answers = [], []
    for question in questions:
        answer = pipeline.ask(question, generator="extractive", history=history)
        answers.append(answer)
        history.append(answer.to_dict())
    return answers


def test_he_is_the_speaker_the_last_question_was_about(pipeline):
    first, follow_up = converse(pipeline, "What did the Cuban deputy minister say about offensive cyberweapons?", "And does he think voluntary norms are enough?")
    assert first.resolved_question == first.question
    assert follow_up.resolved_question == "Does Ernesto Rodriguez Hernández think voluntary norms are enough?"
    assert follow_up.citations[0].passage.chunk.speaker == "ERNESTO RODRIGUEZ HERNANDEZ"


def test_she_skips_a_person_the_transcript_calls_he(pipeline):
    *_, follow_up = converse(pipeline, "Who co-moderated the session together with Olga Cavalli?", "What did she say about the role of the media?")
    assert "Olga Cavalli" in follow_up.resolved_question and "Tracy" not in follow_up.resolved_question


def test_what_about_carries_the_question_over_to_another_speaker(pipeline):
    # (Katitza Rodriguez never speaks of resources: asked about them, the right answer is "not covered".)
    _, follow_up = converse(pipeline, "What did Folake Olagunju say about human rights?", "What about the EFF speaker?")
    assert follow_up.resolved_question == "What did the EFF speaker say about human rights?"
    assert follow_up.citations and follow_up.citations[0].passage.chunk.speaker == "KATITZA RODRIGUEZ"


def test_it_is_the_thing_the_last_exchange_named(pipeline):
    _, follow_up = converse(pipeline, "Roughly what share of the world's websites pass through Cloudflare's network every day?",
                            "And in how many countries does it have equipment?")
    assert "Cloudflare" in follow_up.resolved_question
    assert "100 countries" in follow_up.answer


def test_a_short_follow_up_is_read_with_the_last_question(pipeline):
    _, follow_up = converse(pipeline, "How many member states does ECOWAS comprise?", "And its budget?")
    assert follow_up.resolved_question == "ECOWAS's budget — following: How many member states does ECOWAS comprise?"


def test_they_are_the_things_a_question_about_things_named(pipeline):
    _, follow_up = converse(pipeline, "How many member states does ECOWAS comprise?", "How many of them are classified as least developed?")
    # "them" are the things the last question counted, of the thing it named.
    assert "ECOWAS's member states" in follow_up.resolved_question
    assert "11" in follow_up.answer


def test_a_question_on_a_new_subject_is_not_dragged_back(pipeline):
    _, switch = converse(pipeline, "What did the Cuban deputy minister say about offensive cyberweapons?",
                         "Roughly what share of the world's websites pass through Cloudflare's network every day?")
    assert switch.resolved_question == switch.question
    _, named = converse(pipeline, "What did Folake Olagunju say about resources?", "What did Christopher Painter say about capacity building?")
    assert named.resolved_question == named.question


def test_a_question_without_history_is_left_alone():
    assert resolve("And does he agree?", []).question == "And does he agree?"
    assert resolve("And does he agree?", []).changed is False


def test_the_conversation_stays_in_its_session(corpus_pipeline):
    first, follow_up = converse(corpus_pipeline, "What is Moses Banda's position on a 1 percent levy on over-the-top platforms?", "Who argued against it?")
    session = first.citations[0].passage.chunk.session_id
    assert {p.chunk.session_id for p in follow_up.retrieved} == {session}


def test_bad_history_is_refused_with_a_message(pipeline):
    from rag.pipeline import QuestionError

    with pytest.raises(QuestionError, match="history item 1"):
        pipeline.ask("And does he agree?", history=[{"answer": "no question"}])
    with pytest.raises(QuestionError, match="must be a list"):
        pipeline.ask("And does he agree?", history="not a list")


def test_ask_takes_the_history_from_a_file(settings, tmp_path):
    env = {"IGF_RAG_HOME": str(settings.home), "IGF_RAG_GENERATOR": "extractive", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "What did Folake Olagunju say about resources?", "--json"],
                           capture_output=True, text=True, env=env, timeout=300, check=True)
    history = tmp_path / "history.json"
    history.write_text(json.dumps([json.loads(first.stdout)]), encoding="utf-8")
    follow_up = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "What about the EFF speaker?", "--history", str(history), "--json"],
                               capture_output=True, text=True, env=env, timeout=300, check=True)
    record = json.loads(follow_up.stdout)
    assert record["question"] == "What about the EFF speaker?"
    assert record["resolved_question"] == "What did the EFF speaker say about resources?"
    history.write_text("[{", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "And?", "--history", str(history)], capture_output=True, text=True, env=env, timeout=300)
    assert broken.returncode == 2 and "history.json:1:" in broken.stderr and "not valid JSON" in broken.stderr


def test_the_terminal_chat_keeps_the_conversation(settings):
    env = {"IGF_RAG_HOME": str(settings.home), "IGF_RAG_GENERATOR": "extractive", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    script = "What did Folake Olagunju say about resources?\nWhat about the EFF speaker?\n/sources 1\n/reset\nAnd does he agree?\n/quit\n"
    run = subprocess.run([sys.executable, "-m", "rag.cli", "chat"], input=script, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Answered as: What did the EFF speaker say about resources?" in run.stdout
    assert "Katitza Rodriguez" in run.stdout and "[1]" in run.stdout
    # After /reset there is nobody for "he" to be: the question is answered as it is, not as a follow-up.
    assert run.stdout.count("Answered as:") == 1


def test_their_with_a_plural_of_its_own_stays_in_the_question(pipeline):
    # "their" follows "member states" in the question itself: the question stands alone and is not read with the last.
    _, follow_up = converse(pipeline, "What did Folake Olagunju say about resources?", "Do member states have the capacity to protect their networks?")
    assert follow_up.resolved_question == follow_up.question


def test_their_without_a_plural_of_its_own_still_refers_back(pipeline):
    _, follow_up = converse(pipeline, "What did Folake Olagunju say about resources?", "And what are their priorities?")
    assert follow_up.resolved_question != follow_up.question


def test_the_it_of_how_long_does_it_take_stands_for_nothing():
    from rag.conversation import _THING

    assert _THING.search("How long does it take to ratify the convention?") is None
    assert _THING.search("How much does it cost?") is not None


def test_she_is_the_person_a_who_answer_named_though_she_never_spoke(corpus_pipeline):
    # Aisha Bello's question was read out by the remote moderator: "she" is Aisha, not the reader.
    first, follow_up = converse(corpus_pipeline, "Who asked whether the avatar pilot would cover Nigerian Sign Language?", "What answer did she get?")
    assert first.answer.startswith("Aisha Bello")
    assert "Aisha Bello" in follow_up.resolved_question


def test_it_is_the_name_of_the_kind_the_last_question_asked_for(corpus_pipeline):
    # "Which body ...?" answered with a sentence naming the ITU first, then the body: "it" is the body.
    _, follow_up = converse(corpus_pipeline, "Which body does Ana Velasco head the secretariat of?", "When was it set up?")
    assert "International Advisory Body" in follow_up.resolved_question


def test_a_new_question_with_its_own_subject_is_not_read_with_the_last(corpus_pipeline):
    _, follow_up = converse(corpus_pipeline, "Who asked whether the avatar pilot would cover Nigerian Sign Language?",
                            "How many government websites did the Philippines check in its accessibility audit?")
    assert follow_up.resolved_question == follow_up.question


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("How many complaints were filed in the QuickPesa case, and how long did the evidence exchange take?",
         ["How many complaints were filed in the QuickPesa case?", "How long did the evidence exchange take?"]),
        ("Which organisation does Leila chair, and in which city is it based?", ["Which organisation does Leila chair?", "In which city is it based?"]),
        # One question: "and" joins two things asked about, or a bare "why".
        ("Which countries and organisations signed the Malabo Convention?", None),
        ("Who did Olga thank and why?", None),
        ("What did the ECOWAS speaker say about resources?", None),
        ("What is the difference between the EU clauses and what the network drafted?", None),
    ],
)
def test_a_two_part_question_is_split_into_its_questions(question, parts):
    assert split_question(question) == (parts or [question])


def test_a_two_part_question_answers_both_parts_each_with_its_citation(corpus_pipeline):
    answer = corpus_pipeline.ask("How many complaints were filed in the QuickPesa case, and how long did the evidence exchange take?", generator="extractive")
    assert "3,800" in answer.answer and "11 weeks" in answer.answer
    assert [c.n for c in answer.citations] == [1, 2] and "[1]" in answer.answer.splitlines()[0] and "[2]" in answer.answer.splitlines()[1]
    # The second part is a follow-up of the first: "he" is the person the first part's answer names.
    answer = corpus_pipeline.ask("Who took issue with the chair's list of membership criteria, and which criterion did he say was missing?", generator="extractive")
    assert answer.answer.startswith("Yusuf Adeyemi") and "Which criterion did Yusuf Adeyemi say" in answer.resolved_question



def test_a_why_part_already_answered_by_the_first_parts_reason_adds_nothing(corpus_pipeline):
    # "Power is maybe 15 percent, because we are mostly solar" answers both parts; asked on its own, "why is it so low?"
    # found a sentence that says nothing ("(Laughter) So, Tunza Mesh.").
    answer = corpus_pipeline.ask("About what share of Tunza Mesh's costs goes on power, and why is it that low?", generator="extractive")
    assert "15 percent" in answer.answer and "because" in answer.answer, answer.answer
    assert len(answer.citations) == 1 and len(answer.answer.splitlines()) == 1, answer.answer


def test_a_follow_up_read_with_the_question_before_is_not_held_to_that_questions_speakers(corpus_pipeline):
    # Newcomer trial: "How many of the e-wallet pilots Leila looked at ...?" then "And what did Owen say about them?".
    # "them" are the things counted, not Leila; the follow-up's answer is Owen's and need not name Leila; and the
    # words of the earlier question were said in the answer before, not necessarily by Owen.
    from rag.conversation import exchange_of
    from rag.query import FOLLOWING

    directory = corpus_pipeline.speakers
    record = {"question": "How many of the 27 platforms did Adaeze Okoro's audit find failing?", "answer": "Adaeze Okoro: 17 out of the 27 [1]", "citations": []}
    assert not exchange_of(record, directory).about_person
    query = corpus_pipeline.retriever.analyze(f"What did Daniel Krause say about them{FOLLOWING}{record['question']}")
    assert [t.key for t in query.targets] == ["DANIEL KRAUSE"]
    assert "Adaeze Okoro" not in query.names and "following" not in query.focus and "platforms" in query.earlier_words
