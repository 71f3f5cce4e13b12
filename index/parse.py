"""Parse transcripts into speaker turns with exact character offsets.

Formats:
- IGF caption text: a title line, a disclaimer, `***`, then turns that start with `>> NAME:`
  (a `>>` with no upper-case name before a colon is a turn by an UNKNOWN speaker).
- Generic: every non-blank line is `Name: text`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from index.text import speaker_key, strip_accents
from index.types import Session, Transcript, Turn

UNKNOWN = "UNKNOWN"
AUDIENCE = "AUDIENCE"
MAX_FILE_BYTES = 20 * 1024 * 1024
_NAME_CHARS = r"A-Z\u00C0-\u00DE .'’\u2010\u2011-"
_IGF_TURN = re.compile(r"^>>[ \t\u00a0]*(?:([A-Z\u00C0-\u00DE][" + _NAME_CHARS + r"]{0,60}?)[ \t]*:)?[ \t\u00a0]*", re.M)
_GENERIC_LINE = re.compile(r"^(?P<name>[^\s:][^:\n]{0,59}?)[ \t]*:[ \t]+(?P<text>\S.*)$")


class TranscriptError(ValueError):
    """A transcript that cannot be read; the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


def read_text(path: Path) -> tuple[str, str]:
    """Decode a UTF-8 file; return (text, sha256 of the bytes)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TranscriptError(path, None, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise TranscriptError(path, None, "no such file") from None
    except IsADirectoryError:
        raise TranscriptError(path, None, "is a directory, not a transcript file") from None
    except PermissionError:
        raise TranscriptError(path, None, "permission denied") from None
    except OSError as error:
        raise TranscriptError(path, None, f"cannot read file ({error.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TranscriptError(path, line, f"not valid UTF-8 (byte {error.start}); save the file as UTF-8") from None
    return text, hashlib.sha256(data).hexdigest()


def session_id_for(path: Path, sha256: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", strip_accents(path.stem).lower()).strip("-")[:60] or "session"
    return f"{stem}-{sha256[:8]}"


def parse_file(path: str | Path) -> Transcript:
    path = Path(path)
    text, sha = read_text(path)
    return parse_text(text, source=str(path), sha256=sha, session_id=session_id_for(path, sha))


def parse_text(text: str, source: str, sha256: str = "", session_id: str = "session") -> Transcript:
    if "\x00" in text:
        raise TranscriptError(source, text[: text.index("\x00")].count("\n") + 1, "contains NUL bytes: not a text transcript")
    if _IGF_TURN.search(text):
        title, raw_turns = _parse_igf(text, source)
    else:
        title, raw_turns = Path(source).stem.replace("_", " "), _parse_generic(text, source)
    if not raw_turns:
        raise TranscriptError(source, None, "no speaker turns found (expected '>> NAME:' or 'Name: text' lines)")
    session = Session(session_id=session_id, title=title, source=source, sha256=sha256)
    return Transcript(session=session, turns=_finish_turns(text, raw_turns, session_id), text=text)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _parse_igf(text: str, source: str) -> tuple[str, list[tuple[str, int, int, int]]]:
    """Return the title and (raw speaker, line, start, end) per turn."""
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    title = "" if first_line.startswith(">>") else first_line
    matches = list(_IGF_TURN.finditer(text))
    raw = []
    for i, match in enumerate(matches):
        start = match.end()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue  # a bare ">>" marker with nothing said
        name = (match.group(1) or "").strip()
        raw.append((name or UNKNOWN, _line_of(text, match.start()), start, end))
    return title or Path(source).stem, raw


def _parse_generic(text: str, source: str) -> list[tuple[str, int, int, int]]:
    raw, offset = [], 0
    for line_no, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        if body.strip():
            match = _GENERIC_LINE.match(body)
            if not match:
                shown = body.strip()[:60]
                raise TranscriptError(source, line_no, f"expected a '>> NAME:' turn or a 'Name: text' line, found {shown!r}")
            start = offset + match.start("text")
            end = offset + len(body.rstrip())
            raw.append((match.group("name").strip(), line_no, start, end))
        offset += len(line)
    return raw


def _finish_turns(text: str, raw: list[tuple[str, int, int, int]], session_id: str) -> list[Turn]:
    """Merge spellings of one name into one speaker and label audience members who introduce themselves."""
    variants: dict[str, Counter] = defaultdict(Counter)
    for name, *_ in raw:
        variants[speaker_key(name)][name] += 1
    display = {key: _display_name(key, names, text) for key, names in variants.items()}
    turns = []
    for turn_no, (name, line_no, start, end) in enumerate(raw, start=1):
        key = speaker_key(name)
        label = display[key]
        body = text[start:end]
        if key == AUDIENCE:
            who = introduced_as(body)
            if who:
                label = f"Audience ({who})"
        turns.append(Turn(session_id, turn_no, line_no, key, label, start, end, body))
    return turns


def _display_name(key: str, spellings: Counter, text: str) -> str:
    """The name as the text itself writes it in mixed case, else the most accented header spelling, title-cased."""
    if key in (UNKNOWN, AUDIENCE, "MODERATOR"):
        return key.title()
    accents = lambda s: sum(1 for c in s if unicodedata.combining(c) or c != strip_accents(c))  # noqa: E731
    best_header = max(spellings, key=lambda s: (accents(s), spellings[s]))
    pattern = r"\b" + r"\s+".join(r"[\w’'.-]+" for _ in key.split()) + r"\b"
    candidates = [m.group(0) for m in re.finditer(pattern, text) if speaker_key(m.group(0)) == key and not m.group(0).isupper()]
    if candidates:
        return max(candidates, key=lambda s: (accents(s), candidates.count(s)))
    return " ".join(w.capitalize() if w.isupper() else w for w in best_header.split())


# Self-introductions at the start of an audience turn ("My name is Jinson Alufi, based in Abuja Nigeria").
_PERSON = r"(?:(?:Dr|Mr|Ms|Prof)\.?\s+)?[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3}"
_PLACE = r"[A-Z][\w’'-]+(?:,?\s+(?:(?:of|for|in)\s+(?:the\s+)?)?[A-Z][\w’'-]+){0,6}"
_INTRODUCTIONS = [
    re.compile(rf"\b(?i:my name is) (?P<name>{_PERSON})(?:,?\s+(?:and\s+)?(?:I'm\s+|I am\s+)?(?:based in|from|under)\s+(?P<place>{_PLACE}))?"),
    re.compile(rf"\b(?i:this is|I am|I'm) (?P<name>{_PERSON}),?\s+I work for (?:the )?(?P<place>{_PLACE})"),
    re.compile(rf"(?:^|[,.]\s+)(?P<name>[A-Z][a-z]+\s+[A-Z][a-z]+) from (?P<place>{_PLACE})"),
    re.compile(rf"\bI'?m from (?:the )?(?P<place>{_PLACE})"),
]


def introduced_as(turn_text: str) -> str | None:
    """'Jinson Alufi, Abuja, Nigeria' from an audience member's own introduction, if they give one."""
    opening = turn_text[:400]
    for pattern in _INTRODUCTIONS:
        match = pattern.search(opening)
        if match:
            name = match.groupdict().get("name")
            place = match.groupdict().get("place")
            parts = [" ".join(p.split()) for p in (name, place) if p]
            if parts:
                parts[-1] = _split_country(parts[-1]) if place else parts[-1]
                return ", ".join(parts)
    return None


def _split_country(place: str) -> str:
    """'Abuja Nigeria' -> 'Abuja, Nigeria' when the place ends with a country name."""
    words = place.split()
    for size in (3, 2, 1):
        if len(words) > size and " ".join(words[-size:]) in _country_names() and words[-size - 1][:1].isupper():
            return " ".join(words[:-size]) + ", " + " ".join(words[-size:])
    return place


_COUNTRIES: set[str] = set()


def _country_names() -> set[str]:
    if not _COUNTRIES:
        import pycountry

        for country in pycountry.countries:
            _COUNTRIES.update(getattr(country, attr) for attr in ("name", "common_name") if hasattr(country, attr))
    return _COUNTRIES
