"""The grounding check (rag.cite.check_grounding) and citation attachment (rag.cite.cite), on sentences of the real
transcript: every number, every name and most content words of a claim must be in the text it cites."""

from __future__ import annotations

import pytest

from index.text import names_in, numbers_in
from rag.cite import check_grounding, cite

HUB = (
    "We are having a Conference in Ghana bringing the development and cyber community together but we have a hub with "
    "the OAS in the Latin American, Caribbean and North American region we have something in ASEAN, we launched a Pacific hub."
)
CLOUDFLARE = "CloudFlare is a global cybersecurity company with equipment and operations in more than 100 countries."
SESSIONS = (
    "Over six negotiation sessions and a lot of controversy about this treaty even at the basic level of defining what "
    "cybercrime is and how can law enforcement and evidence guidance assistance should work."
)
HASH = "In 2022, 9,126 units of content were removed."
CO_MODERATOR = "Here with me is my dear friend Tracy Hackshaw."


@pytest.fixture(scope="module")
def transcript(seed_path) -> str:
    return seed_path.read_text(encoding="utf-8")


def test_the_test_sentences_are_the_transcripts(transcript):
    for sentence in (HUB, CLOUDFLARE, SESSIONS, CO_MODERATOR):
        assert sentence in transcript
    assert "9,126 units of content were removed" in transcript


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Over six negotiation sessions", {"6"}),
        ("in more than 100 countries", {"100"}),
        ("In 2022, 9,126 units of content", {"2022", "9126"}),
        ("children in twenty-five countries", {"25"}),
        ("two hundred members", {"200"}),
        ("one in five girls and one in thirteen boys", {"5", "13"}),
        ("something like 20% of all of the websites", {"20"}),
        ("between 0.66 and 5.4% increase", {"0.66", "5.4"}),
        ("The one thing as I wrap up", set()),  # "one" alone is a pronoun, not a count
    ],
)
def test_numbers_are_read_in_digits_and_words(text, expected):
    assert numbers_in(text) == expected


def test_names_are_capitalised_runs_not_sentence_openers():
    names = names_in("Then Olga Cavalli thanked the Global Forum on Cyber Expertise. Kyoto was warm. We met the OAS.")
    assert "Olga Cavalli" in names
    assert "Global Forum on Cyber Expertise" in names
    assert "OAS" in names
    assert "Then" not in names and "Kyoto" not in names  # a capitalised sentence opener alone is not a name


@pytest.mark.parametrize(
    "claim, evidence",
    [
        ("a Pacific hub was launched", HUB),  # paraphrase with the same key facts
        ("20%", "In fact, something like 20% of all of the websites in the world pass through our network on a daily basis."),
        ("a hub with the OAS", HUB),
        ("operations in more than 100 countries", CLOUDFLARE),
        ("one hundred countries", CLOUDFLARE),  # a number written in words matches its digits
        ("6 negotiation sessions", SESSIONS),
        ("9126 units of content were removed in 2022", HASH),
        ("Tracy Hackshaw", CO_MODERATOR),
    ],
)
def test_supported_claims_pass(claim, evidence):
    grounding = check_grounding(claim, evidence)
    assert grounding.supported, grounding.reason
    assert grounding.missing == ()


@pytest.mark.parametrize(
    "claim, evidence, missing",
    [
        ("operations in more than 200 countries", CLOUDFLARE, "200"),  # a wrong number
        ("seven negotiation sessions", SESSIONS, "7"),
        ("Cloudflare, founded in 2009, operates in 100 countries", CLOUDFLARE, "2009"),  # invented padding
        ("Olga Cavalli", CO_MODERATOR, "Olga Cavalli"),  # the wrong person
        ("the GFC launched an African hub with the African Union", HUB, "African Union"),
        ("the GFC launched a Pacific hub", HUB, "GFC"),  # the sentence says "we": the name is not in it
    ],
)
def test_claims_with_facts_not_in_the_evidence_fail_and_name_them(claim, evidence, missing):
    grounding = check_grounding(claim, evidence)
    assert not grounding.supported
    assert missing in grounding.missing
    assert missing in grounding.reason


def test_a_claim_of_mostly_new_words_fails_on_coverage():
    claim = "the alliance organises summer camps and sports tournaments for teenagers"
    grounding = check_grounding(claim, HUB)
    assert not grounding.supported
    assert grounding.coverage < 0.5
    assert "words" in grounding.reason


def test_an_empty_claim_is_not_supported():
    assert not check_grounding("", HUB).supported
    assert not check_grounding("[1]", HUB).supported


def test_citation_markers_in_the_claim_are_ignored():
    assert check_grounding("more than 100 countries [1]", CLOUDFLARE).supported


def test_cite_numbers_the_supporting_passages(pipeline):
    passages = pipeline.retriever.search("In how many countries does Cloudflare have equipment and operations?", k=10)
    cited = cite("Cloudflare has equipment and operations in more than 100 countries.", passages)
    assert cited.supported
    assert cited.citations and cited.citations[0].n == 1
    assert "[1]" in cited.text
    assert "100 countries" in cited.citations[0].passage.chunk.text
    assert cited.citations[0].quote in cited.citations[0].passage.chunk.text


def test_cite_marks_an_unsupported_answer(pipeline):
    passages = pipeline.retriever.search("What is Cloudflare's annual revenue?", k=10)
    cited = cite("Quarterly revenue grew to nine hundred million dollars on subscriptions.", passages)
    assert not cited.supported


def test_a_name_the_question_uses_may_be_repeated_but_not_a_number_or_a_new_name():
    evidence = "We are having a Conference in Ghana, we have a hub with the OAS, we launched a Pacific hub."
    question = "Where did the GFC launch a Pacific hub?"
    assert not check_grounding("The GFC launched a Pacific hub.", evidence).supported
    assert check_grounding("The GFC launched a Pacific hub.", evidence, given=question).supported
    assert not check_grounding("The GFC launched a Pacific hub in 2017.", evidence, given=question).supported
    assert not check_grounding("The GFC launched a Pacific hub with the World Bank.", evidence, given=question).supported
