"""Who is who in each indexed session, derived from the transcript's own words.

For every session the directory holds its canonical speakers (the turn headers) and the audience members who
introduce themselves. What is known about each comes from rules over the text, never from a table of names:

- a moderator's introduction of a panelist: the panelist's full name followed, in the same sentence, by a
  description (", he is Director of the GFC, ...", ", Deputy Minister of the Ministry of ...", " from the
  Electronic Frontier Foundation.") or by sentences about them that start with "He is" / "She is";
- a self-introduction: "My name is Olga Cavalli, National Cybersecurity Director of Argentina";
- from a description: the organisation (after "from", "at", "of the", or a possessive), its acronyms (stated
  as "GFC, Global Forum on ..." or derived from the initials), and the country (a country name in it);
- moderators are the speakers who introduce others; one introduced by a moderator is a co-moderator;
- short forms are capitalised words of the text that begin a speaker's first name ("Chris" for Christopher).

The same name in two sessions is one person only when the name matches exactly: entries are per session.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections import defaultdict
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from index.text import fold
from index.types import Turn
from rag.introductions import build_session
from rag.mentions import PERSON_NOUNS, MatchIndex, mentions_organisation, points_for_role, role_kinds, tokens_of
from rag.people import AUDIENCE, GENERIC_SPEAKERS, MODERATOR, UNKNOWN, Match, Speaker
from rag.places import countries_named, mentions_place

__all__ = ["AUDIENCE", "GENERIC_SPEAKERS", "MODERATOR", "UNKNOWN", "Match", "Speaker", "SpeakerDirectory"]


class SpeakerDirectory:
    def __init__(self, turns: list[Turn], cache: Path | None = None):
        """The directory of every session in `turns`. With `cache` (a JSON file), sessions whose turns and rules
        are unchanged since it was written are read from it rather than derived again (seconds per thousand
        sessions instead of half a minute); the file is rewritten when a session had to be derived."""
        by_session: dict[str, list[Turn]] = defaultdict(list)
        for turn in turns:
            by_session[turn.session_id].append(turn)
        self.entries: dict[tuple[str, str], Speaker] = {}
        self.audience: list[Speaker] = []
        stored = _read_cache(cache) if cache is not None else {}
        keep: dict[str, dict] = {}
        for session_id, session_turns in by_session.items():
            fingerprint = _fingerprint(session_turns) if cache is not None else ""
            record = stored.get(fingerprint)
            if record is None:
                canonical, members = build_session(session_turns)
                record = {"canonical": [_to_json(s) for s in canonical], "members": [_to_json(m) for m in members]} if cache is not None else None
            else:
                canonical, members = [_from_json(s) for s in record["canonical"]], [_from_json(m) for m in record["members"]]
            if record is not None:
                keep[fingerprint] = record
            self.entries.update({(session_id, s.key): s for s in canonical})
            self.audience.extend(members)
        if cache is not None and keep.keys() != stored.keys():
            _write_cache(cache, keep)
        self._index: MatchIndex | None = None
        self._members_by_turn: dict[tuple[str, int], Speaker] | None = None

    # -- lookup ------------------------------------------------------------------------------------
    @property
    def speakers(self) -> dict[str, Speaker]:
        """Speaker key -> its entry in the first session it speaks in (for callers without a session)."""
        result: dict[str, Speaker] = {}
        for (_, key), speaker in self.entries.items():
            result.setdefault(key, speaker)
        return result

    def all(self) -> list[Speaker]:
        return list(self.entries.values()) + self.audience

    def get(self, session_id: str, key: str) -> Speaker | None:
        return self.entries.get((session_id, key))

    def describe(self, session_id: str, key: str, turn_no: int | None = None) -> str | None:
        """The role line of a speaker ("Director of the GFC, Global Forum on Cyber Expertise"), if the text gives one."""
        if key == AUDIENCE and turn_no is not None:
            member = self.member(session_id, turn_no)
            if member is not None:
                return member.description()
        speaker = self.get(session_id, key)
        return speaker.description() if speaker else None

    def label(self, session_id: str, key: str, turn_no: int | None = None) -> str:
        """Who spoke a turn, for an answer: "Katitza Rodriguez (Policy Director for Global Privacy)"."""
        speaker = self.get(session_id, key)
        if key == AUDIENCE and turn_no is not None:
            speaker = self.member(session_id, turn_no) or speaker
        if speaker is None:
            return key.title()
        if speaker.key == UNKNOWN:
            return "A speaker the transcript does not name"
        if speaker is self.get(session_id, AUDIENCE):
            return "A member of the audience who did not give a name"
        description = speaker.description()
        return f"{speaker.name} ({description})" if description else speaker.name

    def member(self, session_id: str, turn_no: int) -> Speaker | None:
        """The audience member who spoke that turn (the first listed, as a scan of `audience` would find)."""
        if self._members_by_turn is None:
            by_turn: dict[tuple[str, int], Speaker] = {}
            for member in self.audience:
                for number in member.turn_nos:
                    by_turn.setdefault((member.session_id, number), member)
            self._members_by_turn = by_turn
        return self._members_by_turn.get((session_id, turn_no))

    def names(self) -> list[str]:
        return sorted({s.name for s in self.all()})

    def resolve(self, name: str) -> set[str]:
        """Speaker keys that `name` can mean: full name, surname, first name, short form, role, organisation."""
        return {m.speaker.key for m in self.resolve_matches(name)}

    def resolve_matches(self, name: str) -> list[Match]:
        folded = fold(name)
        if not folded:
            return []
        index = self._match_index()
        everyone = index.everyone
        exact = [Match(everyone[i], 3.0, "name") for i in sorted(set(index.exact.get(folded, ())))]
        if exact:
            return exact
        found = self.match(name, case_sensitive=False)
        if found:
            return found
        return self._fuzzy(folded)

    def _fuzzy(self, folded: str) -> list[Match]:
        """A caption misspelling ("Quisai" for "Qusai") still finds its speaker."""
        if len(folded) < 4:
            return []
        scored = [(difflib.SequenceMatcher(None, folded, alias).ratio(), s) for s in self.all() for alias in s.aliases if len(alias) >= 4]
        best = max((r for r, _ in scored), default=0.0)
        return [Match(s, 1.0, "name") for r, s in scored if r >= 0.8 and r == best]

    # -- mentions in free text ---------------------------------------------------------------------
    def match(self, text: str, case_sensitive: bool = True) -> list[Match]:
        """Speakers that `text` refers to, by name, organisation, acronym, role, country or moderator role.

        Each speaker collects points from what the text says about them; a name alone, an organisation alone,
        or two weaker facets (a role title and a country: "the Cuban deputy minister") are enough.

        Only the speakers that a word of the text can point at are scored (a word -> speaker index, built once):
        with a thousand sessions, scoring every speaker for every question took most of a search."""
        index = self._match_index()
        everyone = index.everyone
        tokens = tokens_of(text)
        padded = " " + " ".join(t.folded for t in tokens) + " "
        scores: dict[int, tuple[float, str]] = {}
        about_a_person = re.search(rf" {PERSON_NOUNS}s? ", padded) is not None

        def add(index: int, points: float, how: str) -> None:
            old, old_how = scores.get(index, (0.0, ""))
            scores[index] = (old + points, old_how or how)

        for i, points in index.name_matches(tokens, case_sensitive).items():
            add(i, points, "name")
        countries = index.countries_mentioned(tokens)
        named_countries = countries_named(tokens)  # of anyone: "the Brazilian regulator" is not Kenya's
        co_moderator = re.search(r" co ?-? ?moderat", padded) is not None
        moderator = re.search(r" (?:the )?(?:moderator|host)s? ", padded) is not None
        online_moderator = re.search(r" online moderator ", padded) is not None
        # What an audience member said they are ("a master's student at the University of Oslo") counts only when
        # the kind of person named fits no panelist: "the researcher" is the panel's researcher, not a student who asked her.
        audience_roles: dict[int, float] = {}
        panel_kinds: set[str] = set()
        for i in index.candidates(tokens, countries, co_moderator or moderator, online_moderator):
            speaker = everyone[i]
            if mentions_organisation(speaker, tokens, padded):
                add(i, 2.0, "organisation")
            role_points = points_for_role(speaker, padded, named_countries)
            if role_points and speaker.is_audience_member:
                audience_roles[i] = role_points
            elif role_points:
                add(i, role_points, "role")
                panel_kinds |= role_kinds(speaker, padded)
            # An audience member is known by where they come from ("the participant from Nepal"); a panelist's
            # country only narrows a role ("the Cuban deputy minister").
            place_points = 2.0 if speaker.is_audience_member and about_a_person else 1.5 if not speaker.is_audience_member else 1.0
            if speaker.country and speaker.country in countries:
                add(i, place_points, "country")
            elif speaker.is_audience_member and speaker.place and mentions_place(speaker.place, tokens):
                add(i, place_points, "country")
            if speaker.kind == "moderator" and speaker.key != MODERATOR:
                if co_moderator and speaker.co_moderator:
                    add(i, 3.0, "moderator")
                elif moderator and not co_moderator:
                    add(i, 2.0, "moderator")
            if speaker.key == MODERATOR and online_moderator:
                add(i, 3.0, "moderator")
        for i, points in audience_roles.items():
            kinds = role_kinds(everyone[i], padded)
            if not kinds or not kinds <= panel_kinds:
                add(i, points, "role")
        return [Match(everyone[i], points, how) for i, (points, how) in scores.items() if points >= 2.0]

    def _match_index(self) -> "MatchIndex":
        if self._index is None:
            self._index = MatchIndex(self.all())
        return self._index



# -- the cache of derived sessions ---------------------------------------------------------------------------
_RULES = ("rag/speakers.py", "rag/introductions.py", "rag/places.py", "rag/people.py", "index/parse.py", "index/text.py")  # what a session's entries are derived by


@lru_cache(maxsize=1)
def _rules_version() -> str:
    """Changes whenever the code that derives entries (or the country list it reads) changes."""
    import importlib.metadata

    digest = hashlib.blake2b(importlib.metadata.version("pycountry").encode(), digest_size=16)
    root = Path(__file__).resolve().parent.parent
    for name in _RULES:
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def _fingerprint(turns: list[Turn]) -> str:
    """A session's entries depend only on its turns: their hash (with the rules' version) is the cache key."""
    digest = hashlib.blake2b(_rules_version().encode(), digest_size=20)
    for t in turns:
        digest.update(f"\x1e{t.session_id}\x1f{t.turn_no}\x1f{t.speaker}\x1f{t.speaker_name}\x1f{t.start_char}\x1f{t.end_char}\x1f".encode("utf-8", "surrogatepass"))
        digest.update(t.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _to_json(speaker: Speaker) -> dict:
    data = asdict(speaker)
    data["aliases"], data["acronyms"] = list(speaker.aliases), list(speaker.acronyms)
    return data


def _from_json(data: dict) -> Speaker:
    speaker = Speaker(**data)
    speaker.aliases, speaker.acronyms = set(speaker.aliases), set(speaker.acronyms)
    speaker.introductions = [tuple(span) for span in speaker.introductions]
    return speaker


def _read_cache(path: Path) -> dict[str, dict]:
    """Fingerprint -> a session's entries; an unreadable or foreign file is an empty cache (it is only a cache)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["sessions"] if data.get("rules") == _rules_version() and isinstance(data.get("sessions"), dict) else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_cache(path: Path, sessions: dict[str, dict]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"rules": _rules_version(), "sessions": sessions}, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)  # readers see the old file or the new one, never half of one
    except OSError:
        pass  # a read-only data directory: the directory is derived again next time

