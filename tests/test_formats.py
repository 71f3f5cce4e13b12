"""Transcript formats: detection, one parser per format, timestamps, clear errors, session metadata."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from index.formats import FORMATS, detect_format
from index.parse import TranscriptError, parse_file, parse_text, session_id_for
from index.sessions import SessionNotFound, find_session, title_metadata
from index.store import SessionInfo
from index.types import Chunk, Turn

VTT = """WEBVTT - Urban beekeeping and city policy

NOTE exported by hand; the next cue has an identifier

intro-1
00:00:01.000 --> 00:00:05.000
<v Mara Lindqvist>Welcome to our panel on urban beekeeping &amp; city policy.</v>

00:00:05.000 --> 00:00:09.500 align:start position:10%
<v Mara Lindqvist>Rooftop hives in Stockholm
now host two million bees.

00:03:41.000 --> 00:03:50.250
<v.loud Tomas Berg>Pesticide bans in parks <i>doubled</i> the honey yield.</v>
<v Mara Lindqvist>Within three summers?</v>

00:03:50.250 --> 00:03:52.000
Yes, three.
"""

SRT = """1
00:00:00,500 --> 00:00:03,000
ANA SILVA: Good morning and welcome
to the session on submarine cables.

2
00:00:03,000 --> 00:00:06,000
>> BOB JONES: Thank you, Ana.
ANA SILVA: Bob, please start.

3
00:01:02,000 --> 00:01:09,000
BOB JONES: Most cable faults come from fishing trawlers.

4
00:01:09,000 --> 00:01:12,000
and from ship anchors.
"""

JSON_TURNS = [
    {"speaker": "Léa Moreau", "text": "Community networks connect  remote villages.", "start": 12.5, "end": "00:00:20.000"},
    {"speaker": "Léa Moreau", "text": "They need spectrum licences that cost less."},
    {"speaker": "Kofi Mensah", "text": 'Ghana waived the "fee" for them.', "start": "00:01:05.250", "end": 70},
]


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_offsets_exact(transcript):
    for turn in transcript.turns:
        assert transcript.text[turn.start_char : turn.end_char] == turn.text
        assert turn.text == turn.text.strip() and turn.text


# -- IGF caption text and Name: text ------------------------------------------------------------------------


def test_bundled_igf_transcript_is_detected_and_dated(seed_path):
    text = seed_path.read_text(encoding="utf-8")
    assert detect_format(text, seed_path).name == "igf"
    session = parse_file(seed_path).session
    assert (session.date, session.session_type) == ("2023 Day 2", "Main Session")
    assert session.source == str(seed_path)


def test_name_colon_lines_take_title_from_file_name(tmp_path):
    path = write(tmp_path, "cable_panel.txt", "Ana Silva: Hello everyone.\nBob Jones: Thanks, Ana.\n")
    transcript = parse_file(path)
    assert detect_format(path.read_text(), path).name == "generic"
    assert transcript.session.title == "cable panel"
    assert [t.speaker for t in transcript.turns] == ["ANA SILVA", "BOB JONES"]
    assert all(t.start_time is None for t in transcript.turns)
    assert_offsets_exact(transcript)


# -- WebVTT -------------------------------------------------------------------------------------------------


def test_vtt_voice_tags_become_turns_with_times(tmp_path):
    transcript = parse_file(write(tmp_path, "bees.vtt", VTT))
    assert transcript.session.title == "Urban beekeeping and city policy"
    turns = transcript.turns
    assert [(t.speaker_name, t.turn_no) for t in turns] == [("Mara Lindqvist", 1), ("Tomas Berg", 2), ("Mara Lindqvist", 3)]
    # Two cues by one voice are one turn; markup and entities are gone; lines inside a cue are joined.
    assert turns[0].text == "Welcome to our panel on urban beekeeping & city policy. Rooftop hives in Stockholm now host two million bees."
    assert (turns[0].start_time, turns[0].end_time) == (1.0, 9.5)
    assert turns[1].text == "Pesticide bans in parks doubled the honey yield."
    assert (turns[1].start_time, turns[1].end_time) == (221.0, 230.25)
    # A cue with no voice continues the last speaker.
    assert turns[2].text == "Within three summers? Yes, three."
    assert turns[2].end_time == 232.0
    assert [t.line_no for t in turns] == [7, 14, 15]
    assert_offsets_exact(transcript)


def test_vtt_with_name_prefixed_lines_instead_of_voice_tags(tmp_path):
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna Silva: Hello.\n\n2\n00:00:02.000 --> 00:00:04.000\nBob de Souza: Hi Ana.\n"
    transcript = parse_file(write(tmp_path, "zoom export.vtt", text))
    assert [(t.speaker_name, t.text, t.start_time) for t in transcript.turns] == [("Ana Silva", "Hello.", 1.0), ("Bob de Souza", "Hi Ana.", 2.0)]
    assert transcript.session.title == "zoom export"


def test_vtt_content_is_detected_whatever_the_extension(tmp_path):
    path = write(tmp_path, "captions.txt", VTT)
    assert detect_format(VTT, path).name == "vtt"
    assert parse_file(path).turns[1].speaker == "TOMAS BERG"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>ok\n\n<v B>no timing here\n", 6, "cue has no timing line"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:xx.000\n<v A>ok\n", 3, "bad timestamp '00:00:xx.000'"),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:01.000\n<v A>ok\n", 3, "ends (00:00:01.000) before it starts"),
        ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\n<v A>ok\n", 3, "bad cue timing"),
        ("Hello there\n\n00:00:01.000 --> 00:00:02.000\n<v A>ok\n", 1, "must start with a 'WEBVTT' line"),
    ],
)
def test_malformed_vtt_names_line_and_problem(tmp_path, text, line, message):
    path = write(tmp_path, "bad.vtt", text)
    with pytest.raises(TranscriptError) as error:
        parse_file(path)
    assert error.value.line == line
    assert message in str(error.value)
    assert str(error.value).startswith(f"{path}:{line}: ")


# -- SRT ----------------------------------------------------------------------------------------------------


def test_srt_speaker_prefixes_and_continuations(tmp_path):
    transcript = parse_file(write(tmp_path, "cables.srt", SRT))
    turns = transcript.turns
    assert [t.speaker for t in turns] == ["ANA SILVA", "BOB JONES", "ANA SILVA", "BOB JONES"]
    assert turns[0].text == "Good morning and welcome to the session on submarine cables."
    assert turns[1].text == "Thank you, Ana."  # after a `>>` marker, as IGF captions write it
    assert turns[2].text == "Bob, please start."  # a second speaker inside one cue
    assert turns[3].text == "Most cable faults come from fishing trawlers. and from ship anchors."
    assert [(t.start_time, t.end_time) for t in turns] == [(0.5, 3.0), (3.0, 6.0), (3.0, 6.0), (62.0, 72.0)]
    assert [t.line_no for t in turns] == [3, 8, 9, 13]
    assert turns[0].speaker_name == "Ana Silva"  # the text names her in mixed case
    assert_offsets_exact(transcript)


def test_srt_content_in_a_txt_file_is_detected(tmp_path):
    path = write(tmp_path, "cables.txt", SRT)
    assert detect_format(SRT, path).name == "srt"
    assert len(parse_file(path).turns) == 4


def test_srt_cue_before_any_speaker_is_unknown(tmp_path):
    transcript = parse_file(write(tmp_path, "a.srt", "1\n00:00:01,000 --> 00:00:02,000\n[applause] welcome back\n"))
    assert [(t.speaker, t.text) for t in transcript.turns] == [("UNKNOWN", "[applause] welcome back")]


def test_malformed_srt_names_line(tmp_path):
    path = write(tmp_path, "bad.srt", SRT.replace("00:01:02,000 --> 00:01:09,000", "00:01:02,000 to 00:01:09,000"))
    with pytest.raises(TranscriptError, match="bad cue timing") as error:
        parse_file(path)
    assert error.value.line == 12
    path = write(tmp_path, "worse.srt", "Just some words\nwithout cues\n")
    with pytest.raises(TranscriptError, match="expected a cue number and a timing line") as error:
        parse_file(path)
    assert error.value.line == 1


# -- JSON ---------------------------------------------------------------------------------------------------


def test_json_turns_with_optional_times(tmp_path):
    transcript = parse_file(write(tmp_path, "spectrum.json", json.dumps(JSON_TURNS, indent=2, ensure_ascii=False)))
    turns = transcript.turns
    # Each item is a turn, even when one speaker has two in a row: the file says where turns end.
    assert [t.speaker for t in turns] == ["LEA MOREAU", "LEA MOREAU", "KOFI MENSAH"]
    assert turns[0].speaker_name == "Léa Moreau"
    assert turns[0].text == "Community networks connect remote villages."
    assert turns[2].text == 'Ghana waived the "fee" for them.'
    assert [(t.start_time, t.end_time) for t in turns] == [(12.5, 20.0), (None, None), (65.25, 70.0)]
    assert [t.line_no for t in turns] == [2, 8, 12]
    assert transcript.session.title == "spectrum"
    assert_offsets_exact(transcript)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ({"speaker": "A", "text": "not in a list"}, 1, "expected a JSON list of {\"speaker\", \"text\"} turns, found an object"),
        ([{"speaker": "A", "text": "ok"}, {"text": "who said this?"}], 6, "item 1: missing field 'speaker'"),
        ([{"speaker": "A"}], 2, "item 0: missing field 'text'"),
        ([{"speaker": "A", "text": "ok"}, "just a string"], 6, "item 1: expected an object"),
        ([{"speaker": 7, "text": "ok"}], 2, "item 0: field 'speaker' must be a string, not a number"),
        ([{"speaker": "  ", "text": "ok"}], 2, "item 0: field 'speaker' is empty"),
        ([{"speaker": "A", "text": "ok", "start": "soon"}], 2, "item 0: field 'start' must be seconds"),
        ([{"speaker": "A", "text": "ok", "start": 9, "end": 3}], 2, "item 0: 'end' (3.0) is before 'start' (9.0)"),
    ],
)
def test_malformed_json_names_item_and_field(tmp_path, content, line, message):
    path = write(tmp_path, "bad.json", json.dumps(content, indent=1))
    with pytest.raises(TranscriptError) as error:
        parse_file(path)
    assert message in str(error.value)
    assert error.value.line == line


def test_json_syntax_error_names_line(tmp_path):
    path = write(tmp_path, "broken.json", '[\n  {"speaker": "A", "text": "ok"},\n  {"speaker": "B" "text": "x"}\n]\n')
    with pytest.raises(TranscriptError, match="not valid JSON") as error:
        parse_file(path)
    assert error.value.line == 3


_names = st.text(alphabet=st.characters(categories=("L",)), min_size=1, max_size=12)
_words = st.text(alphabet=st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=80)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_names, _words), min_size=1, max_size=6))
def test_json_turn_text_survives_any_characters(items):
    turns = [{"speaker": name, "text": text} for name, text in items]
    kept = [(" ".join(n.split()), " ".join(t.split())) for n, t in items if " ".join(t.split())]
    if not kept:
        with pytest.raises(TranscriptError, match="no speaker turns"):
            parse_text(json.dumps(turns), source="t.json")
        return
    transcript = parse_text(json.dumps(turns), source="t.json")
    assert [t.text for t in transcript.turns] == [t for _, t in kept]
    assert_offsets_exact(transcript)


# -- Every format, one interface ------------------------------------------------------------------------------


def test_every_format_has_a_parser_and_a_content_check():
    assert set(FORMATS) == {"igf", "generic", "vtt", "srt", "json"}
    samples = {"vtt": VTT, "srt": SRT, "json": json.dumps(JSON_TURNS), "igf": "Title\n\n>> ANA: Hi.\n", "generic": "Ana: Hi.\n"}
    for name, text in samples.items():
        assert detect_format(text, "no-extension").name == name
        assert FORMATS[name].parse(text, "x").turns


def test_extension_picks_the_parser_that_explains_bad_content(tmp_path):
    with pytest.raises(TranscriptError, match="must start with a 'WEBVTT' line"):
        parse_file(write(tmp_path, "x.vtt", "Ana: hello\n"))
    with pytest.raises(TranscriptError, match="not valid JSON"):
        parse_file(write(tmp_path, "x.json", "Ana: hello\n"))
    with pytest.raises(TranscriptError, match="'Name: text' line"):
        parse_file(write(tmp_path, "x.txt", "Ana: hello\nno speaker here\n"))


def test_timed_turns_round_trip_through_the_stored_json_form():
    turn = Turn("s", 1, 3, "ANA", "Ana", 5, 10, "Hello", 1.5, 4.0)
    assert Turn(**json.loads(json.dumps(asdict(turn)))) == turn
    # Rows written before timestamps existed still load.
    old_row = {"chunk_id": "s:1:0", "session_id": "s", "session_title": "T", "speaker": "ANA", "speaker_name": "Ana",
               "turn_no": 1, "start_char": 0, "end_char": 5, "text": "Hello"}
    assert Chunk(**old_row).start_time is None
    assert SessionInfo(**{"session_id": "s", "title": "T", "source": "x", "sha256": "0", "turns": 1, "chunks": 1, "speakers": 1}).date is None


# -- Session identity and metadata --------------------------------------------------------------------------


def test_session_id_is_stable_and_follows_content_and_name(tmp_path):
    a = write(tmp_path, "Panel One.txt", "Ana: Hello.\n")
    first, again = parse_file(a).session.session_id, parse_file(a).session.session_id
    assert first == again == session_id_for(a, parse_file(a).session.sha256)
    assert first.startswith("panel-one-")
    renamed = write(tmp_path, "Panel Two.txt", "Ana: Hello.\n")
    assert parse_file(renamed).session.session_id != first
    a.write_text("Ana: Hello again.\n", encoding="utf-8")
    assert parse_file(a).session.session_id != first


@pytest.mark.parametrize(
    ("title", "date", "session_type"),
    [
        ("IGF 2023 – Day 2 – MAIN SESSION 2 Cybersecurity, Trust & Online Safety", "2023 Day 2", "Main Session"),
        ("IGF 2023 WS #123 Data Governance in the Global South", "2023", "Workshop"),
        ("IGF 2023 Open Forum #45 Digital Public Infrastructure", "2023", "Open Forum"),
        ("IGF 2023 Town Hall #61 Internet Fragmentation", "2023", "Town Hall"),
        ("IGF 2023 Launch / Award Event #7 Book Launch", "2023", "Launch / Award Event"),
        ("IGF 2023 DC Internet Rights and Principles", "2023", "Dynamic Coalition"),
        ("IGF 2023 Networking Session #80 Youth in IG", "2023", "Networking Session"),
        ("IGF 2023 Lightning Talk #12 Open Source AI", "2023", "Lightning Talk"),
        ("IGF 2023 Day 0 Event #19 Kyoto Dialogue", "2023 Day 0", "Day 0 Event"),
        ("IGF 2022 – Day 1 – High Level Leaders Session I", "2022 Day 1", "High-Level Session"),
        ("igf2023-day2-main-session-2-cybersecurity-trust-online-safety", "2023 Day 2", "Main Session"),
        ("IGF 2023 Open Forum #3, 10 October 2023", "2023-10-10", "Open Forum"),
        ("Town hall meeting, 2024-03-05", "2024-03-05", None),  # not an IGF title: no IGF session type
        ("Washington DC panel on workshops", None, None),
        ("cable panel", None, None),
    ],
)
def test_title_metadata_rules(title, date, session_type):
    assert title_metadata(title) == (date, session_type)


def test_find_session_by_id_prefix_or_title_part():
    infos = [
        SessionInfo("igf-main-2-aaaa1111", "IGF 2023 Main Session 2 Cybersecurity", "a", "1", 1, 1, 1),
        SessionInfo("bees-bbbb2222", "Urban beekeeping and city policy", "b", "2", 1, 1, 1),
        SessionInfo("bees-cccc3333", "Beekeeping in the countryside", "c", "3", 1, 1, 1),
    ]
    assert find_session(infos, "bees-bbbb2222") is infos[1]
    assert find_session(infos, "igf") is infos[0]
    assert find_session(infos, "urban BEEKEEPING") is infos[1]
    assert find_session(infos, "cybersécurité"[:12]) is infos[0]  # accents and case do not matter
    with pytest.raises(SessionNotFound, match="matches 2 sessions") as error:
        find_session(infos, "beekeeping")
    assert "bees-bbbb2222" in str(error.value) and "bees-cccc3333" in str(error.value)
    with pytest.raises(SessionNotFound, match="no session matches 'whales'; known sessions: igf-main-2-aaaa1111"):
        find_session(infos, "whales")


# -- Fuzzing the subtitle and JSON parsers: any input parses or fails with a TranscriptError ------------------

_cue_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
_timestamps = st.one_of(st.sampled_from(["00:00:01.000", "00:01:02,500", "1:02.5", "99:59:59.999", "00:00:xx", "", "-->"]), _cue_text)
_cue_pieces = st.one_of(
    _cue_text,
    st.builds(lambda a, b: f"{a} --> {b}\n", _timestamps, _timestamps),
    st.builds(lambda n, t: f"<v {n}>{t}</v>\n", _cue_text, _cue_text),
    st.builds(lambda n, t: f"{n.upper()}: {t}\n", _cue_text, _cue_text),
    st.sampled_from(["WEBVTT\n", "\n\n", "1\n", "NOTE x\n", "<v>", "<v.a", "&amp;", "<i>", "{\\an8}", ">> ", "\x00", "\ufeff"]),
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | _cue_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["speaker", "text", "start", "end", "x"]), inner, max_size=4),
    max_leaves=12,
)


def parses_or_fails_cleanly(path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        transcript = parse_file(path)
    except TranscriptError as error:
        assert str(error).startswith(str(path))
        return
    assert transcript.turns
    assert_offsets_exact(transcript)
    for turn in transcript.turns:
        assert turn.speaker.strip()
        assert turn.start_time is None or 0 <= turn.start_time <= (turn.end_time if turn.end_time is not None else turn.start_time)


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_cue_pieces, max_size=16), st.sampled_from(["fuzz.vtt", "fuzz.srt", "fuzz.txt"]))
def test_random_subtitles_parse_or_fail_cleanly(tmp_path, parts, name):
    parses_or_fails_cleanly(tmp_path / name, "".join(parts).encode("utf-8", "surrogatepass"))


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_json_values)
def test_random_json_parses_or_fails_cleanly(tmp_path, value):
    parses_or_fails_cleanly(tmp_path / "fuzz.json", json.dumps(value).encode("utf-8"))


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600), st.sampled_from(["junk.vtt", "junk.srt", "junk.json"]))
def test_binary_junk_with_subtitle_extensions_fails_cleanly(tmp_path, data, name):
    parses_or_fails_cleanly(tmp_path / name, data)
