"""Question understanding, in one place: which speakers a question is about, what kind of question it is (for
retrieval) and what form of answer it asks for (for the answer stage, rag.answer_forms).

Kinds:
- "who_said": asks which person said something ("Who argued ...", "Which panelist said ..."): the answer is the
  speaker of the best-supported passage.
- "speaker_view": asks what a named speaker said or thinks ("according to Chris Painter", "What did the EFF
  speaker say ..."): the speaker's own turns hold the answer.
- "profile": asks about a speaker ("What role does Alissa Starzak hold?"): the moderator's introduction of that
  speaker holds the answer, so the passage that introduces them is routed to as well as their own turns.
- "general": anything else.

Forms (`question_form`), decided from the question's words alone:
- "who": a person ("Who ...", "Which panelist said ..."); "role": what a named person is or represents;
  "number": a count, share, year or amount; "list": several items ("Which positions ...", "What three measures ...");
  "view": what someone said, thinks or why; "fact": anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from index.text import fold
from index.text import NUMBER_WORDS
from rag.mentions import person_noun_pattern
from rag.people import FUNCTION_WORDS, Match, Speaker
from rag.speakers import SpeakerDirectory

WHO_SAID, SPEAKER_VIEW, PROFILE, GENERAL = "who_said", "speaker_view", "profile", "general"

WHO, ROLE, NUMBER, LIST, VIEW, FACT = "who", "role", "number", "list", "view", "fact"
FORMS = (WHO, ROLE, NUMBER, LIST, VIEW, FACT)

_ASKED_PERSON = (
    r"(?:panell?ists?|speakers?|participants?|audience\s+members?|members?\s+of\s+the\s+audience|persons?|people|"
    r"delegates?|officials?|moderators?|co-?moderators?|representatives?|colleagues?|one)"
)
# "Who ...", "Which (two) panelists ...": the answer is a person (form "who"; with a verb of saying, kind "who_said").
_ASKS_FOR_PERSON = re.compile(rf"^\s*(?:who|whom)\b|^\s*which\s+(?:\w+\s+){{0,2}}{_ASKED_PERSON}\b", re.I)
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
# Words that ask for what someone said or thinks: the core of both the "speaker_view" kind and the "view" form.
_VIEW_WORDS = (
    r"according\s+to|per|view|respond|answer|remarks?|message|closing|recommendation|summari[sz]e|think|thinks|consider|"
    r"considers|believe|see|sees|judge"
)
_VIEW = re.compile(
    rf"\b(?:{_VIEW_WORDS}|in\s+the\s+view\s+of|views|opinion|position|response|responded|answered|reply|replied|final|believes|"
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
    form: str = FACT  # the form of answer asked for (question_form)
    # "How did A respond to B's question": the targets named before the verb of answering (A), whose words answer.
    answering: tuple[Target, ...] = field(default_factory=tuple)
    # "in the answer to the question on emerging technologies": what the answered question was about.
    answered_topic: str | None = None

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


def identity_words(speaker: Speaker) -> frozenset[str]:
    # Memoised on what it reads: with a thousand sessions, one question can target the same person in hundreds.
    return _identity_words(frozenset(speaker.aliases), frozenset(speaker.acronyms), speaker.organisation)


@lru_cache(maxsize=4096)
def _identity_words(aliases: frozenset[str], acronyms: frozenset[str], organisation: str | None) -> frozenset[str]:
    words = set(acronyms)
    for alias in aliases:
        words.update(alias.split())
    if organisation and len(organisation.split()) == 1:
        words.add(fold(organisation))
    return frozenset(w for w in words if w not in FUNCTION_WORDS)


def analyze(question: str, directory: SpeakerDirectory | None) -> Query:
    matches = directory.match(question) if directory is not None else []
    targets = tuple(Target(m.speaker, m.how) for m in _strongest(matches))
    position = None
    if targets:
        position = "first" if _FIRST.search(question) else "last" if _LAST.search(question) else None
    return Query(
        question, question_kind(question, bool(targets)), targets, position, question_form(question), answering_targets(question, targets),
        answered_topic(question),
    )


_ANSWERING = re.compile(r"\b(?:respond(?:ed|s)?|react(?:ed|s)?|answer(?:ed|s)?|repl(?:y|ied|ies)|pick(?:ed|s)?\s+up|comment(?:ed|s)?\s+on)\b", re.I)


def answering_targets(question: str, targets: tuple[Target, ...]) -> tuple[Target, ...]:
    """The targets a question names before its verb of answering ("How did Chris Painter respond to the Nigerian
    participant's statistic": Chris Painter); none when it has no such verb or names nobody before it."""
    verb = _ANSWERING.search(question)
    if verb is None or len(targets) < 2:
        return ()
    before = {_bare(w) for w in re.findall(r"\S+", question[: verb.start()])}
    return tuple(t for t in targets if identity_words(t.speaker) & before)


# "the answer to the (online) question on X", "according to the answer on X", "the Cloudflare speaker's response on X".
_ANSWER_ON = re.compile(
    r"\b(?:answers?|responses?|repl(?:y|ies))\s+(?:to\s+(?:the|a|an)\s+(?:[\w-]+\s+){0,2}?questions?\s+)?(?:on|about|regarding)\s+(?:the\s+)?([^?,;]+)",
    re.I,
)


def answered_topic(question: str) -> str | None:
    """What the question a speaker answered was about, when the question asks about that answer: "In the answer to
    the question on emerging technologies, ..." -> "emerging technologies"."""
    found = _ANSWER_ON.search(question)
    return found.group(1).strip() if found else None


# -- answer forms ------------------------------------------------------------------------------------
_ROLE = re.compile(r"\b(?:role|position|job|title|organi[sz]ation|represent|represents|work\s+for|works\s+for|chair|chairs)\b", re.I)
_NUMBER = re.compile(
    # "How far off is a treaty?" asks for a judgement ("far down the pike"), not a distance.
    r"\bhow\s+(?:many|much|long|old|often|far(?!\s+off))\b|\b(?:what|which)\s+(?:\w+\s+)?(?:share|percentage|per\s*cent|proportion|"
    r"number|size|year|age|amount|figures?|increase|fraction|rate)\b|\bin\s+what\s+year\b|\bby\s+how\s+many\b",
    re.I,
)
_COUNTED = re.compile(r"\b(?:two|three|four|five|several|multiple|kinds|types|forms|ways)\b", re.I)
_AUXILIARY = r"(?:did|does|do|is|are|was|were|can|could|has|have|had|should|would|will|caused|make|made)"
_LIST_HEAD = re.compile(rf"\b(?:which|what)\s+((?:[\w-]+\s+){{0,4}}?)([\w-]+)\s+(?:of\s+[\w\s-]+?\s+)?{_AUXILIARY}\b", re.I)
_VIEW_FORM = re.compile(
    rf"\b(?:{_VIEW_WORDS}|say|said|says|react|describe|agree|disagree|call\s+for|called\s+for)\b"
    r"|^\s*(?:why|how)\b|^\s*(?:does|do|did|is|are|should|can)\b",
    re.I,
)


def question_form(question: str) -> str:
    """The form of answer `question` asks for (one of FORMS)."""
    if _ASKS_FOR_PERSON.search(question):
        return WHO
    if _NUMBER.search(question):
        return NUMBER
    if _is_list(question):
        return LIST
    # "What role should the media play, according to X?" asks for X's view, not X's role.
    if _ROLE.search(question) and re.match(r"^\s*(?:what|which)\b", question, re.I) and not _ACCORDING.search(question):
        return ROLE
    if _VIEW_FORM.search(question):
        return VIEW
    return FACT


_KIND_OF = re.compile(rf"\b(?:what|which)\s+(?:kinds?|types?|sorts?|forms?)\s+of\s+(?:[\w-]+\s+){{0,2}}?([\w-]+)\s+{_AUXILIARY}\b", re.I)


def asked_noun(question: str) -> str | None:
    """The noun a "what/which X" question asks for ("What gap does ...": "gap"; "What kind of approach ...":
    "approach"), lower-cased; None for none or a name ("What new program for West Africa ...")."""
    kind_of = _KIND_OF.search(question)
    head = _LIST_HEAD.search(question)
    noun = kind_of.group(1) if kind_of else head.group(2) if head else None
    return None if noun is None or noun[0].isupper() else noun.lower()


def _is_list(question: str) -> bool:
    head = _LIST_HEAD.search(question)
    if head is None:
        return False
    modifiers, noun = head.group(1).lower(), head.group(2).lower()
    if _COUNTED.search(modifiers + noun):
        return True
    # A plural head noun ("Which positions did ...") asks for several items; "-ss", "-us", "-is" are singular.
    return noun.endswith("s") and not noun.endswith(("ss", "us", "is")) and noun not in NUMBER_WORDS


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
