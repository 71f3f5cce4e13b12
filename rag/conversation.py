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

from index.text import content_words, fold, names_in
from rag.question_types import asked_noun
from rag.query import FOLLOWING

PERSON_PRONOUNS = {"he": "he", "him": "he", "his": "he", "himself": "he", "she": "she", "her": "she", "hers": "she", "herself": "she",
                   "they": None, "them": None, "their": None, "theirs": None}
_PERSON_PRONOUN = re.compile(r"\b(he|him|his|himself|she|her|hers|herself|they|them|their)\b", re.I)
# "it", and "that"/"this" standing alone at the end or after a preposition ("Who supported that?", "What about this?");
# not the "it" of "how long does it take to ...", which stands for nothing.
_THING = re.compile(r"\bit\b(?!\s+(?:is|was)\s+(?:a|an|the)\b)(?!\s+(?:takes?|took)\b[^?]*\bto\s+\w)|(?:(?<=\babout\s)|(?<=\bon\s)|(?<=\bwith\s)|(?<=\bfor\s)|(?<=\bagainst\s)|(?<=\bsupport\s)|(?<=\boppose\s))(?:that|this)\b|\b(?:that|this)(?=\s*[?.!]?\s*$)", re.I)
# "that proposal", "the treaty": a reference to the last topic when it is about one ("a 1 percent levy" for "that levy").
_PHRASE = re.compile(r"\b(?:that|this|the|the\s+same|its|their)\s+(?P<noun>proposal|idea|plan|treaty|convention|fund|levy|point|issue|topic|figure|number|law|rule|register|moratorium|initiative|programme|program|project|survey|study|report|pilot|case|ban|tax|clauses|network|company|organisation|organization|alliance|charter|document|annex|platform|consortium|agency|bank|authority|commission)\b", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:why|how|when|where|who|what|really|how\s+so|in\s+what\s+way)\s*\??\s*$", re.I)
# "What about the EFF speaker?", "How about Kenya?", "And in Kenya?", "And the fund?", "And Ghana?": short, no verb of its own.
_WHAT_ABOUT = re.compile(
    r"^\s*(?:and\s+)?(?i:what|how)\s+about\s+(?P<x>[^?]{1,80}?)\s*\??\s*$"
    r"|^\s*(?i:and)\s+(?P<y>(?i:in|for|at|on|from|the)\s+[^?]{1,40}?|[A-Z][\w\u2011'-]*(?:\s+[A-Z][\w\u2011'-]*){0,3})\s*\?\s*$"
)
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|over)\s+(?P<topic>(?:the\s+|a\s+|an\s+)?[^?,.;]+?)\s*(?:\?|,|;|$|\s+(?:according|in\s+the|at\s+the|during)\b)", re.I)
_LEADING_AND = re.compile(r"^\s*(?:and|so|but|ok(?:ay)?|also)[\s,]+", re.I)
_OTHER_ONE = re.compile(r"\bthe\s+other\s+(?:panell?ist|speaker|one|person|minister|expert|participant)\b", re.I)


@dataclass(frozen=True)
class Exchange:
    """One earlier turn of the conversation, read from its `ask --json` object."""

    question: str  # as it was answered (its resolved question)
    people: tuple[tuple[str, str, str], ...] = ()  # (session, speaker key, name) the exchange was about, most salient first
    sessions: tuple[str, ...] = ()  # the sessions its answer cited
    things: tuple[str, ...] = ()  # the names it used that are not people ("Cloudflare", "ECOWAS", "SignBridge"), first first
    about_person: bool = False  # its question asked about a person (who, or a speaker's words): "they" are people

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

    if directory is not None:
        answer = "" if record.get("abstained") else record.get("answer", "")
        head = re.split(r"[:(,\[]", answer, maxsplit=1)[0].strip()
        matched = [m for m in (directory.match(head) if head else ()) if m.how == "name" and (not sessions or m.speaker.session_id in sessions)]
        for match in matched:
            add(match.speaker.session_id, match.speaker.key, match.speaker.name)
        if not matched and _PERSON_NAME.fullmatch(head) and record.get("answer_source") == "attribution":
            # "Aisha Bello (Kano), a question read out by ...": a person the answer names who never spoke.
            add(sessions[0] if sessions else "", "", head)
        for match in directory.match(question):
            if match.how in ("name", "organisation", "role") and (not sessions or match.speaker.session_id in sessions):
                add(match.speaker.session_id, match.speaker.key, match.speaker.name)
    for citation in record.get("citations", []):
        add(citation.get("session", ""), citation.get("speaker_key", ""), citation.get("speaker", ""))
    answer = "" if record.get("abstained") else re.sub(r"\s*\[\d+\]", "", record.get("answer", ""))
    # "Which body ...?" answered "Ana Velasco from the ITU, who heads the International Advisory Body ...": the name of
    # the kind asked for comes first.
    asked = asked_noun(question)
    answered = sorted(names_in(answer), key=lambda n: not (asked and asked.lower() in fold(n)))
    things = [n for n in names_in(question) + answered if _is_thing(n, directory)]
    about_person = bool(re.match(r"^\s*(?:who|whom|whose)\b", question, re.I)) or (
        # "How many of the pilots Leila looked at ...": a question naming a speaker but counting things is about the things.
        not _COUNTS_THINGS.search(question) and bool(directory is not None and any(m.how == "name" for m in directory.match(question)))
    )
    return Exchange(question, tuple(people), sessions, tuple(dict.fromkeys(things)), about_person)


_COUNTS_THINGS = re.compile(
    r"\b(?:how\s+many|which|what)\s+(?:of\s+the\s+)?(?:[\w-]+\s+){0,2}?(?!(?:people|persons|participants|speakers|panell?ists|delegates|members|officials|ministers|women|men|children|refugees)\b)[a-z][\w-]*[^s\W]s\b",
    re.I,
)
_PERSON_NAME = re.compile(r"[A-Z\u00C0-\u00DE][\w’'\u2011-]+(?: [A-Z\u00C0-\u00DE][\w’'\u2011-]+){1,3}")
_ASKING = re.compile(r"^(?:What|Who|Whom|Whose|How|Which|Where|When|Why|Did|Does|Do|Is|Are|Was|Were|Would|Could|Can|And|According|In|At|On|The|A|An)$")


def _counted_phrase(question: str) -> str | None:
    """"How many member states does ECOWAS comprise?": the plural things it counts ("member states")."""
    found = _HOW_MANY_THINGS.search(question)
    return found.group(1) if found else None


_HOW_MANY_THINGS = re.compile(r"\bhow\s+many\s+(?:of\s+the\s+)?((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*[^s\W]s)\b", re.I)


def _is_thing(name: str, directory) -> bool:
    """A capitalised name that is not a question word nor a speaker's name: an organisation, a place, a product."""
    words = name.split()
    if not words or all(_ASKING.match(w) for w in words):
        return False
    return directory is None or not any(m.how == "name" for m in directory.match(name))


def resolve(question: str, history: Sequence[dict], directory=None) -> Resolution:
    """`question` as a stand-alone question, given the conversation so far (`history`: earlier `ask --json` objects,
    oldest first)."""
    if not history:
        return Resolution(question, False)
    recent = [exchange_of(record, directory) for record in history[-RECENT:]][::-1]  # the last exchange first
    last = recent[0]
    text = question.strip()

    about = _WHAT_ABOUT.match(text)
    if about:
        subject = (about.group("x") or about.group("y") or "").strip()
        rewritten = _carry_over(last, subject, directory)
        if rewritten:
            return Resolution(rewritten, rewritten != question, last.sessions, (f"carried the last question over to {subject}",))

    if _ELLIPSIS.match(text):
        # "Why?": the question goes on from the last one.
        asked = f"{text.rstrip(' ?')}{FOLLOWING}{last.question.split(FOLLOWING)[0].rstrip(' ?')}?"
        return Resolution(asked[:1].upper() + asked[1:], True, last.sessions, ("a question going on from the last one",))

    named = {m.speaker.name for m in directory.match(text) if m.how == "name"} if directory is not None else set()
    rewritten, notes = text, []
    own = _own_antecedent(text)
    pronoun = next((m for m in _PERSON_PRONOUN.finditer(rewritten) if own is None or m.start() != own.start()), None)
    other = _OTHER_ONE.search(rewritten) or _THAT_PERSON.search(rewritten)
    thing_pronoun = pronoun is not None and pronoun.group(1).lower() in ("they", "them", "their", "theirs") and not last.about_person
    if (pronoun and not thing_pronoun) or other:
        word = (pronoun or other).group(0).lower()
        person = _salient_person(recent, word, directory, skip=named, other=bool(_OTHER_ONE.search(rewritten)))
        if person is not None:
            rewritten = (_OTHER_ONE.sub(person, rewritten, count=1) if _OTHER_ONE.search(rewritten) else
                         _THAT_PERSON.sub(person, rewritten, count=1) if _THAT_PERSON.search(rewritten) and not pronoun else _put_person(rewritten, person))
            notes.append(f"{word} = {person}")
    thing = last.things[0] if last.things else None
    topic = last.topic
    phrase = _PHRASE.search(rewritten)
    if phrase:
        noun = phrase.group("noun").lower().rstrip("s")
        match = next((t for e in recent for t in e.things if noun in fold(t)), None) or (topic if topic and noun in fold(topic) else None)
        if match:
            rewritten = rewritten[: phrase.start()] + match + rewritten[phrase.end() :]
            notes.append(f"{phrase.group(0)} = {match}")
    own_things = [n for n in names_in(text) if _is_thing(n, directory)]
    its = _ITS.search(rewritten)
    if own_things:
        pass  # "What does Argentina do once it learns ...": its "it" is its own name
    elif its and (thing or topic):
        rewritten = rewritten[: its.start()] + f"{thing or topic}'s" + rewritten[its.end() :]
        notes.append(f"its = {thing or topic}")
    elif thing_pronoun and (counted := _counted_phrase(last.question)) and not _mentions(rewritten, counted):
        # "How many member states does ECOWAS comprise?" then "How many of them ...": them = ECOWAS's member states.
        owner = thing or topic
        counted = f"{owner}'s {counted}" if owner and not _mentions(counted, owner) else f"the {counted}"
        rewritten = _put_person(rewritten, counted)
        notes.append(f"{pronoun.group(0)} = {counted}")
    elif thing_pronoun and (thing or topic):
        rewritten = _put_person(rewritten, thing or topic)
        notes.append(f"{pronoun.group(0)} = {thing or topic}")
    elif _THING.search(rewritten) and (thing or topic) and not _mentions(rewritten, thing or topic):
        rewritten = _THING.sub(thing or topic, rewritten, count=1)
        notes.append(f"it = {thing or topic}")
    # "And his name?", "And how many members?": short, or opened with "and" and nothing above resolved.
    elliptic = len(content_words(text)) <= SHORT_WORDS or (_LEADING_AND.match(text) is not None and rewritten == text and len(content_words(text)) <= 5)
    refers = _REFERS.search(text if own is None else text[: own.start()] + text[own.end() :])
    if (rewritten == text and refers and not named and not own_things) or (elliptic and not own_things):
        # A reference nothing above could place ("the wrong figure", "those statistics") in a question naming nothing
        # itself ("the Philippines ... its audit" refers to its own name), or a short follow-up with no subject of its own ("And how many members?", "And his name?"): the last question goes with it.
        rewritten = f"{rewritten.rstrip(' ?')}{FOLLOWING}{last.question.split(FOLLOWING)[0].rstrip(' ?')}?"
        notes.append("read with the last question")
    if rewritten == text:
        return Resolution(question, False)
    rewritten = _LEADING_AND.sub("", rewritten)
    rewritten = rewritten[:1].upper() + rewritten[1:]
    return Resolution(rewritten, True, last.sessions, tuple(notes))


def _own_antecedent(text: str) -> re.Match | None:
    """The "they", "them" or "their" of a question that names its own plural before it ("Who asked whether refugees can
    see their data?"): it refers to that, not to the conversation."""
    pronoun = _THEY.search(text)
    if pronoun is None:
        return None
    before = content_words(text[: pronoun.start()])
    return pronoun if any(len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) for w in before) else None


_THEY = re.compile(r"\b(?:they|them|their|theirs)\b", re.I)
RECENT = 3  # earlier exchanges a pronoun may reach back to, the last one first
SHORT_WORDS = 2  # a follow-up of this many content words or fewer has no subject of its own
_ITS = re.compile(r"\bits\b", re.I)
_THAT_PERSON = re.compile(r"\b(?:that|this|the\s+same)\s+(?:participant|person|delegate|speaker|panell?ist|woman|man|gentleman|lady|questioner)\b", re.I)
# Words that point back to something said before without naming it.
_REFERS = re.compile(r"\b(?:that|this|those|these|the\s+same|the\s+wrong|the\s+other|it|its|they|them|their|he|she|him|her|his)\b|\bthe\s+(?:company|organisation|organization|alliance|network|fund|treaty|charter|document|annex|register|pilot|plan|figure|number|lawyer|professor|minister|chair|moderator|regulator|speaker|panell?ist|proposal|levy|convention)\b", re.I)


def _names_a_person(text: str, directory, sessions: Sequence[str]) -> bool:
    if directory is None:
        return False
    return any(m.how == "name" for m in directory.match(text))


def _salient_person(recent: Sequence[Exchange], pronoun: str, directory, skip: set[str] = frozenset(), other: bool = False) -> str | None:
    """The person a pronoun stands for: the first of the recent exchanges' people (the last exchange's first) whose
    gender, when the transcript says it, agrees, other than the people the question names itself; "the other
    panelist": the second."""
    wanted = PERSON_PRONOUNS.get(pronoun)
    people = [p for exchange in recent for p in exchange.people if p[2] not in skip]
    people = list(dict.fromkeys(people))
    if other:
        people = people[1:]
    for session, key, name in people:
        gender = _gender(directory, session, key)
        if wanted is None or gender == wanted or (gender is None and not _known_other(people, wanted, directory)):
            return name
    return None


def _known_other(people, wanted: str | None, directory) -> bool:
    """Is one of `people` known to be `wanted` ("she")? Then an unknown one is not taken for her."""
    return wanted is not None and any(_gender(directory, s, k) == wanted for s, k, _ in people)


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
    bare = re.sub(r"^(?:in|for|at|on|from)\s+", "", subject, flags=re.I)
    # "What is Inès Duval's position on X?" + "What about the caseworkers' union?": another party's position.
    if not subject_is_person and last.people and _ABOUT_A_PARTY.search(previous) and not re.match(r"(?:in|for|at|on|from)\s", subject, re.I):
        subject_is_person = _mention_of(previous, last.people[0], directory) is not None
    if subject_is_person and last.people:
        mention = _mention_of(previous, last.people[0], directory)
        if mention:
            return previous.replace(mention, bare, 1) + "?"
    names = [n for n in names_in(previous) if n.split()[0] not in ("What", "Who", "How", "Which", "Where", "When", "Why", "Did", "Does", "Do", "Is", "Are")]
    if bare[:1].isupper() and names:
        return previous.replace(names[-1], bare, 1) + "?"  # "... in Zambia?" + "And in Kenya?"
    topic = last.topic
    if topic and not subject_is_person:
        return previous.replace(topic, subject, 1) + "?"
    return f"{previous} — {subject}?"


_ABOUT_A_PARTY = re.compile(r"\b(?:position|view|stance|say|said|think|thinks|argue|argued|support|supports|oppose|opposes|propose|proposed)\b", re.I)


def _mention_of(question: str, person: tuple[str, str, str], directory) -> str | None:
    """The words of `question` that name `person`: their name, or the role or organisation words it was found by."""
    session, key, name = person
    speaker = directory.get(session, key) if directory is not None and hasattr(directory, "get") else None
    acronyms = {a.upper() for a in getattr(speaker, "acronyms", ())}
    for alias in sorted({name, *name.split(), *acronyms}, key=len, reverse=True):
        if alias and len(alias) > 1 and re.search(rf"\b{re.escape(alias)}\b", question):
            return alias
    found = re.search(r"\bthe\s+(?:[\w\u2011-]+\s+){0,3}?(?:speaker|panell?ist|representative|minister|director|moderator|delegate|official)\b", question, re.I)
    return found.group(0) if found else None


def _mentions(text: str, topic: str) -> bool:
    return bool(content_words(topic)) and content_words(topic) <= content_words(text) or fold(topic) in fold(text)


# "How many complaints were filed, and how long did the evidence exchange take?": two questions in one, the second
# read as a follow-up to the first ("..., and which criterion did he say was missing?": he is the first one's answer).
_SECOND_QUESTION = re.compile(
    r"^(?P<first>.{12,}?)(?:,\s*|\s+)and\s+(?P<second>(?:how|what|which|who|whom|when|where|why|in\s+(?:how|what|which)|by\s+how|"
    r"does|did|do|is|was|are|were|has|had|will|would|could)\b[^,]{8,})$",
    re.I,
)


def split_question(question: str) -> list[str]:
    """The questions a two-part question asks, in order: "X, and how long did Y take?" is "X?" then "How long did Y
    take?". A question with one part is itself. The second part must be a question of its own (a question word or an
    auxiliary after "and"), so "Who did Olga thank and why?" and "Which countries and organisations ...?" stay whole."""
    found = _SECOND_QUESTION.match(question.strip())
    if found is None or re.search(r"\b(?:between|both|difference)\b", found.group("first"), re.I):
        return [question]  # "the difference between the EU clauses and what the network drafted": one question
    first = found.group("first").rstrip(" ,;") + "?"
    second = found.group("second").strip()
    return [first, second[:1].upper() + second[1:]]

