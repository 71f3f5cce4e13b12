"""Fuzzing the parsers with hypothesis: any input, in any supported format, either parses or fails with a
TranscriptError naming the file; never another exception, never a hang.

test_formats.py fuzzes the subtitle and JSON grammars piece by piece. Here: random IGF and `Name: text` pieces,
binary junk, mutations and truncations of a valid sample of every format, hostile content (control characters,
right-to-left text, nested `>>`, empty names) in every format, and input shapes that once made a parser
quadratic (a million-character turn, tens of thousands of turns or speakers, deep JSON nesting). A watchdog
interrupts a parse that runs away, so a regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.parse import TranscriptError, parse_file

SEED_SAMPLE = (
    "IGF 2023 – Day 2 – MAIN SESSION 2\n\nDisclaimer.\n\n***\n\n"
    ">> OLGA CAVALLI:  Thank you, everyone.\n\n>> ERNESTO RODRIGUEZ HERNÁNDEZ: Gracias.\n\n"
    ">> I think from the industry standpoint.\n\n>> AUDIENCE: My name is Jinson Alufi, based in Abuja Nigeria.\n"
)
# One valid file per format (the suffix is part of the input: detection falls back on it).
SAMPLES = {
    ".txt": SEED_SAMPLE,
    ".md": "Ana Silva: Submarine cables carry ninety-nine per cent of traffic.\nBob Jones: Repair ships are scarce.\n",
    ".vtt": "WEBVTT - Cables\n\nNOTE a note\n\n1\n00:00:01.000 --> 00:00:04.500\n<v Ana Silva>Submarine cables <i>matter</i> &amp; break.\n\n"
    "00:00:04.500 --> 00:00:09.000\n<v.loud Bob Jones>Repair ships are scarce.\nThey take weeks.\n",
    ".srt": "1\n00:00:01,000 --> 00:00:04,500\nANA SILVA: Submarine cables matter.\n\n2\n00:00:04,500 --> 00:00:09,000\n>> BOB JONES: Repair ships are scarce.\n- They take weeks.\n",
    ".json": json.dumps([
        {"speaker": "Ana Silva", "text": "Submarine cables matter.", "start": 1, "end": 4.5},
        {"speaker": "Bob Jones", "text": "Repair ships are scarce.", "start": "00:00:04.500", "end": "00:00:09.000"},
    ], ensure_ascii=False, indent=1),
}
SMALL_INPUT_LIMIT_S = 20  # a hang detector, far above the milliseconds these take; not a speed target
LARGE_INPUT_LIMIT_S = 120


class Hang(AssertionError):
    pass


@contextmanager
def watchdog(seconds: float):
    def fire(signum, frame):
        raise Hang(f"parsing ran for more than {seconds} s: a runaway (quadratic or backtracking) parse")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(path, data: bytes, limit_s: float = SMALL_INPUT_LIMIT_S):
    """Parse `data` as the file `path`: a transcript whose turns are exact slices, or a TranscriptError naming the file."""
    path.write_bytes(data)
    with watchdog(limit_s):
        try:
            transcript = parse_file(path)
        except TranscriptError as error:
            assert str(error).startswith(str(path))
            assert "\n" not in str(error), "an error message is one line"
            return None
    assert transcript.turns
    for turn in transcript.turns:
        assert transcript.text[turn.start_char : turn.end_char] == turn.text
        assert turn.text.strip()
        assert turn.speaker.strip() and turn.speaker_name.strip()
    return transcript


names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
pieces = st.one_of(
    st.text(max_size=200),
    st.builds(lambda n, t: f">> {n}: {t}\n", names, st.text(max_size=200)),
    st.builds(lambda n, t: f"{n}: {t}\n", names, st.text(max_size=200)),
    st.sampled_from([">>", ">> >> >>", ">> :", "***", "\u202eright-to-left\u202c", "\x00", "\x1b[31m", ":", "\ufeff", "\r\n"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(pieces, max_size=20))
def test_random_transcripts_parse_or_fail_cleanly(tmp_path, parts):
    check(tmp_path / "fuzz.txt", "".join(parts).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_binary_junk_parses_or_fails_cleanly(tmp_path, data):
    check(tmp_path / "junk.txt", data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_mutated_and_truncated_samples_of_every_format(tmp_path, suffix, data):
    sample = SAMPLES[suffix].encode("utf-8")
    position = data.draw(st.integers(0, len(sample)), label="position")
    insert = data.draw(st.binary(max_size=8), label="insert")
    cut = data.draw(st.integers(1, len(sample) + len(insert)), label="cut")
    check(tmp_path / f"mutated{suffix}", (sample[:position] + insert + sample[position:])[:cut])


def test_every_sample_parses(tmp_path):
    """The samples the mutations start from are valid, so the mutation test starts from real files."""
    for suffix, text in SAMPLES.items():
        transcript = check(tmp_path / f"sample{suffix}", text.encode("utf-8"))
        assert transcript is not None and len({t.speaker for t in transcript.turns}) >= 2, suffix


# -- Hostile content in every format ----------------------------------------------------------------------

CONTROL = "".join(map(chr, [*range(1, 9), 11, 12, *range(14, 32), 127, *range(0x80, 0xA0)]))  # C0 (not \t \n \r NUL), DEL, C1
RIGHT_TO_LEFT = ["مرحبا بكم في الجلسة", "שלום לכולם", "\u202eevil\u202c", "\u200f\u2067نص\u2069", "abc\u202edcba"]
hostile_text = st.one_of(
    st.text(alphabet=st.sampled_from(CONTROL + "ab :>\u200b\u200d\u0301"), max_size=40),
    st.sampled_from(RIGHT_TO_LEFT),
    st.builds(lambda a, b: a + b, st.sampled_from(RIGHT_TO_LEFT), st.text(max_size=20)),
    st.text(max_size=40),
)
hostile_name = st.one_of(st.just(""), st.just(" "), hostile_text, st.sampled_from(["ANA", "Ana Silva", "ANA >> BOB", "<v Eve>", "\u202eEVE"]))


def render(suffix: str, turns: list[tuple[str, str]], ascii_json: bool) -> str:
    """`turns` of (name, text) written in the format `suffix` stands for."""
    if suffix == ".json":
        return json.dumps([{"speaker": n, "text": t} for n, t in turns], ensure_ascii=ascii_json)
    if suffix == ".vtt":
        cues = [f"{i}\n00:00:{i:02d}.000 --> 00:00:{i + 1:02d}.000\n<v {n}>{t}\n" for i, (n, t) in enumerate(turns)]
        return "WEBVTT\n\n" + "\n".join(cues)
    if suffix == ".srt":
        return "\n".join(f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i + 1:02d},000\n{n}: {t}\n" for i, (n, t) in enumerate(turns))
    if suffix == ".md":
        return "".join(f"{n}: {t}\n" for n, t in turns)
    return "Title\n\n***\n\n" + "".join(f">> {n.upper()}: {t}\n\n" for n, t in turns)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(SAMPLES)), st.lists(st.tuples(hostile_name, hostile_text), min_size=1, max_size=6), st.booleans())
def test_hostile_names_and_text_in_every_format(tmp_path, suffix, turns, ascii_json):
    check(tmp_path / f"hostile{suffix}", render(suffix, turns, ascii_json).encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("suffix", sorted(SAMPLES))
def test_control_characters_and_right_to_left_text_are_kept_verbatim(tmp_path, suffix):
    """Odd characters are content: they stay in the turn text exactly (offsets stay exact), and a name made of them still names a speaker."""
    said = "Salam " + RIGHT_TO_LEFT[0] + " \x07bell \x1b[31mred\x1b[0m " + RIGHT_TO_LEFT[2] + " done"
    transcript = check(tmp_path / f"odd{suffix}", render(suffix, [("Ana Silva", said), ("BOB JONES", "Thanks.")], False).encode("utf-8"))
    assert transcript is not None
    first = transcript.turns[0].text
    assert RIGHT_TO_LEFT[0] in first and "\x07bell" in first and RIGHT_TO_LEFT[2] in first
    assert len({t.speaker for t in transcript.turns}) == 2


def test_nested_markers_are_one_turn_each(tmp_path):
    transcript = check(tmp_path / "nested.txt", b">> >> ANA: >> hello >> there\n\n>>>> BOB: >> >> yes\n\n>> >> >>\n")
    assert transcript is not None
    assert [turn.speaker for turn in transcript.turns] == ["ANA", "BOB"]  # a doubled marker is one marker
    assert transcript.turns[0].text == ">> hello >> there"  # markers inside a turn are what was said


@pytest.mark.parametrize("suffix", sorted(SAMPLES))
def test_truncated_utf8_is_a_clear_error(tmp_path, suffix):
    data = render(suffix, [("Ana Silva", "Gracias, señora Hernández: ありがとう")], False).encode("utf-8")
    cut = data.index("ありがとう".encode()) + 1  # in the middle of a three-byte character
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[:cut])
    with pytest.raises(TranscriptError, match=r"not valid UTF-8 \(byte \d+\); save the file as UTF-8"):
        parse_file(path)


@pytest.mark.parametrize("suffix", sorted(SAMPLES))
def test_empty_names_never_make_an_empty_speaker(tmp_path, suffix):
    for name in ("", " ", "\u200b", "¨"):
        check(tmp_path / f"empty{suffix}", render(suffix, [(name, "Words were said here."), ("Ana Silva", "Yes.")], False).encode("utf-8"))


def test_only_headers_and_empty_names(tmp_path):
    for text in [">> A:\n>> B:\n", ">>\n>>\n", ": text\n", ">> : text\n", "Title\n***\n", "WEBVTT\n", "[]", "{}", "1\n"]:
        for suffix in (".txt", ".vtt", ".srt", ".json"):
            check(tmp_path / f"headers{suffix}", text.encode())


# -- Shapes that once made parsing quadratic ---------------------------------------------------------------

MANY = 30_000


def many_speakers(count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"{letters[i % 26]}{letters[i // 26 % 26]}{letters[i // 676 % 26]} SPEAKER" for i in range(count)]


LARGE_INPUTS = {
    "a million-character IGF turn": (".txt", ">> ANA: " + "blah " * 200_000 + "\n"),
    "a million-character line": (".md", "Ana: " + "x" * 1_000_000 + "\n"),
    "a million-character cue full of stray '<'": (".vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana>" + "<a <v {\\" * 125_000 + "\n"),
    "a million-character subtitle": (".srt", "1\n00:00:01,000 --> 00:00:02,000\nANA: " + "<b" * 500_000 + "\n"),
    "a million-character JSON turn": (".json", json.dumps([{"speaker": "Ana", "text": "y " * 500_000}])),
    "JSON nested 100,000 deep": (".json", "[" * 100_000 + "]" * 100_000),
    "100,000 nested >> markers": (".txt", ">> " * 100_000 + "ANA: hi\n"),
    f"{MANY:,} IGF turns": (".txt", ">> ANA: x\n" * MANY),
    f"{MANY:,} distinct IGF speakers": (".txt", "".join(f">> {n}: said by {n.title()}\n" for n in many_speakers(MANY))),
    f"{MANY:,} distinct `Name: text` speakers": (".md", "".join(f"{n.title()}: words\n" for n in many_speakers(MANY))),
    f"{MANY:,} JSON turns": (".json", json.dumps([{"speaker": n, "text": "x"} for n in many_speakers(MANY)])),
    f"{MANY:,} voices in one cue": (".vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + "".join(f"<v {n}>x\n" for n in many_speakers(MANY))),
    f"{MANY:,} subtitle cues": (".srt", "".join(f"{i}\n00:00:01,000 --> 00:00:02,000\n{n}: x\n\n" for i, n in enumerate(many_speakers(MANY)))),
}


@pytest.mark.parametrize("case", list(LARGE_INPUTS))
def test_large_and_deep_inputs_finish(tmp_path, case):
    suffix, text = LARGE_INPUTS[case]
    check(tmp_path / f"large{suffix}", text.encode("utf-8"), limit_s=LARGE_INPUT_LIMIT_S)
