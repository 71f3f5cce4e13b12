"""Parsing the real IGF transcript: speakers, merged spellings, the unnamed turn, audience members, offsets."""

from __future__ import annotations

from collections import Counter

import pytest

from index.parse import TranscriptError, parse_file, parse_text
from index.text import fold


@pytest.fixture(scope="module")
def transcript(seed_path):
    return parse_file(seed_path)


def test_title_and_speaker_counts(transcript):
    assert transcript.session.title == "IGF 2023 – Day 2 – MAIN SESSION 2 Cybersecurity, Trust & Online Safety"
    counts = Counter(t.speaker for t in transcript.turns)
    raw_headers = transcript.text.count("\n>> ")
    assert sum(counts.values()) == raw_headers == 86
    assert counts["OLGA CAVALLI"] == 28
    assert counts["TRACY HACKSHAW"] == 20
    assert counts["CHRISTOPHER PAINTER"] == 8
    assert counts["AUDIENCE"] == 7
    assert len(counts) == 11


def test_accented_and_plain_spellings_are_one_speaker(transcript):
    ernesto = [t for t in transcript.turns if "ERNESTO" in t.speaker]
    assert len(ernesto) == 3
    assert {t.speaker for t in ernesto} == {"ERNESTO RODRIGUEZ HERNANDEZ"}
    assert {t.speaker_name for t in ernesto} == {"Ernesto Rodriguez Hernández"}


def test_unnamed_turn_is_kept_as_unknown(transcript):
    unknown = [t for t in transcript.turns if t.speaker == "UNKNOWN"]
    assert len(unknown) == 1
    assert unknown[0].text.startswith("I think from the industry standpoint")
    previous = transcript.turns[unknown[0].turn_no - 2]
    assert "industry standpoint" not in previous.text  # not glued to the previous turn


def test_audience_members_keep_role_and_self_introduction(transcript):
    labels = [t.speaker_name for t in transcript.turns if t.speaker == "AUDIENCE"]
    assert "Audience (Jinson Alufi, Abuja, Nigeria)" in labels
    assert "Audience (Qusai Oshati, Kuwait)" in labels
    assert all(label.startswith("Audience") for label in labels)


def test_offsets_give_back_the_exact_text(transcript):
    for turn in transcript.turns:
        assert transcript.text[turn.start_char : turn.end_char] == turn.text
        assert turn.text == turn.text.strip()
        assert not turn.text.startswith(">>")


def test_hyphens_are_kept_for_display_and_folded_for_matching(transcript):
    turn = next(t for t in transcript.turns if "open\u2011ended Working Group" in t.text)
    assert "open-ended working group" in fold(turn.text)


def test_generic_name_colon_format(tmp_path):
    path = tmp_path / "panel.txt"
    path.write_text("Ana Silva: Hello everyone.\nBob Jones: Thanks, Ana.\n\nAna Silva: Welcome back.\n", encoding="utf-8")
    transcript = parse_file(path)
    assert [t.speaker for t in transcript.turns] == ["ANA SILVA", "BOB JONES", "ANA SILVA"]
    assert [t.line_no for t in transcript.turns] == [1, 2, 4]
    for turn in transcript.turns:
        assert transcript.text[turn.start_char : turn.end_char] == turn.text


def test_unrecognised_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("Ana: fine\nthis line has no speaker\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as error:
        parse_file(path)
    assert error.value.line == 2
    assert str(error.value).startswith(f"{path}:2:")


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Ana: ok\nBob: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(TranscriptError, match="not valid UTF-8") as error:
        parse_file(path)
    assert error.value.line == 2


def test_empty_file_has_no_turns(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("   \n\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match="no speaker turns"):
        parse_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(TranscriptError, match="no such file"):
        parse_file(tmp_path / "nope.txt")


def test_bare_marker_lines_are_not_turns():
    transcript = parse_text("Title\n\n***\n\n>> ANA: Hi.\n>>\n>> BOB: Hello.\n", source="t.txt")
    assert [t.speaker for t in transcript.turns] == ["ANA", "BOB"]


def test_a_hyphenated_name_is_cased_in_each_part(tmp_path):
    # Headers are in capitals; the display name is the text's own mixed-case spelling, else every part capitalised.
    path = tmp_path / "hyphen.txt"
    path.write_text(
        ">> NGOZI ADEBAYO\u2011OKAFOR: Thank you. I work on community networks.\n\n>> SEAN O'BRIEN: Thanks, Ngozi.\n",
        encoding="utf-8",
    )
    assert [t.speaker_name for t in parse_file(path).turns] == ["Ngozi Adebayo\u2011Okafor", "Sean O'Brien"]


def test_where_an_audience_member_is_from_after_an_organisation_in_lower_case():
    from index.parse import self_introduction

    assert self_introduction("Hi.  My name is Anna\u2011Lena Brugger, I'm from epicenter.works in Vienna.  My question is") == ("Anna\u2011Lena Brugger", "Vienna")
    assert self_introduction("My name is Fatima Benali, I'm from the Welfare Claimants Union here in Marenburg.") == ("Fatima Benali", "Welfare Claimants Union")


def test_and_joins_the_words_of_one_name_but_not_a_clause():
    from index.parse import self_introduction

    said = "Good morning.  I am from the Ministry of Communication and Digital Affairs of Indonesia.  My question is"
    assert self_introduction(said) == (None, "Ministry of Communication and Digital Affairs of Indonesia")
    assert self_introduction("I'm from Kenya and I'm a lawyer.") == (None, "Kenya")
