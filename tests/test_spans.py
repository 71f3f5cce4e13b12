"""Typed candidate spans (rag/spans.py) in sentences of the bundled and development transcripts: what quantulum3,
dateparser and the ISO names find, and what the answer type of a question takes."""

from __future__ import annotations

import pytest

from rag import spans as sp


def kinds(sentence: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in sp.spans_in(sentence)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("In fact, something like 20% of all of the websites in the world pass through our network on a daily basis.", ("share", "20%")),
        ("The plan costs 250 U.S. dollars a month for a 100 megabit per second shared link.", ("price", "250 U.S. dollars a month")),
        ("Households pay 500 shillings a month, that is about 3.90 dollars.", ("price", "500 shillings a month")),
        ("Currently we have around 38 million U.S. dollars in the fund.", ("money", "38 million")),
        ("It was a team of five researchers, and the audit took 14 months.", ("duration", "14 months")),
        ("It was a team of five researchers, and the audit took 14 months.", ("count", "five")),
        ("In 2019 a ship's anchor cut the same cable.", ("year", "2019")),
        ("It closed on 14 March, and we presented the first results in Kigali.", ("date", "14 March")),
        ("The proposal is a three‑year moratorium on facial recognition.", ("duration", "three‑year")),
        ("It runs 827 kilometres to Fiji.", ("measure", "827 kilometres")),
        ("It runs 827 kilometres to Fiji.", ("place", "Fiji")),
        ("Thirteen countries were affected.", ("count", "Thirteen")),
        ("UN reports show that one in five girls have been exploited.", ("share", "one in five")),
        # A spelled number joined by a caption's U+2011 hyphen is one number, and keeps the caption's spelling.
        ("Thirty\u2011eight days until the cable was repaired on the 22nd of February.", ("duration", "Thirty\u2011eight days")),
        ("We have twenty\u2011three member authorities.", ("count", "twenty\u2011three")),
        # A range of years is a time, not a count of anything.
        ("Between 2023 and 2025, our lab has been following 64 community networks.", ("year", "Between 2023 and 2025")),
    ],
)
def test_spans_of_each_kind(sentence, expected):
    assert expected in kinds(sentence)


def test_a_name_after_to_is_a_place_unless_it_is_thanked_or_given_the_floor():
    assert ("place", "Mombasa") in kinds("The ship went to Mombasa for repairs.")
    assert ("person", "Omar and Nadia") in kinds("Thank you to Linda, our captioner, thank you to Omar and Nadia, our interpreters.")
    assert not [k for k in kinds("Thank you to Linda, our captioner.") if k[0] == "place"]
    assert ("person", "Rahul Menon") in kinds("I give the floor to Rahul Menon.")


def test_an_ordinary_word_is_not_a_currency():
    # "risk, 87 percent": "isk" is the Icelandic krona's code, but only written in capitals is a code a currency.
    assert kinds("Of the cases flagged as high risk, 87 percent turned out to have no fraud at all.") == [("share", "87 percent")]


def test_a_rate_per_period_is_a_price_and_a_period_alone_is_no_duration():
    assert ("duration", "a year") not in kinds("We estimate about 180,000 euros a year to run it properly.")
    assert ("price", "180,000 euros a year") in kinds("We estimate about 180,000 euros a year to run it properly.")


def test_an_answer_type_takes_its_kinds_and_those_that_stand_in():
    spans = sp.spans_in("It was launched in March 2024, and 20% of the sites use it, at 50 dollars a month.")
    assert [s.kind for s in sp.of_kind(spans, "date")] == ["date"]
    assert {s.kind for s in sp.of_kind(spans, "money")} == {"price"}
    assert {s.kind for s in sp.of_kind(spans, "quantity")} == {"share", "price"}
    assert sp.of_kind(spans, None) == []
    # A length asked for ("how long is the cable") takes a duration when no length is found; a duration never a length.
    spans = sp.spans_in("It runs 827 kilometres to Fiji and was repaired in 38 days.")
    assert [s.kind for s in sp.of_kind(spans, "measure")] == ["measure", "duration"]
    assert [s.kind for s in sp.of_kind(spans, "duration")] == ["duration"]


def test_quantulum_runs_without_its_pickled_classifier():
    import quantulum3.classifier

    sp.spans_in("It cost 5 dollars.")
    assert quantulum3.classifier.USE_CLF is False


def test_a_sentence_without_numbers_is_not_parsed_for_quantities(monkeypatch):
    monkeypatch.setattr(sp, "_quantities", lambda sentence: pytest.fail("parsed a sentence with no number"))
    sp.spans_in.cache_clear()
    assert kinds("Thank you very much, Olga.") == [] or all(kind in sp.NAMES for kind, _ in kinds("Thank you very much, Olga."))


@pytest.mark.parametrize(
    ("sentence", "count", "counted", "other"),
    [
        ("The numbers we leave with are 2,300 families, 87 percent of flags with no fraud.", "2,300", "flags", True),
        ("Our lab has been following 64 community networks in 19 countries.", "64", "networks", False),
        ("On the continent, 39 of the 55 African Union member states now have a law.", "55", "states", False),
        ("I think north of 80 have signed.", "80", "countries", False),  # names nothing: the words around decide
        # What it counts ends at the first plural: the verb after it ("report") is not what is counted.
        ("About 80% of children in 25 countries report feeling at risk.", "25", "reports", True),
    ],
)
def test_a_count_that_names_what_it_counts(sentence, count, counted, other):
    from index.text import stem
    from rag.evidence import counts_something_else

    span = next(s for s in sp.spans_in(sentence) if s.text == count)
    assert counts_something_else(sentence, span, frozenset({stem(counted)})) is other



@pytest.mark.parametrize(
    ("sentence", "noun", "lists"),
    [
        ("It's based on ethical principles, the respect for the child, shared responsibility, and inclusivity.", "principles", True),
        ("We have 200 members and partners, countries, civil society industry, academia.", "partners", True),
        ("Our principles matter, and we created a charter, a website, and a podcast.", "principles", False),  # not right after it
    ],
)
def test_a_sentence_listing_the_asked_things_after_their_noun(sentence, noun, lists):
    from index.text import stem
    from rag.evidence import lists_after_noun

    assert lists_after_noun(sentence, stem(noun)) is lists


def test_a_time_said_relative_to_an_event_answers_when():
    from rag.evidence import answer_spans
    from rag.query import analyze

    query = analyze("When does the agency delete biometric templates?", None)
    found = answer_spans("And we now delete biometric templates five years after a case is closed.", query)
    assert [s.text for s in found] == ["five years"]
    assert not answer_spans("The pilot will run for five years.", query)  # a length of time, not when
