"""Deriving one session's speakers from its turns: the canonical speakers (turn headers), their short forms, what the
moderators' introductions and self-introductions say about them (role, organisation, acronyms, country), who
moderates, and the audience members who introduce themselves."""

from __future__ import annotations

import re
from functools import lru_cache

from index.parse import self_introduction
from index.text import fold, names_in, sentence_spans, strip_accents
from index.types import Turn
from rag.people import AUDIENCE, FUNCTION_WORDS, GENERIC_SPEAKERS, MODERATOR, UNKNOWN, Speaker, title_initials
from rag.places import country_in


def build_session(turns: list[Turn]) -> tuple[list[Speaker], list[Speaker]]:
    session_id = turns[0].session_id
    speakers: dict[str, Speaker] = {}
    for turn in turns:
        speaker = speakers.get(turn.speaker)
        if speaker is None:
            kind = {AUDIENCE: "audience", UNKNOWN: "unknown", MODERATOR: "moderator"}.get(turn.speaker, "panelist")
            name = turn.speaker.title() if turn.speaker in GENERIC_SPEAKERS else turn.speaker_name
            speaker = speakers[turn.speaker] = Speaker(session_id, turn.speaker, name, kind)
            speaker.aliases = name_aliases(name) if turn.speaker not in GENERIC_SPEAKERS else {fold(turn.speaker)}
            speaker.aliases.add(fold(turn.speaker))
        speaker.turn_nos.append(turn.turn_no)
    people = [s for s in speakers.values() if s.key not in GENERIC_SPEAKERS]
    add_short_forms(people, turns)
    searchable = [same_length_ascii(turn.text).casefold() for turn in turns]
    for speaker in people:
        introduce(speaker, turns, searchable)
    for speaker in people:
        name_role_header(speaker, turns, people)
    for speaker in people:
        speaker.gender = _gender_in(speaker, turns)
    introducers = {s.introduced_by for s in people if s.introduced_by and s.introduced_by != s.key}
    for speaker in people:
        if speaker.key in introducers:
            speaker.kind = "moderator"
    for speaker in people:
        if speaker.kind == "moderator" and speaker.introduced_by in introducers and speaker.introduced_by != speaker.key:
            speaker.co_moderator = True
    members = [m for turn in turns if turn.speaker == AUDIENCE for m in [audience_member(turn)] if m is not None]
    return list(speakers.values()), merge_members(members)


_PRONOUN = re.compile(r"\b(he|his|him|she|her|hers)\b", re.I)


def _gender_in(speaker: Speaker, turns: list[Turn]) -> str | None:
    """"he" or "she", from the first such pronoun of the speaker's introduction by someone else ("She is the Policy
    Director ...", "He has vast experience"); None when no introduction says."""
    for start, end in speaker.introductions:
        for turn in turns:
            if turn.speaker != speaker.key and turn.start_char <= start < turn.end_char:
                text = turn.text[start - turn.start_char : end - turn.start_char]
                found = _PRONOUN.search(text)
                if found:
                    return "he" if found.group(1).lower() in ("he", "his", "him") else "she"
    return None


# A header that names a role, not a person: "REMOTE MODERATOR", "ONLINE MODERATOR", "CO-CHAIR".
_ROLE_HEADER = re.compile(r"^(?:[A-Z]+[ -])?(?:MODERATOR|CHAIR|CHAIRPERSON|HOST|FACILITATOR|RAPPORTEUR)$")


def name_role_header(speaker: Speaker, turns: list[Turn], people: list[Speaker]) -> None:
    """A speaker known only by a role header ("REMOTE MODERATOR") is the person an earlier sentence names in that role
    ("And online we have Kwame Asante in Accra, who is our remote moderator"): their name, and that sentence as their
    introduction."""
    if not _ROLE_HEADER.match(speaker.key) or not speaker.turn_nos:
        return
    role = fold(speaker.key.replace("-", " "))
    taken = {alias for other in people if other is not speaker for alias in other.aliases}
    for turn in turns:
        if turn.turn_no >= speaker.turn_nos[0]:
            return
        for a, b in sentence_spans(turn.text):
            sentence = turn.text[a:b]
            if role not in fold(sentence).replace("-", " "):
                continue
            names = [n for n in names_in(sentence) if len(n.split()) >= 2 and fold(n) not in taken and role not in fold(n)]
            if names:
                speaker.name = names[0]
                speaker.aliases |= name_aliases(names[0])
                speaker.role = speaker.role or speaker.key.capitalize()
                speaker.introduced_by = speaker.introduced_by or turn.speaker
                speaker.introductions.append((turn.start_char + a, turn.start_char + b))
                return


def name_aliases(name: str) -> set[str]:
    parts = [p for p in fold(name).split() if p not in ("dr", "dr.", "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "prof", "prof.")]
    aliases = {" ".join(parts)}
    if len(parts) > 1:
        aliases.update(p for p in parts if len(p) > 1)
        aliases.add(" ".join(parts[1:]))  # two-word surnames: "rodriguez hernandez"
    return {a for a in aliases if a}


def add_short_forms(people: list[Speaker], turns: list[Turn]) -> None:
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
def same_length_ascii(text: str) -> str:
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
    words = [re.escape(same_length_ascii(w)) for w in name.split()]
    return re.compile(r"\b" + r"[\s\u00a0]+".join(words) + r"\b", re.I)


def introduce(speaker: Speaker, turns: list[Turn], searchable: list[str] | None = None) -> None:
    """The first mention of the speaker's full name that comes with a description fills in role and organisation.

    `searchable` (the turns' texts as same_length_ascii + casefold) lets turns without the name's first word be
    skipped before the case-insensitive pattern runs: most turns of a session never name a given speaker."""
    pattern = _name_pattern(speaker.name)
    first = same_length_ascii(speaker.name.split()[0]).casefold() if speaker.name.split() else ""
    for position, turn in enumerate(turns):
        if searchable is not None and first and first not in searchable[position]:
            continue
        plain = same_length_ascii(turn.text)
        for found in pattern.finditer(plain):
            own = turn.speaker == speaker.key
            if own and not _SELF.search(plain[max(0, found.start() - 40) : found.start()]):
                continue
            described = _describe(turn.text, found.start(), found.end(), own)
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


def _describe(text: str, name_start: int, name_end: int, own: bool = False) -> tuple[str | None, str | None, bool, tuple[int, int]] | None:
    """(role, organisation, moderates, span) from the words after a name, or None when they describe nothing. `own`:
    the speaker's own turn ("My name is Ingrid Solberg, I'm a journalist, ...")."""
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
    said_of_self = _SAID_OF_SELF.match(rest) if own else None
    if from_org:
        organisation = _clause(from_org.group("org"))
    elif said_of_self:
        # "..., I'm a journalist, I cover local government": what they say they are, capitalised or not.
        role = _clause(re.split(r",\s*", said_of_self.group("role"), maxsplit=1)[0])
    elif rest.strip(" ,.") and rest.lstrip().startswith(","):
        role = _clause(_LEAD.sub("", rest, count=1))
    elif re.match(r"^\s+(?:is|was)\s+(?:the|a|an|our)\s+[A-Z]", rest):  # "Achieng Otieno is the Executive Director of Haki Data"
        role = _clause(_LEAD.sub("", rest, count=1))
    elif _DOES_FOR_A_LIVING.match(rest):  # "Professor Yusuf Adeyemi teaches data protection law at the University of Lagos"
        role = _clause(rest.strip())
    title = _TITLE_BEFORE.search(text[max(0, name_start - 20) : name_start])
    if title and role:
        role = f"{title.group(1)}, {role}"  # "Professor, teaches data protection law at ...": a title before the name
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
    if role is not None and not _looks_like_role(role) and not said_of_self:
        role = None
    if role is None and organisation is None and not moderates:
        return None
    if role and organisation is None:
        organisation = _organisation_in(role)
    return role, organisation, moderates, (name_start, span_end)


_SAID_OF_SELF = re.compile(r"^\s*,\s*(?:and\s+)?(?:I\s+am|I['’]m)\s+(?P<role>(?:the|a|an)\s+.+)$", re.I)
_DOES_FOR_A_LIVING = re.compile(r"^\s+(?:teaches|works|leads|heads|runs|chairs|directs|manages|coordinates|co-?founded|founded|represents)\b")
_TITLE_BEFORE = re.compile(r"\b(Professor|Prof\.?|Dr\.?|Judge|Senator|Ambassador|Minister)\s+$")


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
    of = re.search(r"\bof\s+(?:the\s+)?(?P<org>[A-Z].+)$", role)
    if of:
        return of.group("org").strip()
    return None


def _fill_from_description(speaker: Speaker, text: str) -> None:
    speaker.country = speaker.country or country_in(text)
    if speaker.organisation:
        speaker.acronyms |= acronyms_of(speaker.organisation)
    if speaker.role:
        # A title goes by its initials too: "Chief Information Officer" is "the CIO".
        speaker.acronyms |= {a for title in names_in(speaker.role) if len(a := title_initials(title)) >= 3 and len(title.split()) <= 5}
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
def audience_member(turn: Turn) -> Speaker | None:
    found = self_introduction(turn.text)
    if found:
        name, place = found
        if name and _looks_like_place(name):
            name, place = None, place or name
        country = country_in(place or "")
        label = name or (f"Participant from {place}" if place else None)
        if label is None:
            return None
        member = Speaker(turn.session_id, AUDIENCE, label, "audience", [turn.turn_no], place=place, country=country)
        member.aliases = name_aliases(name) if name else set()
        if place:
            member.organisation = place if not country or fold(place) != fold(country) else None
            member.acronyms = acronyms_of(place) if member.organisation else set()
        member.introductions = [_introducing_themselves(turn, [x for x in (name, place) if x])]
        said = _name_pattern(name).search(same_length_ascii(turn.text)) if name else None
        described = _describe(turn.text, said.start(), said.end(), own=True) if said else None
        if described is not None and described[0]:
            # "My name is Gerhard Voss, I'm a member of the city council, in the opposition": what they say they are.
            member.role = described[0]
        return member
    return None


def _introducing_themselves(turn: Turn, said: list[str]) -> tuple[int, int]:
    """The opening sentences of a turn, up to the one in which its speaker gives their name or where they are from."""
    spans = sentence_spans(turn.text)
    end = spans[0][1] if spans else len(turn.text)
    for _, b in spans:
        if any(fold(x) in fold(turn.text[:b]) for x in said):
            end = b
            break
    return turn.start_char, turn.start_char + end


def _looks_like_place(name: str) -> bool:
    return country_in(name) is not None or bool(re.match(r"^(?:the\s+)?(?:Ministry|Government|University|Minister)\b", name))


def merge_members(members: list[Speaker]) -> list[Speaker]:
    """An audience member who speaks twice under the same name is one entry."""
    merged: dict[str, Speaker] = {}
    for member in members:
        key = fold(member.name)
        if key in merged:
            merged[key].turn_nos.extend(member.turn_nos)
        else:
            merged[key] = member
    return list(merged.values())

