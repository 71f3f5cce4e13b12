"""What kind of answer a question asks for, which sentences of the retrieved passages hold it, and the shape
of the answer a person reads.

Forms, decided from the question's words alone:
- "who": a person ("Who ...", "Which panelist said ..."): the person's display name and role.
- "role": what a named person is or represents ("What role does X hold?"): the role the transcript gives them.
- "number": a count, share, year or amount ("How many ...", "What percentage ..."): the number with its unit and
  what it counts, in the speaker's words.
- "list": several items ("Which positions ...", "What three measures ..."): the items.
- "view": what someone said, thinks or why ("according to X", "What did X say about Y", "Why ..."): one or two
  sentences in the speaker's own words.
- "fact": anything else: a short phrase.

Every answer is built from sentences of the passages (`Evidence`), so it can be checked against them
(rag.cite.check_grounding) and quoted verbatim beside the answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from index.text import fold, sentence_spans, words
from rag.cite import NUMBER_WORDS, content_words, has_number, numbers_in
from rag.types import Passage

WHO, ROLE, NUMBER, LIST, VIEW, FACT = "who", "role", "number", "list", "view", "fact"
FORMS = (WHO, ROLE, NUMBER, LIST, VIEW, FACT)

_PERSON_NOUN = (
    r"(?:panell?ists?|speakers?|participants?|audience\s+members?|members?\s+of\s+the\s+audience|persons?|people|"
    r"delegates?|officials?|moderators?|co-?moderators?|representatives?|colleagues?|one)"
)
_WHO = re.compile(rf"^\s*(?:who|whom)\b|^\s*which\s+(?:\w+\s+){{0,2}}{_PERSON_NOUN}\b", re.I)
_ROLE = re.compile(
    r"\b(?:role|position|job|title|organi[sz]ation|represent|represents|work\s+for|works\s+for|chair|chairs)\b", re.I
)
_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|long|old|often|far)\b|\b(?:what|which)\s+(?:\w+\s+)?(?:share|percentage|per\s*cent|proportion|"
    r"number|size|year|age|amount|figures?|increase|fraction|rate)\b|\bin\s+what\s+year\b|\bby\s+how\s+many\b",
    re.I,
)
_COUNTED = re.compile(r"\b(?:two|three|four|five|several|multiple|kinds|types|forms|ways)\b", re.I)
_AUXILIARY = r"(?:did|does|do|is|are|was|were|can|could|has|have|had|should|would|will|caused|make|made)"
_LIST_HEAD = re.compile(rf"\b(?:which|what)\s+((?:[\w-]+\s+){{0,4}}?)([\w-]+)\s+(?:of\s+[\w\s-]+?\s+)?{_AUXILIARY}\b", re.I)
_VIEW = re.compile(
    r"\b(?:according\s+to|per|say|said|says|think|thinks|view|judge|consider|considers|see|sees|believe|react|respond|"
    r"answer|describe|summari[sz]e|recommendation|remarks?|message|closing|agree|disagree|call\s+for|called\s+for)\b"
    r"|^\s*(?:why|how)\b|^\s*(?:does|do|did|is|are|should|can)\b",
    re.I,
)


def question_form(question: str) -> str:
    """The form of answer `question` asks for (one of FORMS)."""
    if _WHO.search(question):
        return WHO
    if _NUMBER.search(question):
        return NUMBER
    if _is_list(question):
        return LIST
    if _ROLE.search(question) and re.match(r"^\s*(?:what|which)\b", question, re.I):
        return ROLE
    if _VIEW.search(question):
        return VIEW
    return FACT


def _is_list(question: str) -> bool:
    head = _LIST_HEAD.search(question)
    if head is None:
        return False
    modifiers, noun = head.group(1).lower(), head.group(2).lower()
    if _COUNTED.search(modifiers + noun):
        return True
    # A plural head noun ("Which positions did ...") asks for several items; "-ss", "-us", "-is" are singular.
    return noun.endswith("s") and not noun.endswith(("ss", "us", "is")) and noun not in NUMBER_WORDS


# -- term weights ----------------------------------------------------------------------------------
def stem(word: str) -> str:
    """A crude stem that makes inflections and spelling variants meet ("negotiated"/"negotiation", "organisation"/"organization")."""
    return word[:5] if len(word) > 5 else word


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of stems over the indexed chunks: rare question words say more."""

    idf: dict[str, float]
    default: float

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "TermWeights":
        frequency: Counter[str] = Counter()
        total = 0
        for text in texts:
            total += 1
            frequency.update({stem(w) for w in words(text)})
        idf = {s: math.log((total + 1) / (n + 0.5)) for s, n in frequency.items()}
        return cls(idf, math.log((total + 1) / 0.5))

    def weight(self, word: str) -> float:
        return self.idf.get(stem(word), self.default)


# -- evidence --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """One sentence of a retrieved passage, scored as support for the answer."""

    passage: Passage
    start: int  # offsets of the sentence in passage.chunk.text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]

    @property
    def speaker(self) -> str:
        return self.passage.chunk.speaker_name

    @property
    def where(self) -> tuple[str, int]:
        """The sentence's place in its session: overlapping chunks hold the same sentence once."""
        return self.passage.chunk.session_id, self.passage.chunk.start_char + self.start


# Sentence score = cosine(question, "speaker: sentence") + IDF-weighted share of the question's words found in it
# + a small prior for the passage's retrieval rank + what the form needs. Weights measured on eval/questions.jsonl
# (python -m eval.answer_study); the cosine carries paraphrase, the word share carries rare names and terms.
LEXICAL_WEIGHT = 0.5
RANK_WEIGHT = 0.1
FOCUS_BONUS = 0.1  # the sentence is by a speaker the question is about
FORM_BONUS = 0.15  # the sentence has what the form asks for (a number, several items)
FORM_PENALTY = 0.2  # a number question and a sentence without a number
QUESTION_PENALTY = 0.15  # a sentence that asks a question rarely answers one
MIN_CONTENT_WORDS = 3  # "Thank you very much." answers nothing


def candidate_sentences(passages: list[Passage]) -> list[tuple[Passage, int, int]]:
    seen, result = set(), []
    for passage in passages:
        text = passage.chunk.text
        for a, b in sentence_spans(text) or [(0, len(text))]:
            where = (passage.chunk.session_id, passage.chunk.start_char + a)
            if where in seen:
                continue
            seen.add(where)
            result.append((passage, a, b))
    return result


def select_evidence(
    question: str,
    form: str,
    passages: list[Passage],
    embedder,
    weights: TermWeights,
    focus: set[str] | None = None,
    limit: int = 3,
) -> list[Evidence]:
    """The `limit` sentences of `passages` that best answer `question`, best first.

    `focus`: speaker keys the question is about (their sentences get a small lift)."""
    candidates = candidate_sentences(passages)
    if not candidates:
        return []
    query = embedder.encode_query(question)
    vectors = embedder.encode([f"{p.chunk.speaker_name}: {p.chunk.text[a:b]}" for p, a, b in candidates])
    dense = vectors @ query
    question_words = content_words(question)
    question_stems = {stem(w) for w in question_words}
    question_weight = sum(weights.weight(w) for w in question_words) or 1.0
    question_numbers = numbers_in(question)
    scored = []
    for (passage, a, b), cosine in zip(candidates, dense):
        sentence = passage.chunk.text[a:b]
        sentence_words = content_words(sentence)
        sentence_stems = {stem(w) for w in sentence_words}
        lexical = sum(weights.weight(w) for w in question_words if stem(w) in sentence_stems) / question_weight
        score = float(cosine) + LEXICAL_WEIGHT * lexical + RANK_WEIGHT / (1 + passage.rank)
        if len(sentence_words) < MIN_CONTENT_WORDS:
            score -= 1.0
        if sentence.rstrip().endswith("?"):
            score -= QUESTION_PENALTY
        if focus and passage.chunk.speaker in focus:
            score += FOCUS_BONUS
        if form == NUMBER:
            score += FORM_BONUS if numbers_in(sentence) - question_numbers else -FORM_PENALTY
        elif form == LIST and (sentence.count(",") >= 2 or (sentence.count(",") >= 1 and " and " in sentence)):
            score += FORM_BONUS / 2
        del sentence_stems
        scored.append(Evidence(passage, a, b, score))
    scored.sort(key=lambda e: -e.score)
    return scored[:limit]


__all__ = [
    "FORMS",
    "Evidence",
    "TermWeights",
    "question_form",
    "select_evidence",
    "has_number",
    "fold",
    "np",
]
