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

from index.text import STOPWORDS, content_words, names_in, numbers_in, stem, words
from rag.evidence import TYPED, Evidence, TermWeights, abbreviates, answer_spans, near
from rag.spans import COUNT, NAMES
from rag.types import Passage

TYPE_SENTENCES = 6  # the best sentences searched for a thing of the asked type


@dataclass(frozen=True)
class Confidence:
    """How well the passages can answer the question: the signals abstention is calibrated on."""

    similarity: float  # best cosine of the question to a retrieved passage (or its best sentence)
    evidence: float  # score of the best sentence (rag.evidence.select_evidence)
    coverage: float  # IDF-weighted share of the question's focus words found in the searched passages
    type_found: bool  # a sentence about the question's focus states a thing of the type asked for


def coverage(query, passages: list[Passage], weights: TermWeights) -> float:
    """IDF-weighted share of the question's focus words (and the names it uses) found in `passages` (by stem, with the
    speakers' names): a question whose rare words ("founded", "latency", "NIS2") occur nowhere near the retrieved text
    is probably not covered. For a question about what a named speaker said, only that speaker's passages count."""
    focus = set(query.focus) | {w for name in query.names for w in content_words(name)}
    if not focus:
        return 1.0
    # An unnamed turn (">>" with no name) may be the target's: it counts as theirs.
    keys = {(t.session_id, key) for t in query.targets for key in (t.key, "UNKNOWN")} if query.kind == "speaker_view" else set()
    searched = [p for p in passages if not keys or (p.chunk.session_id, p.chunk.speaker) in keys] or passages
    present = {stem(w) for p in searched for w in words(f"{p.chunk.speaker_name} {p.chunk.text}")}
    total = sum(weights.weight(w) for w in focus)
    return sum(weights.weight(w) for w in focus if stem(w) in present) / total


def about_focus(query, item: Evidence, resources) -> bool:
    return passage_about_focus(query, item.passage, resources)


def passage_about_focus(query, passage: Passage, resources) -> bool:
    """Is the sentence's turn about the names the question uses ("Kenya's fund": Kenya), counting its speaker's name,
    what the transcript says the speaker is (role, organisation, country) and the session's title? An acronym counts
    when the turn spells it out ("UNECA": "United Nations Economic Commission for Africa"). A question with no names
    is about whatever the passages are."""
    names = focus_names(query, resources)
    if not names:
        return True
    chunk = passage.chunk
    directory, turn_at = getattr(resources, "directory", None), getattr(resources, "turn_at", None)
    identity = (directory.describe(chunk.session_id, chunk.speaker, chunk.turn_no) or "") if directory is not None else ""
    turn = turn_at(chunk.session_id, chunk.turn_no) if turn_at is not None else None
    text = turn.text if turn is not None else chunk.text
    present = {stem(w.rstrip("s")) for w in words(f"{chunk.speaker_name} {identity} {chunk.session_title} {text}")}
    present |= {stem(w) for w in words(f"{chunk.speaker_name} {identity} {chunk.session_title} {text}")}

    def named(name: str) -> bool:
        if name.isupper() and any(abbreviates(name, spelled) for spelled in names_in(text)):
            return True
        return all(stem(w) in present or stem(w.rstrip("s")) in present or heard_as(w, text) for w in content_words(name))

    return all(named(name) for name in names)


def focus_names(query, resources) -> list[str]:
    """The names of the question that narrow what it is about: not the ones that run through the transcripts ("UN",
    "IGF"), which say nothing about which passage answers."""
    weights = getattr(resources, "weights", None)
    share = getattr(resources, "name_max_share", 1.0)
    return [n for n in query.names if weights is None or specific_name(n, weights, share)]


def heard_as(word: str, text: str) -> bool:
    """Does `text` hold `word` as captions mishear a name: split ("Mala bow" for Malabo) or one letter off?"""
    if len(word) < 5:
        return False
    spoken = words(text)
    joined = {a + b for a, b in zip(spoken, spoken[1:])}
    return any(SequenceMatcher(None, word, candidate).ratio() >= HEARD_AS for candidate in joined | set(spoken) if abs(len(candidate) - len(word)) <= 2)


HEARD_AS = 0.85  # similarity of a caption's spelling to a name (difflib ratio): "malabow" ~ "malabo" 0.92


def specific_name(span_text: str, weights: TermWeights, max_share: float) -> bool:
    """Is the rarest word of a name in at most `max_share` of the passages? A name that runs through the transcripts
    (the forum, the UN, the internet) is their setting, not the name a question asks for."""
    name_words = content_words(span_text)
    return not name_words or max(weights.weight(w) for w in name_words) >= weights.weight_of_share(max_share)


def speaker_name(span_text: str, directory) -> bool:
    return directory is not None and any(m.how == "name" for m in directory.match(span_text))


def type_found(query, evidence: list[Evidence], resources=None, name_max_share: float = 1.0) -> bool:
    """Does one of the best sentences about the question's focus state a thing of the type asked for (an amount of
    money for "how much", a year for "which year", a share for "what share", a name that is neither a speaker's nor
    the transcripts' setting for "which organisation")? For "who is the CEO of X", a sentence must name the role.
    True when the question asks for no particular type."""
    role = _ROLE_ASKED.search(query.text)
    if role and role.group(1).lower() not in STOPWORDS:
        wanted = stem(role.group(1).lower())
        return any(wanted in {stem(w) for w in words(e.text)} for e in evidence[:TYPE_SENTENCES])
    if query.answer_type not in TYPED:
        # A question about what a named speaker said is about that speaker's words, whatever names they repeat.
        return bool(query.targets) or entity_found(query, evidence, resources)
    weights, directory = getattr(resources, "weights", None), getattr(resources, "directory", None)

    focus = frozenset(stem(w) for w in query.focus)

    def answers(span, sentence: str) -> bool:
        if query.answer_type == COUNT and query.counted and not near(sentence, span, query.counted):
            return False  # "how many attacks": a count of something else is not the answer
        if span.kind not in NAMES and focus and not near(sentence, span, focus, FOCUS_DISTANCE):
            return False  # "what fine did X impose": an amount with no word of the question near it is about something else
        if span.kind not in NAMES:
            return True
        return not speaker_name(span.text, directory) and (weights is None or specific_name(span.text, weights, name_max_share))

    return any(
        any(answers(s, e.text) for s in answer_spans(e.text, query)) and about_focus(query, e, resources) and states_numbers(query, e, resources)
        for e in evidence[:TYPE_SENTENCES]
    )


FOCUS_DISTANCE = 10  # words between a typed span and a word of the question, in the span's sentence


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


def measure(query, passages: list[Passage], evidence: list[Evidence], resources, name_max_share: float = 1.0) -> Confidence:
    return Confidence(
        similarity=max((p.similarity for p in passages), default=0.0),
        evidence=evidence[0].score if evidence else float("-inf"),
        coverage=coverage(query, passages, resources.weights),
        type_found=type_found(query, evidence, resources, name_max_share),
    )


def refusal(confidence: Confidence, has_evidence: bool, settings) -> str | None:
    """Why the passages cannot answer (None when they can)."""
    if not has_evidence:
        return "no passage was retrieved"
    if confidence.similarity < settings.abstain_threshold:
        return f"the closest passage's similarity {confidence.similarity:.2f} is below {settings.abstain_threshold:.2f}"
    if confidence.coverage < settings.abstain_min_coverage:
        return f"only {confidence.coverage:.0%} of the question's key words occur in the retrieved passages"
    if confidence.evidence < settings.abstain_min_evidence:
        return f"no sentence supports an answer (best sentence score {confidence.evidence:.2f})"
    if settings.abstain_on_answer_type and not confidence.type_found:
        return "no sentence about what the question asks states the kind of answer it asks for"
    return None
