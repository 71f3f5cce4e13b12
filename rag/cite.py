"""Attach [n] citations to an answer by checking, in code, which passages support each sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import sentence_spans, words
from rag.types import Citation, Passage

# Function words carry no evidence: an answer is supported by its content words.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers him his how i
    if in into is it its itself just me more most my no nor not now of off on once only or other our out over own said
    same say says she should so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yes well think really
    going like get got one thing things also actually""".split()
)
MIN_SUPPORT = 0.6  # share of an answer sentence's content words that a passage must contain
_MARKER = re.compile(r"\s*\[\d+\]")


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS}


def support(claim: str, evidence: str) -> float:
    claim_words = content_words(claim)
    if not claim_words:
        return 0.0
    return len(claim_words & content_words(evidence)) / len(claim_words)


def best_quote(claim: str, passage_text: str) -> str:
    spans = sentence_spans(passage_text)
    if not spans:
        return passage_text
    return max((passage_text[a:b] for a, b in spans), key=lambda s: (support(claim, s), -len(s)))


@dataclass
class CitedAnswer:
    text: str  # the answer with [n] markers
    citations: list[Citation]
    supported: bool  # every sentence of the answer is supported by at least one passage


def cite(answer: str, passages: list[Passage], min_support: float = MIN_SUPPORT, per_sentence: int = 2) -> CitedAnswer:
    answer = _MARKER.sub("", answer).strip()
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    pieces: list[str] = []
    supported = bool(answer)
    for a, b in sentence_spans(answer) or [(0, len(answer))]:
        sentence = answer[a:b]
        scored = sorted(((support(sentence, p.chunk.text), p) for p in passages), key=lambda sp: (-sp[0], sp[1].rank))
        chosen = _distinct_turns([(s, p) for s, p in scored if s >= min_support])[:per_sentence]
        if not chosen and content_words(sentence):
            supported = False
        markers = []
        for score, passage in chosen:
            key = passage.chunk.chunk_id
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(Citation(numbers[key], passage, best_quote(sentence, passage.chunk.text), score))
            markers.append(f"[{numbers[key]}]")
        pieces.append(sentence + (" " + "".join(markers) if markers else ""))
    return CitedAnswer(" ".join(pieces), citations, supported and bool(citations))


def _distinct_turns(scored: list[tuple[float, Passage]]) -> list[tuple[float, Passage]]:
    """Overlapping windows of one turn support the same words: cite the turn once."""
    seen, kept = set(), []
    for score, passage in scored:
        turn = (passage.chunk.session_id, passage.chunk.turn_no)
        if turn not in seen:
            seen.add(turn)
            kept.append((score, passage))
    return kept
