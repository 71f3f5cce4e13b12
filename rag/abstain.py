"""When the passages cannot answer: the signals of an answer plan's confidence, and the refusal they lead to.

A question is "not covered" when no passage was retrieved, when the closest passage is far from it (similarity),
when its rarer words are missing from the passages searched (coverage), when its best sentence is weak (evidence),
or when no sentence about what the question is about states a thing of the type it asks for: a question asking
for a cost that nobody gave is answered with no nearby fact (type found). Thresholds live in index.settings.Settings;
which question sets chose them: docs/eval.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import re
from difflib import SequenceMatcher

from index.text import STOPWORDS, content_words, fold, names_in, numbers_in, sentence_spans, stem, words
from rag.mentions import heard_as
from rag.evidence import TYPED, Evidence, TermWeights, abbreviates, answer_spans, counts_something_else, near, overlaps
from rag.question_types import PLACE_NOUNS
from rag.spans import COUNT, LOCALITY, MONEY, NAME, NAMES, ORGANISATION, PLACE, PRICE, SHARE
from rag.types import Passage

TYPE_SENTENCES = 6  # the best sentences searched for a thing of the asked type


@dataclass(frozen=True)
class Confidence:
    """How well the passages can answer the question: the signals abstention is calibrated on."""

    similarity: float  # best cosine of the question to a retrieved passage (or its best sentence)
    evidence: float  # score of the best sentence (rag.evidence.select_evidence)
    coverage: float  # IDF-weighted share of the question's focus words found in the searched passages
    type_found: bool  # a sentence about the question's focus states a thing of the type asked for
    local_coverage: float = 1.0  # IDF-weighted share of the focus words found in the best sentence's turn (and who speaks it)
    missing_weight: float = 0.0  # the rarest focus word absent from that turn: its IDF weight (0 when none is absent)

    def to_dict(self) -> dict:
        return {
            "similarity": round(self.similarity, 4),
            "evidence": round(self.evidence, 4) if self.evidence > float("-inf") else None,
            "coverage": round(self.coverage, 4),
            "local_coverage": round(self.local_coverage, 4),
            "type_found": self.type_found,
        }


def coverage(query, passages: list[Passage], resources) -> float:
    """IDF-weighted share of the question's focus words (and the names it uses) found in `passages` (by stem, with the
    speakers' names and the roles they were introduced with): a question whose rare words ("founded", "latency", "NIS2")
    occur nowhere near the retrieved text is probably not covered. For a question about what a named speaker said, only
    that speaker's passages count, and the words naming the speaker ("the Cuban deputy minister") are found in the role
    the speaker directory gives them."""
    focus = set(query.focus) | {w for name in query.names for w in content_words(name)}
    if not focus:
        return 1.0
    # An unnamed turn (">>" with no name) may be the target's: it counts as theirs.
    keys = {(t.session_id, key) for t in query.targets for key in (t.key, "UNKNOWN")} if query.kind == "speaker_view" else set()
    searched = [p for p in passages if not keys or (p.chunk.session_id, p.chunk.speaker) in keys] or passages
    directory = getattr(resources, "directory", None)
    roles = {directory.describe(p.chunk.session_id, p.chunk.speaker, p.chunk.turn_no) or "" for p in searched} if directory is not None else set()
    text = " ".join([*(f"{p.chunk.speaker_name} {p.chunk.text}" for p in searched), *roles])
    present = {stem(w) for w in words(text)}
    if query.earlier_words:
        # The earlier question's words are found anywhere in the passages: the answer before was where they were said.
        present |= {stem(w) for w in query.earlier_words if any(stem(w) in {stem(x) for x in words(p.chunk.text)} for p in passages)}
    weights = resources.weights
    total = sum(weights.weight(w) for w in focus)
    return sum(weights.weight(w) for w in focus if stem(w) in present) / total


def about_focus(query, item: Evidence, resources) -> bool:
    return passage_about_focus(query, item.passage, resources)


def passage_about_focus(query, passage: Passage, resources) -> bool:
    """Is the sentence's turn about the names the question uses ("Kenya's fund": Kenya), counting its speaker's name,
    what the transcript says the speaker is (role, organisation, country) and the session's title? An acronym counts
    when the turn or the speaker's role spells it out ("UNECA": "United Nations Economic Commission for Africa"). A question with no names
    is about whatever the passages are."""
    chunk = passage.chunk
    names = focus_names(query, resources, chunk.session_id)
    if not names:
        return True
    directory, turn_at = getattr(resources, "directory", None), getattr(resources, "turn_at", None)
    identity = (directory.describe(chunk.session_id, chunk.speaker, chunk.turn_no) or "") if directory is not None else ""
    turn = turn_at(chunk.session_id, chunk.turn_no) if turn_at is not None else None
    text = turn.text if turn is not None else chunk.text
    # A reply is about who it replies to: "a question from Aisha Bello ..." read out in the turn before.
    askers = resources.askers_in(chunk.session_id, chunk.turn_no - 1) if hasattr(resources, "askers_in") else ""
    known = f"{chunk.speaker_name} {identity} {chunk.session_title} {text} {askers}"
    present = {stem(w.rstrip("s")) for w in words(known)} | {stem(w) for w in words(known)}

    spelled_out = names_in(f"{identity} {text}")

    def named(name: str) -> bool:
        # An acronym counts when spelled out in the turn or in what the speaker is ("CIO": "Chief Information Officer").
        acronyms = {fold(w) for w in re.findall(r"\b[A-Z]{2,}\b", name) if any(abbreviates(w, spelled) for spelled in spelled_out)}
        return all(w in acronyms or stem(w) in present or stem(w.rstrip("s")) in present or heard_as(w, known) for w in content_words(name))

    return all(named(name) for name in names)


def focus_names(query, resources, session_id: str | None = None) -> list[str]:
    """The names of the question that narrow what it is about: not the ones that run through the transcripts ("UN",
    "IGF"), nor, within `session_id`, the ones that run through that session (its topic: "RiskLens" in the town hall
    about RiskLens), which say nothing about which of its passages answers."""
    weights = getattr(resources, "weights", None)
    share = getattr(resources, "name_max_share", 1.0)
    names = [n for n in query.names if weights is None or specific_name(n, weights, share)]
    if session_id is not None and names and hasattr(resources, "session_topic"):
        names = [n for n in names if not resources.session_topic(session_id, n)]
    return names


def specific_name(span_text: str, weights: TermWeights, max_share: float) -> bool:
    """Is the rarest word of a name in at most `max_share` of the passages? A name that runs through the transcripts
    (the forum, the UN, the internet) is their setting, not the name a question asks for."""
    name_words = content_words(span_text)
    return not name_words or max(weights.weight(w) for w in name_words) >= weights.weight_of_share(max_share)


def speaker_name(span_text: str, directory) -> bool:
    return directory is not None and any(m.how == "name" for m in directory.match(span_text))


def answering(query, evidence: list[Evidence], resources=None, name_max_share: float = 1.0) -> Evidence | None:
    """The best of the first TYPE_SENTENCES sentences that can answer: its turn is about the names and numbers the
    question uses, and, for a question asking for a typed thing, it states one (an amount of money for "how much", a
    year for "which year", a share for "what share", a name that is neither a speaker's nor the transcripts' setting
    for "which organisation") near the question's words. For "who is the CEO of X", a sentence naming the role. None:
    no sentence can, and the question is probably not covered."""
    candidates = evidence[:TYPE_SENTENCES]
    role = _ROLE_ASKED.search(query.text)
    if role and role.group(1).lower() not in STOPWORDS:
        wanted = stem(role.group(1).lower())
        return next((e for e in candidates if wanted in {stem(w) for w in words(e.text)}), None)
    if query.answer_type not in TYPED:
        # A question about what a named speaker said is about that speaker's words: their sentences must be about the
        # names the question uses ("What did Fatou say about the Baltic Sea?").
        keys = {(t.session_id, key) for t in query.targets for key in (t.key, "UNKNOWN")} if query.kind == "speaker_view" else set()
        own = [e for e in candidates if (e.passage.chunk.session_id, e.passage.chunk.speaker) in keys] if keys else candidates
        if not query.asks_asker:
            # "Summarise the findings of the audit": a question about them ("will the findings be shared?") is no answer.
            own = [e for e in own if not e.text.rstrip().endswith("?")] or own
        if keys and not own:
            return candidates[0] if candidates else None  # the speaker's words were not retrieved: abstention's other signals decide
        if query.answering or query.answered_topic:
            return own[0] if own else None  # a response need not repeat what it responds to ("the statistic on GDP")
        return next((e for e in own if about_focus(query, e, resources)), None)
    weights, directory = getattr(resources, "weights", None), getattr(resources, "directory", None)
    focus = frozenset(stem(w) for w in query.focus)
    money_noun = frozenset(stem(w) for w in words(query.text) if w in MONEY_NOUNS) if query.answer_type in (MONEY, PRICE) else frozenset()
    # A country is often named in passing (an introduction, an example); a city a question asks for less so.
    country_asked = query.answer_type == LOCALITY and query.asks_country
    # "Which foundation provides the grant?": an organisation named far from the question's words is another one; who
    # someone works for (a profile question) is said where they are introduced, in other words.
    organisation_asked = query.answer_type == ORGANISATION and query.kind != "profile"

    def answers(span, item: Evidence) -> bool:
        sentence = item.text
        around = {stem(w) for w in words(neighbours(item))}
        if query.answer_type == COUNT and query.counted and (not near(sentence, span, query.counted) or counts_something_else(sentence, span, query.counted)):
            return False  # "how many attacks": a count of something else is not the answer
        if query.instance and not query.instance & {w.lower() for w in words(f"{sentence} {neighbours(item)}")}:
            return False  # "the second phase of the pilot": an amount said of the pilot, not of its second phase
        if query.measured and not near(sentence, span, query.measured):
            return False  # "the average age of the ships": an amount that is not an age
        if query.amount_of and span.kind != SHARE and not near(sentence, span, query.amount_of):
            return False  # "how much annotated signing": "200 hours of annotated signing", not "three languages"; a
            # share ("less than 3 percent of what the cable gives") is of what the sentences around it say
        if money_noun and not money_noun & ({stem(w) for w in words(sentence)} | around):
            return False  # "what fine did X impose": an amount that is not said to be a fine
        if span.kind not in NAMES and focus and not near(sentence, span, focus, FOCUS_DISTANCE) and not focus & around:
            return False  # an amount with no word of the question near it (or in the sentences around) is about something else
        if span.kind not in NAMES:
            return True
        if query.named_noun and not near(sentence, span, frozenset({stem(query.named_noun)}), NAMED_DISTANCE):
            return False  # "the name of the repair ship": a name said beside "ship" ("the ship, the Léon Thévenin")
        if query.named_noun and span.kind == PLACE and query.named_noun not in PLACE_NOUNS:
            return False  # "a ship from Yokohama": the name of a place, not of the ship
        if (query.answer_type == NAME or country_asked or organisation_asked) and focus and not near(sentence, span, focus, FOCUS_DISTANCE):
            return False  # "the name of Argentina's strategy", "which country charges a fee": a name with no word of the question near it names something else
        if hasattr(resources, "session_topic") and resources.session_topic(item.passage.chunk.session_id, span.text):
            return False  # a name that runs through the session ("United Nations") is its setting, not the name asked for
        return not speaker_name(span.text, directory) and (weights is None or specific_name(span.text, weights, name_max_share))

    if query.kind != "profile" and query.answer_type in INTRODUCED and hasattr(resources, "introduction_spans"):
        # "In which city will the coalition meet next?": the city a speaker is introduced with ("... in Oslo") says
        # where they work, and answers only a question about them.
        candidates = [e for e in candidates if not introduces(e, resources.introduction_spans)]
    # "When does the comment period close?": a date said of closing comes before one said of publishing.
    if query.event:
        candidates = sorted(candidates, key=lambda e: not query.event & {stem(w) for w in words(e.text)})
    return next(
        (e for e in candidates if any(answers(s, e) for s in answer_spans(e.text, query)) and about_focus(query, e, resources) and states_numbers(query, e, resources)),
        None,
    )


INTRODUCED = frozenset({PLACE, LOCALITY, ORGANISATION, NAME})  # what introducing someone says of them


def introduces(item: Evidence, spans: frozenset[tuple[str, int, int]]) -> bool:
    return overlaps(item.passage, item.start, item.end, spans)


# The nouns a question about money may ask for by name ("what fine", "the annual revenue"): the sentence must say it.
MONEY_NOUNS = frozenset("fee fees fine fines revenue revenues budget budgets salary grant grants loan loans levy tariff tariffs investment contribution contributions contribute contributes contributed subscription".split())


NAMED_DISTANCE = 6  # words between a name and the noun a "name of the X" question asks it of
FOCUS_DISTANCE = 10  # words between a typed span and a word of the question, in the span's sentence


NEIGHBOURS = 2  # sentences each side: "And it was not two weeks. It was 38 days. Thirty-eight days until ..."


def neighbours(item: Evidence) -> str:
    """The sentences just before and after `item` in its passage ("So, Tunza Mesh. We started in 2018."): an answer's
    sentence often names what it is about only in the one next to it."""
    text = item.passage.chunk.text
    spans = sentence_spans(text)
    at = next((i for i, (a, _) in enumerate(spans) if a == item.start), None)
    if at is None:
        return ""
    return " ".join(text[a:b] for a, b in spans[max(0, at - NEIGHBOURS) : at + NEIGHBOURS + 1] if a != item.start)


def states_numbers(query, item: Evidence, resources) -> bool:
    """Does the sentence's turn state the numbers the question does ("the annual meeting in 2026": 2026)?"""
    if not query.numbers:
        return True
    turn_at = getattr(resources, "turn_at", None)
    chunk = item.passage.chunk
    turn = turn_at(chunk.session_id, chunk.turn_no) if turn_at is not None else None
    return query.numbers <= numbers_in(f"{chunk.session_title} {turn.text if turn is not None else chunk.text}")


def entity_found(query, evidence: list[Evidence], resources) -> bool:
    """Is one of the best sentences' turns about the names the question uses? ("What is India's position on ...": a
    turn about India.)"""
    return any(about_focus(query, e, resources) for e in evidence[:TYPE_SENTENCES])


_ROLE_ASKED = re.compile(r"^\s*who\s+(?:is|was|are|were)\s+the\s+([\w-]+)\s+of\b", re.I)


def local_coverage(query, evidence: list[Evidence], resources) -> tuple[float, float]:
    """(IDF-weighted share of the question's focus words found in the best sentence's turn, with its speaker's name and
    description and the session title; the IDF weight of the rarest focus word missing from it, 0 when none is). A
    question whose rarest word ("avatars", "founded", "latency") is not where its answer would be asks for something
    that turn does not say."""
    focus = set(query.focus) | {w for name in query.names for w in content_words(name)}
    if not focus or not evidence:
        return 1.0, 0.0
    chunk = evidence[0].passage.chunk
    turn_at, directory = getattr(resources, "turn_at", None), getattr(resources, "directory", None)
    turn = turn_at(chunk.session_id, chunk.turn_no) if turn_at is not None else None
    identity = (directory.describe(chunk.session_id, chunk.speaker, chunk.turn_no) or "") if directory is not None else ""
    text = f"{chunk.speaker_name} {identity} {chunk.session_title} {turn.text if turn is not None else chunk.text}"
    present = {stem(w) for w in words(text)} | {stem(w.rstrip("s")) for w in words(text)}
    weights = resources.weights
    missing = [w for w in focus if stem(w) not in present and stem(w.rstrip("s")) not in present and not heard_as(w, text)]
    total = sum(weights.weight(w) for w in focus)
    share = 1.0 - sum(weights.weight(w) for w in missing) / total
    return share, max((weights.weight(w) for w in missing), default=0.0)


def measure(query, passages: list[Passage], evidence: list[Evidence], resources, type_found: bool) -> Confidence:
    """The confidence signals; `evidence` best first, its first sentence the one the answer rests on."""
    local, missing = local_coverage(query, evidence, resources)
    return Confidence(
        similarity=max((p.similarity for p in passages), default=0.0),
        evidence=evidence[0].score if evidence else float("-inf"),
        coverage=coverage(query, passages, resources),
        type_found=type_found,
        local_coverage=local,
        missing_weight=missing,
    )


def refusal(confidence: Confidence, has_evidence: bool, settings) -> str | None:
    """Why the passages cannot answer (None when they can)."""
    if not has_evidence:
        return "no passage was retrieved"
    if confidence.similarity < settings.abstain_threshold:
        return f"the closest passage's similarity {confidence.similarity:.2f} is below {settings.abstain_threshold:.2f}"
    if confidence.coverage <= 0.0:
        return "none of the question's key words occur in the retrieved passages"
    if confidence.coverage < settings.abstain_min_coverage:
        return f"only {confidence.coverage:.0%} of the question's key words occur in the retrieved passages"
    if settings.abstain_on_answer_type and not confidence.type_found:
        return "no sentence about what the question asks states the kind of answer it asks for"
    return None
