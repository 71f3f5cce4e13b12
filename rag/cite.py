"""Check an answer against its passages, in code, and attach [n] citations.

- `check_grounding(claim, evidence)`: are the key facts of the claim (numbers, names, content words) in the cited
  text? The check an answer must pass before it is shown.
- `cite(answer, passages)`: which passages support each sentence of an answer, with [n] markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import NUMBER_WORDS, STOPWORDS, content_words, is_digits, names_in, numbers_in, sentence_spans, stem, words
from rag.types import Citation, Passage

MIN_SUPPORT = 0.6  # share of an answer sentence's content words that a passage must contain
_MARKER = re.compile(r"\s*\[\d+\]")
MIN_COVERAGE = 0.75  # share of a claim's content words that its cited text must hold


@dataclass(frozen=True)
class Grounding:
    """Whether a claim's key facts are in its evidence; `missing` names the ones that are not."""

    supported: bool
    coverage: float  # share of the claim's content words found in the evidence
    missing: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.supported:
            return "supported"
        if self.missing:
            return "not in the cited text: " + ", ".join(self.missing)
        return f"only {self.coverage:.0%} of its words are in the cited text"


def check_grounding(claim: str, evidence: str, min_coverage: float = MIN_COVERAGE, given: str = "") -> Grounding:
    """Are the key facts of `claim` in `evidence`? Every number (digits or words) and every capitalised name must
    be there, and at least `min_coverage` of its content words (compared by stem, so inflections match).

    `given`: the question. A name the question itself uses ("the GFC" in "Where did the GFC launch a hub?") may be
    repeated by the answer without the cited sentence stating it; numbers never are: they are the facts asked for."""
    claim = _MARKER.sub("", claim)
    evidence_words = set(words(evidence))
    evidence_stems = {stem(w) for w in evidence_words}
    name_words_known = evidence_words | {w for name in names_in(given) for w in words(name)}
    name_stems_known = {stem(w) for w in name_words_known}
    missing = [n for n in sorted(numbers_in(claim)) if n not in numbers_in(evidence)]
    for name in names_in(claim):
        name_words = [w for w in words(name) if w not in STOPWORDS]
        if name_words and not all(w in name_words_known or stem(w) in name_stems_known for w in name_words):
            missing.append(name)
    # Numbers were checked above, by value: "six" in the claim and "6" in the evidence are the same word here.
    claim_words = {w for w in content_words(claim) if w not in NUMBER_WORDS and not is_digits(w)}
    found = [w for w in claim_words if w in evidence_words or stem(w) in evidence_stems]
    coverage = len(found) / len(claim_words) if claim_words else 0.0
    if not claim_words and numbers_in(claim):
        coverage = 1.0  # a bare number ("20%"): checked above
    supported = (bool(claim_words) or bool(numbers_in(claim))) and not missing and coverage >= min_coverage
    return Grounding(supported, coverage, tuple(missing))


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
