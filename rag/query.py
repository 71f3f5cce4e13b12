"""Query understanding: which speakers a question is about, and what kind of question it is.

Kinds:
- "who_said": asks which person said something ("Who argued ...", "Which panelist said ..."): the answer is the
  speaker of the best-supported passage.
- "speaker_view": asks what a named speaker said or thinks ("according to Chris Painter", "What did the EFF
  speaker say ..."): the speaker's own turns hold the answer.
- "profile": asks about a speaker ("What role does Alissa Starzak hold?"): the moderator's introduction of that
  speaker holds the answer, so the passage that introduces them is routed to as well as their own turns.
- "general": anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import fold
from rag.speakers import FUNCTION_WORDS, Match, Speaker, SpeakerDirectory, person_noun_pattern

WHO_SAID, SPEAKER_VIEW, PROFILE, GENERAL = "who_said", "speaker_view", "profile", "general"

_ASKS_FOR_PERSON = re.compile(
    r"^\s*(?:who|whom|which\s+(?:(?:two|other|online|remote|\w+)\s+)?"
    r"(?:panell?ists?|speakers?|participants?|audience\s+members?|members?|persons?|people|one|colleagues?|delegates?|officials?|moderators?|representatives?))\b",
    re.I,
)
_ATTRIBUTION_VERBS = re.compile(
    r"\b(?:said|say|says|argued?|argues|proposed?|proposes|called|calls|suggest(?:ed|s)?|ask(?:ed|s)?|warn(?:ed|s)?|described?|"
    r"mention(?:ed|s)?|cited?|cites|raised?|brought\s+up|claim(?:ed|s)?|stated?|recommend(?:ed|s)?|dream(?:ed|t)|emphasi[sz]ed|"
    r"not(?:ed|es)|stress(?:ed|es)|advocat(?:ed|es)|criticized|criticised|express(?:ed|es)|insist(?:ed|s)|submitt?(?:ed)?|quot(?:ed|es)|"
    r"referr?(?:ed|s)|compar(?:ed|es)|urg(?:ed|es)|question(?:ed|s)|spoke|talk(?:ed|s)|highlight(?:ed|s)|point(?:ed|s)\s+out|"
    r"believes?|thinks?|thought|wants?|pushed|push(?:es)?|favou?r(?:ed|s)|oppos(?:ed|es)|backed|defended|reported|shared|gave|told|cautioned)\b",
    re.I,
)
_PROFILE = re.compile(
    r"\b(?:role|position|title|job|organi[sz]ation|represents?|work(?:s|ed)?\s+(?:for|at)|chairs?|holds?|based|citizen|nationality|"
    r"introduced|who\s+is|who\s+are|from\s+which\s+(?:city|country)|stands?\s+for|acronym)\b",
    re.I,
)
_ACCORDING = re.compile(r"\b(?:according\s+to|per|in\s+the\s+view\s+of)\b", re.I)
_VIEW = re.compile(
    r"\b(?:according\s+to|per|in\s+the\s+view\s+of|view|views|opinion|position|response|respond(?:ed)?|answer(?:ed)?|reply|replied|"
    r"remarks?|message|closing|final|recommendation|summari[sz]e|think|thinks|consider|considers|believe|believes|see|sees|judge|"
    r"did|does|do)\b",
    re.I,
)


# "final recommendation", "closing remarks", "how did X close": the speaker's last turn; "first remarks": their first.
_LAST = re.compile(r"\b(?:final|closing|concluding|last|conclusion|wrap(?:ped)?\s+up|close[sd]?)\b", re.I)
_FIRST = re.compile(r"\b(?:first|opening|initial)\s+(?:remarks?|intervention|statement|words|answer|turn)\b", re.I)


@dataclass(frozen=True)
class Target:
    """A speaker the question routes to: one speaker of one session, or one audience member's turns."""

    speaker: Speaker
    how: str

    @property
    def session_id(self) -> str:
        return self.speaker.session_id

    @property
    def key(self) -> str:
        return self.speaker.key

    @property
    def turn_nos(self) -> frozenset[int] | None:
        """The turns that are this target's own: None means every turn of the speaker key."""
        return frozenset(self.speaker.turn_nos) if self.speaker.is_audience_member else None


@dataclass(frozen=True)
class Query:
    text: str
    kind: str = GENERAL
    targets: tuple[Target, ...] = field(default_factory=tuple)
    position: str | None = None  # "first" or "last": which of the targets' turns the question is about

    @property
    def routed(self) -> bool:
        return bool(self.targets)

    def speaker_keys(self) -> set[str]:
        return {t.key for t in self.targets}

    @property
    def content(self) -> str:
        """The question without the words that only say who (names, organisation, role title, "speaker"):
        once routing has used them, they would only make every passage of that speaker look alike."""
        if not self.targets:
            return self.text
        who = set()
        for target in self.targets:
            who |= identity_words(target.speaker)
        kept = [w for w in re.findall(r"\S+", self.text) if _bare(w) not in who and not re.fullmatch(_PERSON_NOUN, _bare(w))]
        return " ".join(kept) if len(kept) >= 2 else self.text


_PERSON_NOUN = person_noun_pattern() + "s?"


def _bare(word: str) -> str:
    return fold(re.sub(r"['’]s$", "", word.strip(".,;:?!\"'()")))


def identity_words(speaker: Speaker) -> set[str]:
    words = set()
    for alias in speaker.aliases:
        words.update(alias.split())
    words |= speaker.acronyms
    if speaker.organisation and len(speaker.organisation.split()) == 1:
        words.add(fold(speaker.organisation))
    return {w for w in words if w not in FUNCTION_WORDS}


def analyze(question: str, directory: SpeakerDirectory | None) -> Query:
    matches = directory.match(question) if directory is not None else []
    targets = tuple(Target(m.speaker, m.how) for m in _strongest(matches))
    position = None
    if targets:
        position = "first" if _FIRST.search(question) else "last" if _LAST.search(question) else None
    return Query(question, question_kind(question, bool(targets)), targets, position)


def question_kind(question: str, names_someone: bool) -> str:
    if _ASKS_FOR_PERSON.search(question) and _ATTRIBUTION_VERBS.search(question):
        return WHO_SAID
    if names_someone and _PROFILE.search(question) and not _ATTRIBUTION_VERBS.search(question) and not _ACCORDING.search(question):
        return PROFILE
    if names_someone and (_VIEW.search(question) or _ATTRIBUTION_VERBS.search(question)):
        return SPEAKER_VIEW
    return GENERAL


def _strongest(matches: list[Match]) -> list[Match]:
    """Every speaker named outright; by weaker means (organisation, role, country), only the best-supported ones."""
    named = [m for m in matches if m.how == "name"]
    others = [m for m in matches if m.how != "name"]
    if others:
        best = max(m.score for m in others)
        others = [m for m in others if m.score >= best - 0.5]
    seen, result = set(), []
    for m in named + others:
        ident = (m.speaker.session_id, m.speaker.key, m.speaker.name)
        if ident not in seen:
            seen.add(ident)
            result.append(m)
    return result
