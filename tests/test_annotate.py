"""Turn annotations derived at ingest (index/annotate.py) on the development transcripts and the bundled one: relayed
questions and who asked them, audience questions, corrections and the value they put right, stances; stored with
the index and derived again when the rules change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.annotate import AGAINST, ASKED, CONDITIONAL, CORRECTION, FOR, NEUTRAL, RELAYED, STANCE, annotate, rules_version
from index.parse import parse_file

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS = ROOT / "eval" / "transcripts"


@pytest.fixture(scope="module")
def parsed():
    files = sorted(TRANSCRIPTS.iterdir()) + sorted((ROOT / "seeds").iterdir())
    return {f.stem: parse_file(f) for f in files if f.suffix in (".txt", ".vtt")}


def annotations(parsed, stem, kind):
    transcript = parsed[stem]
    return transcript, [a for a in annotate(transcript.turns) if a.kind == kind]


def text_of(transcript, annotation):
    return transcript.text[annotation.start : annotation.end]


def test_a_relayed_question_belongs_to_the_remote_participant_not_the_reader(parsed):
    transcript, relayed = annotations(parsed, "igf2025-ws-community-networks-financing", RELAYED)
    askers = {(a.who, a.place) for a in relayed}
    assert {("Lucía Benítez", "Asunción"), ("Tendai Moyo", "Harare"), ("Olena Kovalenko", "Lviv"), ("Ibrahim Sesay", "Freetown")} <= askers
    # The question read out goes on past the reader's "He asks whether ...": it is part of the annotation.
    ibrahim = next(a for a in relayed if a.who == "Ibrahim Sesay")
    assert "lend in local currency" in text_of(transcript, ibrahim)
    reader = {transcript.turns[a.turn_no - 1].speaker for a in relayed}
    assert reader == {"RAHUL MEHTA"}


def test_a_relayed_question_introduced_as_the_first_one(parsed):
    # "The first one is from Aisha Bello in Kano, Nigeria; she asks whether ...": no "question from" in the sentence.
    transcript, relayed = annotations(parsed, "igf2024-dc-accessibility-ai-tools", RELAYED)
    aisha = [a for a in relayed if (a.who, a.place) == ("Aisha Bello", "Kano")]
    assert aisha and "Nigerian Sign Language" in text_of(transcript, aisha[0])


def test_a_relayed_question_announced_in_one_sentence_and_asked_in_the_next(parsed):
    # "The first is from Joseph Odhiambo in Kampala. He asks whether ...", "And the second is from Aiko Tanaka in Osaka.
    # She asks how ..."
    transcript, relayed = annotations(parsed, "igf2025-of-cross-border-data", RELAYED)
    askers = {(a.who, a.place): a for a in relayed}
    assert "membership fee" in text_of(transcript, askers[("Joseph Odhiambo", "Kampala")])
    assert "Global CBPR Forum" in text_of(transcript, askers[("Aiko Tanaka", "Osaka")])


def test_pronouns_and_countries_are_not_askers(parsed):
    for stem in parsed:
        for annotation in annotations(parsed, stem, RELAYED)[1]:
            assert annotation.who not in ("He", "She", "They", "Germany"), (stem, annotation)


def test_audience_members_are_askers_with_the_name_and_place_they_give(parsed):
    _, asked = annotations(parsed, "igf2025-ws-community-networks-financing", ASKED)
    assert ("Kofi Mensah", "Tamale") in {(a.who, a.place) for a in asked}
    assert any(a.who is None and a.place == "Indonesia" for a in asked)  # gave only a country
    _, asked = annotations(parsed, "igf2025-of-cross-border-data", ASKED)
    assert "Rudo Chikore" in {a.who for a in asked}  # "I'm Rudo Chikore, I'm a lawyer with ..."


@pytest.mark.parametrize(
    ("stem", "value", "replaces"),
    [
        ("igf2025-town-hall-algorithms-in-public-services", "2,300", "3,200"),  # "It was 2,300 families, not 3,200."
        ("igf2025-of-cross-border-data", "2021", "2019"),  # "Actually the network was founded in 2021, not 2019."
        ("igf2025-of-cross-border-data", "2.5 million", "3 million"),  # "I said ... 3 million pesos. ... It was 2.5 million"
        ("igf2025-high-level-panel-subsea-cables", "14", "40"),  # "I said there are 40 repair ships ... It's 14."
        ("igf2025-ws-community-networks-financing", "0.5 percent", "1 percent"),  # "is not 1 percent, it's 0.5 percent"
        ("igf2025-ws-community-networks-financing", "14 million", "40"),  # "a 40 million ‑‑ sorry, I said 40, it's 14 million"
        ("igf2024-dc-accessibility-ai-tools", "2023", "2022"),  # "I think I said 2022 earlier.  The survey was in 2023."
    ],
)
def test_a_correction_states_the_right_value_and_the_one_it_replaces(parsed, stem, value, replaces):
    _, corrections = annotations(parsed, stem, CORRECTION)
    assert (value, replaces) in {(a.value, a.replaces) for a in corrections}


def test_ordinary_contrasts_are_not_corrections(parsed):
    _, corrections = annotations(parsed, "igf2023-day2-main-session-2-cybersecurity-trust-online-safety", CORRECTION)
    assert corrections == []


@pytest.mark.parametrize(
    ("stem", "speaker", "polarity", "words"),
    [
        ("igf2025-ws-community-networks-financing", "MOSES BANDA", FOR, "I support the 1 percent levy"),
        ("igf2025-ws-community-networks-financing", "ANANYA RAO", AGAINST, "I'm against the OTT levy"),
        ("igf2025-high-level-panel-subsea-cables", "RIZAL HAKIM", AGAINST, "unworkable"),
        ("igf2025-town-hall-algorithms-in-public-services", "SAMIR HADDAD", AGAINST, "not in favour of a blanket moratorium"),
        ("igf2024-dc-accessibility-ai-tools", "LEILA HADDAD", AGAINST, "against avatars replacing human interpreters"),
        # Support with a condition after it, and declining to take a side.
        ("igf2025-of-cross-border-data", "YUSUF ADEYEMI", CONDITIONAL, "I would support the model clauses, but with a review clause"),
        ("igf2025-of-cross-border-data", "SANJAY KULKARNI", CONDITIONAL, "with one condition"),
        ("igf2025-high-level-panel-subsea-cables", "ANA VELASCO", NEUTRAL, "ITU does not take a position on it"),
        ("igf2025-town-hall-algorithms-in-public-services", "MARGIT LINDQVIST", NEUTRAL, "not mine to make"),
        # Said of the proposal, with no verb of opposing.
        ("igf2025-town-hall-algorithms-in-public-services", "AUDIENCE", AGAINST, "a moratorium is irresponsible"),
        # A government's support, said by its minister.
        ("igf2024-dc-accessibility-ai-tools", "MARICEL DELA CRUZ", FOR, "The Philippines will support the coalition's proposal"),
    ],
)
def test_stances_say_who_is_for_and_who_against(parsed, stem, speaker, polarity, words):
    transcript, stances = annotations(parsed, stem, STANCE)
    found = [a for a in stances if transcript.turns[a.turn_no - 1].speaker == speaker and words in text_of(transcript, a)]
    assert found and all(a.value == polarity for a in found)


def test_a_negated_reason_is_no_stance(parsed):
    transcript, stances = annotations(parsed, "igf2025-ws-community-networks-financing", STANCE)
    assert not any("Not because we are against them" in text_of(transcript, a) for a in stances)


def test_annotations_are_stored_with_the_index_and_derived_again_when_the_rules_change(settings, pipeline):
    from index.store import ANNOTATIONS, current_generation, load_index

    generation = current_generation(settings.index_dir)
    stored = [json.loads(line) for line in (generation / ANNOTATIONS).read_text(encoding="utf-8").splitlines()]
    assert {a["kind"] for a in stored} >= {RELAYED, ASKED}
    assert json.loads((generation / "manifest.json").read_text())["annotation_rules"] == rules_version()
    index = load_index(settings)
    assert [a.to_dict() for a in index.annotations] == stored
    # An index written by other rules is annotated again when it is loaded; its files are left as they are.
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest_path = generation / "manifest.json"
    original = manifest_path.read_bytes()
    try:
        manifest["annotation_rules"] = "older"
        manifest_path.write_text(json.dumps(manifest))
        again = load_index(settings, verify=False)
        assert [a.to_dict() for a in again.annotations] == stored
    finally:
        manifest_path.write_bytes(original)
