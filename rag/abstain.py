"""When the passages cannot answer: the signals of an answer plan's confidence, and the refusal they lead to.

A question is "not covered" when no passage was retrieved, when the closest passage is far from it (similarity),
when its rarer words are missing from the passages searched (coverage), when its best sentence is weak (evidence),
or when no sentence about what the question is about states a thing of the type it asks for: a question asking
for a cost that nobody gave is answered with no nearby fact (type found). Thresholds live in index.settings.Settings;
which question sets chose them: docs/eval.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.text import content_words, stem, words
from rag.evidence import TYPED, Evidence, TermWeights, answer_spans
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
    keys = {(t.session_id, t.key) for t in query.targets} if query.kind == "speaker_view" else set()
    searched = [p for p in passages if not keys or (p.chunk.session_id, p.chunk.speaker) in keys] or passages
    present = {stem(w) for p in searched for w in words(f"{p.chunk.speaker_name} {p.chunk.text}")}
    total = sum(weights.weight(w) for w in focus)
    return sum(weights.weight(w) for w in focus if stem(w) in present) / total


def about_focus(query, item: Evidence, describe=None) -> bool:
    """Is the sentence's passage about the names the question uses ("Kenya's fund": Kenya), counting its speaker's
    name, what the transcript says the speaker is (`describe`: (session, speaker key, turn) -> their role,
    organisation and country) and the session's title? A question with no names is about whatever the passages are."""
    if not query.names:
        return True
    chunk = item.passage.chunk
    identity = (describe(chunk.session_id, chunk.speaker, chunk.turn_no) or "") if describe else ""
    present = {stem(w) for w in words(f"{chunk.speaker_name} {identity} {chunk.session_title} {chunk.text}")}
    return all(any(stem(w) in present for w in content_words(name)) for name in query.names)


def type_found(query, evidence: list[Evidence], describe=None) -> bool:
    """Does one of the best sentences about the question's focus state a thing of the type asked for (an amount of
    money for "how much", a year for "which year", a share for "what share")? True when the question asks for no
    particular type."""
    if query.answer_type not in TYPED:
        return True
    return any(answer_spans(e.text, query) and about_focus(query, e, describe) for e in evidence[:TYPE_SENTENCES])


def measure(query, passages: list[Passage], evidence: list[Evidence], weights: TermWeights, describe=None) -> Confidence:
    return Confidence(
        similarity=max((p.similarity for p in passages), default=0.0),
        evidence=evidence[0].score if evidence else float("-inf"),
        coverage=coverage(query, passages, weights),
        type_found=type_found(query, evidence, describe),
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
