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
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from index.parse import self_introduction
from index.text import fold, sentence_spans, strip_accents
from index.types import Turn

AUDIENCE, UNKNOWN, MODERATOR = "AUDIENCE", "UNKNOWN", "MODERATOR"
GENERIC_SPEAKERS = {AUDIENCE, UNKNOWN, MODERATOR}
FUNCTION_WORDS = frozenset("of the for and on in at to a an de del la le".split())
# Nouns that say "the person from/at ..." in a question; they carry no identity of their own.
_PERSON_NOUNS = r"(?:speaker|representative|panell?ist|participant|delegate|official|member|colleague|person|expert|guest)"


@dataclass
class Speaker:
    session_id: str
    key: str  # speaker key of the turn headers; AUDIENCE for audience members
    name: str  # display name
    kind: str  # "panelist", "moderator", "audience", "unknown"
    turn_nos: list[int] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)  # folded names: full name, first name, surname, short forms
    role: str | None = None  # "Director of the GFC, Global Forum on Cyber Expertise"
    organisation: str | None = None
    country: str | None = None
    place: str | None = None  # audience members: where they said they are from
    acronyms: set[str] = field(default_factory=set)  # folded: "gfc", "gfce", "eff"
    co_moderator: bool = False
    introduced_by: str | None = None  # speaker key of the introducer
    introductions: list[tuple[int, int]] = field(default_factory=list)  # character spans in the session text

    @property
    def turns(self) -> int:
        return len(self.turn_nos)

    @property
    def is_audience_member(self) -> bool:
        return self.key == AUDIENCE

    def description(self) -> str | None:
        """One line for citations and listings: "Co-moderator; chef D'entreprise, POST"."""
        parts = []
        if self.kind == "moderator":
            parts.append("Co-moderator" if self.co_moderator else "Moderator")
        if self.is_audience_member:
            parts.append("Audience member")
            if self.place:
                parts.append(self.place)
        elif self.role:
            organisation = self.organisation
            known = organisation is None or fold(organisation).replace("'s", "") in fold(self.role).replace("'s", "")
            parts.append(self.role if known else f"{self.role}, {organisation}")
        elif self.organisation:
            parts.append(self.organisation)
        text = "; ".join(parts)
        if self.country and fold(self.country) not in fold(text):
            text = f"{text} ({self.country})" if text else self.country
        return text or None


@dataclass(frozen=True)
class Match:
    speaker: Speaker
    score: float
    how: str  # "name", "organisation", "role", "country", "moderator"


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
        self._index: _MatchIndex | None = None
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
            member = self._member(session_id, turn_no)
            if member is not None:
                return member.description()
        speaker = self.get(session_id, key)
        return speaker.description() if speaker else None

    def label(self, session_id: str, key: str, turn_no: int | None = None) -> str:
        """Who spoke a turn, for an answer: "Katitza Rodriguez (Policy Director for Global Privacy)"."""
        speaker = self.get(session_id, key)
        if key == AUDIENCE and turn_no is not None:
            speaker = self._member(session_id, turn_no) or speaker
        if speaker is None:
            return key.title()
        if speaker.key == UNKNOWN:
            return "A speaker the transcript does not name"
        if speaker is self.get(session_id, AUDIENCE):
            return "A member of the audience who did not give a name"
        description = speaker.description()
        return f"{speaker.name} ({description})" if description else speaker.name

    def _member(self, session_id: str, turn_no: int) -> Speaker | None:
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
        tokens = _tokens(text)
        padded = " " + " ".join(t.folded for t in tokens) + " "
        scores: dict[int, tuple[float, str]] = {}
        about_a_person = re.search(rf" {_PERSON_NOUNS}s? ", padded) is not None

        def add(index: int, points: float, how: str) -> None:
            old, old_how = scores.get(index, (0.0, ""))
            scores[index] = (old + points, old_how or how)

        for i, points in index.name_matches(tokens, case_sensitive).items():
            add(i, points, "name")
        countries = index.countries_mentioned(tokens)
        co_moderator = re.search(r" co ?-? ?moderat", padded) is not None
        moderator = re.search(r" (?:the )?(?:moderator|host)s? ", padded) is not None
        online_moderator = re.search(r" online moderator ", padded) is not None
        for i in index.candidates(tokens, countries, co_moderator or moderator, online_moderator):
            speaker = everyone[i]
            if _mentions_organisation(speaker, tokens, padded):
                add(i, 2.0, "organisation")
            role_points = _role_points(speaker, padded)
            if role_points:
                add(i, role_points, "role")
            # An audience member is known by where they come from ("the participant from Nepal"); a panelist's
            # country only narrows a role ("the Cuban deputy minister").
            place_points = 2.0 if speaker.is_audience_member and about_a_person else 1.5 if not speaker.is_audience_member else 1.0
            if speaker.country and speaker.country in countries:
                add(i, place_points, "country")
            elif speaker.is_audience_member and speaker.place and _mentions_place(speaker.place, tokens):
                add(i, place_points, "country")
            if speaker.kind == "moderator" and speaker.key != MODERATOR:
                if co_moderator and speaker.co_moderator:
                    add(i, 3.0, "moderator")
                elif moderator and not co_moderator:
                    add(i, 2.0, "moderator")
            if speaker.key == MODERATOR and online_moderator:
                add(i, 3.0, "moderator")
        return [Match(everyone[i], points, how) for i, (points, how) in scores.items() if points >= 2.0]

    def _match_index(self) -> "_MatchIndex":
        if self._index is None:
            self._index = _MatchIndex(self.all())
        return self._index


class _MatchIndex:
    """Which speakers (positions in `everyone`) each word can point at, for every facet `match` scores.

    Each lookup may return more speakers than match (they are then scored as before) but never fewer, so
    `match` finds exactly what scoring every speaker would, in the same order."""

    def __init__(self, everyone: list[Speaker]):
        self.everyone = everyone
        self.exact: dict[str, list[int]] = defaultdict(list)  # folded alias or key -> speakers (resolve)
        self.multi_by_first: dict[str, list[tuple[int, list[str], int]]] = defaultdict(list)  # first word -> (order, parts, speaker)
        self.single: dict[str, list[int]] = defaultdict(list)  # one-word alias -> speakers
        self.acronyms: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))  # initial -> acronym -> speakers
        self.words: dict[str, list[int]] = defaultdict(list)  # a role title's last word -> speakers
        self.capitalised_words: dict[str, list[int]] = defaultdict(list)  # words of audience members' places
        # An organisation of one word counts when it is written capitalised; of more, when two of its words are in the text.
        self.organisation_words: dict[str, list[int]] = defaultdict(list)
        self.organisation_size: dict[int, int] = {}
        self.by_country: dict[str, list[int]] = defaultdict(list)
        self.country_prefixes: dict[str, set[str]] = defaultdict(set)  # a country name's first four letters -> countries
        self.moderators: list[int] = []  # kind "moderator" but not the MODERATOR key
        self.online_moderators: list[int] = []  # the MODERATOR key
        self._acronym_cache: dict[str, list[int]] = {}
        order = 0
        for i, speaker in enumerate(everyone):
            for alias in speaker.aliases:
                self.exact[alias].append(i)
                if " " in alias:
                    parts = alias.split()
                    self.multi_by_first[parts[0]].append((order, parts, i))
                    order += 1
                else:
                    self.single[alias].append(i)
            if fold(speaker.key) not in speaker.aliases:
                self.exact[fold(speaker.key)].append(i)
            for acronym in speaker.acronyms:
                self.acronyms[acronym[:1]][acronym].append(i)
            if speaker.organisation:
                words = set(_organisation_words(speaker.organisation))
                for word in words:
                    self.organisation_words[word].append(i)
                self.organisation_size[i] = len(words)
            if speaker.role:
                title_words = _title_words(speaker.role, frozenset(speaker.acronyms))
                if title_words:
                    self.words[title_words[-1]].append(i)
            if speaker.country:
                self.by_country[speaker.country].append(i)
            if speaker.is_audience_member and speaker.place:
                for word in _place_words(speaker.place):
                    self.capitalised_words[word].append(i)
            if speaker.kind == "moderator" and speaker.key != MODERATOR:
                self.moderators.append(i)
            if speaker.key == MODERATOR:
                self.online_moderators.append(i)
        for country in self.by_country:
            for name in _names_of(country):
                self.country_prefixes[name.split()[0][:4]].add(country)

    def name_matches(self, tokens: list["_Token"], case_sensitive: bool) -> dict[int, float]:
        """3 points for a full name, 2 for one name alone; a word that is part of a longer name matched for one
        speaker does not also count as a single name of another ("Katitza Rodriguez" is not Ernesto Rodriguez).
        Longer names are tried first, ties in directory order."""
        folded = [t.folded for t in tokens]
        starts: dict[str, list[int]] = defaultdict(list)  # word -> its positions in the text
        for position, word in enumerate(folded):
            starts[word].append(position)
        owner: dict[int, int] = {}
        points: dict[int, float] = {}
        multi = sorted((entry for word in starts for entry in self.multi_by_first.get(word, ())), key=lambda e: (-len(e[1]), e[0]))
        for _, parts, i in multi:
            for start in starts[parts[0]]:
                span = range(start, start + len(parts))
                if folded[start : start + len(parts)] == parts and all(owner.get(p, i) == i for p in span):
                    owner.update({p: i for p in span})
                    points[i] = 3.0
        positions: dict[int, list[int]] = defaultdict(list)
        for position, word in enumerate(folded):
            for i in self.single.get(word, ()):
                positions[i].append(position)
        for i in sorted(positions):
            if i in points:
                continue
            if any(owner.get(p, i) == i and (tokens[p].capitalised or not case_sensitive) for p in positions[i]):
                points[i] = 2.0
        return points

    def countries_mentioned(self, tokens: list["_Token"]) -> set[str]:
        possible = {c for t in tokens for c in self.country_prefixes.get(t.folded[:4], ())}
        return {c for c in possible if _mentions_country(c, tokens)}

    def candidates(self, tokens: list["_Token"], countries: set[str], moderator: bool, online_moderator: bool) -> list[int]:
        """Speakers some facet other than the name could score, ascending (the order scores are added in)."""
        found: set[int] = set()
        present = {t.folded for t in tokens}
        capitalised = {t.folded for t in tokens if t.capitalised}
        organisation_hits: dict[int, int] = defaultdict(int)
        for word in present:
            found.update(self.words.get(word, ()))
            for i in self.organisation_words.get(word, ()):
                organisation_hits[i] += 1
        for word in capitalised:
            found.update(self.capitalised_words.get(word, ()))
        for i, hits in organisation_hits.items():
            size = self.organisation_size[i]
            if hits >= 2 or (size == 1 and self.everyone[i].organisation and _organisation_words(self.everyone[i].organisation)[0] in capitalised):
                found.add(i)
        for token in tokens:
            if token.upper:
                found.update(self._acronym_like(token.folded))
        for country in countries:
            found.update(self.by_country[country])
        if moderator:
            found.update(self.moderators)
        if online_moderator:
            found.update(self.online_moderators)
        return sorted(found)

    def _acronym_like(self, token: str) -> list[int]:
        if token not in self._acronym_cache:
            if len(self._acronym_cache) > 4096:
                self._acronym_cache.clear()
            self._acronym_cache[token] = [i for acronym, owners in self.acronyms.get(token[:1], {}).items() if _acronym_like(token, acronym) for i in owners]
        return self._acronym_cache[token]


# -- the cache of derived sessions ---------------------------------------------------------------------------
_RULES = ("rag/speakers.py", "index/parse.py", "index/text.py")  # what a session's entries are derived by


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


# -- building one session --------------------------------------------------------------------------
def build_session(turns: list[Turn]) -> tuple[list[Speaker], list[Speaker]]:
    session_id = turns[0].session_id
    speakers: dict[str, Speaker] = {}
    for turn in turns:
        speaker = speakers.get(turn.speaker)
        if speaker is None:
            kind = {AUDIENCE: "audience", UNKNOWN: "unknown", MODERATOR: "moderator"}.get(turn.speaker, "panelist")
            name = turn.speaker.title() if turn.speaker in GENERIC_SPEAKERS else turn.speaker_name
            speaker = speakers[turn.speaker] = Speaker(session_id, turn.speaker, name, kind)
            speaker.aliases = _name_aliases(name) if turn.speaker not in GENERIC_SPEAKERS else {fold(turn.speaker)}
            speaker.aliases.add(fold(turn.speaker))
        speaker.turn_nos.append(turn.turn_no)
    people = [s for s in speakers.values() if s.key not in GENERIC_SPEAKERS]
    _add_short_forms(people, turns)
    searchable = [_same_length_ascii(turn.text).casefold() for turn in turns]
    for speaker in people:
        _introduce(speaker, turns, searchable)
    introducers = {s.introduced_by for s in people if s.introduced_by and s.introduced_by != s.key}
    for speaker in people:
        if speaker.key in introducers:
            speaker.kind = "moderator"
    for speaker in people:
        if speaker.kind == "moderator" and speaker.introduced_by in introducers and speaker.introduced_by != speaker.key:
            speaker.co_moderator = True
    members = [m for turn in turns if turn.speaker == AUDIENCE for m in [_audience_member(turn)] if m is not None]
    return list(speakers.values()), _merge_members(members)


def _name_aliases(name: str) -> set[str]:
    parts = [p for p in fold(name).split() if p not in ("dr", "dr.", "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "prof", "prof.")]
    aliases = {" ".join(parts)}
    if len(parts) > 1:
        aliases.update(p for p in parts if len(p) > 1)
        aliases.add(" ".join(parts[1:]))  # two-word surnames: "rodriguez hernandez"
    return {a for a in aliases if a}


def _add_short_forms(people: list[Speaker], turns: list[Turn]) -> None:
    """A capitalised word of the text that begins exactly one speaker's first name is that speaker's short form."""
    first_names = {s.key: fold(s.name).split()[0] for s in people if s.name.split()}
    seen = {w for turn in turns for w in re.findall(r"\b[A-Z][a-z]{2,}\b", strip_accents(turn.text))}
    for word in seen:
        short = word.lower()
        owners = [key for key, first in first_names.items() if first != short and first.startswith(short)]
        if len(owners) == 1:
            next(s for s in people if s.key == owners[0]).aliases.add(short)


# -- introductions -----------------------------------------------------------------------------------
_SELF = re.compile(r"(?i:my name is|this is|i am|i'm)\s+(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?$")
_PRONOUN_SENTENCE = re.compile(r"^(?:And\s+)?(?:He|She|They)(?:\s+is|'s|\s+are)\s+(?:also\s+)?(?P<rest>.+?)[.!?]*$")
_CLAUSE_END = re.compile(r",\s*(?:but|who|which|and (?:he|she|they)|where|so|please)\b|\s+but\s+|[;!?]|\.\s|\.$|\s+(?:Welcome|Are you)\b")
_LEAD = re.compile(r"^[\s,:\u2014\u2013-]*(?:(?:and\s+)?(?:he|she|they)\s+(?:is|are|was)\s+|who\s+is\s+|is\s+)?(?:(?:the|a|an|our)\s+)?", re.I)
_MODERATE = re.compile(r"\bmoderat", re.I)


@lru_cache(maxsize=4096)  # every speaker's introduction is looked for in every turn of the session
def _same_length_ascii(text: str) -> str:
    """Accents stripped where that keeps one character per character, so offsets stay valid."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _same_length_char(m.group()), text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _same_length_char(char: str) -> str:
    stripped = strip_accents(char)
    return stripped if len(stripped) == 1 else char


def _name_pattern(name: str) -> re.Pattern:
    words = [re.escape(_same_length_ascii(w)) for w in name.split()]
    return re.compile(r"\b" + r"[\s\u00a0]+".join(words) + r"\b", re.I)


def _introduce(speaker: Speaker, turns: list[Turn], searchable: list[str] | None = None) -> None:
    """The first mention of the speaker's full name that comes with a description fills in role and organisation.

    `searchable` (the turns' texts as _same_length_ascii + casefold) lets turns without the name's first word be
    skipped before the case-insensitive pattern runs: most turns of a session never name a given speaker."""
    pattern = _name_pattern(speaker.name)
    first = _same_length_ascii(speaker.name.split()[0]).casefold() if speaker.name.split() else ""
    for position, turn in enumerate(turns):
        if searchable is not None and first and first not in searchable[position]:
            continue
        plain = _same_length_ascii(turn.text)
        for found in pattern.finditer(plain):
            own = turn.speaker == speaker.key
            if own and not _SELF.search(plain[max(0, found.start() - 40) : found.start()]):
                continue
            described = _describe(turn.text, found.start(), found.end())
            if described is None:
                continue
            role, organisation, moderates, span = described
            speaker.role = role
            speaker.organisation = organisation
            speaker.introduced_by = turn.speaker
            speaker.introductions = [(turn.start_char + span[0], turn.start_char + span[1])]
            speaker.introductions += _continued_introduction(turns, position, speaker.key)
            if moderates and not own:
                speaker.kind = "moderator"
                speaker.co_moderator = True
            _fill_from_description(speaker, " ".join(x for x in (role, organisation) if x))
            return


def _continued_introduction(turns: list[Turn], position: int, key: str) -> list[tuple[int, int]]:
    """After "Are you there?" / "Yes, I'm here.", the introducer's next turn may go on about the person:
    its sentences that start with He/She within the first few are part of the introduction."""
    if position + 2 >= len(turns):
        return []
    reply, after = turns[position + 1], turns[position + 2]
    if reply.speaker != key or len(reply.text.split()) > 15 or after.speaker != turns[position].speaker:
        return []
    spans = []
    for a, b in sentence_spans(after.text)[:4]:
        if _PRONOUN_SENTENCE.match(after.text[a:b].strip()):
            spans.append((after.start_char + a, after.start_char + b))
    return spans


def _describe(text: str, name_start: int, name_end: int) -> tuple[str | None, str | None, bool, tuple[int, int]] | None:
    """(role, organisation, moderates, span) from the words after a name, or None when they describe nothing."""
    sentences = sentence_spans(text)
    index = next((i for i, (a, b) in enumerate(sentences) if a <= name_start < b), None)
    if index is None:
        return None
    sentence_end = sentences[index][1]
    rest = text[name_end:sentence_end]
    if rest.startswith(("'s", "’s")):
        return None
    role = organisation = None
    moderates = False
    span_end = sentence_end
    from_org = re.match(r"^\s*,?\s*(?:from|of|at|with)\s+(?:the\s+)?(?P<org>.+)$", rest)
    if from_org:
        organisation = _clause(from_org.group("org"))
    elif rest.strip(" ,.") and rest.lstrip().startswith(","):
        role = _clause(_LEAD.sub("", rest, count=1))
    # Sentences right after, about the same person ("She is the Policy Director for Global Privacy.").
    for a, b in sentences[index + 1 : index + 4]:
        follow = _PRONOUN_SENTENCE.match(text[a:b].strip())
        if not follow:
            break
        span_end = b
        if _MODERATE.search(follow.group("rest")):
            moderates = True
        elif role is None and _looks_like_role(follow.group("rest")):
            role = _clause(_LEAD.sub("", follow.group("rest"), count=1))
    if role is not None and not _looks_like_role(role):
        role = None
    if role is None and organisation is None and not moderates:
        return None
    if role and organisation is None:
        organisation = _organisation_in(role)
    return role, organisation, moderates, (name_start, span_end)


def _clause(text: str) -> str | None:
    cut = _CLAUSE_END.search(text)
    clause = (text[: cut.start()] if cut else text).strip(" ,.;:")
    return clause or None


def _looks_like_role(text: str | None) -> bool:
    """A description names something: it holds a capitalised word that is not a pronoun or a greeting."""
    if not text:
        return False
    if re.match(r"^(?:please|thank|sorry|I\b|you\b|we\b|here\b|online\b|there\b)", text.strip(), re.I):
        return False
    return any(w[:1].isupper() and w not in ("I", "I'm") for w in re.findall(r"[\w’'.-]+", text))


def _organisation_in(role: str) -> str | None:
    possessive = re.match(r"^(?P<org>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)['’]s\s", role)
    if possessive:
        return possessive.group("org")
    at = re.search(r"\b(?:at|from|with)\s+(?:the\s+)?(?P<org>.+)$", role)
    if at:
        return at.group("org").strip()
    of = re.search(r"\bof\s+the\s+(?P<org>[A-Z].+)$", role)
    if of:
        return of.group("org").strip()
    return None


def _fill_from_description(speaker: Speaker, text: str) -> None:
    speaker.country = speaker.country or _country_in(text)
    if speaker.organisation:
        speaker.acronyms |= acronyms_of(speaker.organisation)
    for word in re.findall(r"\b[A-Z]{2,7}\b", text):  # acronyms written out: "GFC", "POST"
        speaker.acronyms.add(word.lower())


def acronyms_of(organisation: str) -> set[str]:
    """Folded acronyms an organisation may go by: stated ("GFC, Global Forum on ...") or its initials.

    Initials are taken with and without function words, since both kinds exist (ECOWAS keeps "of", GFCE drops "on")."""
    found = {w.lower() for w in re.findall(r"\b[A-Z]{2,7}\b", organisation)}
    for phrase in re.split(r",\s*", organisation):
        words = [w for w in re.findall(r"[\w’'-]+", strip_accents(phrase)) if not w.isupper() or len(w) > 7]
        content = [w for w in words if w.lower() not in FUNCTION_WORDS]
        if len(content) >= 2:
            found.add("".join(w[0] for w in content).lower())
            found.add("".join(w[0] for w in words if w.lower() not in ("the", "a", "an")).lower())
    return {a for a in found if len(a) >= 3 or a.upper() in organisation}


# -- audience members ----------------------------------------------------------------------------------
def _audience_member(turn: Turn) -> Speaker | None:
    found = self_introduction(turn.text)
    if found:
        name, place = found
        if name and _looks_like_place(name):
            name, place = None, place or name
        country = _country_in(place or "")
        label = name or (f"Participant from {place}" if place else None)
        if label is None:
            return None
        member = Speaker(turn.session_id, AUDIENCE, label, "audience", [turn.turn_no], place=place, country=country)
        member.aliases = _name_aliases(name) if name else set()
        if place:
            member.organisation = place if not country or fold(place) != fold(country) else None
            member.acronyms = acronyms_of(place) if member.organisation else set()
        return member
    return None


def _looks_like_place(name: str) -> bool:
    return _country_in(name) is not None or bool(re.match(r"^(?:the\s+)?(?:Ministry|Government|University|Minister)\b", name))


def _merge_members(members: list[Speaker]) -> list[Speaker]:
    """An audience member who speaks twice under the same name is one entry."""
    merged: dict[str, Speaker] = {}
    for member in members:
        key = fold(member.name)
        if key in merged:
            merged[key].turn_nos.extend(member.turn_nos)
        else:
            merged[key] = member
    return list(merged.values())


# -- countries -------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Folded country names (short, common and official) -> the short name."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                names[fold(value)] = country.name
    return names


@lru_cache(maxsize=1)
def _country_names_by_first_word() -> dict[str, list[tuple[int, str, str]]]:
    """First word of each folded country name (of four letters or more) -> (position in _countries(), name, country)."""
    table: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for position, (name, country) in enumerate(_countries().items()):
        if len(name) >= 4:
            table[name.split(" ")[0]].append((position, name, country))
    return dict(table)


def _country_in(text: str) -> str | None:
    """The longest country name in the text (the first listed among equals). Only names whose first word is a
    word of the text can be in it, so only those are tried, in their listed order."""
    words = re.findall(r"[a-z]+", fold(text))
    folded = " " + " ".join(words) + " "
    table = _country_names_by_first_word()
    best = None
    for _, name, country in sorted({entry for word in set(words) for entry in table.get(word, ())}):
        if f" {name} " in folded and (best is None or len(name) > len(best[0])):
            best = (name, country)
    return best[1] if best else None


@lru_cache(maxsize=512)
def _names_of(country: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([fold(country)] + [n for n, c in _countries().items() if c == country]))


def _mentions_country(country: str, tokens: list["_Token"]) -> bool:
    """The country's name or its adjective ("Cuban", "Nigerian", "Kuwaiti", "Norwegian")."""
    for name in _names_of(country):
        parts = name.split()
        if len(parts) > 1:
            if f" {name} " in " " + " ".join(t.folded for t in tokens) + " ":
                return True
            continue
        # "Norwegian" and "Norway" share all but the last two letters of the name.
        need = max(4, len(name) - 2)
        if any(t.capitalised and len(t.folded) >= need and t.folded[:need] == name[:need] and len(t.folded) - len(name) <= 4 for t in tokens):
            return True
    return False


def _mentions_place(place: str, tokens: list["_Token"]) -> bool:
    words = _place_words(place)
    return any(t.capitalised and t.folded in words for t in tokens)


@lru_cache(maxsize=4096)  # many speakers share a place or an organisation; matching asks for their words per question
def _place_words(place: str) -> frozenset[str]:
    words = {w for w in re.findall(r"[a-z]+", fold(place)) if w not in FUNCTION_WORDS and len(w) > 3}
    return frozenset(words - {"ministry", "government", "affairs", "foreign", "office", "minister", "university"})


@lru_cache(maxsize=4096)
def _organisation_words(organisation: str) -> tuple[str, ...]:
    return tuple(w for w in re.findall(r"[a-z0-9]+", fold(organisation)) if w not in FUNCTION_WORDS and len(w) > 2 and not w.isdigit())


# -- matching helpers ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    text: str
    folded: str
    capitalised: bool
    upper: bool


def _tokens(text: str) -> list[_Token]:
    result = []
    for raw in re.findall(r"[\w’'-]+", text):
        word = re.sub(r"['’]s$", "", raw).strip("'’-")
        if word:
            result.append(_Token(word, fold(word), word[:1].isupper(), word.isupper() and len(word) >= 2))
    return result


def _mentions_organisation(speaker: Speaker, tokens: list[_Token], padded: str) -> bool:
    for token in tokens:
        if token.upper and any(_acronym_like(token.folded, a) for a in speaker.acronyms):
            return True
    organisation = speaker.organisation
    if not organisation:
        return False
    words = _organisation_words(organisation)
    if not words:
        return False
    if len(words) == 1:
        return any(t.folded == words[0] and t.capitalised for t in tokens)
    present = {t.folded for t in tokens}
    return sum(w in present for w in set(words)) >= 2


@lru_cache(maxsize=1 << 16)  # every upper-case word of a question is compared with the acronyms of many speakers
def _acronym_like(token: str, acronym: str) -> bool:
    """Equal, or one letter apart for acronyms of three letters or more (captions write ECWAS for ECOWAS)."""
    if token == acronym:
        return True
    if min(len(token), len(acronym)) < 3 or abs(len(token) - len(acronym)) > 1 or token[0] != acronym[0]:
        return False
    return difflib.SequenceMatcher(None, token, acronym).ratio() >= 0.8 and _edit_distance(token, acronym) <= 1


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@lru_cache(maxsize=1024)
def _title_words(role: str, acronyms: frozenset[str]) -> tuple[str, ...]:
    """The words of a role's title: "Deputy Minister of the Ministry ..." -> ("deputy", "minister")."""
    title = re.split(r"\b(?:of|for|at|from|in|with)\b|,", fold(role), maxsplit=1)[0]
    return tuple(w for w in re.findall(r"[a-z]+", title) if w not in FUNCTION_WORDS and w not in acronyms)


def _role_points(speaker: Speaker, padded: str) -> float:
    """2 for the role's title ("deputy minister", "policy director"), 1 for its head noun alone ("director")."""
    if not speaker.role:
        return 0.0
    title_words = _title_words(speaker.role, frozenset(speaker.acronyms))
    if not title_words:
        return 0.0
    phrase = " ".join(title_words)
    if len(title_words) > 1 and f" {phrase} " in padded:
        return 2.0
    if f" {title_words[-1]} " in padded:
        return 1.0
    return 0.0


def person_noun_pattern() -> str:
    return _PERSON_NOUNS
