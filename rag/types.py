"""Data passed between the answering stages: retrieve -> generate -> cite -> Answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.types import Chunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its ranking score (higher is better), 1-based rank, and cosine similarity
    to the question (comparable across retrievers, used for abstention)."""

    chunk: Chunk
    score: float
    rank: int
    similarity: float = 0.0

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "chunk_id": c.chunk_id,
            "session": c.session_id,
            "session_title": c.session_title,
            "speaker": c.speaker_name,
            "speaker_key": c.speaker,
            "turn": c.turn_no,
            "text": c.text,
            "start_char": c.start_char,
            "end_char": c.end_char,
            "score": round(float(self.score), 4),
            "similarity": round(float(self.similarity), 4),
            "rank": self.rank,
            # Timed formats (subtitles, timed JSON) only: seconds from the start of the recording.
            **({"start_time": c.start_time, "end_time": c.end_time} if c.start_time is not None else {}),
        }


@dataclass(frozen=True)
class Citation:
    n: int
    passage: Passage
    quote: str  # the passage's sentence that best supports the answer, verbatim
    support: float  # share of the answer's content words found in the passage

    def to_dict(self) -> dict:
        return {"n": self.n, **self.passage.to_dict(), "quote": self.quote, "support": round(self.support, 3)}


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    retrieved: list[Passage]
    timings_ms: dict[str, float]
    generator: str = ""
    # How the answer was made (rag.forms): "generated": the model's words, which passed the grounding check;
    # "regenerated": the first reply failed the check and a stricter second one passed; "quote": no reply passed
    # (or no model ran) and the best supporting sentence is shown verbatim; "attribution": a "who" answer naming
    # the speaker of (or the person named in) the best supporting sentence; "none": abstained.
    answer_source: str = "generated"
    notes: list[str] = field(default_factory=list)
    quote: str = ""  # the sentences of the first citation that prove the answer, verbatim, shown beside it
    # The signals abstention read (rag.abstain.Confidence.to_dict): how far the passages can answer the question.
    confidence: dict = field(default_factory=dict)
    # The stand-alone question actually answered: a follow-up resolved against the conversation ("And does he think
    # ...?" -> "Does Ernesto Rodriguez Hernández think ...?"); the question itself when nothing was resolved.
    resolved_question: str = ""

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": [p.to_dict() for p in self.retrieved],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "generator": self.generator,
            "answer_source": self.answer_source,
            "notes": self.notes,
            "quote": self.quote,
            "confidence": self.confidence,
            "resolved_question": self.resolved_question or self.question,
        }
