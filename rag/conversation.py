"""Follow-up questions in a conversation: a follow-up is rewritten into a stand-alone question before retrieval, from
the conversation so far (earlier `ask --json` answers, oldest first).

- "he", "she", "him", "her", "his", "they" stand for the person the last exchange was about: the person its answer
  named, else the speaker its question named, else the speaker its answer cited; "he"/"she" skip a person the
  transcript calls the other ("She is the Policy Director ...").
- "it", "that", "this", "that proposal", "the treaty" stand for the last exchange's topic: what its question asked
  about ("... about resources?": resources).
- "What about X?", "And X?" carry the last question over to X: a speaker in place of its speaker, anything else in
  place of its topic.
- A question that refers to nothing earlier (a new subject, a speaker named by name) stands on its own and is left as
  it is; so is every question of a conversation without history.

The rewrite is built from the speaker directory (rag.speakers) and the question parser (rag.query); it only ever puts
names and topics from the conversation into the question, never removes what the person asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.text import content_words, fold

PERSON_PRONOUNS = {"he": "he", "him": "he", "his": "he", "himself": "he", "she": "she", "her": "she", "hers": "she", "herself": "she",
                   "they": None, "them": None, "their": None, "theirs": None}
_PERSON_PRONOUN = re.compile(r"\b(he|him|his|himself|she|her|hers|herself|they|them|their)\b", re.I)
# "it", "that", "this" as a thing, and short references to one: "that proposal", "the treaty", "this idea".
_THING = re.compile(r"\b(?:(?:that|this|the|the\s+same)\s+(?:proposal|idea|plan|treaty|convention|fund|levy|point|issue|topic|question|figure|number|law|rule|register|moratorium|initiative|programme|program|project|survey|study|report|pilot|case)|it|that|this)\b(?!\s+(?:is|was)\s+(?:a|an|the)\b)", re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$|^\s*and\s+(?P<y>(?:in|for|at|on|from)\s+.+?|the\s+.+?|[A-Z][\w\u2011'-]*(?:\s+[A-Z][\w\u2011'-]*)*)\s*\?\s*$", re.I)
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|over)\s+(?P<topic>(?:the\s+|a\s+|an\s+)?[^?,.;]+?)\s*(?:\?|,|;|$|\s+(?:according|in\s+the|at\s+the|during)\b)", re.I)
_LEADING_AND = re.compile(r"^\s*(?:and|so|but|ok(?:ay)?|also)[\s,]+", re.I)
_OTHER_ONE = re.compile(r"\bthe\s+other\s+(?:panell?ist|speaker|one|person|minister|expert|participant)\b", re.I)


@dataclass(frozen=True)
class Exchange:
    """One earlier turn of the conversation, read from its `ask --json` object."""

    question: str  # as it was answered (its resolved question)
    people: tuple[tuple[str, str, str], ...] = ()  # (session, speaker key, name) the exchange was about, most salient first
    sessions: tuple[str, ...] = ()  # the sessions its answer cited

    @property
    def topic(self) -> str | None:
        found = _TOPIC.search(self.question)
        return found.group("topic").strip() if found else None


@dataclass(frozen=True)
class Resolution:
    question: str  # the stand-alone question to answer (the question itself when nothing was resolved)
    changed: bool
    sessions: tuple[str, ...] = ()  # the sessions the conversation is in, when a follow-up was resolved
    notes: tuple[str, ...] = field(default_factory=tuple)


def exchange_of(record: dict, directory) -> Exchange:
    """An earlier answer (`ask --json`) as an Exchange: who it was about, in order: the person its answer named (a
    "who" answer starts with them), the speakers its question named, the speakers its citations are by."""
    question = record.get("resolved_question") or record.get("question") or ""
    people: list[tuple[str, str, str]] = []
    sessions = tuple(dict.fromkeys(c.get("session") for c in record.get("citations", []) if c.get("session")))

    def add(session: str, key: str, name: str) -> None:
        if key not in ("UNKNOWN", "MODERATOR") and (session, key, name) not in people:
            people.append((session, key, name))

    if directory is not None and not record.get("abstained"):
        answer = record.get("answer", "")
        head = re.split(r"[:(,\[]", answer, maxsplit=1)[0]
        for match in directory.match(head):
            if match.how == "name" and (not sessions or match.speaker.session_id in sessions):
                add(match.speaker.session_id, match.speaker.key, match.speaker.name)
        for match in directory.match(question):
            if match.how in ("name", "organisation", "role") and (not sessions or match.speaker.session_id in sessions):
                add(match.speaker.session_id, match.speaker.key, match.speaker.name)
    for citation in record.get("citations", []):
        add(citation.get("session", ""), citation.get("speaker_key", ""), citation.get("speaker", ""))
    return Exchange(question, tuple(people), sessions)


def resolve(question: str, history: Sequence[dict], directory=None) -> Resolution:
    """`question` as a stand-alone question, given the conversation so far (`history`: earlier `ask --json` objects,
    oldest first)."""
    if not history:
        return Resolution(question, False)
    last = exchange_of(history[-1], directory)
    text = question.strip()
    notes = []

    about = _WHAT_ABOUT.match(text)
    if about:
        subject = (about.group("x") or about.group("y") or "").strip()
        rewritten = _carry_over(last, subject, directory)
        if rewritten:
            return Resolution(rewritten, rewritten != question, last.sessions, (f"carried the last question over to {subject}",))

    if _names_a_person(text, directory, last.sessions):
        return Resolution(question, False)  # a speaker named outright: the question stands on its own

    rewritten = text
    person = None
    pronoun = _PERSON_PRONOUN.search(rewritten) or _OTHER_ONE.search(rewritten)
    if pronoun:
        person = _salient_person(last, pronoun.group(0).lower(), directory, other=bool(_OTHER_ONE.search(rewritten)))
        if person is not None:
            rewritten = _OTHER_ONE.sub(person, rewritten) if _OTHER_ONE.search(rewritten) else _put_person(rewritten, person)
            notes.append(f"{pronoun.group(0)} = {person}")
    topic = last.topic
    if topic and _THING.search(rewritten) and not _mentions(rewritten, topic):
        rewritten = _THING.sub(topic, rewritten, count=1)
        notes.append(f"it = {topic}")
    if rewritten == text:
        return Resolution(question, False)
    rewritten = _LEADING_AND.sub("", rewritten)
    rewritten = rewritten[:1].upper() + rewritten[1:]
    return Resolution(rewritten, True, last.sessions, tuple(notes))


def _names_a_person(text: str, directory, sessions: Sequence[str]) -> bool:
    if directory is None:
        return False
    return any(m.how == "name" for m in directory.match(text))


def _salient_person(last: Exchange, pronoun: str, directory, other: bool = False) -> str | None:
    """The person a pronoun stands for: the first of the last exchange's people whose gender, when the transcript says
    it, agrees; "the other panelist": the second."""
    wanted = PERSON_PRONOUNS.get(pronoun)
    people = list(last.people)
    if other:
        people = people[1:]
    for session, key, name in people:
        gender = _gender(directory, session, key)
        if wanted is None or gender is None or gender == wanted:
            return name
    return None


def _gender(directory, session: str, key: str) -> str | None:
    if directory is None:
        return None
    speaker = directory.get(session, key) if hasattr(directory, "get") else None
    return getattr(speaker, "gender", None)


_OBJECT = re.compile(r"\b(him|them)\b", re.I)


def _put_person(text: str, name: str) -> str:
    """`text` with its first person pronoun replaced by `name` ("his" -> "Name's", "does she" -> "does Name")."""

    def replace(match: re.Match) -> str:
        word = match.group(0).lower()
        after = text[match.end() :].lstrip()
        possessive = word in ("his", "their", "hers", "theirs") or (word == "her" and after[:1].isalpha() and not re.match(r"(?:about|on|to|for|with|of|in|at|and|or|that|say|said)\b", after, re.I))
        return f"{name}'s" if possessive else name

    return _PERSON_PRONOUN.sub(replace, text, count=1)


def _carry_over(last: Exchange, subject: str, directory) -> str | None:
    """The last question asked of `subject` instead: a speaker in place of the last question's speaker, anything else in
    place of its topic ("What did the ECOWAS speaker say about resources?" + "What about the EFF speaker?")."""
    previous = last.question.rstrip(" ?")
    if not previous:
        return None
    subject_is_person = directory is not None and bool(directory.match(subject))
    if subject_is_person and last.people:
        mention = _mention_of(previous, last.people[0], directory)
        if mention:
            return previous.replace(mention, subject, 1) + "?"
    topic = last.topic
    if topic and not subject_is_person:
        return previous.replace(topic, subject, 1) + "?"
    if subject_is_person:
        return f"{previous} — {subject}?"
    return f"{previous}, {subject}?"


def _mention_of(question: str, person: tuple[str, str, str], directory) -> str | None:
    """The words of `question` that name `person`: their name, or the role or organisation words it was found by."""
    session, key, name = person
    for alias in sorted({name, *name.split()}, key=len, reverse=True):
        if alias and re.search(rf"\b{re.escape(alias)}\b", question):
            return alias
    found = re.search(r"\bthe\s+(?:[\w\u2011-]+\s+){0,3}?(?:speaker|panell?ist|representative|minister|director|moderator|delegate|official)\b", question, re.I)
    return found.group(0) if found else None


def _mentions(text: str, topic: str) -> bool:
    return bool(content_words(topic)) and content_words(topic) <= content_words(text) or fold(topic) in fold(text)
