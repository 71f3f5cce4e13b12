"""One parser per transcript format, behind one interface, and the rule that picks one for a file.

Each parser takes the decoded text and the source path and returns `Parsed`: the title (None when
the format has none), the turns as `RawTurn`s, and the text their offsets point into. The speaker
clean-up shared by every format (merged spellings, display names, audience members) happens after,
in index.parse.

Formats, in the order content detection tries them:
- vtt: WebVTT; speakers from `<v Name>` voice tags, or `Name:` at the start of a cue line.
- json: a list of {"speaker", "text"} objects, optionally with "start"/"end" (seconds or HH:MM:SS.mmm).
- srt: SubRip; speakers from `NAME:` at the start of a cue line (optionally after `>>` or `-`).
- igf: IGF caption text: a title line, a disclaimer, `***`, then turns that start with `>> NAME:`
  (a `>>` with no upper-case name before a colon is a turn by an UNKNOWN speaker).
- generic: every non-blank line is `Name: text`.
Subtitle cues by one speaker in a row are joined into one turn; a cue with no speaker of its own
continues the previous speaker's turn.
"""

from __future__ import annotations

import bisect
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

UNKNOWN = "UNKNOWN"


class TranscriptError(ValueError):
    """A transcript that cannot be read; the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class RawTurn:
    name: str  # the speaker as the source writes it
    line_no: int  # 1-based line in the source file where the turn starts
    start: int  # offsets into Parsed.text
    end: int
    start_time: float | None = None  # seconds
    end_time: float | None = None


@dataclass(frozen=True)
class Parsed:
    title: str | None
    turns: list[RawTurn]
    text: str


@dataclass(frozen=True)
class TranscriptFormat:
    name: str
    suffixes: frozenset[str]
    looks_like: Callable[[str], bool]  # a cheap check of the content
    parse: Callable[[str, str], Parsed]  # (text, source) -> Parsed; raises TranscriptError


def _line_numbers(text: str) -> Callable[[int], int]:
    """offset -> 1-based line number, by binary search: counting newlines from the start for every turn
    would make a file of many short turns quadratic."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    return lambda offset: bisect.bisect_left(newlines, offset) + 1


# -- IGF caption text and `Name: text` lines: turns are slices of the source ----------------------------

_NAME_CHARS = r"A-Z\u00C0-\u00DE .'’\u2010\u2011-"
# A doubled marker (">> >> NAME:", ">>>> NAME:") is one turn marker, as captioners mean it.
_IGF_TURN = re.compile(r"^>>(?:[ \t\u00a0]*>>)*[ \t\u00a0]*(?:([A-Z\u00C0-\u00DE][" + _NAME_CHARS + r"]{0,60}?)[ \t]*:)?[ \t\u00a0]*", re.M)
_GENERIC_LINE = re.compile(r"^(?P<name>[^\s:][^:\n]{0,59}?)[ \t]*:[ \t]+(?P<text>\S.*)$")


def parse_igf(text: str, source: str) -> Parsed:
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    title = None if first_line.startswith(">>") else first_line or None
    matches = list(_IGF_TURN.finditer(text))
    line_of, turns = _line_numbers(text), []
    for i, match in enumerate(matches):
        start = match.end()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        while start < end and text[start].isspace():  # a lone "\r" or other space the header pattern leaves
            start += 1
        if end <= start:
            continue  # a bare ">>" marker with nothing said
        name = (match.group(1) or "").strip()
        turns.append(RawTurn(name or UNKNOWN, line_of(match.start()), start, end))
    return Parsed(title, turns, text)


def parse_generic(text: str, source: str) -> Parsed:
    turns, offset = [], 0
    for line_no, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        if body.strip():
            match = _GENERIC_LINE.match(body)
            if not match:
                shown = body.strip()[:60]
                raise TranscriptError(source, line_no, f"expected a '>> NAME:' turn or a 'Name: text' line, found {shown!r}")
            turns.append(RawTurn(match.group("name").strip(), line_no, offset + match.start("text"), offset + len(body.rstrip())))
        offset += len(line)
    return Parsed(None, turns, text)


# -- Subtitles (WebVTT, SRT) ------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?$")
_TIMING = re.compile(r"^(?P<start>\S+)[ \t]+-->[ \t]+(?P<end>\S+)(?:[ \t]+.*)?$")
_SRT_START = re.compile(r"^\s*(?:\d+[ \t]*\r?\n[ \t]*)?\d+:\d{2}:\d{2}[,.]\d{1,3}[ \t]+-->")  # cue 1, or its timing
_TIMING_LIKE = re.compile(r"-->|^\s*\d+:\d{2}")
# Bounded lengths keep a stray "<" in a long cue from making these scans quadratic.
_VOICE = re.compile(r"<v(?:\.[^\s>]{0,100})?(?:[ \t]+([^>\n]{0,200}))?>", re.I)
_TAG = re.compile(r"</?[a-z][^>\n]{0,200}>|<\d[\d:.]{0,20}>|\{\\[^}\n]{0,200}\}", re.I)  # markup, inline timestamps, ASS overrides
_PARTICLE = r"(?:de|da|do|dos|das|del|della|di|du|la|le|van|von|der|den|ter|ten|bin|ibn|al|el)"
_CAPITALISED = r"(?:[A-Z\u00C0-\u00DE][\w.'’\u2010\u2011-]*|\d+)"
_LINE_SPEAKER = re.compile(
    r"^(?:>>|-)?[ \t]*(?P<name>"
    r"[A-Z\u00C0-\u00DE][A-Z\u00C0-\u00DE0-9 .'’\u2010\u2011-]{0,59}"  # OLGA CAVALLI, SPEAKER 2
    rf"|{_CAPITALISED}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_CAPITALISED}){{0,3}}"  # Ana Silva, Ana de Souza, Speaker 2
    r")[ \t]*:[ \t]+(?P<text>\S.*)$"
)


@dataclass
class _Segment:
    speaker: str | None  # None: continues the previous speaker
    line_no: int
    text: str
    start_time: float | None
    end_time: float | None


def parse_timestamp(raw: str, source: str, line_no: int) -> float:
    match = _TIMESTAMP.match(raw.strip())
    if not match:
        raise TranscriptError(source, line_no, f"bad timestamp {raw!r}; expected HH:MM:SS.mmm (for example 00:03:41.500)")
    hours, minutes, seconds, fraction = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int((fraction or "0").ljust(3, "0")) / 1000


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (line number of the first line, lines)."""
    blocks, current, first = [], [], 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                first = line_no
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _timing(line: str, source: str, line_no: int) -> tuple[float, float]:
    match = _TIMING.match(line.strip())
    if not match:
        raise TranscriptError(source, line_no, f"bad cue timing {line.strip()[:60]!r}; expected '00:01:02.500 --> 00:01:05.000'")
    start = parse_timestamp(match.group("start"), source, line_no)
    end = parse_timestamp(match.group("end"), source, line_no)
    if end < start:
        raise TranscriptError(source, line_no, f"cue ends ({match.group('end')}) before it starts ({match.group('start')})")
    return start, end


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _line_segments(lines: list[str], first_line: int, start: float, end: float) -> list[_Segment]:
    """Cue lines where a line may open with `NAME:`; other lines continue the current speaker."""
    segments: list[_Segment] = []
    for i, line in enumerate(lines):
        match = _LINE_SPEAKER.match(_TAG.sub("", line).strip())
        if match:
            segments.append(_Segment(match.group("name").strip(), first_line + i, _clean(match.group("text")), start, end))
        elif segments:
            segments[-1].text = f"{segments[-1].text} {_clean(line)}".strip()
        else:
            segments.append(_Segment(None, first_line + i, _clean(line), start, end))
    return segments


def _voice_segments(lines: list[str], first_line: int, start: float, end: float) -> list[_Segment]:
    """Cue text with `<v Name>` voice tags: each tag starts that speaker's words."""
    joined = "\n".join(lines)
    line_of = _line_numbers(joined)
    segments, last, speaker, seg_line = [], 0, None, first_line
    for match in _VOICE.finditer(joined):
        if joined[last : match.start()].strip() or speaker is not None:
            segments.append(_Segment(speaker, seg_line, _clean(joined[last : match.start()]), start, end))
        speaker = " ".join((match.group(1) or "").split()) or UNKNOWN
        seg_line = first_line + line_of(match.start()) - 1
        last = match.end()
    segments.append(_Segment(speaker, seg_line, _clean(joined[last:]), start, end))
    return segments


def _cue_segments(lines: list[str], first_line: int, start: float, end: float) -> list[_Segment]:
    if any(_VOICE.search(line) for line in lines):
        return _voice_segments(lines, first_line, start, end)
    return _line_segments(lines, first_line, start, end)


def parse_vtt(text: str, source: str) -> Parsed:
    blocks = _blocks(text)
    if not blocks or not re.match(r"^WEBVTT(?:$|[ \t])", blocks[0][1][0]):
        raise TranscriptError(source, blocks[0][0] if blocks else 1, "a WebVTT file must start with a 'WEBVTT' line")
    title = blocks[0][1][0][len("WEBVTT") :].strip(" \t-–—") or None
    segments: list[_Segment] = []
    for first, lines in blocks[1:]:
        if re.match(r"^(?:NOTE|STYLE|REGION)(?:$|[ \t])", lines[0]):
            continue
        if _TIMING_LIKE.search(lines[0]):
            timing_at = 0
        elif len(lines) > 1 and _TIMING_LIKE.search(lines[1]):
            timing_at = 1  # a cue identifier comes first
        else:
            raise TranscriptError(source, first, f"cue has no timing line (such as '00:01:02.500 --> 00:01:05.000'): {lines[0].strip()[:60]!r}")
        start, end = _timing(lines[timing_at], source, first + timing_at)
        segments.extend(_cue_segments(lines[timing_at + 1 :], first + timing_at + 1, start, end))
    return _render(title, _join_segments(segments))


def parse_srt(text: str, source: str) -> Parsed:
    segments: list[_Segment] = []
    for first, lines in _blocks(text):
        if _TIMING_LIKE.search(lines[0]):
            timing_at = 0
        elif lines[0].strip().isdigit() and len(lines) > 1:
            timing_at = 1  # the cue number; _timing names a malformed timing line
        else:
            raise TranscriptError(source, first, f"expected a cue number and a timing line ('00:01:02,500 --> 00:01:05,000'), found {lines[0].strip()[:60]!r}")
        start, end = _timing(lines[timing_at], source, first + timing_at)
        segments.extend(_line_segments(lines[timing_at + 1 :], first + timing_at + 1, start, end))
    return _render(None, _join_segments(segments))


def _join_segments(segments: list[_Segment]) -> list[_Segment]:
    """One turn per run of cues by the same speaker."""
    turns: list[_Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if turns and (segment.speaker is None or segment.speaker == turns[-1].speaker):
            turns[-1].text = f"{turns[-1].text} {segment.text}"
            turns[-1].end_time = segment.end_time
        else:
            turns.append(_Segment(segment.speaker or UNKNOWN, segment.line_no, segment.text, segment.start_time, segment.end_time))
    return turns


def _render(title: str | None, segments: list[_Segment]) -> Parsed:
    """Lay the turns out as `Name: text` paragraphs, which is the text their offsets point into."""
    parts, turns, offset = [], [], 0
    for segment in segments:
        head = f"{segment.speaker}: "
        start = offset + len(head)
        parts.append(head + segment.text)
        turns.append(RawTurn(segment.speaker, segment.line_no, start, start + len(segment.text), segment.start_time, segment.end_time))
        offset += len(parts[-1]) + 2
    return Parsed(title, turns, "\n\n".join(parts))


# -- JSON ---------------------------------------------------------------------------------------------------

_TIME_KEYS = {"start": ("start", "start_time"), "end": ("end", "end_time")}


def parse_json(text: str, source: str) -> Parsed:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise TranscriptError(source, error.lineno, f"not valid JSON ({error.msg}, column {error.colno})") from None
    except RecursionError:  # json recurses per level: "[[[[..." thousands deep exhausts the stack
        raise TranscriptError(source, 1, "JSON nested too deeply to be a list of turns") from None
    if not isinstance(items, list):
        raise TranscriptError(source, 1, f"expected a JSON list of {{\"speaker\", \"text\"}} turns, found {_kind(items)}")
    lines = _item_lines(text, len(items))
    segments = []
    for i, item in enumerate(items):
        line = lines[i]
        if not isinstance(item, dict):
            raise TranscriptError(source, line, f"item {i}: expected an object with \"speaker\" and \"text\", found {_kind(item)}")
        for field in ("speaker", "text"):
            if field not in item:
                raise TranscriptError(source, line, f"item {i}: missing field {field!r}")
            if not isinstance(item[field], str):
                raise TranscriptError(source, line, f"item {i}: field {field!r} must be a string, not {_kind(item[field])}")
        speaker = " ".join(item["speaker"].split())
        if not speaker:
            raise TranscriptError(source, line, f"item {i}: field 'speaker' is empty")
        times = {which: _json_time(item, keys, source, line, i) for which, keys in _TIME_KEYS.items()}
        if times["start"] is not None and times["end"] is not None and times["end"] < times["start"]:
            raise TranscriptError(source, line, f"item {i}: 'end' ({times['end']}) is before 'start' ({times['start']})")
        body = " ".join(item["text"].split())
        if body:
            segments.append(_Segment(speaker, line, body, times["start"], times["end"]))
    return _render(None, segments)  # each item is a turn of its own: the file already says where turns end


def _kind(value) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), "null")


def _json_time(item: dict, keys: tuple[str, ...], source: str, line: int, index: int) -> float | None:
    for key in keys:
        value = item.get(key)
        if value is None:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e9:  # not NaN, not infinite
            return float(value)
        if isinstance(value, str):
            try:
                return parse_timestamp(value, source, line)
            except TranscriptError:
                pass
        raise TranscriptError(source, line, f"item {index}: field {key!r} must be seconds (a number) or 'HH:MM:SS.mmm', not {value!r}")
    return None


def _item_lines(text: str, count: int) -> list[int]:
    """The line each top-level list item starts on (the file is already known to be valid JSON)."""
    decoder, lines, line_of = json.JSONDecoder(), [], _line_numbers(text)
    position = text.index("[") + 1
    for _ in range(count):
        while text[position] in " \t\r\n,":
            position += 1
        lines.append(line_of(position))
        _, position = decoder.raw_decode(text, position)
    return lines


# -- Detection ----------------------------------------------------------------------------------------------


def _looks_like_json(text: str) -> bool:
    if text.lstrip()[:1] not in ("[", "{"):
        return False
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


FORMATS: dict[str, TranscriptFormat] = {
    "vtt": TranscriptFormat("vtt", frozenset({".vtt"}), lambda t: bool(re.match(r"^WEBVTT(?:$|[ \t\r\n])", t.lstrip())), parse_vtt),
    "json": TranscriptFormat("json", frozenset({".json"}), _looks_like_json, parse_json),
    "srt": TranscriptFormat("srt", frozenset({".srt"}), lambda t: bool(_SRT_START.match(t)), parse_srt),
    "igf": TranscriptFormat("igf", frozenset(), lambda t: bool(_IGF_TURN.search(t)), parse_igf),
    "generic": TranscriptFormat("generic", frozenset({".txt", ".text", ".md"}), lambda t: True, parse_generic),
}
SUFFIXES = frozenset(s for f in FORMATS.values() for s in f.suffixes)


def detect_format(text: str, source: str | Path) -> TranscriptFormat:
    """The first format whose content check passes (in FORMATS order); else the one the extension names.

    Content decides first because the markers are unambiguous (a WEBVTT header, a JSON list, SRT timing
    lines, `>>` turns), whatever a file is called. When the content matches none of them, the extension's
    parser runs so its error names the problem: a `.vtt` without its header, a `.json` that does not parse,
    a `.txt` line that is not `Name: text`.
    """
    for candidate in FORMATS.values():
        if candidate.name != "generic" and candidate.looks_like(text):
            return candidate
    suffix = Path(source).suffix.lower()
    return next((f for f in FORMATS.values() if suffix in f.suffixes), FORMATS["generic"])
