"""Fuzzing the parsers with hypothesis: any input either parses or fails with TranscriptError, quickly."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.parse import TranscriptError, parse_file

SEED_SAMPLE = (
    "IGF 2023 – Day 2 – MAIN SESSION 2\n\nDisclaimer.\n\n***\n\n"
    ">> OLGA CAVALLI:  Thank you, everyone.\n\n>> ERNESTO RODRIGUEZ HERNÁNDEZ: Gracias.\n\n"
    ">> I think from the industry standpoint.\n\n>> AUDIENCE: My name is Jinson Alufi, based in Abuja Nigeria.\n"
)
TIME_LIMIT_S = 5.0

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
pieces = st.one_of(
    st.text(max_size=200),
    st.builds(lambda n, t: f">> {n}: {t}\n", names, st.text(max_size=200)),
    st.builds(lambda n, t: f"{n}: {t}\n", names, st.text(max_size=200)),
    st.sampled_from([">>", ">> >> >>", ">> :", "***", "\u202eright-to-left\u202c", "\x00", "\x1b[31m", ":", "\ufeff", "\r\n"]),
)


def check(path, data: bytes) -> None:
    path.write_bytes(data)
    started = time.monotonic()
    try:
        transcript = parse_file(path)
    except TranscriptError as error:
        assert str(error).startswith(str(path))
    else:
        assert transcript.turns
        for turn in transcript.turns:
            assert transcript.text[turn.start_char : turn.end_char] == turn.text
            assert turn.text.strip()
            assert turn.speaker.strip()
    assert time.monotonic() - started < TIME_LIMIT_S


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(pieces, max_size=20))
def test_random_transcripts_parse_or_fail_cleanly(tmp_path, parts):
    check(tmp_path / "fuzz.txt", "".join(parts).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_binary_junk_parses_or_fails_cleanly(tmp_path, data):
    check(tmp_path / "junk.txt", data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(SEED_SAMPLE.encode())), st.binary(max_size=8), st.integers(0, len(SEED_SAMPLE.encode())))
def test_mutated_and_truncated_transcripts(tmp_path, cut, insert, position):
    data = SEED_SAMPLE.encode("utf-8")
    mutated = data[:position] + insert + data[position:]
    check(tmp_path / "mutated.txt", mutated[: max(cut, 1)])


def test_a_million_character_turn_is_quick(tmp_path):
    check(tmp_path / "huge.txt", (">> ANA: " + "blah " * 200_000 + "\n").encode())


def test_only_headers_and_empty_names(tmp_path):
    for text in [">> A:\n>> B:\n", ">>\n>>\n", ": text\n", ">> : text\n", "Title\n***\n"]:
        check(tmp_path / "headers.txt", text.encode())
