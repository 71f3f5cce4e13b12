"""Which sentences of the retrieved passages answer a question: every sentence is scored as support for the answer
the `Query` asks for (its similarity to the question, its share of the question's rarer words, what it adds, and
whether it states a thing of the type asked for), and the best ones are the answer's evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.text import STOPWORDS, content_words, names_in, numbers_in, sentence_spans, stem, words
from rag import spans as sp
from rag.people import title_initials
from rag.places import country_in
from rag.question_types import LIST
from rag.types import Passage

# -- term weights ----------------------------------------------------------------------------------
IDF_SAMPLE = 5_000

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

    @classmethod
    def from_chunks(cls, chunks: Sequence) -> "TermWeights":
        """Word rarity from at most IDF_SAMPLE evenly spread chunks: a share of documents is estimated as well from
        5,000 as from 250,000, and reading all of a large index would delay its first answer by minutes."""
        step = max(1, -(-len(chunks) // IDF_SAMPLE))
        return cls.from_texts(chunks[i].text for i in range(0, len(chunks), step))

    def weight(self, word: str) -> float:
        return self.idf.get(stem(word), self.default)

    def weight_of_share(self, share: float) -> float:
        """The weight of a word found in `share` of the texts."""
        total = math.exp(self.default) * 0.5 - 1  # `default` is the weight of a word in none of them
        return math.log((total + 1) / (share * total + 0.5))


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


# Sentence score = cosine(question, "speaker: sentence") + a share of the cosine of the sentence joined with the
# next one (an answer often spans two) + IDF-weighted share of the question's words found in the sentence + what
# the sentence adds beyond the question's words + a small prior for the passage's retrieval rank + what the form
# needs. Weights chosen by a grid search on eval/questions.jsonl for the share of questions whose best sentence holds
# a gold answer (0.60 -> 0.64 over the 6 best passages; the same set, so expect less on new questions). The cosine

# Sentence score = cosine(question, "speaker: sentence") + a share of the cosine of the sentence joined with the
# next one (an answer often spans two) + IDF-weighted share of the question's words found in the sentence + what
# the sentence adds beyond the question's words + a small prior for the passage's retrieval rank + whether it states
# what the question asks for. The cosine carries paraphrase, the word share rare names and terms. Which set chose
# each weight: docs/eval.md, "Answer-stage weights".
WINDOW_WEIGHT = 0.3
LEXICAL_WEIGHT = 0.5
NOVELTY_WEIGHT = 0.2  # share of the sentence's content words that are not the question's: it says something new
LENGTH_WEIGHT = 0.1  # up to LENGTH_WORDS content words: a fuller sentence is more likely to hold the answer
LENGTH_WORDS = 20
RANK_WEIGHT = 0.1
FOCUS_BONUS = 0.1  # the sentence is by a speaker the question is about
ADDRESSED_PENALTY = 0.3  # the sentence is by the speaker being answered, not the one answering
INTRODUCTION_BONUS = 0.3  # a question about a speaker ("Where is X based?") and a sentence introducing X
POSITION_BONUS = 0.3  # the sentence is in the turn the question points at (the speaker's first or last)
TYPE_BONUS = 0.3  # the sentence states a thing of the type asked for (a share for "what share", a year for "which year");
# half of it for a thing that can stand in (a year for "on what date")
TYPE_PENALTY = 0.4  # a question asking for a typed thing and a sentence stating none
COUNTED_BONUS = 0.2  # "How many events ...": the typed span is within COUNT_DISTANCE words of "events"; and a span
# within COUNT_DISTANCE words of a word of the question ("a repair permit used to take three weeks")
ENTITY_BONUS = 0.2  # the sentence's turn is about the names the question uses ("Kenya"), or not (the same, taken off)
MODERATOR_PENALTY = 0.1  # a moderator's sentence, for a question not about the moderator: they ask, relay and sum up
COUNT_DISTANCE = 6
LIST_BONUS = 0.1  # a list question and a sentence that enumerates
QUESTION_PENALTY = 0.15  # a sentence that asks a question rarely answers one
MIN_CONTENT_WORDS = 3  # "Thank you very much." answers nothing
ASKED_NOUN_BONUS = 0.1  # "What gap ...", "What kind of approach ...": a sentence holding "gap", "approach"
EXPANSION_BONUS = 0.5  # "What does GFC stand for?": a sentence spelling out a name with the initials G, F, C
# The answer types a typed span decides (a person is found by rag.forms, a stance by rag.discourse).
TYPED = sp.NUMERIC | {sp.PLACE, sp.LOCALITY, sp.ORGANISATION, sp.NAME}


class SentenceVectors:
    """The sentence vectors stored in the index (index.sentences: "speaker: sentence", embedded at index time),
    looked up per passage, so picking sentences costs no model call; sentences it lacks are embedded on demand."""

    def __init__(self, index, embedder):
        self.embedder = embedder
        self.table = getattr(index, "sentences", None)
        self.row_of: dict[str, int] = {}
        if self.table is not None and len(self.table):
            # Rows are read per passage when asked for: copying every chunk's vectors here copied the whole
            # (memory-mapped) table into memory, 1.5 GiB at 250,000 chunks.
            self.order = np.argsort(self.table.chunk_rows, kind="stable")
            self.bounds = np.searchsorted(self.table.chunk_rows[self.order], np.arange(len(index.chunks) + 1))
            self.row_of = {chunk.chunk_id: row for row, chunk in enumerate(index.chunks)}

    def stored(self, chunk_id: str) -> np.ndarray | None:
        row = self.row_of.get(chunk_id)
        if row is None:
            return None
        from index.store import read_rows

        return read_rows(self.table.vectors, np.sort(self.order[self.bounds[row] : self.bounds[row + 1]]))

    def __call__(self, candidates: list[tuple[Passage, int, int]]) -> np.ndarray:
        vectors: list[np.ndarray | None] = []
        read: dict[str, np.ndarray | None] = {}
        for passage, a, _ in candidates:
            if passage.chunk.chunk_id not in read:
                read[passage.chunk.chunk_id] = self.stored(passage.chunk.chunk_id)
            stored = read[passage.chunk.chunk_id]
            # The table holds one vector per sentence_spans() sentence of the chunk, in order.
            order = {start: i for i, (start, _) in enumerate(sentence_spans(passage.chunk.text))}
            at = order.get(a, -1)
            vectors.append(stored[at] if stored is not None and len(stored) == len(order) and at >= 0 else None)
        missing = [i for i, v in enumerate(vectors) if v is None]
        if missing:
            for i, vector in zip(missing, self.embedder.encode([_sentence_text(*candidates[i]) for i in missing])):
                vectors[i] = vector
        return np.vstack(vectors) if vectors else np.zeros((0, self.embedder.dimension), dtype=np.float32)


def _sentence_text(passage: Passage, a: int, b: int) -> str:
    return f"{passage.chunk.speaker_name}: {passage.chunk.text[a:b]}"


def _window_cosines(candidates: list[tuple[Passage, int, int]], vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of the question to each sentence joined with the next sentence of the same passage."""
    joined = vectors.copy()
    for i in range(len(candidates) - 1):
        if candidates[i + 1][0] is candidates[i][0]:
            joined[i] = vectors[i] + vectors[i + 1]
    norms = np.linalg.norm(joined, axis=1)
    return (joined @ query) / np.where(norms > 0, norms, 1.0)


def overlaps(passage: Passage, a: int, b: int, spans: set[tuple[str, int, int]]) -> bool:
    """Does the sentence (a, b) of `passage` overlap one of the (session, start, end) spans of the session texts?"""
    chunk = passage.chunk
    return any(session == chunk.session_id and chunk.start_char + a < end and start < chunk.start_char + b for session, start, end in spans)


# A sentence whose subject is a pronoun ("It was ...", "It's based on ...", "They are ..."), not "It's time to ...".
REFERS_BACK = re.compile(
    r"^\s*(?:It|This|That|These|Those|They)(?:\s+(?:was|is|were|are|had|has|did|does)\b|['’](?:s|re)\b)"
    r"(?!\s+(?:not\s+)?(?:time|true|important|clear|possible|difficult|hard|easy)\b)"
)


def sentence_before(text: str, start: int) -> str:
    before = [(a, b) for a, b in sentence_spans(text) if b <= start]
    return text[before[-1][0] : before[-1][1]] if before else ""


def sentence_after(text: str, end: int) -> str:
    after = [(a, b) for a, b in sentence_spans(text) if a >= end]
    return text[after[0][0] : after[0][1]] if after else ""


# Words that give a reason: "because our procedures ...", "due to ...", "the reason is ...".
GIVES_REASON = re.compile(r"\b(?:because|due\s+to|owing\s+to|the\s+reason|that['’]s\s+why|this\s+is\s+why|given\s+that)\b", re.I)


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


COURTESY = re.compile(r"^\W*(?:thank(?:s|\s+you)|good\s+(?:morning|afternoon|evening)|hello|hi|yes|okay|ok|sorry|please)\b", re.I)


_RELATIVE_TIME = re.compile(r"\s+(?:after|before|from|since)\b", re.I)


def answer_spans(sentence: str, query) -> list[sp.Span]:
    """The spans of `sentence` of the type `query` asks for, other than what the question states itself: its numbers,
    and names that share a word with it ("Which ECOWAS states ratified the Malabo Convention?": not "Malabo Convention")."""
    if query.answer_type not in TYPED:
        return []
    asked = {re.sub(r"'s$", "", w) for w in content_words(query.text)} | set(query.focus)
    spans = [
        s for s in sp.of_kind(sp.spans_in(sentence), query.answer_type)
        if not (numbers_in(s.text) and numbers_in(s.text) <= query.numbers) and not (s.kind in sp.NAMES and content_words(s.text) & asked)
    ]
    if query.answer_type == sp.DATE:
        # "When are templates deleted?": "five years after a case is closed" says when, relative to something else.
        spans += [s for s in sp.spans_in(sentence) if s.kind == sp.DURATION and _RELATIVE_TIME.match(sentence, s.end)]
    if query.answer_type == sp.LOCALITY:
        # "Which country": a country ("Europe" is not one); "which city": a place that is not a country.
        spans = [s for s in spans if bool(country_in(s.text)) == query.asks_country]
    return spans




def select_evidence(
    query,
    passages: list[Passage],
    embedder,
    weights: TermWeights,
    *,
    limit: int | None = 3,
    vectors: Callable[[list[tuple[Passage, int, int]]], np.ndarray] | None = None,
    focus: frozenset[str] = frozenset(),
    addressed: frozenset[str] = frozenset(),
    turns: frozenset[tuple[str, int]] = frozenset(),
    introductions: frozenset[tuple[str, int, int]] = frozenset(),
    about: Callable[[Passage], bool] | None = None,
    moderators: frozenset[tuple[str, str]] = frozenset(),
    read_out: frozenset[tuple[str, int, int]] = frozenset(),
) -> list[Evidence]:
    """The `limit` sentences of `passages` that best answer `query` (rag.query.Query), best first.

    `vectors`: the sentences' vectors (SentenceVectors), else they are embedded here; `focus`: speaker keys the question
    is about (their sentences get a small lift); `addressed`: speaker keys the question names as the ones answered
    ("respond to the Nigerian participant's statistic"), whose sentences are not the answer; `turns`: (session, turn
    number) of the turns the question points at ("final recommendation": the speaker's last turn); `introductions`:
    (session, start, end) of the passages introducing the speaker a question is about; `about`: whether a passage's
    turn is about the names the question uses (None: the question uses none); `moderators`: (session, speaker key) of
    the sessions' moderators; `read_out`: (session, start, end) of the questions a moderator reads out for someone
    else, which, like a sentence ending in "?", ask rather than answer; `limit` None: every sentence."""
    candidates = candidate_sentences(passages)
    if not candidates:
        return []
    question = query.asked_text
    encoded = embedder.encode_query(question)
    sentence_vectors = vectors(candidates) if vectors is not None else embedder.encode([_sentence_text(*c) for c in candidates])
    dense = sentence_vectors @ encoded
    window = _window_cosines(candidates, sentence_vectors, encoded)
    question_words = [w for w in content_words(question) if w not in query.session_words] or content_words(question)
    question_stems = {stem(w) for w in question_words}
    question_weight = sum(weights.weight(w) for w in question_words) or 1.0
    noun_stem = stem(query.noun) if query.noun else None
    focus_stems = frozenset(stem(w) for w in query.focus)
    name_stems = frozenset(stem(w) for name in query.names for w in content_words(name))
    about_passage: dict[str, bool] = {}
    # "What three levels of resources ...": the sentence that counts the same number of the asked noun enumerates them.
    enumerated = {noun_stem} | ANNOUNCED_ITEMS if query.form == LIST and noun_stem and query.numbers else None
    scored = []
    for (passage, a, b), cosine, joined in zip(candidates, dense, window):
        sentence = passage.chunk.text[a:b]
        sentence_words = content_words(sentence)
        sentence_stems = {stem(w) for w in sentence_words}
        lexical = sum(weights.weight(w) for w in question_words if stem(w) in sentence_stems) / question_weight
        novelty = len(sentence_stems - question_stems) / max(1, len(sentence_stems))
        score = (
            float(cosine)
            + WINDOW_WEIGHT * float(joined)
            + LEXICAL_WEIGHT * lexical
            + NOVELTY_WEIGHT * novelty
            + LENGTH_WEIGHT * min(1.0, len(sentence_words) / LENGTH_WORDS)
            + RANK_WEIGHT / (1 + passage.rank)
        )
        typed = answer_spans(sentence, query)
        if query.answer_type == sp.COUNT and query.counted:
            # "following 64 community networks" is no count of the people following
            typed = [s for s in typed if s.kind != sp.COUNT or not counts_something_else(sentence, s, query.counted)]
        counts_asked = bool(query.counted | query.measured) and any(near(sentence, s, query.counted | query.measured) for s in typed)
        # "We are three minutes over." is short, and a whole answer to "by how many minutes ..."; so is "The survey was in
        # 2023." to "In which year was the survey carried out?".
        # Nor is "Two things." to "What two measures ...": it announces the items that follow.
        announces = bool(enumerated) and counts(sentence, enumerated, frozenset(), query.numbers)
        # And "Nepali is not in our 34." to "Is Nepali among the languages ...?": a short sentence about a name the
        # question asks about.
        names_asked = bool(name_stems) and bool(name_stems & sentence_stems)
        whole = counts_asked or announces or names_asked or any(s.kind == query.answer_type and near(sentence, s, focus_stems) for s in typed)
        if (len(sentence_words) < MIN_CONTENT_WORDS or COURTESY.match(sentence) and len(sentence.split()) <= 8) and not whole:
            score -= 1.0
        if sentence.rstrip().endswith("?") or (read_out and overlaps(passage, a, b, read_out)):
            score -= QUESTION_PENALTY
        if passage.chunk.speaker in focus:
            score += FOCUS_BONUS
        if passage.chunk.speaker in addressed:
            score -= ADDRESSED_PENALTY
        if (passage.chunk.session_id, passage.chunk.turn_no) in turns:
            score += POSITION_BONUS
        if introductions and overlaps(passage, a, b, introductions):
            score += INTRODUCTION_BONUS
        if noun_stem and noun_stem in sentence_stems:
            score += ASKED_NOUN_BONUS
        if query.answer_type in TYPED:
            exact = any(s.kind == query.answer_type for s in typed) or query.answer_type in (sp.QUANTITY, sp.NAME)
            score += (TYPE_BONUS if exact else TYPE_BONUS / 2) if typed else -TYPE_PENALTY
            if counts_asked or any(near(sentence, s, focus_stems) for s in typed if s.kind in sp.NUMERIC):
                score += COUNTED_BONUS
        if about is not None:
            chunk_id = passage.chunk.chunk_id
            if chunk_id not in about_passage:
                about_passage[chunk_id] = about(passage)
            score += ENTITY_BONUS if about_passage[chunk_id] else -ENTITY_BONUS
        if (passage.chunk.session_id, passage.chunk.speaker) in moderators and passage.chunk.speaker not in focus:
            score -= MODERATOR_PENALTY
        elif query.form == LIST and (sentence.count(",") >= 2 or (sentence.count(",") >= 1 and " and " in sentence)):
            score += LIST_BONUS
            if noun_stem and lists_after_noun(sentence, noun_stem):
                score += LIST_BONUS  # "based on ethical principles, the respect for the child, shared responsibility, ..."
        if query.acronyms and any(abbreviates(acronym, name) for acronym in query.acronyms for name in names_in(sentence)):
            score += EXPANSION_BONUS
        if announces:
            score += COUNTED_BONUS
        scored.append(Evidence(passage, a, b, score))
    scored.sort(key=lambda e: -e.score)
    return scored if limit is None else scored[:limit]


# "What two measures did Brazil take?" is answered by "we did two things. First, ... Second, ...": a speaker announces
# the items of a list by a word that says nothing of what they are.
ANNOUNCED_ITEMS = frozenset(stem(w) for w in "things points ways steps".split())


def lists_after_noun(sentence: str, noun_stem: str) -> bool:
    """Does the asked noun come right before an enumeration ("principles, the respect ..., shared responsibility, ...",
    "three measures: ...")? Then the sentence lists the asked things, not something near them."""
    for match in re.finditer(r"[\w\u2011'-]+", sentence):
        if stem(match.group(0).lower()) == noun_stem:
            rest = sentence[match.end() :]
            if re.match(r"\s*[,:]", rest) and rest.count(",") + rest.count(";") >= 2:
                return True
    return False


def near(sentence: str, span: sp.Span, nouns: frozenset[str], distance: int = COUNT_DISTANCE) -> bool:
    """Is a word of `nouns` (stems) within `distance` words of `span` in `sentence`?"""
    before = words(sentence[: span.start])[-distance:]
    after = words(sentence[span.end :])[:distance]
    return any(stem(w) in nouns for w in before + after + words(span.text))


def counts_something_else(sentence: str, span: sp.Span, nouns: frozenset[str]) -> bool:
    """Does the count `span` name what it counts, and is that none of `nouns`? "2,300 families, 87 percent of flags":
    2,300 counts families, not flags; "north of 80 have signed" names nothing, so the words around it decide."""
    following = words(re.split(r"[,;:.]", sentence[span.end :])[0])[:COUNT_DISTANCE]  # "55 African Union member states"
    if not following or following[0] in STOPWORDS or numbers_in(following[0]):
        return False
    # What it counts ends at the first plural: "25 countries report feeling at risk" counts countries, not reports.
    plural = next((i for i, w in enumerate(following) if w.endswith("s") and not w.endswith("ss")), None)
    counted = following[: plural + 1] if plural is not None else following
    return not any(stem(w) in nouns or stem(w.rstrip("s")) in nouns for w in counted)


def counts(text: str, nouns: frozenset[str], question_numbers: frozenset[str], only: frozenset[str] | None = None) -> bool:
    """Does `text` state a number (not one of the question's; one of `only` when given) within COUNT_DISTANCE words
    of a noun it counts?"""
    tokens = words(text.replace("-", " "))
    at_number = [i for i, t in enumerate(tokens) if (numbers_in(t) & only if only is not None else numbers_in(t) - question_numbers)]
    if not nouns:
        return bool(at_number)
    at_noun = [i for i, t in enumerate(tokens) if stem(t) in nouns]
    return any(abs(i - j) <= COUNT_DISTANCE for i in at_number for j in at_noun)


def abbreviates(acronym: str, name: str) -> bool:
    """Is `acronym` the initials of `name`'s capitalised words, in order, one of them perhaps left out ("GFC": "Global
    Forum on Cyber Expertise")?"""
    initials = title_initials(" ".join(w for w in name.split() if w[:1].isupper())).upper()  # "Chief Executive": CEO
    remaining = iter(initials)
    return initials[:1] == acronym[:1] and all(letter in remaining for letter in acronym) and len(initials) - len(acronym) <= 1


# A quoted answer joins sentences of one passage under one citation, so that passage is chosen by its best sentence
# plus this share of its second best: two sentences that support the answer beat one slightly better sentence alone.
SECOND_SENTENCE_SHARE = 0.2


def lead_with_best_passage(ranked: list[Evidence]) -> list[Evidence]:
    """`ranked` (best first) with the best sentence of the best passage first: passages scored by their best sentence
    plus SECOND_SENTENCE_SHARE of their second best."""
    if not ranked:
        return ranked
    best_two: dict[str, list[Evidence]] = {}
    for item in ranked:
        kept = best_two.setdefault(item.passage.chunk.chunk_id, [])
        if len(kept) < 2:
            kept.append(item)

    def passage_score(pair: list[Evidence]) -> float:
        second = max(0.0, pair[1].score) if len(pair) > 1 else 0.0
        return pair[0].score + SECOND_SENTENCE_SHARE * second

    lead = max(best_two.values(), key=passage_score)[0]
    return [lead] + [item for item in ranked if item is not lead]
