"""The running chat server's API: scripts ask through gradio_client and get the `ask --json` object."""

from __future__ import annotations

from concurrent.futures import wait

import pytest

pytestmark = pytest.mark.slow

GFC_HUB = "Where did the GFC launch a Pacific hub?"


@pytest.fixture(scope="module")
def client(ui_server):
    from gradio_client import Client

    return Client(ui_server, verbose=False)


def test_the_api_lists_exactly_the_ask_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]
    names = [p["parameter_name"] for p in endpoints["/ask"]["parameters"]]
    assert names[:3] == ["question", "speaker", "k"]


def test_ask_answers_with_cited_speaker(client):
    result = client.predict(GFC_HUB, api_name="/ask")
    assert result["abstained"] is False
    assert "[1]" in result["answer"]
    painter = [c for c in result["citations"] if c["speaker"] == "Christopher Painter"]
    assert painter, result["citations"]
    assert painter[0]["speaker_key"] == "CHRISTOPHER PAINTER"
    assert "Pacific hub" in painter[0]["text"]
    assert painter[0]["quote"] in painter[0]["text"]
    assert painter[0]["session_title"].startswith("IGF 2023")
    assert set(result["timings_ms"]) >= {"retrieve", "generate", "total"}


def test_ask_returns_the_same_object_as_the_pipeline(client, pipeline):
    served = client.predict(GFC_HUB, None, 5, api_name="/ask")
    local = pipeline.ask(GFC_HUB, k=5, generator="extractive").to_dict()
    assert served.keys() == local.keys()
    for key in ("question", "answer", "abstained", "generator", "answer_source"):
        assert served[key] == local[key], key
    assert [c["chunk_id"] for c in served["citations"]] == [c["chunk_id"] for c in local["citations"]]
    assert [p["chunk_id"] for p in served["retrieved"]] == [p["chunk_id"] for p in local["retrieved"]]


def test_speaker_filter_and_k(client):
    result = client.predict("What did she say about capacity building?", "Folake Olagunju", 3, api_name="/ask")
    assert result["retrieved"], result
    assert {p["speaker"] for p in result["retrieved"]} == {"Folake Olagunju"}
    assert all(c["speaker"] == "Folake Olagunju" for c in result["citations"])


def test_question_outside_the_transcript_abstains_with_closest_passages(client):
    result = client.predict("What is the recipe for a chocolate cake?", api_name="/ask")
    assert result["abstained"] is True
    assert result["citations"] == []
    assert result["retrieved"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "the question is empty"),
        (("Who spoke?", "Nobody Atall"), "no speaker matches 'Nobody Atall'"),
        (("Who spoke?", None, 0), "k must be between 1 and"),
        (("x" * 600,), "the limit is 500"),
    ],
)
def test_bad_input_is_a_clear_error(client, args, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/ask")


def test_parallel_requests_are_served_in_turn(client):
    questions = [GFC_HUB, "Who brought up the Budapest Convention?", "What share of websites pass through Cloudflare's network?"]
    jobs = [client.submit(q, api_name="/ask") for q in questions]
    done, _ = wait([job.future for job in jobs], timeout=300)
    assert len(done) == len(jobs)
    results = [job.result() for job in jobs]
    assert [r["question"] for r in results] == questions
    assert all(not r["abstained"] and r["citations"] for r in results)
    assert any("20%" in r["answer"] for r in results)


def test_ask_takes_the_conversation_so_far(client):
    first = client.predict("What did Folake Olagunju say about resources?", api_name="/ask")
    follow_up = client.predict("What about the EFF speaker?", None, None, None, [first], api_name="/ask")
    assert follow_up["question"] == "What about the EFF speaker?"
    assert follow_up["resolved_question"] == "What did the EFF speaker say about resources?"
    alone = client.predict("What about the EFF speaker?", api_name="/ask")
    assert alone["resolved_question"] == alone["question"]


def test_a_history_that_is_not_a_list_is_a_clear_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="history must be a list"):
        client.predict("And she?", None, None, None, "not a list", api_name="/ask")
