"""Offline metrics over eval results: pure functions of the results records, the questions and (optionally)
where each evidence string lies in the indexed transcripts. No judge model.

Matching rules (the same everywhere):
- Text is compared in `normalize`d form: case, accents, hyphen/dash variants and whitespace runs folded
  (index.text.fold), and thousands separators dropped between digits ("9,126" == "9126").
- A gold answer matches an answer when its normalised form occurs in the normalised answer starting and ending
  at word boundaries; a plural or verb ending may follow ("blacklist" matches "blacklists", "six" does not match
  "sixty", "20" does not match "2022").
- A passage is relevant to a question when its normalised text contains one of the normalised evidence strings,
  or, when evidence offsets are known (`Grounding`), when the passage's character span in the same session covers
  at least half of an evidence string's span: an evidence string cut by a chunk boundary still makes both halves
  relevant, as long as each holds half of it.
- A gold speaker is a header spelling (compared with index.text.speaker_key), "AUDIENCE", "UNKNOWN", or an audience
  member's name (written in mixed case), which matches a citation by AUDIENCE.

Accuracy and F1 read the answer text alone (`answer`, citation markers dropped); "accuracy shown" also reads the
verbatim sentences shown beside it (`quote`): what a reader sees.

Denominators: retrieval, answer, citation and false-refusal metrics are over answerable questions; abstention on
unanswerable questions over those; speaker accuracy over answerable questions that got at least one citation;
citation precision over all citations given to answerable questions (pooled); latency over every question.
An abstention on an answerable question counts as a wrong answer with F1 0 and no citations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from index.text import fold, speaker_key, words

AUDIENCE = "AUDIENCE"
TYPES = ("factoid", "number", "who", "list", "opinion", "summary", "multi", "unanswerable")
HIT_AT = (1, 3, 5, 10)
NDCG_AT = 10
TIMINGS = ("retrieve", "generate", "total")
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u2009\u202f](?=\d{3}(?!\d))")
_ARTICLES = frozenset({"a", "an", "the"})
_SUFFIX = r"(?:s|es|ed|d|ing)?"
_CITATION_MARKER = re.compile(r"\s*\[\d+\]")


# -- matching ------------------------------------------------------------------------------------------
@lru_cache(maxsize=8192)  # passages recur across questions and runs
def normalize(text: str) -> str:
    """The form every comparison uses: folded, thousands separators dropped."""
    return fold(_THOUSANDS.sub("", text or ""))


def answer_matches(answer: str, gold: str) -> bool:
    target = normalize(gold)
    if not target:
        return False
    pattern = r"(?<![a-z0-9])" + re.escape(target) + (_SUFFIX if target[-1].isalpha() else "") + r"(?![a-z0-9])"
    return re.search(pattern, normalize(answer)) is not None


def answer_correct(answer: str, golds: Sequence[str]) -> bool:
    return any(answer_matches(answer, gold) for gold in golds)


def _f1_tokens(text: str) -> list[str]:
    return [w for w in words(text) if w not in _ARTICLES]


def token_f1(answer: str, gold: str) -> float:
    """SQuAD-style token F1 (folded words, articles dropped, thousands separators ignored)."""
    predicted, truth = _f1_tokens(answer), _f1_tokens(gold)
    if not predicted or not truth:
        return 0.0
    common = 0
    remaining = list(truth)
    for token in predicted:
        if token in remaining:
            remaining.remove(token)
            common += 1
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def best_f1(answer: str, golds: Sequence[str]) -> float:
    return max((token_f1(answer, gold) for gold in golds), default=0.0)


def gold_speaker_keys(speakers: Iterable[str]) -> set[str]:
    """Header spellings to speaker keys; audience members' names (mixed case) to AUDIENCE."""
    return {speaker_key(s) if s.isupper() else AUDIENCE for s in speakers}


# -- evidence and relevance ----------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceSpan:
    session: str
    start: int
    end: int


@dataclass
class Grounding:
    """Where each question's evidence lies in the index, and how many chunks of the index are relevant to it."""

    spans: dict[str, list[EvidenceSpan]] = field(default_factory=dict)
    relevant_chunks: dict[str, int] = field(default_factory=dict)


def covers(passage: Mapping, span: EvidenceSpan) -> bool:
    if passage.get("session") != span.session:
        return False
    overlap = min(passage.get("end_char", 0), span.end) - max(passage.get("start_char", 0), span.start)
    return overlap > 0 and 2 * overlap >= span.end - span.start


def is_relevant(passage: Mapping, evidence: Sequence[str], spans: Sequence[EvidenceSpan] = (), session: str | None = None) -> bool:
    """`passage`: a retrieved/citation record of `ask --json` (needs text; session, start_char, end_char for spans).
    `session`: the session the question is about, when the index holds several: a passage of another session is
    not relevant, whatever its words."""
    if session is not None and passage.get("session") != session:
        return False
    text = normalize(passage.get("text", ""))
    if any(normalize(e) in text for e in evidence if normalize(e)):
        return True
    return any(covers(passage, span) for span in spans)


def ground(questions: Sequence[Mapping], turns: Iterable, chunks: Iterable) -> Grounding:
    """Locate each evidence string in the turns (index.types.Turn) and count the relevant chunks (index.types.Chunk).
    A question with a "session" is grounded in that session's turns only."""
    turns, chunk_records = list(turns), [_chunk_record(c) for c in chunks]
    grounding = Grounding()
    for q in questions:
        spans = []
        session = q.get("session")
        for evidence in q["evidence"]:
            for turn in turns:
                if session is not None and turn.session_id != session:
                    continue
                text = turn.text.replace("\u00a0", " ")  # same length: offsets stay valid
                needle = evidence.replace("\u00a0", " ")
                at = text.find(needle)
                while at >= 0:
                    spans.append(EvidenceSpan(turn.session_id, turn.start_char + at, turn.start_char + at + len(needle)))
                    at = text.find(needle, at + 1)
        grounding.spans[q["id"]] = spans
        if q["evidence"]:
            grounding.relevant_chunks[q["id"]] = sum(is_relevant(c, q["evidence"], spans, session) for c in chunk_records)
    return grounding


def _chunk_record(chunk) -> dict:
    return {"session": chunk.session_id, "start_char": chunk.start_char, "end_char": chunk.end_char, "text": chunk.text}


# -- per question --------------------------------------------------------------------------------------
@dataclass
class QuestionScore:
    id: str
    type: str
    answerable: bool
    abstained: bool
    first_relevant_rank: int | None = None  # 1-based rank of the first relevant retrieved passage
    ndcg: float | None = None
    correct: bool | None = None
    correct_shown: bool | None = None  # a gold answer is in the answer or in the verbatim sentences shown beside it
    f1: float | None = None
    answer_words: int | None = None  # words of the answer text (citation markers left out); None when it abstained
    citations: int = 0
    relevant_citations: int = 0
    speaker_ok: bool | None = None  # None: unanswerable, or no citation to judge
    timings_ms: dict[str, float] = field(default_factory=dict)
    tags: tuple[str, ...] = ()  # the failure classes a development question exercises (eval/CORPUS_SPEC.md)
    # None when no language model was asked for this answer; else whether its words were kept (passed the grounding
    # check) rather than replaced by the quoted sentence.
    model_kept: bool | None = None

    @property
    def cited_evidence(self) -> bool:
        return self.relevant_citations > 0


def score_question(result: Mapping, question: Mapping, grounding: Grounding | None = None) -> QuestionScore:
    answerable = bool(question["answers"])
    score = QuestionScore(
        id=question["id"],
        type=question["type"],
        answerable=answerable,
        abstained=bool(result.get("abstained")),
        timings_ms={k: float(v) for k, v in (result.get("timings_ms") or {}).items()},
        tags=tuple(question.get("tags", ())),
        answer_words=None if result.get("abstained") else len(_CITATION_MARKER.sub("", result.get("answer", "")).split()),
        model_kept=model_kept(result),
    )
    if not answerable:
        return score
    evidence, session = question["evidence"], question.get("session")
    spans = grounding.spans.get(question["id"], []) if grounding else []
    relevant = [is_relevant(p, evidence, spans, session) for p in result.get("retrieved", [])]
    score.first_relevant_rank = next((rank for rank, hit in enumerate(relevant, start=1) if hit), None)
    total = grounding.relevant_chunks.get(question["id"]) if grounding else None
    score.ndcg = ndcg(relevant, NDCG_AT, total)
    # The [n] markers are the pipeline's, not the answer's: "[1]" must not match a gold "1".
    answer = "" if score.abstained else _CITATION_MARKER.sub("", result.get("answer", ""))
    score.correct = answer_correct(answer, question["answers"])
    score.correct_shown = score.correct or (not score.abstained and answer_correct(result.get("quote", ""), question["answers"]))
    score.f1 = best_f1(answer, question["answers"])
    citations = result.get("citations", [])
    score.citations = len(citations)
    score.relevant_citations = sum(is_relevant(c, evidence, spans, session) for c in citations)
    if citations:
        gold = gold_speaker_keys(question["speakers"])
        score.speaker_ok = any(c.get("speaker_key") in gold and (session is None or c.get("session") == session) for c in citations)
    return score


def ndcg(relevant: Sequence[bool], at: int, total_relevant: int | None = None) -> float:
    """Binary-gain nDCG@at; the ideal ranking puts `total_relevant` relevant passages first (default: those retrieved)."""
    found = sum(relevant[:at])
    total = max(total_relevant if total_relevant is not None else sum(relevant), found)
    if total == 0:
        return 0.0
    dcg = sum(1 / math.log2(rank + 1) for rank, hit in enumerate(relevant[:at], start=1) if hit)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(total, at) + 1))
    return dcg / ideal


def score_all(results: Sequence[Mapping], questions: Sequence[Mapping], grounding: Grounding | None = None) -> list[QuestionScore]:
    """Scores in the order of `results`; every result needs an `id` found in `questions`."""
    by_id = {q["id"]: q for q in questions}
    missing = [r.get("id") for r in results if r.get("id") not in by_id]
    if missing:
        raise ValueError(f"results name question ids not in the question set: {', '.join(map(str, missing[:5]))}")
    return [score_question(r, by_id[r["id"]], grounding) for r in results]


# -- aggregation ---------------------------------------------------------------------------------------
def _mean(values: list) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


MODEL_WORDS = ("generated", "regenerated")  # rag.forms: answer sources that are the model's words


def model_kept(result: Mapping) -> bool | None:
    """Whether the model's reply was kept (None: no model was asked). A reply that failed the grounding check leaves
    its reason in the answer's notes (rag.forms.GROUNDING_FAILED)."""
    from rag.forms import GROUNDING_FAILED

    if result.get("answer_source") in MODEL_WORDS:
        return True
    if any(GROUNDING_FAILED in note for note in result.get("notes", [])):
        return False
    return None


def aggregate(scores: Sequence[QuestionScore]) -> dict[str, float | int | None]:
    """Every metric over `scores`; None where the metric has no question to be computed on."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    cited = [s for s in answerable if s.speaker_ok is not None]
    metrics: dict[str, float | int | None] = {
        "n": len(scores),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
    }
    for at in HIT_AT:
        metrics[f"hit@{at}"] = _mean([s.first_relevant_rank is not None and s.first_relevant_rank <= at for s in answerable])
    metrics["mrr"] = _mean([1 / s.first_relevant_rank if s.first_relevant_rank else 0.0 for s in answerable])
    metrics[f"ndcg@{NDCG_AT}"] = _mean([s.ndcg for s in answerable])
    metrics["accuracy"] = _mean([bool(s.correct) for s in answerable])
    metrics["accuracy_shown"] = _mean([bool(s.correct_shown) for s in answerable])
    lengths = [s.answer_words for s in scores if s.answer_words is not None]
    metrics["answer_words_p50"] = percentile(lengths, 50)
    metrics["answer_words_p90"] = percentile(lengths, 90)
    metrics["f1"] = _mean([s.f1 for s in answerable])
    metrics["model_kept"] = _mean([s.model_kept for s in scores if s.model_kept is not None])
    metrics["speaker_accuracy"] = _mean([bool(s.speaker_ok) for s in cited])
    n_citations = sum(s.citations for s in answerable)
    metrics["citation_precision"] = sum(s.relevant_citations for s in answerable) / n_citations if n_citations else None
    metrics["citation_recall"] = _mean([s.cited_evidence for s in answerable])
    metrics["abstain_unanswerable"] = _mean([s.abstained for s in unanswerable])
    metrics["false_refusal"] = _mean([s.abstained for s in answerable])
    for stage in TIMINGS:
        values = [s.timings_ms[stage] for s in scores if stage in s.timings_ms]
        metrics[f"{stage}_p50_ms"] = percentile(values, 50)
        metrics[f"{stage}_p95_ms"] = percentile(values, 95)
    return metrics


def compute(results: Sequence[Mapping], questions: Sequence[Mapping], grounding: Grounding | None = None) -> dict:
    """{"overall": metrics, "by_type": {type: metrics}} for the questions that have a result."""
    return summarize(score_all(results, questions, grounding))


def summarize(scores: Sequence[QuestionScore]) -> dict:
    present = [t for t in TYPES if any(s.type == t for s in scores)]
    present += sorted({s.type for s in scores} - set(present))
    tags = sorted({t for s in scores for t in s.tags})
    return {
        "overall": aggregate(scores),
        "by_type": {t: aggregate([s for s in scores if s.type == t]) for t in present},
        **({"by_tag": {t: aggregate([s for s in scores if t in s.tags]) for t in tags}} if tags else {}),
    }


def failure_reasons(score: QuestionScore) -> list[str]:
    if not score.answerable:
        return [] if score.abstained else ["answered an unanswerable question"]
    reasons = []
    if score.abstained:
        reasons.append("refused")
    elif not score.correct:
        reasons.append("wrong answer")
    if score.first_relevant_rank is None:
        reasons.append("no evidence retrieved")
    elif score.first_relevant_rank > 5:
        reasons.append(f"evidence first at rank {score.first_relevant_rank}")
    if score.citations and not score.cited_evidence:
        reasons.append("no citation holds the evidence")
    if score.speaker_ok is False:
        reasons.append("cited the wrong speaker")
    return reasons


def severity(score: QuestionScore) -> float:
    """0 (fine) .. 1 (everything failed): orders the worst failures in the report."""
    if not score.answerable:
        return 0.0 if score.abstained else 0.75
    parts = [
        0.0 if score.correct else 1.0,
        1.0 - (score.f1 or 0.0),
        0.0 if score.first_relevant_rank and score.first_relevant_rank <= 5 else 1.0,
        0.0 if score.cited_evidence else 1.0,
    ]
    return sum(parts) / len(parts)
