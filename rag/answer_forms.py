"""What kind of answer a question asks for, which sentences of the retrieved passages hold it, and the shape
of the answer a person reads.

Forms, decided from the question's words alone (rag.query.question_form):
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

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.text import fold, sentence_spans, words
from index.text import NUMBER_WORDS, STOPWORDS, content_words, names_in, numbers_in, stem
from rag.cite import Grounding, check_grounding
from rag.query import FACT, FORMS, LIST, NUMBER, ROLE, VIEW, WHO, asked_noun, question_form  # noqa: F401 (FORMS, re-exported)
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
# carries paraphrase, the word share rare names and terms.
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
NUMBER_BONUS = 0.3  # a number question and a sentence stating a number the question does not
NUMBER_PENALTY = 0.4  # a number question and a sentence without one
LIST_BONUS = 0.1  # a list question and a sentence that enumerates
QUESTION_PENALTY = 0.15  # a sentence that asks a question rarely answers one
MIN_CONTENT_WORDS = 3  # "Thank you very much." answers nothing
PERCENT_BONUS = 0.3  # a question asking for a share and a sentence stating a percentage
# Measured by replaying the sentence choice on the odd-numbered questions: +2 and +1 answers, none lost on the even ones.
ASKED_NOUN_BONUS = 0.1  # "What gap ...", "What kind of approach ...": a sentence holding "gap", "approach"
EXPANSION_BONUS = 0.5  # "What does GFC stand for?": a sentence spelling out a name with the initials G, F, C
COUNTED_BONUS = 0.2  # "How many events ...": a sentence stating a number within COUNT_DISTANCE words of "events"
_ASKS_SHARE = re.compile(r"\b(?:share|percent(?:age)?|per\s*cent|proportion|fraction)\b|%", re.I)
_STATES_PERCENT = re.compile(r"\d\s*(?:%|percent\b|per\s*cent\b)", re.I)


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


def _introduces(passage: Passage, a: int, b: int, introductions: set[tuple[str, int, int]]) -> bool:
    chunk = passage.chunk
    return any(session == chunk.session_id and chunk.start_char + a < end and start < chunk.start_char + b for session, start, end in introductions)


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
    limit: int | None = 3,
    vectors: Callable[[list[tuple[Passage, int, int]]], np.ndarray] | None = None,
    turns: set[tuple[str, int]] | None = None,
    addressed: set[str] | None = None,
    introductions: set[tuple[str, int, int]] | None = None,
) -> list[Evidence]:
    """The `limit` sentences of `passages` that best answer `question`, best first.

    `focus`: speaker keys the question is about (their sentences get a small lift); `vectors`: the sentences'
    vectors (SentenceVectors), else they are embedded here; `turns`: (session, turn number) of the turns the question
    points at ("final recommendation": the speaker's last turn), whose sentences get a lift; `addressed`: speaker keys the question names as the ones
    answered ("respond to the Nigerian participant's statistic"), whose sentences are not the answer;
    `introductions`: (session, start, end) of the passages introducing the speaker a question is about ("Where is X
    based?"), whose sentences get a lift; `limit` None: every sentence."""
    candidates = candidate_sentences(passages)
    if not candidates:
        return []
    query = embedder.encode_query(question)
    if vectors is not None:
        sentence_vectors = vectors(candidates)
    else:
        sentence_vectors = embedder.encode([_sentence_text(*c) for c in candidates])
    dense = sentence_vectors @ query
    window = _window_cosines(candidates, sentence_vectors, query)
    question_words = content_words(question)
    question_stems = {stem(w) for w in question_words}
    question_weight = sum(weights.weight(w) for w in question_words) or 1.0
    question_numbers = numbers_in(question)
    asks_share = form == NUMBER and bool(_ASKS_SHARE.search(question))
    noun = asked_noun(question)
    noun_stem = stem(noun) if noun else None
    counted = _counted_nouns(question) if form == NUMBER else None
    acronyms = set(_ACRONYM.findall(question)) if _ASKS_EXPANSION.search(question) else set()
    # "What three levels of resources ...": the sentence that counts the same number of the asked noun enumerates them.
    enumerated = {noun_stem} if form == LIST and noun_stem and question_numbers else None
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
        counts_asked = bool(counted) and _counts(sentence, counted, question_numbers)
        # "We are three minutes over." is short, and a whole answer to "by how many minutes ...".
        if len(sentence_words) < MIN_CONTENT_WORDS and not counts_asked:
            score -= 1.0
        if sentence.rstrip().endswith("?"):
            score -= QUESTION_PENALTY
        if focus and passage.chunk.speaker in focus:
            score += FOCUS_BONUS
        if addressed and passage.chunk.speaker in addressed:
            score -= ADDRESSED_PENALTY
        if turns and (passage.chunk.session_id, passage.chunk.turn_no) in turns:
            score += POSITION_BONUS
        if introductions and _introduces(passage, a, b, introductions):
            score += INTRODUCTION_BONUS
        if noun_stem and noun_stem in sentence_stems:
            score += ASKED_NOUN_BONUS
        if form == NUMBER:
            score += NUMBER_BONUS if numbers_in(sentence) - question_numbers else -NUMBER_PENALTY
            if counts_asked:
                score += COUNTED_BONUS
            if asks_share and _STATES_PERCENT.search(sentence):
                score += PERCENT_BONUS
        elif form == LIST and (sentence.count(",") >= 2 or (sentence.count(",") >= 1 and " and " in sentence)):
            score += LIST_BONUS
        if acronyms and any(_abbreviates(acronym, name) for acronym in acronyms for name in names_in(sentence)):
            score += EXPANSION_BONUS
        if enumerated and _counts(sentence, enumerated, set(), question_numbers):
            score += COUNTED_BONUS
        scored.append(Evidence(passage, a, b, score))
    scored.sort(key=lambda e: -e.score)
    return scored if limit is None else scored[:limit]


# -- people --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    name: str
    role: str | None

    def label(self, full_role: bool = False) -> str:
        """"Christopher Painter (Director of the GFC)": the role cut at its first comma unless `full_role`."""
        if not self.role:
            return self.name
        role = self.role if full_role else re.split(r"[,;]\s", self.role, maxsplit=1)[0]
        if fold(role) in fold(self.name):
            return self.name
        return f"{self.name} ({role})"


def speaker_of(passage: Passage, directory) -> Person:
    """Who speaks in `passage`: an audience member by the name they gave, a panelist with their role."""
    chunk = passage.chunk
    if directory is None:
        return Person(chunk.speaker_name, None)
    member = next((m for m in getattr(directory, "audience", []) if m.session_id == chunk.session_id and chunk.turn_no in m.turn_nos), None)
    if member is not None:
        return Person(member.name, _audience_role(member))
    speaker = directory.get(chunk.session_id, chunk.speaker) if hasattr(directory, "get") else None
    if speaker is None or speaker.kind in ("unknown", "audience"):
        return Person(chunk.speaker_name, None)
    return Person(speaker.name, speaker.description())


def _audience_role(member) -> str | None:
    where = member.place or member.organisation or member.country
    return f"audience member, {where}" if where else "audience member"


def people_mentioned(text: str, session_id: str, directory, exclude: set[str]) -> list[Person]:
    """Known speakers that `text` names (full name or a name alone), other than the speaker keys in `exclude`."""
    if directory is None or not hasattr(directory, "match"):
        return []
    found = []
    for match in directory.match(text):
        speaker = match.speaker
        if match.how != "name" or speaker.session_id != session_id or speaker.key in exclude or speaker.kind == "unknown":
            continue
        role = _audience_role(speaker) if speaker.is_audience_member else speaker.description()
        found.append(Person(speaker.name, role))
    return found


# -- answer parts ----------------------------------------------------------------------------------------
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?:but|because|while|whereas|although|so that|which)\s+|\s+-+\s+|\s+\u2011\u2011\s+")
MIN_CLAUSE_WORDS = 6


def clause_around(sentence: str, position: int) -> str:
    """The clause of `sentence` holding character `position`, widened by its neighbours until it has a few words."""
    breaks = list(_CLAUSE_BREAK.finditer(sentence))
    pieces = list(zip([0] + [m.end() for m in breaks], [m.start() for m in breaks] + [len(sentence)]))
    index = next((i for i, (a, b) in enumerate(pieces) if a <= position < max(b, a + 1)), len(pieces) - 1)
    first = last = index
    while len(words(sentence[pieces[first][0] : pieces[last][1]])) < MIN_CLAUSE_WORDS and (first > 0 or last < len(pieces) - 1):
        if last < len(pieces) - 1:
            last += 1
        else:
            first -= 1
    clause = sentence[pieces[first][0] : pieces[last][1]].strip(" ,;:.")
    return _LEADING_CONJUNCTION.sub("", clause)


_LEADING_CONJUNCTION = re.compile(r"^(?:and|but|so|or|because|while)\s+", re.I)


_NUMBER_TOKEN = re.compile(r"\b\d[\d,.]*%?|\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.I)


def number_clause(sentence: str, wanted: set[str] | None = None) -> str | None:
    """The clause of `sentence` that states a number (one of `wanted` when given), with what it counts."""
    for match in _NUMBER_TOKEN.finditer(sentence):
        stated = numbers_in(sentence[match.start() : match.end() + 12])
        if stated and (not wanted or stated & wanted) and not (match.group(0).lower() == "one" and "1" not in stated):
            return clause_around(sentence, match.start())
    return None


def clean_generated(text: str) -> str:
    """The model's reply without chat debris: a leading "Answer:" or speaker label, quotes, a cut-off last sentence."""
    text = _MARKERS.sub("", text).strip()
    text = re.sub(r"^(?:answer|a)\s*:\s*", "", text, flags=re.I)
    text = re.sub(r"^\[\d+\]\s*", "", text)
    text = text.strip().strip("\"'\u201c\u201d").strip()
    spans = sentence_spans(text)
    if len(spans) > 1 and not text.rstrip().endswith((".", "!", "?")):
        text = text[: spans[-2][1]]  # the last sentence was cut by the token limit
    return text.strip()


_MARKERS = re.compile(r"\s*\[\d+\]")


# -- the answer ------------------------------------------------------------------------------------------
GENERATED, REGENERATED, QUOTE, ATTRIBUTION = "generated", "regenerated", "quote", "attribution"


@dataclass
class Draft:
    """An answer before citation markers: its words, the sentences it rests on (cited in this order), and how
    it was made (`source`: GENERATED, REGENERATED, QUOTE or ATTRIBUTION)."""

    text: str
    evidence: list[Evidence]
    source: str
    notes: list[str]
    grounding: Grounding | None = None

    @property
    def quote(self) -> str:
        """The verbatim sentence that proves the answer, to show beside it."""
        return self.evidence[0].text if self.evidence else ""


def tight_context(evidence: list[Evidence]) -> list[Passage]:
    """The model's context: per passage, only its chosen sentences (in text order), best passage first."""
    grouped: dict[str, list[Evidence]] = {}
    for item in evidence:
        grouped.setdefault(item.passage.chunk.chunk_id, []).append(item)
    context = []
    for items in grouped.values():
        passage = items[0].passage
        text = " ".join(e.text for e in sorted(items, key=lambda e: e.start))
        context.append(dataclasses.replace(passage, chunk=dataclasses.replace(passage.chunk, text=text)))
    return context


def ground_in(claim: str, evidence: list[Evidence], question: str = "") -> tuple[Grounding, list[Evidence]]:
    """The grounding of `claim` in one sentence of `evidence` (the best-covering one), else in all of them
    together (citing those that share words with it). Names the `question` uses need not be in the sentence."""
    best: tuple[Grounding, Evidence] | None = None
    for item in evidence:
        grounding = check_grounding(claim, item.text, given=question)
        if grounding.supported and (best is None or grounding.coverage > best[0].coverage):
            best = (grounding, item)
    if best is not None:
        return best[0], [best[1]]
    joined = check_grounding(claim, " ".join(e.text for e in evidence), given=question)
    claim_words = content_words(claim)
    sharing = [e for e in evidence if claim_words & content_words(e.text)]
    return joined, (sharing[:2] if joined.supported else [])


def compose(
    form: str,
    reply: str | None,
    evidence: list[Evidence],
    directory=None,
    named: set[str] | None = None,
    who_said: bool = False,
    retry: Callable[[], str] | None = None,
    alongside: list[Evidence] | None = None,
    question: str = "",
) -> Draft:
    """The answer a person reads, in the shape of `form`, from the model's `reply` when it passes the grounding
    check, from a stricter second reply (`retry`) when the first fails, else from the best sentence verbatim.
    `reply` is None when no model was asked (the answer is then the best sentence, or a "who" attribution).

    `named`: speaker keys the question names (a "who" answer is someone else); `who_said`: the question asks who
    said something (the answer is a speaker, not a person mentioned); `alongside`: other sentences of the best
    sentence's passage, best first (a quoted answer may join them: one citation covers them all)."""
    if not evidence:
        return Draft("", [], QUOTE, ["no sentence of the passages supports an answer"])
    if form == WHO and (named_asker := asker_named(evidence[0].text)):
        return Draft(f"{named_asker}: “{evidence[0].text}”", [evidence[0]], ATTRIBUTION, [])
    if form == WHO:
        found = choose_person(reply or "", evidence, directory, named or set(), who_said)
        if (
            found is not None
            and found[1].score < evidence[0].score - SECOND_SENTENCE_MARGIN
            and evidence[0].passage.chunk.speaker in (named or set())
        ):
            # "Who trained the coaches in X's case?": X's best sentence names no one, so the answer is in X's words
            # ("people trained by social psychologists"), not a person a far weaker sentence happens to name.
            found = None
        if found is not None:
            person, item, source = found
            if item.passage.chunk.chunk_id != evidence[0].passage.chunk.chunk_id:
                # The best sentence's passage names the person too ("dear co-moderator here" beside "Here with me is
                # Tracy Hackshaw"): that passage, the one that answers, is the one to cite, not a passing mention.
                item = next((e for e in alongside or () if person in people_mentioned(e.text, e.passage.chunk.session_id, directory, named or set())), item)
            # The name answers; the sentence beside it lets the reader check it at a glance.
            return Draft(f"{person.label(full_role=True)}: “{item.text}”", [item], source, [])
    notes: list[str] = []
    if reply is not None and form not in (WHO, VIEW):
        # The reply must rest on the sentences the quoted answer would show (the best sentence's passage): measured,
        # a reply grounded in another passage was more often a wrong one (another number, a side remark).
        quoted = _quoted_sentences(form, evidence, alongside)
        attempts = [(reply, GENERATED)]
        for attempt in range(2):
            text, source = attempts[attempt]
            draft = _generated(form, clean_generated(text), quoted, directory, source, question)
            if draft.grounding is not None and draft.grounding.supported:
                draft.notes = notes
                if form != NUMBER:
                    # The short answer, and beside it the sentences of the cited passage that prove it (what the quoted
                    # answer would show): a reader checks it at a glance, and a short reply that misses the point
                    # (measured: a third of the wrong ones) is not all they see.
                    draft.text += " — “" + " ".join(e.text for e in sorted(quoted, key=lambda e: e.start)) + "”"
                return draft
            notes.append(f"the {'first' if attempt == 0 else 'second'} answer failed the grounding check ({_reason(draft)})")
            if retry is None or attempt == 1:
                break
            attempts.append((retry(), REGENERATED))
        notes.append("showing the best supporting sentence instead")
    return _quoted(form, evidence, directory, notes, alongside)


def _reason(draft: Draft) -> str:
    return draft.grounding.reason if draft.grounding is not None else "the reply was empty"


def _generated(form: str, core: str, evidence: list[Evidence], directory, source: str, question: str = "") -> Draft:
    if not core:
        return Draft("", [], source, [], None)
    if form == LIST:
        items = [i.strip(" .") for i in re.split(r",\s*|;\s*|\s+and\s+|\n+|^\s*[-*\d.]+\s*", core) if i.strip(" .")]
        grounded = [(i, ground_in(i, evidence, question)) for i in items]
        kept = [(i, g) for i, g in grounded if g[0].supported]
        if len(kept) < 2 or len(kept) < len(items) / 2:
            missing = tuple(i for i, g in grounded if not g[0].supported)
            return Draft(core, [], source, [], Grounding(False, len(kept) / max(1, len(items)), missing))
        cited = []
        for _, (_, items_evidence) in kept:
            cited += [e for e in items_evidence if e not in cited]
        text = ", ".join(i for i, _ in kept[:-1]) + " and " + kept[-1][0]
        return Draft(_attributed(text, cited[0], directory), cited[:2], source, [], Grounding(True, 1.0))
    grounding, cited = ground_in(core, evidence, question)
    if not grounding.supported:
        return Draft(core, [], source, [], grounding)
    if form == NUMBER:
        stated = numbers_in(core)
        if not stated:
            return Draft(core, [], source, [], Grounding(False, grounding.coverage, ("a number",)))
        # The number with its unit and what it counts, in the speaker's words.
        core = number_clause(cited[0].text, stated) or core
    return Draft(_attributed(core, cited[0], directory), cited, source, [], grounding)


def _quoted_sentences(form: str, evidence: list[Evidence], alongside: list[Evidence] | None) -> list[Evidence]:
    """The best sentence and its passage's next-best ones (best first): a view, a list or a fact often spans several
    sentences of one turn, and one citation covers them all. Sentences of another passage would need more
    citations, and measured, those cost more citation precision than they gained answers."""
    best = evidence[0]
    same = alongside if alongside is not None else evidence[1:]
    same = [e for e in same if e.passage.chunk.chunk_id == best.passage.chunk.chunk_id and e.score >= best.score - SECOND_SENTENCE_MARGIN]
    return [best] + same[: QUOTED_SENTENCES.get(form, 1) - 1]


def _quoted(form: str, evidence: list[Evidence], directory, notes: list[str], alongside: list[Evidence] | None = None) -> Draft:
    best = evidence[0]
    core = best.text
    if form == NUMBER:
        core = number_clause(best.text) or core
    elif form in QUOTED_SENTENCES:
        core = " ".join(e.text for e in sorted(_quoted_sentences(form, evidence, alongside), key=lambda e: e.start))
    return Draft(_attributed(core, best, directory), [best], QUOTE, notes, Grounding(True, 1.0))


# How many sentences of the best passage a quoted answer may join, per form.
QUOTED_SENTENCES = {VIEW: 3, LIST: 3, FACT: 3}
SECOND_SENTENCE_MARGIN = 0.5  # measured on odd-numbered questions: 0.3 -> 0.5 gained 5 answers, 1.0 none more


def _attributed(core: str, item: Evidence, directory) -> str:
    return f"{speaker_of(item.passage, directory).label()}: {core}"


def choose_person(reply: str, evidence: list[Evidence], directory, named: set[str], who_said: bool) -> tuple[Person, Evidence, str] | None:
    """The person a "who" question asks for: the one the model named, when that person speaks or is named in the
    evidence; else, for "who said ...", the speaker of the best sentence, and otherwise a person the best
    sentence names (someone other than those the question names), or its speaker."""
    candidates: list[tuple[Person, Evidence]] = []
    for item in evidence:
        if not who_said:
            candidates += [(p, item) for p in people_mentioned(item.text, item.passage.chunk.session_id, directory, named)]
        if item.passage.chunk.speaker not in named or who_said:
            candidates.append((speaker_of(item.passage, directory), item))
    candidates = [(p, e) for p, e in candidates if p.name and fold(p.name) not in ("unknown", "audience", "moderator")]
    if not candidates:
        return None
    reply_words = set(words(reply))
    for person, item in candidates:
        if reply_words and set(words(person.name)) & reply_words - STOPWORDS:
            return person, item, GENERATED
    person, item = candidates[0]
    return person, item, ATTRIBUTION


# -- planning --------------------------------------------------------------------------------------------
# The forms whose answer the model is asked for, with the line added to its system prompt. "who" and "role"
# answers come from the speaker directory and "view" answers are the speaker's own sentences: measured, the
# model's replies for them were wrong more often than the rules (python -m eval.answer_study --prompts).
FORM_INSTRUCTIONS = {
    NUMBER: "Reply with the number and what it counts.",
    LIST: "Reply with the items only, separated by commas.",
    FACT: "Reply with a few words only.",
}


@dataclass(frozen=True)
class Confidence:
    """How well the passages can answer the question: the signals abstention is calibrated on."""

    similarity: float  # best cosine of the question to a retrieved passage (or its best sentence)
    evidence: float  # score of the best sentence (select_evidence)
    coverage: float  # IDF-weighted share of the question's words found in the searched passages
    form_found: bool  # the best sentences hold the kind of thing the question asks for (answer_type_found)


@dataclass
class AnswerPlan:
    question: str
    form: str
    evidence: list[Evidence]
    confidence: Confidence
    named: set[str]  # speaker keys the question names outright
    who_said: bool
    profile: Draft | None = None  # a "role" answer from the speaker directory
    alongside: list[Evidence] = dataclasses.field(default_factory=list)  # the best sentence's passage's other sentences, best first

    @property
    def context(self) -> list[Passage]:
        return tight_context(self.evidence)

    @property
    def instruction(self) -> str | None:
        return FORM_INSTRUCTIONS.get(self.form)

    @property
    def asks_model(self) -> bool:
        return bool(self.evidence) and self.profile is None and self.form in FORM_INSTRUCTIONS


def plan_answer(
    question: str,
    passages: list[Passage],
    embedder,
    weights: TermWeights,
    directory=None,
    query=None,
    sentences: int = 3,
    vectors: Callable[[list[tuple[Passage, int, int]]], np.ndarray] | None = None,
    turn_at: Callable[[str, int], object] | None = None,
) -> AnswerPlan:
    """Decide the answer's form, pick its supporting sentences from `passages`, and measure the confidence.

    `query`: rag.query.Query of the question (speakers it names, whether it asks who said something); `turn_at`:
    (session, turn number) -> index.types.Turn, to find the turn that answers a question the question points at."""
    form = getattr(query, "form", None) or question_form(question)
    targets = list(getattr(query, "targets", ()) or ())
    focus = {t.key for t in (getattr(query, "answering", ()) or targets)}
    addressed = {t.key for t in targets} - focus
    named = {t.key for t in targets if t.how == "name"}
    who_said = getattr(query, "kind", "") == "who_said"
    # A question about a speaker (kind "profile": where they are from, what they do) is answered where they are introduced.
    introductions = None
    if getattr(query, "kind", "") == "profile":
        introductions = {(t.session_id, a, b) for t in targets for a, b in getattr(t.speaker, "introductions", [])}
    turns = pointed_turns(query)
    topic = getattr(query, "answered_topic", None)
    if topic and turn_at is not None:
        turns |= answering_turns(topic, passages, turn_at)
    ranked = select_evidence(
        question, form, passages, embedder, weights, focus, limit=None, vectors=vectors, turns=turns, addressed=addressed,
        introductions=introductions,
    )
    if form in QUOTED_SENTENCES:
        ranked = lead_with_best_passage(ranked)
    if form == WHO and _ASKS_ASKER.search(question):
        # "Who asked ...": the person a moderator reads a question from ("a question online from Rowanna"), whose
        # sentence may rank below the question's own words read out or answered.
        read_out = next((e for e in ranked if _QUESTION_FROM.search(e.text)), None)
        if read_out is not None:
            ranked = [read_out] + [e for e in ranked if e is not read_out]
    evidence = ranked[:sentences]
    alongside = [e for e in ranked[1:] if ranked[0].passage.chunk.chunk_id == e.passage.chunk.chunk_id] if ranked else []
    profile = profile_answer(targets, passages, directory) if form == ROLE else None
    if profile is not None:
        evidence = profile.evidence + [e for e in evidence if e.where not in {p.where for p in profile.evidence}]
    confidence = Confidence(
        similarity=max((p.similarity for p in passages), default=0.0),
        evidence=evidence[0].score if evidence else float("-inf"),
        coverage=question_coverage(question, passages, weights),
        form_found=answer_type_found(question, form, evidence, directory, weights),
    )
    return AnswerPlan(question, form, evidence, confidence, named, who_said, profile, alongside)


# A quoted answer joins sentences of one passage under one citation, so that passage is chosen by its best sentence
# plus this share of its second best: two sentences that support the answer beat one slightly better sentence alone.
# Measured on the question set (igf-rag eval): citation precision 126 -> 127 of 149, no answer's correctness changed;
# any share from 0.1 to 0.25 gives the same answers, 0.3 and above lose one.
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


_ASKS_MONEY = re.compile(r"\b(?:budget|revenue|funding|funds?|cost|costs|price|spend|spent|invest(?:ed|ment)?|turnover|salary)\b", re.I)
_MONEY = re.compile(r"[$€£]|\b(?:dollars?|euros?|pounds|usd|eur|yen|francs?|million|billion)\b", re.I)
_ASKS_YEAR = re.compile(r"\b(?:what|which)\s+year\b|\bwhen\s+(?:was|were|did)\b.*\b(?:founded|established|created|launched|born)\b", re.I)
_ASKS_DATE = re.compile(r"\b(?:what|which)\s+(?:calendar\s+)?(?:date|day|month)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MONTH = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I)
_COUNTED_NOUN = re.compile(r"\bhow\s+many\s+((?:[\w'-]+\s*){1,4})|\b(?:share|percentage|proportion|fraction)\s+of\s+(?:all\s+)?([\w'-]+)", re.I)
_ROLE_ASKED = re.compile(r"^\s*who\s+(?:is|was|are|were)\s+the\s+([\w-]+)", re.I)
# "What is the name of ...", "Which country ...", "Which companies ...": the answer is a proper name ("What
# disadvantages of developing countries ..." asks for disadvantages).
_ASKS_NAME = re.compile(
    r"\bwhat\s+is\s+the\s+name\b|\b(?:which|what)\s+(?:(?!of\b)\w+\s+){0,3}?(?:country|countries|city|cities|compan(?:y|ies)|states)\b", re.I
)
# "Where will X be held?", "Where is Y based?": a place, so a name as for "which city".
_ASKS_PLACE = re.compile(
    r"^\s*where\s+(?:[\w'-]+\s+){0,8}?(?:held|based|located|hosted|negotiated|take\s+place|taking\s+place|lives?|living)\b", re.I
)
# A name that runs through the transcript (the forum, the UN, the internet) is its setting, not the specific name a
# "what is the name of" or "which country" question asks for: the answer's rarest word must be in at most this share
# of the passages. Set between the unanswerable questions' "IGF", "United Nations" (in 7-9 of the seed's 179
# passages, 4-5%) and the answerable ones' "New York", "AI" (4 passages, 2%): fragile, the gap is narrow.
NAME_MAX_SHARE = 0.03
_STATES_SHARE = re.compile(r"\d\s*(?:%|percent\b|per\s*cent\b)|\b(?:one|two|three|\d+)\s+(?:in|out\s+of)\s+(?:\w+)\b|\b(?:half|third|quarter|majority|most)\b", re.I)
COUNT_DISTANCE = 6  # words between a number and the noun it counts ("north of 80 have signed": countries ... 80)


_ASKS_ASKER = re.compile(r"\b(?:ask(?:ed|s)?|submit(?:ted|s)?|question(?:ed)?)\b", re.I)
# "one question on line and it's from Riad Hasan", "another question from Amil": the person who asked.
_QUESTION_FROM = re.compile(r"\bquestions?\b[^.?!]{0,40}?\bfrom\s+((?:[A-Z][\w’'-]+)(?:\s+[A-Z][\w’'-]+)?)")


def asker_named(sentence: str) -> str | None:
    """The person `sentence` reads a question from, if it does."""
    found = _QUESTION_FROM.search(sentence)
    return found.group(1) if found else None


def answer_type_found(question: str, form: str, evidence: list[Evidence], directory=None, weights: TermWeights | None = None) -> bool:
    """Do the best sentences hold the kind of thing the question asks for? An amount of money for "budget" or
    "revenue", a year for "what year", a date for "what date", for "how many X" a number near the word X, a
    percentage for "what share", a name the question does not hold for "what is the name of", "which country" or
    "where is it held" (a speaker's name is not one, nor one the whole transcript uses: `weights` tells), for "who is
    the CEO" the word "CEO". A question whose answer type appears nowhere is probably not covered."""
    texts = [e.text for e in evidence]
    if not texts:
        return False
    question_numbers = numbers_in(question)
    if _ASKS_MONEY.search(question) and form in (NUMBER, FACT):
        return any(_MONEY.search(t) for t in texts)
    if _ASKS_YEAR.search(question):
        return any(set(_YEAR.findall(t)) - question_numbers for t in texts)
    if _ASKS_DATE.search(question):
        return any(_MONTH.search(t) or set(_YEAR.findall(t)) - question_numbers for t in texts)
    if form == NUMBER:
        if _ASKS_SHARE.search(question) and not any(_STATES_SHARE.search(t) for t in texts):
            return False
        return any(_counts(t, _counted_nouns(question), question_numbers) for t in texts)
    if _ASKS_NAME.search(question) or _ASKS_PLACE.search(question):
        # A name sharing no word with the question ("Malabo Convention", "Member States", "Director of Argentina"
        # restate it), not a speaker's, and not one that runs through the transcript.
        asked = {stem(w) for w in content_words(question)}
        return any(
            not {stem(w) for w in content_words(name)} & asked and not _names_speaker(name, directory) and _specific(name, weights)
            for t in texts
            for name in names_in(t)
        )
    role = _ROLE_ASKED.search(question)
    if form == WHO and role and role.group(1).lower() not in STOPWORDS:
        return any(stem(role.group(1).lower()) in {stem(w) for w in words(t)} for t in texts)
    return True


_ASKS_EXPANSION = re.compile(r"\b(?:stands?\s+for|acronym|abbreviation)\b", re.I)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")


def _abbreviates(acronym: str, name: str) -> bool:
    """Is `acronym` the initials of `name`'s capitalised words, in order, one of them perhaps left out ("GFC": "Global
    Forum on Cyber Expertise")?"""
    initials = "".join(w[0] for w in name.split() if w[:1].isupper())
    remaining = iter(initials)
    return initials[:1] == acronym[:1] and all(letter in remaining for letter in acronym) and len(initials) - len(acronym) <= 1


def _counted_nouns(question: str) -> set[str]:
    """Stems of what a "how many X" or "share of X" question counts; empty for none."""
    counted = _COUNTED_NOUN.search(question)
    if counted is None:
        return set()
    if counted.group(2):
        return {stem(counted.group(2).lower())}
    # The head of the noun phrase: its last plural before a function word ("how many national CERTs are": CERTs;
    # "how many countries take part": countries), else its first word ("how many people attended": people).
    phrase = []
    for word in words(counted.group(1)):
        if word in STOPWORDS:
            break
        phrase.append(word)
    plurals = [w for w in phrase if w.endswith("s") and not w.endswith("ss")]
    head = plurals[-1] if plurals else phrase[0] if phrase else None
    return {stem(head)} if head else set()


def _specific(name: str, weights: TermWeights | None) -> bool:
    """Is the rarest word of `name` in at most NAME_MAX_SHARE of the passages?"""
    name_words = content_words(name)
    if weights is None or not name_words:
        return True
    return max(weights.weight(w) for w in name_words) >= weights.weight_of_share(NAME_MAX_SHARE)


def _names_speaker(name: str, directory) -> bool:
    return directory is not None and hasattr(directory, "match") and any(m.how == "name" for m in directory.match(name))


def _counts(text: str, nouns: set[str], question_numbers: set[str], only: set[str] | None = None) -> bool:
    """Does `text` state a number (not one of the question's; one of `only` when given) within COUNT_DISTANCE words
    of a noun it counts?"""
    tokens = words(text.replace("-", " "))
    at_number = [i for i, t in enumerate(tokens) if (numbers_in(t) & only if only is not None else numbers_in(t) - question_numbers)]
    if not nouns:
        return bool(at_number)
    at_noun = [i for i, t in enumerate(tokens) if stem(t) in nouns]
    return any(abs(i - j) <= COUNT_DISTANCE for i in at_number for j in at_noun)


def question_coverage(question: str, passages: list[Passage], weights: TermWeights) -> float:
    """IDF-weighted share of the question's content words that occur in `passages` (by stem): a question whose rare
    words ("founded", "revenue", "NIS2") occur nowhere near the retrieved text is probably not covered."""
    question_words = content_words(question)
    if not question_words:
        return 0.0
    present = {stem(w) for p in passages for w in words(f"{p.chunk.speaker_name} {p.chunk.text}")}
    total = sum(weights.weight(w) for w in question_words)
    return sum(weights.weight(w) for w in question_words if stem(w) in present) / total


def pointed_turns(query) -> set[tuple[str, int]]:
    """(session, turn number) of the turn a question points at: each target speaker's last turn for "final
    recommendation", "closing remarks", their first for "opening remarks"."""
    position = getattr(query, "position", None)
    chosen = set()
    for target in getattr(query, "targets", ()) if position else ():
        turn_nos = sorted(target.turn_nos or target.speaker.turn_nos)
        if turn_nos:
            chosen.add((target.session_id, turn_nos[-1] if position == "last" else turn_nos[0]))
    return chosen


ANSWER_MIN_WORDS = 25  # "Yes, please, go ahead.", "Addressed to any speaker?": the floor passing, not the answer
ANSWER_WITHIN_TURNS = 8  # a question read out, repeated and passed on is answered within a few turns


def answering_turns(topic: str, passages: list[Passage], turn_at: Callable[[str, int], object]) -> set[tuple[str, int]]:
    """(session, turn number) of the turn answering the question asked about `topic` ("the answer to the question on
    emerging technologies"): the question is the passages' sentence ending in "?" that holds most of the topic's
    words (at least half); the answer, the first later turn that neither asks it again nor is a short aside."""
    wanted = {stem(w) for w in content_words(topic)}
    if not wanted:
        return set()

    def asks(text: str) -> float:
        shares = [len(wanted & {stem(w) for w in content_words(text[a:b])}) / len(wanted) for a, b in sentence_spans(text) if text[a:b].rstrip().endswith("?")]
        return max(shares, default=0.0)

    best, asked = 0.5, None
    for passage in passages:
        share = asks(passage.chunk.text)
        if share > best or (share == best and asked is None):
            best, asked = share, (passage.chunk.session_id, passage.chunk.turn_no)
    if asked is None:
        return set()
    session_id, asked_in = asked
    for turn_no in range(asked_in + 1, asked_in + 1 + ANSWER_WITHIN_TURNS):
        turn = turn_at(session_id, turn_no)
        if turn is None:
            break
        if len(words(turn.text)) >= ANSWER_MIN_WORDS and asks(turn.text) < 0.5:
            return {(session_id, turn_no)}
    return set()


def profile_answer(targets, passages: list[Passage], directory) -> Draft | None:
    """"What role does X hold?": the role the transcript introduces X with, cited to the introducing passage."""
    if directory is None or len({(t.session_id, t.key) for t in targets}) != 1:
        return None
    speaker = targets[0].speaker
    role = speaker.description() if hasattr(speaker, "description") else None
    introductions = getattr(speaker, "introductions", [])
    if not role or not introductions:
        return None
    if speaker.organisation and fold(speaker.organisation) not in fold(role):
        role = f"{role}, {speaker.organisation}"
    evidence = []
    for passage in passages:
        chunk = passage.chunk
        if chunk.session_id != speaker.session_id:
            continue
        for start, end in introductions:
            for a, b in sentence_spans(chunk.text):
                if chunk.start_char + a < end and start < chunk.start_char + b:
                    item = Evidence(passage, a, b, 1.0)
                    if item.where not in {e.where for e in evidence}:
                        evidence.append(item)
    if not evidence:
        return None
    role_words = re.sub(r"^(?:Co-moderator|Moderator|Audience member);\s*", "", role)
    grounding = check_grounding(role_words, " ".join(e.text for e in evidence))
    if not grounding.supported:
        return None
    # Cite the introducing sentences that state the role (one when it holds the whole role), not merely the first
    # sentences of the introduction: "She is in New York" supports nothing of "Policy Director for Global Privacy".
    supported, cited = ground_in(role_words, evidence)
    return Draft(f"{speaker.name}: {role}", cited if supported.supported and cited else evidence[:2], ATTRIBUTION, [], grounding)
