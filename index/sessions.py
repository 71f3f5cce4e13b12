"""Sessions: what an IGF title says about a session, and finding a session by what a user types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from index.text import fold

_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"), start=1)}
_MONTH = r"(?P<month>" + "|".join(_MONTHS) + r")"
_ISO_DATE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")
_DAY_MONTH_YEAR = re.compile(rf"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)? {_MONTH},? (?P<year>(?:19|20)\d\d)\b")
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH} (?P<day>[0-3]?\d)(?:st|nd|rd|th)?,? (?P<year>(?:19|20)\d\d)\b")
_IGF_YEAR = re.compile(r"\bigf ?(?P<year>(?:19|20)\d\d)\b")
_FORUM_DAY = re.compile(r"\bday ?(?P<day>\d{1,2})\b")

# IGF session kinds as the IGF names them in titles ("IGF 2023 WS #123 ...", "IGF 2023 Open Forum #45 ...").
# Checked in order on the folded title with dashes and underscores read as spaces; the first match wins.
SESSION_TYPES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\bmain session\b"), "Main Session"),
    (re.compile(r"\bhigh level (?:leaders )?(?:session|track|panel)\b"), "High-Level Session"),
    (re.compile(r"\b(?:opening|closing) ceremony\b"), "Ceremony"),
    (re.compile(r"\bday ?0 event\b"), "Day 0 Event"),
    (re.compile(r"\b(?:ws ?#? ?\d+|workshop)\b"), "Workshop"),
    (re.compile(r"\bopen forum\b"), "Open Forum"),
    (re.compile(r"\btown hall\b"), "Town Hall"),
    (re.compile(r"\b(?:launch ?/? ?award event|launch event|award event)\b"), "Launch / Award Event"),
    (re.compile(r"\bnetworking session\b"), "Networking Session"),
    (re.compile(r"\blightning talk\b"), "Lightning Talk"),
    (re.compile(r"\b(?:dc|dynamic coalitions?)\b"), "Dynamic Coalition"),
    (re.compile(r"\b(?:bpf|best practice forum)\b"), "Best Practice Forum"),
    (re.compile(r"\b(?:pn|policy network)\b"), "Policy Network"),
    (re.compile(r"\bnris?\b"), "NRI Session"),
    (re.compile(r"\bparliamentary\b"), "Parliamentary Track"),
]


def title_metadata(title: str) -> tuple[str | None, str | None]:
    """(date, session type) from a session title, each None when the title does not say.

    The date is ISO when the title has a calendar date, else "2023 Day 2" or "2023" from an IGF title
    ("IGF 2023 – Day 2 – MAIN SESSION 2 ...": the forum's day, not a calendar date). Types are read
    only from IGF titles: elsewhere "DC" or "workshop" say nothing about an IGF session kind.
    """
    date = _calendar_date(fold(title))
    text = re.sub(r"[\s_\-\u2010-\u2015]+", " ", fold(title))
    igf = _IGF_YEAR.search(text)
    if not igf:
        return date, None
    if date is None:
        day = _FORUM_DAY.search(text)
        date = f"{igf.group('year')} Day {int(day.group('day'))}" if day else igf.group("year")
    session_type = next((name for pattern, name in SESSION_TYPES if pattern.search(text)), None)
    return date, session_type


def _calendar_date(text: str) -> str | None:
    for pattern in (_ISO_DATE, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        match = pattern.search(text)
        if match:
            month = match.group("month")
            month = _MONTHS[month] if month in _MONTHS else int(month)
            day = int(match.group("day"))
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{match.group('year')}-{month:02d}-{day:02d}"
    return None


class _SessionLike(Protocol):
    session_id: str
    title: str


class SessionNotFound(LookupError):
    """No session, or more than one, matches what the user typed; the message lists the candidates."""


def find_session(sessions: Sequence[_SessionLike], query: str, shown: int = 8):
    """The one session `query` names: its id, a unique id prefix, or a unique part of its title."""
    wanted = (query or "").strip()
    if not wanted:
        raise SessionNotFound("no session given")
    for session in sessions:
        if session.session_id == wanted:
            return session
    folded = fold(wanted)
    for matches in (
        [s for s in sessions if s.session_id.lower().startswith(wanted.lower())],
        [s for s in sessions if fold(s.title) == folded],
        [s for s in sessions if folded in fold(s.title)],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise SessionNotFound(f"{wanted!r} matches {len(matches)} sessions: {_listing(matches, shown)}; give more of the id or title")
    if not sessions:
        raise SessionNotFound(f"no session matches {wanted!r}: the index holds no sessions")
    raise SessionNotFound(f"no session matches {wanted!r}; known sessions: {_listing(sessions, shown)}")


def _listing(sessions: Sequence[_SessionLike], shown: int) -> str:
    listed = "; ".join(f"{s.session_id} ({s.title})" for s in sessions[:shown])
    if len(sessions) > shown:
        listed += f"; and {len(sessions) - shown} more (igf-rag sessions lists them all)"
    return listed
