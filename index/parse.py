"""Parse a transcript file into speaker turns with exact character offsets.

index.formats holds one parser per format and picks the format; here the file is read, the session
named and dated, and the speakers cleaned up the same way for every format.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from functools import lru_cache

from index.formats import UNKNOWN, Parsed, RawTurn, TranscriptError, detect_format
from index.sessions import title_metadata
from index.text import speaker_key, strip_accents
from index.types import Session, Transcript, Turn

__all__ = ["TranscriptError", "parse_file", "parse_text", "read_text", "session_id_for", "introduced_as"]

AUDIENCE = "AUDIENCE"
MAX_FILE_BYTES = 20 * 1024 * 1024


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
    parsed: Parsed = detect_format(text, source).parse(text, source)
    if not parsed.turns:
        raise TranscriptError(source, None, "no speaker turns found (expected '>> NAME:' or 'Name: text' lines, subtitles, or a JSON list of turns)")
    title = parsed.title or Path(source).stem.replace("_", " ")
    date, session_type = title_metadata(title)
    session = Session(session_id, title, source, sha256, date=date, session_type=session_type)
    return Transcript(session=session, turns=_finish_turns(parsed.text, parsed.turns, session_id), text=parsed.text)


def _finish_turns(text: str, raw: list[RawTurn], session_id: str) -> list[Turn]:
    """Merge spellings of one name into one speaker and label audience members who introduce themselves."""
    variants: dict[str, Counter] = defaultdict(Counter)
    for turn in raw:
        variants[_key(turn.name)][turn.name] += 1
    mixed_case = _mixed_case_spellings(set(variants), text)
    display = {key: _display_name(key, names, mixed_case.get(key, [])) for key, names in variants.items()}
    turns = []
    for turn_no, r in enumerate(raw, start=1):
        key = _key(r.name)
        label = display[key]
        body = text[r.start : r.end]
        if key == AUDIENCE:
            who = introduced_as(body)
            if who:
                label = f"Audience ({who})"
        turns.append(Turn(session_id, turn_no, r.line_no, key, label, r.start, r.end, body, r.start_time, r.end_time))
    return turns


def _key(name: str) -> str:
    """A name with no letters or digits left after folding (say "¨") names nobody."""
    key = speaker_key(name)
    return key if any(c.isalnum() for c in key) else UNKNOWN


def _mixed_case_spellings(keys: set[str], text: str) -> dict[str, list[str]]:
    """Speaker key -> the mixed-case runs of words in the text that spell it ("Olga Cavalli" for OLGA CAVALLI).

    One scan of the text per name length, not per speaker: a file with thousands of speakers stays linear."""
    found: dict[str, list[str]] = defaultdict(list)
    for size in sorted({len(key.split()) for key in keys}):
        wanted = {key for key in keys if len(key.split()) == size}
        first_words = {key.split()[0] for key in wanted}
        pattern = r"\b" + r"\s+".join(r"[\w’'.\u2011-]+" for _ in range(size)) + r"\b"
        for match in re.finditer(pattern, text):
            run = match.group(0)
            first = run.split(None, 1)[0]
            if run.isupper() or (first.upper() if first.isascii() else speaker_key(first)) not in first_words:
                continue  # the cheap test first: most runs of words are not a speaker's name
            key = speaker_key(run)
            if key in wanted:
                found[key].append(run)
    return found


def _display_name(key: str, spellings: Counter, candidates: list[str]) -> str:
    """The name as the text itself writes it in mixed case, else the most accented header spelling, title-cased."""
    if key in (UNKNOWN, AUDIENCE, "MODERATOR"):
        return key.title()
    accents = lambda s: sum(1 for c in s if unicodedata.combining(c) or c != strip_accents(c))  # noqa: E731
    best_header = max(spellings, key=lambda s: (accents(s), spellings[s]))
    if candidates:
        counts = Counter(candidates)
        return max(counts, key=lambda s: (accents(s), counts[s]))
    # title(), not capitalize(): each part of a hyphenated or apostrophised name is capitalised ("Adebayo‑Okafor", "O'Brien").
    return " ".join(w.title() if w.isupper() else w for w in best_header.split())


# Self-introductions at the start of an audience turn ("My name is Jinson Alufi, based in Abuja Nigeria").
_PERSON = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?[A-Z][\w’'\u2011-]+(?:[ \u00a0]+[A-Z][\w’'\u2011-]+){0,3}"
# "Ministry of Communication and Digital Affairs of Indonesia": "and" joins the words of one name (not "..., and I'm").
_PLACE = r"[A-Z][\w’'-]+(?:,?\s+(?:(?:of|for|in|and(?!\s+I\b|\s+I['’]))\s+(?:the\s+)?)?[A-Z][\w’'-]+){0,6}"
_INTRODUCTIONS = [
    re.compile(rf"\b(?i:my name is)\s+(?P<name>{_PERSON})(?:,?\s+(?:and\s+)?(?:I'm\s+|I am\s+)?(?:based in|from|under|with)\s+(?:the\s+)?(?P<place>{_PLACE}))?"),
    re.compile(rf"\b(?i:this is|I am|I'm)\s+(?P<name>{_PERSON}),?\s+(?:and\s+)?I work (?:for|at|with) (?:the )?(?P<place>{_PLACE})"),
    # "I'm Rudo Chikore, I'm a lawyer with ...": a full name, then a comma
    re.compile(r"(?:^|[.!]\s+)(?i:I'm|I am)\s+(?P<name>[A-Z][\w’'\u2011-]+[ \u00a0]+[A-Z][\w’'\u2011-]+),"),
    re.compile(rf"(?:^|[,.]\s+)(?P<name>[A-Z][a-z]+[ \u00a0]+[A-Z][a-z]+) from (?:the )?(?P<place>{_PLACE})"),
    re.compile(rf"\b(?i:I'm|I am) from (?:the )?(?P<place>{_PLACE})"),
]


_LOCATED = re.compile(rf",?\s+(?:and\s+)?(?:I'm\s+|I am\s+)?(?:from|with)\s+[^,!?]{{1,40}}?\s+(?:in|based in)\s+(?P<place>{_PLACE})")


def self_introduction(turn_text: str) -> tuple[str | None, str | None] | None:
    """(name, place) an audience member gives for themselves at the start of their turn, if any."""
    opening = turn_text[:400]
    for pattern in _INTRODUCTIONS:
        match = pattern.search(opening)
        if match:
            name, place = (match.groupdict().get(group) for group in ("name", "place"))
            if place is None:
                # "I'm from epicenter.works in Vienna": an organisation written in lower case, then where it is.
                located = _LOCATED.match(opening, match.end())
                place = located.group("place") if located else None
            return (" ".join(name.split()) if name else None, " ".join(place.split()) if place else None)
    return None


def introduced_as(turn_text: str) -> str | None:
    """'Jinson Alufi, Abuja, Nigeria' from an audience member's own introduction, if they give one."""
    found = self_introduction(turn_text)
    if not found:
        return None
    name, place = found
    parts = [p for p in (name, place and _split_country(place)) if p]
    return ", ".join(parts) or None


def _split_country(place: str) -> str:
    """'Abuja Nigeria' -> 'Abuja, Nigeria' when the place ends with a country name."""
    words = place.split()
    for size in (3, 2, 1):
        if len(words) > size and " ".join(words[-size:]) in country_names() and words[-size - 1][:1].isupper():
            return " ".join(words[:-size]) + ", " + " ".join(words[-size:])
    return place


_COUNTRIES: set[str] = set()


def country_names() -> set[str]:
    """Country names (ISO 3166 short and common names)."""
    if not _COUNTRIES:
        import pycountry

        for country in pycountry.countries:
            _COUNTRIES.update(getattr(country, attr) for attr in ("name", "common_name") if hasattr(country, attr))
    return _COUNTRIES


@lru_cache(maxsize=1)
def rules_version() -> str:
    """Changes whenever the code reading transcripts into turns and chunks changes: an index built by other rules holds
    other turns (speaker names, boundaries) and must be rebuilt (index.store.Manifest.check_settings)."""
    digest = hashlib.blake2b(digest_size=12)
    for module in ("parse.py", "formats.py", "chunk.py", "sessions.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.hexdigest()
