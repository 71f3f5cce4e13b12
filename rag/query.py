"""Question understanding, in one place: a question is read once into a `Query` (which speakers and sessions it is
about, what kind of question it is, the form and type of answer it asks for, its focus words and numbers), and every
later stage reads the `Query`, never the question's words again.

Kinds:
- "who_said": asks which person said something ("Who argued ...", "Which panelist said ..."): the answer is the
  speaker of the best-supported passage.
- "speaker_view": asks what a named speaker said or thinks ("according to Chris Painter", "What did the EFF
  speaker say ..."): the speaker's own turns hold the answer.
- "profile": asks about a speaker ("What role does Alissa Starzak hold?"): the moderator's introduction of that
  speaker holds the answer, so the passage that introduces them is routed to as well as their own turns.
- "general": anything else.

Forms and answer types are decided from the question's words alone (rag.question_types).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from index.text import STOPWORDS, content_words, fold, names_in, numbers_in, stem, words
from rag import question_types as qt
from rag.mentions import person_noun_pattern
from rag.people import FUNCTION_WORDS, Match, Speaker
from rag.question_types import ASKS_FOR_PERSON, FACT
from rag.speakers import SpeakerDirectory

WHO_SAID, SPEAKER_VIEW, PROFILE, GENERAL = "who_said", "speaker_view", "profile", "general"

_ATTRIBUTION_VERBS = re.compile(
    r"\b(?:said|say|says|argued?|argues|proposed?|proposes|called|calls|suggest(?:ed|s)?|ask(?:ed|s)?|warn(?:ed|s)?|described?|"
    r"mention(?:ed|s)?|cited?|cites|raised?|brought\s+up|claim(?:ed|s)?|stated?|recommend(?:ed|s)?|dream(?:ed|t)|emphasi[sz]ed|"
    r"not(?:ed|es)|stress(?:ed|es)|advocat(?:ed|es)|criticized|criticised|express(?:ed|es)|insist(?:ed|s)|submitt?(?:ed)?|quot(?:ed|es)|"
    r"referr?(?:ed|s)|compar(?:ed|es)|urg(?:ed|es)|question(?:ed|s)|spoke(?!\s+(?:for|on\s+behalf\s+of)\b)|talk(?:ed|s)|highlight(?:ed|s)|point(?:ed|s)\s+out|"
    r"believes?|thinks?|thought|wants?|pushed|push(?:es)?|favou?r(?:ed|s)|oppos(?:ed|es)|backed|defended|reported|shared|gave|told|cautioned)\b",
    re.I,
)
_PROFILE = re.compile(
    r"\b(?:role|position(?!\s+(?:on|about|regarding|towards?)\b)|title|job|organi[sz]ation|represents?|work(?:s|ed)?\s+(?:for|at)|chairs?|holds?|based|citizen|nationality|"
    r"introduced|who\s+is|who\s+are|from\s+which\s+(?:city|country)|stands?\s+for|acronym|for\s+a\s+living)\b",
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
_LAST = re.compile(r"\b(?:final|closing|concluding|last|conclusion|wrap(?:ped)?\s+up|close[sd]?|sum(?:med|s)?\s+up|at\s+the\s+end)\b", re.I)
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
    answer_type: str | None = None  # what the answer must state (rag.question_types.answer_type)
    # "What did Owen say about them — following: How many of the pilots Leila looked at ...": the words only the earlier
    # question says; they say what the follow-up is about, not what the speaker asked about must have said.
    earlier_words: frozenset[str] = frozenset()
    focus: tuple[str, ...] = ()  # content words the answer is about, without asking words and speakers' names
    numbers: frozenset[str] = frozenset()  # numbers the question states itself (never the answer)
    counted: frozenset[str] = frozenset()  # stems of what "how many X" / "share of X" counts
    counted_pair: tuple[str, str] | None = None  # "How many members and observers ...": both are counted
    measured: frozenset[str] = frozenset()  # "What is the average age of ...": the stem of what is measured (age)
    amount_of: frozenset[str] = frozenset()  # "How much annotated signing ...": what the amount is of
    noun: str | None = None  # "What gap ...": the noun asked for
    names: tuple[str, ...] = ()  # capitalised names the question uses ("Tunza Mesh", "Kenya")
    acronyms: frozenset[str] = frozenset()  # "What does GFC stand for?": the acronyms to spell out
    asks_asker: bool = False  # "Who asked whether ...": the person a question came from
    asks_relayer: bool = False  # "Who relayed the online questions?": the person who read them out
    asks_country: bool = False  # "Which country ...": a country, not a city or a region
    asks_name: bool = False  # "What is the name of ...": a name as said, not a description
    named_noun: str | None = None  # "What is the name of the repair ship ...": "ship", which the name stands by
    asks_origin: bool = False  # "Which country was the audience member from who ...": where they said they are from
    asked_side: str | None = None  # "Who argued against ...?": "against"; "Which panelists supported ...?": "for"
    in_audience: bool = False  # "Who in the audience ...": the answer is one of the audience
    asks_relayed: bool = False  # "Which questions did Tomas read out?": the questions a reader relayed
    quoted: tuple[str, ...] = ()  # words the question quotes: "When Rizal said \"as Ana said\", ..."
    asks_reason: bool = False  # "Why has the fund not financed any network?": the answer gives a reason
    asks_change: bool = False  # "By how much did ... cut": the amount of a change ("by 90 percent")
    session_end: bool = False  # "... by the end of the session?", nobody named: the moderator's closing turn
    asks_part: bool = False  # "How many of the pilots were still running?": a count said as a part ("one of them")
    instance: frozenset[str] = frozenset()  # "the second phase", "the next session": which one of several is asked about
    event: frozenset[str] = frozenset()  # "When does the period close?": stems of the verbs that say what happens then
    asks_corrector: bool = False  # "Who corrected ...": the speaker who corrected a figure
    asks_moderator: bool = False  # "Who moderated the town hall?": the session's moderator, from the speaker directory
    asks_correction: bool = False  # "What is the correct figure ...": the corrected value, not the first one given
    sessions: tuple[str, ...] = ()  # the sessions the question names by type, title words or date (none: any)
    session_words: frozenset[str] = frozenset()  # the words of the named sessions' titles: they say where, not what
    # "Who disagreed with the Deputy Mayor?": the people a "who" question names as acted on; never its answer, and not
    # routed to (their own words rarely say who answered them).
    others: tuple[Target, ...] = field(default_factory=tuple)

    @property
    def routed(self) -> bool:
        return bool(self.targets)

    def speaker_keys(self) -> set[str]:
        return {t.key for t in self.targets}

    @property
    def asked_text(self) -> str:
        """The question without a leading phrase naming its session ("In the high-level panel on subsea cables, which
        minister ...": which minister ...), for matching sentences: the session's welcome says those words too."""
        if not self.sessions or self.sessions == ("",):
            return self.text
        return _NAMING_SESSION.sub("", self.text, count=1) or self.text

    @property
    def content(self) -> str:
        """The question without the words that only say who (names, organisation, role title, "speaker"):
        once routing has used them, they would only make every passage of that speaker look alike."""
        asked = self.asked_text
        if not self.targets:
            return asked
        who = set()
        for target in self.targets:
            who |= identity_words(target.speaker)
        kept = [w for w in re.findall(r"\S+", asked) if _bare(w) not in who and not re.fullmatch(_PERSON_NOUN, _bare(w))]
        return " ".join(kept) if len(kept) >= 2 else asked


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


_NAMING_SESSION = re.compile(r"^\s*(?:in|at|during)\s+(?:the|this)\b[^,?]{3,80},\s*", re.I)
_ASKS_EXPANSION = re.compile(r"\b(?:stands?\s+for|acronym|abbreviation)\b", re.I)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")


def analyze(question: str, directory: SpeakerDirectory | None, sessions: Sequence = ()) -> Query:
    """Read `question` once. `directory`: the speakers it may name; `sessions`: the indexed sessions
    (index.store.SessionInfo), which it may name by type, title or date."""
    matches = directory.match(question) if directory is not None else []
    targets = tuple(Target(m.speaker, m.how) for m in _strongest(matches))
    targets = tuple(t for t in targets if not described_otherwise(question, t))
    # A follow-up read with the question before it (rag.conversation: "And how many members? — following: ..."): what
    # it asks for is read from its own words, what it is about from both.
    asked = question.split(FOLLOWING, 1)[0] if FOLLOWING in question else question.split(" — ", 1)[0]
    if asked != question and directory is not None:
        # "What did Priya say about it — following: Why does Teresa think ...?": the speaker the follow-up names is the
        # one it asks about; the question before it only says what "it" is.
        named_now = {(m.speaker.session_id, m.speaker.key) for m in directory.match(asked) if m.how == "name"}
        if named_now:
            targets = tuple(t for t in targets if (t.session_id, t.key) in named_now) or targets
    form = qt.question_form(asked)
    others = acted_on_targets(asked, targets, directory) if form == qt.WHO else ()
    targets = tuple(t for t in targets if t not in others)
    position = None
    if targets:
        position = "first" if _FIRST.search(question) else "last" if _LAST.search(question) else None
    answer_type = qt.answer_type(asked, form)
    acronyms = frozenset(_ACRONYM.findall(question)) if _ASKS_EXPANSION.search(question) else frozenset()
    identity = frozenset(w for t in (*targets, *others) for w in identity_words(t.speaker))  # the acted-on are people too
    catalog = sessions if isinstance(sessions, SessionCatalog) else SessionCatalog.of(sessions)
    named = named_sessions(question, catalog)
    # "In the high-level panel on subsea cables, which minister ...": the words naming the session say where, not what.
    scope = frozenset(w for s in catalog.sessions if s.session_id in named for w in content_words(s.title.replace("_", " ").replace("-", " ")))
    if not named and others and len({t.session_id for t in others}) == 1 and not targets and len(catalog.sessions) > 1:
        # "Who disagreed with Samir Haddad?": someone in the session where Samir Haddad spoke.
        named = (others[0].session_id,)
    return Query(
        question,
        question_kind(asked, bool(targets), answer_type),
        targets,
        position,
        form,
        answering_targets(asked, targets),
        answered_topic(asked),
        # A stance is one person's: not asked of two speakers of one session ("Where do Ana and Rizal stand?").
        answer_type=answer_type if answer_type != qt.STANCE or len({t.session_id for t in targets}) == len(targets) else None,
        # "What does GFC stand for?": the acronym is what it is about, even when it is a speaker's organisation's.
        focus=tuple(sorted((set(qt.focus_words(question.replace(FOLLOWING, " "), identity)) - scope - describing(targets, question)) | {a.lower() for a in acronyms})),
        earlier_words=frozenset(qt.focus_words(question.split(FOLLOWING, 1)[1], identity)) - frozenset(qt.focus_words(asked, identity)) if FOLLOWING in question else frozenset(),
        numbers=frozenset(numbers_in(asked)),
        counted=qt.counted_nouns(asked) if form == qt.NUMBER else frozenset(),
        counted_pair=qt.counted_pair(asked) if form == qt.NUMBER else None,
        measured=qt.measured_noun(asked),
        amount_of=qt.amount_of(asked),
        noun=qt.asked_noun(asked),
        names=tuple(n for n in question_names(question, identity, targets) if not _earlier_speaker(n, asked, directory)),
        acronyms=acronyms,
        asks_asker=qt.asks_asker(asked) and not qt.asks_relayer(asked),
        asks_relayer=qt.asks_relayer(asked),
        asks_country=qt.asks_country(asked),
        asks_name=qt.asks_name(asked),
        named_noun=qt.named_noun(asked),
        asks_origin=qt.asks_origin(asked),
        asked_side=qt.asked_side(asked) if form == qt.WHO else None,
        in_audience=qt.in_audience(asked),
        asks_relayed=qt.asks_relayed(asked),
        quoted=qt.quoted_phrases(question),
        asks_change=qt.asks_change(asked),
        asks_reason=qt.asks_reason(asked),
        event=qt.event_words(asked),
        instance=qt.which_instance(asked),
        asks_part=qt.asks_part(asked),
        session_end=not targets and qt.asks_session_end(asked),
        asks_corrector=qt.asks_corrector(asked),
        asks_moderator=qt.asks_moderator(asked),
        asks_correction=qt.asks_correction(asked),
        sessions=named,
        session_words=scope,
        others=others,
    )


def describing(targets: tuple[Target, ...], question: str) -> set[str]:
    """The nouns that refer to a person the question describes ("the EFF speaker", "the Cloudflare representative"):
    they say who, as a name does, not what the answer is about."""
    if not any(t.how != "name" for t in targets):
        return set()
    return {w for w in content_words(question) if re.fullmatch(_PERSON_NOUN, w)}


def described_otherwise(question: str, target) -> bool:
    """Does the question describe the person it names with words their introduction does not ("the network engineer
    Kwame Asante" for the Kwame Asante introduced as remote moderator)? Then it means someone else of that name."""
    speaker = target.speaker
    known = fold(" ".join(filter(None, (speaker.description(), speaker.role, speaker.organisation))))
    if target.how != "name" or not known:
        return False
    folded = fold(question)
    at = min((m.start() for alias in speaker.aliases if len(alias) > 3 for m in re.finditer(rf"\b{re.escape(alias)}\b", folded)), default=None)
    if at is None:
        return False
    # "the network engineer Kwame Asante": a determiner, then up to a few words right before the name, no punctuation.
    apposed = re.search(rf"\b(?:the|a|an|our|their)\s+((?:[\w'-]+\s+){{1,{DESCRIBING_WORDS}}})$", folded[:at])
    described = apposed.group(1).split() if apposed else []
    if not described or any(w in STOPWORDS for w in described):
        return False
    return not any(stem(w) in {stem(k) for k in words(known)} for w in described)


DESCRIBING_WORDS = 4  # "the senior network engineer Kwame Asante"


def acted_on_targets(question: str, targets: tuple[Target, ...], directory) -> tuple[Target, ...]:
    """The targets a "who" question names, by name or role, only after the verb of the person it asks for ("Who
    demanded a yes or no from the Deputy Mayor?": the Deputy Mayor)."""
    after = qt.acted_on(question)
    if not after or not targets or directory is None:
        return ()
    before = question[: len(question) - len(after)]

    def who(matches) -> set[tuple[str, str, str]]:
        return {(m.speaker.session_id, m.speaker.key, m.speaker.name) for m in matches}

    pointed = who(m for m in directory.match(after) if m.how in ("name", "role", "moderator")) - who(directory.match(before))
    # "in Mona Houck's case": what belongs to them is what the question is about, and their words tell it.
    possessive = {_bare(w) for w in re.findall(r"[\w’'-]+(?=['’]s\b)", after)}
    return tuple(t for t in targets if (t.session_id, t.key, t.speaker.name) in pointed and not identity_words(t.speaker) & possessive)


FOLLOWING = " — following: "  # how rag.conversation joins a short follow-up to the question before it


_HONORIFIC = re.compile(r"^(?:(?:Dr|Mr|Mrs|Ms|Prof|Professor|Minister|Deputy|Mayor|Commissioner|Ambassador|Madam|Sir)\.?\s+)+")


# "after the January 2022 eruption": a month or a weekday dates what the question is about; it does not name it.
_CALENDAR_WORDS = frozenset(fold(w) for w in [*calendar.month_name[1:], *calendar.day_name])


def _earlier_speaker(name: str, asked: str, directory) -> bool:
    """Is `name` a speaker's that only the earlier question of a follow-up says ("What did Owen say about them —
    following: How many pilots did Leila Haddad look at?")? The follow-up's answer need not name them."""
    return directory is not None and name not in asked and any(m.how == "name" for m in directory.match(name))


def question_names(question: str, identity: frozenset[str], targets) -> tuple[str, ...]:
    """The capitalised names a question uses that are not its speakers' ("Kenya", "Tunza Mesh", "UNECA"): a name is
    cut at "and", stripped of titles, possessives and words that name a target, and dropped when what is left is the
    question's first word ("Summarize Chris Painter": nothing) or says who a target is."""
    first = re.match(r"\W*(\w+)", question)
    opener = first.group(1) if first else ""
    # "the Nigerian participant", "the Cuban deputy minister": a country's adjective that found a speaker says who, not what.
    demonyms = {fold(t.speaker.country or "") for t in targets if t.how == "country" and t.speaker.country}
    found = []
    for name in names_in(question):
        for part in re.split(r"\s+and\s+", name):
            part = _HONORIFIC.sub("", re.sub(r"['’]s$", "", part)).strip(" .")
            kept = [w for w in part.split() if fold(w) not in identity and w != opener and fold(w) not in _CALENDAR_WORDS]
            if not kept or _HONORIFIC.fullmatch(kept[0] + " "):
                continue
            if len(kept) == 1 and any(d and fold(kept[0]) != d and fold(kept[0])[: max(4, len(d) - 1)] == d[: max(4, len(d) - 1)] for d in demonyms):
                continue
            if any(w[:1].isupper() for w in kept):
                found.append(" ".join(kept))
    return tuple(dict.fromkeys(found))


_ANSWERING = re.compile(r"\b(?:respond(?:ed|s)?|react(?:ed|s)?|answer(?:ed|s)?|repl(?:y|ied|ies)|pick(?:ed|s)?\s+up|comment(?:ed|s)?\s+on)\b", re.I)


def answering_targets(question: str, targets: tuple[Target, ...]) -> tuple[Target, ...]:
    """The targets a question names before its verb of answering ("How did Chris Painter respond to the Nigerian
    participant's statistic": Chris Painter); none when it has no such verb or names nobody before it."""
    if len(targets) < 2:
        return ()
    # "Luke Brennan said it went live in 2018. What actually happened, according to Margit?": Margit.
    according = _ACCORDING_TO.search(question)
    if according:
        named = {_bare(w) for w in re.findall(r"\S+", according.group(1))}
        return tuple(t for t in targets if identity_words(t.speaker) & named)
    verb = _ANSWERING.search(question)
    if verb is None:
        return ()
    before = {_bare(w) for w in re.findall(r"\S+", question[: verb.start()])}
    return tuple(t for t in targets if identity_words(t.speaker) & before)


_ACCORDING_TO = re.compile(r"\baccording\s+to\s+([^,?;]+)", re.I)
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


# -- sessions named in a question -------------------------------------------------------------------------
# Title words that say nothing about which session is meant.
_GENERIC_TITLE_WORDS = frozenset("igf session day main forum internet governance panel workshop open town hall high level ws dc the of and on for in a".split())
_IGF_YEAR = re.compile(r"\bIGF\s*((?:19|20)\d\d)\b", re.I)


_SESSION_NOUN = re.compile(r"\b(?:session|panel|workshop|forum|town\s+hall|coalition|meeting|event|talk|main\s+session)s?\b", re.I)


@dataclass(frozen=True)
class SessionCatalog:
    """What a question can name a session by: each session's type, IGF date, and title words, with how many sessions'
    titles hold each word. Built once per index (rag.retrieve.Retriever)."""

    sessions: tuple
    title_words: dict  # session id -> its title's distinguishing words
    frequency: dict  # word -> number of titles holding it

    @classmethod
    def of(cls, sessions: Sequence) -> "SessionCatalog":
        title_words = {s.session_id: set(content_words(s.title.replace("_", " ").replace("-", " "))) - _GENERIC_TITLE_WORDS for s in sessions}
        frequency: dict[str, int] = {}
        for found in title_words.values():
            for word in found:
                frequency[word] = frequency.get(word, 0) + 1
        return cls(tuple(sessions), title_words, frequency)


def named_sessions(question: str, sessions) -> tuple[str, ...]:
    """The sessions `question` names ("the open forum on data flows", "in the town hall", "the Keeping the World
    Connected panel", "at IGF 2023"): by its session type, or by a session noun ("panel", "session") with at least two
    words of its title that set it apart from the other sessions' titles; then by its IGF year. Empty when it names
    none, or when the index holds one session. A session named by type or title at a year no such session has is a
    session that is not indexed: that one case returns ("",). `sessions`: a SessionCatalog, or the sessions."""
    from index.sessions import SESSION_TYPES

    catalog = sessions if isinstance(sessions, SessionCatalog) else SessionCatalog.of(sessions)
    if len(catalog.sessions) < 2 or not _SESSION_NOUN.search(question):
        return ()
    folded = re.sub(r"[\s_\-\u2010-\u2015]+", " ", fold(question))
    types = {name for pattern, name in SESSION_TYPES if pattern.search(folded)}
    question_words = set(words(question)) - _GENERIC_TITLE_WORDS
    half = len(catalog.sessions) / 2
    scores = {}
    for session in catalog.sessions:
        if types and session.session_type not in types:
            continue
        title = catalog.title_words[session.session_id]
        distinctive = {w for w in title & question_words if catalog.frequency[w] <= half}
        if len(distinctive) >= 2 or (types and distinctive) or (types and not title & question_words and len(types) == 1):
            scores[session.session_id] = len(distinctive) + (1 if types else 0)
    if not scores:
        return ()
    best = max(scores.values())
    named = tuple(sid for sid, score in scores.items() if score == best)
    year = _IGF_YEAR.search(question)
    if year:
        dates = {s.session_id: s.date or "" for s in catalog.sessions}
        dated = tuple(sid for sid in named if dates[sid].startswith(year.group(1)))
        return dated or ("",)
    return named


def question_kind(question: str, names_someone: bool, answer_type: str | None = None) -> str:
    if ASKS_FOR_PERSON.search(question) and _ATTRIBUTION_VERBS.search(question):
        return WHO_SAID
    # "At which university is Adaeze a researcher?": an organisation or place asked of a named person is who they are.
    about_them = _PROFILE.search(question) or qt.asks_what_they_do(question) or (answer_type in (qt.ORGANISATION, qt.PLACE, qt.LOCALITY) and qt.says_little_else(question))
    if names_someone and about_them and not _ATTRIBUTION_VERBS.search(question) and not _ACCORDING.search(question):
        return PROFILE
    if names_someone and (_VIEW.search(question) or _ATTRIBUTION_VERBS.search(question)):
        return SPEAKER_VIEW
    return GENERAL


NAMED_AND_DESCRIBED = 4.0  # a name (2 or 3 points) and a description that fits the same speaker (2 or more)


def _strongest(matches: list[Match]) -> list[Match]:
    """Every speaker named outright; by weaker means (organisation, role, country), only the best-supported ones."""
    named = [m for m in matches if m.how == "name"]
    others = [m for m in matches if m.how != "name"]
    if any(m.score >= NAMED_AND_DESCRIBED for m in named):
        # "What is João's job at the Brazilian regulator?": the description is of the person named, not of others, and
        # picks the João it fits.
        named, others = [m for m in named if m.score >= NAMED_AND_DESCRIBED], []
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
