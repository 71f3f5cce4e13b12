"""The answer pipeline: question -> retrieval -> generation -> citation check -> Answer.

The CLI, the UI and the eval harness all call `Pipeline.ask` / `Pipeline.ask_stream`.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import threading
import time
from collections.abc import Iterator, Sequence

from index.settings import Settings
from rag.types import Answer, Citation, Passage

NOT_COVERED = "The transcript does not cover this question."
MAX_HISTORY = 20  # earlier answers a follow-up is resolved against: the last ones say who and what "he" and "it" are


class QuestionError(ValueError):
    """A question or option the pipeline cannot take; the message says why."""


class Pipeline:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._lock = threading.Lock()
        self._generators: dict[str, object] = {}
        self._embedder = None
        self._ingest_embedder = None
        self._index = None
        self._loaded_generation: str | None = None  # the generation name `_index` was loaded from
        self._retriever = None
        self._speakers = None
        self._answer_resources = None

    # Heavy parts load on first use, once, and are shared by every caller.
    @property
    def embedder(self):
        """What embeds questions (and the few sentences answering embeds): index.query_graph.load_query_encoder."""
        with self._lock:
            return self._embedder_unlocked()

    @property
    def ingest_embedder(self):
        """The torch embedder that builds the index (loaded on the first upload; the question graph cannot ingest)."""
        with self._lock:
            if self._ingest_embedder is None:
                if hasattr(self._embedder, "encode_with_spans"):
                    self._ingest_embedder = self._embedder  # questions already run on torch: one model, not two
                else:
                    from index.embed import Embedder

                    self._ingest_embedder = Embedder(self.settings.embedding_model, precision=self.settings.embedding_precision)
            return self._ingest_embedder

    @property
    def index(self):
        if self._index is None:
            from index.store import live_generation_name, load_index

            loaded = live_generation_name(self.settings.index_dir)
            index = load_index(self.settings)
            with self._lock:
                if self._index is None:
                    self._index, self._loaded_generation = index, loaded
        return self._index

    def follow_index(self) -> None:
        """Reload when another process (`igf-rag ingest` beside a running server) has replaced the index since it was
        loaded: the new sessions are answered from, and the old generation's files, which that process removes, are
        not read again."""
        from index.store import live_generation_name

        if self._index is not None and live_generation_name(self.settings.index_dir) != self._loaded_generation:
            self.reload_index()

    @property
    def retriever(self):
        if self._retriever is None:
            from rag.retrieve import Retriever

            retriever = Retriever(self.index, self.embedder, self.settings.retriever, settings=self.settings, directory=self.speakers)
            with self._lock:
                self._retriever = self._retriever or retriever
        return self._retriever

    @property
    def speakers(self):
        if self._speakers is None:
            from rag.speakers import SpeakerDirectory

            self._speakers = SpeakerDirectory(self.index.turns, cache=self.settings.speaker_cache)
        return self._speakers

    def generator(self, name: str | None = None):
        name = name or self.settings.generator
        with self._lock:
            if name not in self._generators:
                from rag.generate import load_generator

                self._generators[name] = load_generator(name, self.settings, self._embedder_unlocked())
            return self._generators[name]

    def _embedder_unlocked(self):
        if self._embedder is None:
            from index.query_graph import load_query_encoder

            self._embedder = load_query_encoder(self.settings)
        return self._embedder

    def warm_up(self, generator: str | None = None) -> None:
        """Load what the first answer would otherwise wait for: the index, the models and the answer stage's word and
        sentence tables."""
        self.retriever.search("warm up", k=1)
        self._resources()
        self.generator(generator)

    def reload_index(self) -> None:
        with self._lock:
            self._index = self._retriever = self._speakers = None

    # -- answering ---------------------------------------------------------------------------------
    def validate(self, question: str, k: int | None) -> str:
        question = " ".join((question or "").split())
        if not question:
            raise QuestionError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(f"the question is {len(question)} characters; the limit is {self.settings.max_question_chars}")
        if k is not None and not 1 <= k <= self.settings.max_k:
            raise QuestionError(f"k must be between 1 and {self.settings.max_k}, not {k}")
        return question

    def validate_history(self, history) -> list[dict]:
        """The conversation so far, checked: a list of earlier answers (`ask --json` objects), each with its question;
        only the last MAX_HISTORY are read."""
        if history is None:
            return []
        if not isinstance(history, (list, tuple)):
            raise QuestionError(f"the history must be a list of earlier answers (ask --json objects), not {type(history).__name__}")
        for n, turn in enumerate(history, start=1):
            if not isinstance(turn, dict) or not isinstance(turn.get("question"), str):
                raise QuestionError(f"history item {n} is not an earlier answer: it needs a 'question' string (an ask --json object)")
            if not isinstance(turn.get("citations", []), list) or not isinstance(turn.get("answer", ""), str):
                raise QuestionError(f"history item {n}: 'citations' must be a list and 'answer' a string")
        return list(history[-MAX_HISTORY:])

    def resolve_speaker(self, speaker: str | None) -> set[str] | None:
        if not speaker:
            return None
        keys = self.speakers.resolve(speaker)
        if not keys:
            raise QuestionError(f"no speaker matches {speaker!r}; known speakers: {', '.join(self.speakers.names())}")
        return keys

    def resolve_session(self, session: str | None) -> set[str] | None:
        """The session ids a session filter means: an id, a unique id prefix, or a unique part of a title."""
        if not session:
            return None
        from index.sessions import SessionNotFound, find_session

        try:
            return {find_session(self.index.manifest.sessions, session).session_id}
        except SessionNotFound as error:
            raise QuestionError(str(error)) from None

    def ask(
        self,
        question: str,
        speaker: str | None = None,
        k: int | None = None,
        generator: str | None = None,
        session: str | None = None,
        history: Sequence[dict] | None = None,
    ) -> Answer:
        answer = None
        for _, answer in self.ask_stream(question, speaker=speaker, k=k, generator=generator, session=session, history=history):
            pass
        return answer

    def ask_stream(
        self,
        question: str,
        speaker: str | None = None,
        k: int | None = None,
        generator: str | None = None,
        session: str | None = None,
        history: Sequence[dict] | None = None,
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (answer text so far, None) while generating, then (final text, Answer). `history`: the conversation so
        far, earlier `ask --json` objects oldest first; a follow-up is answered as the stand-alone question it stands for
        (rag.conversation), given as the answer's `resolved_question`."""
        from rag.conversation import resolve, split_question
        from rag.plan import needs_wider_search, wider_answers

        question = self.validate(question, k)
        history = self.validate_history(history)
        self.follow_index()
        parts = split_question(question)
        first = self.ask(parts[0], speaker=speaker, k=k, generator=generator, session=session, history=history) if len(parts) > 1 else None
        if first is not None and not first.abstained:
            # Each part answered on its own, the second as a follow-up to the first ("..., and what did he want added?").
            # When the first part alone is not covered, the question is answered whole, as one.
            if answers_why(parts[1], first):
                # "Roughly what share of costs is power, and why is it so low?": "Power is maybe 15 percent, because we
                # are mostly solar" answers both parts.
                answer = dataclasses.replace(first, question=question)
                yield answer.answer, answer
                return
            second = self.ask(parts[1], speaker=speaker, k=k, generator=generator, session=session, history=[*history, first.to_dict()])
            answer = joined_answer(question, first, second, parts[1])
            yield answer.answer, answer
            return
        sessions = self.resolve_session(session)
        speakers = self.resolve_speaker(speaker)
        k = k or self.settings.retrieve_k
        generator_name = generator or self.settings.generator
        model = self.generator(generator_name)  # loaded before the clock starts: timings measure answering
        self._resources()  # likewise the answer stage's tables, built once per index
        started = time.perf_counter()
        resolution = resolve(question, history, self.speakers)
        asked = resolution.question
        if resolution.changed and resolution.sessions and not sessions:
            sessions = set(resolution.sessions)  # a follow-up goes on in the session the conversation is in
        query = self.retriever.analyze(asked)
        retrieved = self.retriever.search(asked, k=max(k, 10), speakers=speakers, sessions=sessions, query=query)
        retrieved_at = time.perf_counter()
        timings = {"retrieve": (retrieved_at - started) * 1000}
        plan = self.plan(asked, retrieved[: min(k, self.settings.context_k)], query)
        if needs_wider_search(plan) and len(retrieved) > self.settings.context_k:
            # No passage of the context states the thing asked for; one further down may, said of what the question
            # asks about ("it starts in January 2025" for "When is the pilot due to begin?").
            wider = self.plan(asked, retrieved[:k], query)
            if wider_answers(wider, self._resources().weights):
                plan = wider
        refusal = self._refusal(plan)
        if refusal:
            timings.update(generate=0.0, total=(time.perf_counter() - started) * 1000)
            answer = Answer(question, NOT_COVERED, True, [], retrieved, timings, generator_name, "none", [refusal], confidence=plan.confidence.to_dict(),
                            resolved_question=asked)
            yield answer.answer, answer
            return

        reply = None  # no model is asked for "who", "role" and "view" answers, nor by the extractive generator
        if plan.asks_model and generator_name != "extractive":
            reply = ""
            for piece in model.stream(asked, plan.context, plan.instruction):
                reply += piece
                yield reply, None
        answer = self._finish(plan, reply, retrieved, generator_name, model)
        answer.question, answer.resolved_question = question, asked
        answer.confidence = plan.confidence.to_dict()
        answer.timings_ms = {
            **timings,
            "generate": (time.perf_counter() - retrieved_at) * 1000,
            "total": (time.perf_counter() - started) * 1000,
        }
        yield answer.answer, answer

    def _resources(self):
        """What the answer stage reads besides the passages (rag.plan.Resources): word rarity, stored sentence
        vectors, the speaker directory and the turns' annotations; rebuilt when the index is reloaded."""
        index = self.index
        cached = self._answer_resources
        if cached is None or cached[0] is not index:
            from rag import spans
            from rag.evidence import SentenceVectors, TermWeights
            from rag.plan import Resources

            spans.warm_up()

            resources = Resources(
                embedder=self.embedder,
                weights=TermWeights.from_chunks(index.chunks),
                directory=self.speakers,
                vectors=SentenceVectors(index, self.embedder),
                turn_at=index.turn,
                annotations=index.annotations,
                locate=lambda session, start, end, index=index: _as_passage(index.locate(session, start, end)),
                text_of=index.annotated_text,
                name_max_share=self.settings.name_max_share,
                turns_of=index.session_turns,
            )
            cached = self._answer_resources = (index, resources)
        return cached[1]

    def plan(self, question: str, passages: list[Passage], query=None):
        """The answer's supporting sentences, decided answer and confidence (rag.plan.AnswerPlan) for `passages`."""
        from rag.plan import plan_answer

        query = query or self.retriever.analyze(question)
        return plan_answer(query, passages, self._resources(), sentences=self.settings.evidence_sentences)

    def _refusal(self, plan) -> str | None:
        """Why the passages cannot answer the question (None when they can): rag.abstain, thresholds in Settings."""
        from rag.abstain import refusal

        if plan.query.sessions == ("",):
            return "the question names a session that is not indexed"
        return refusal(plan.confidence, bool(plan.evidence), self.settings)

    def _finish(self, plan, reply: str | None, retrieved: list[Passage], generator: str, model) -> Answer:
        """Shape the answer by the question's form, check it against its sentences, cite them."""
        from rag.forms import compose, tight_context
        from rag.generate import STRICT_INSTRUCTION

        def retry() -> str:
            # Fewer words to copy from and a stricter instruction: the best sentence alone.
            return "".join(model.stream(plan.question, tight_context(plan.evidence[:1]), STRICT_INSTRUCTION)).strip()

        draft = compose(plan, reply, self.speakers, retry if reply is not None else None)
        if not draft.text:
            return Answer(plan.question, NOT_COVERED, True, [], retrieved, {}, generator, "none", draft.notes)
        citations = []
        for n, item in enumerate(draft.evidence, start=1):
            support = draft.grounding.coverage if draft.grounding is not None else 1.0
            citations.append(Citation(n, item.passage, item.text, support))
        markers = "".join(f"[{c.n}]" for c in citations)
        return Answer(plan.question, f"{draft.text} {markers}", False, citations, retrieved, {}, generator, draft.source, draft.notes, draft.quote)


def _as_passage(found):
    """index.store.CorpusIndex.locate's chunk as a Passage (unranked: retrieval did not return it)."""
    return None if found is None else (Passage(found[0], 0.0, 0, 0.0), found[1], found[2])


def answers_why(second_part: str, first: Answer) -> bool:
    """Is the second part of a question a "why", which the answer to the first part already answers with a reason?"""
    from rag.evidence import GIVES_REASON
    from rag.question_types import asks_reason

    return asks_reason(second_part) and GIVES_REASON.search(first.answer) is not None


def joined_answer(question: str, first: Answer, second: Answer, second_part: str) -> Answer:
    """One answer to a two-part question from the answers to its parts, their citations numbered in one sequence (a
    passage both cite keeps one number); a second part that is not covered is said to be."""
    citations: list[Citation] = []
    numbers: dict[tuple[str, str], int] = {}
    texts = []
    for part in (first, second):
        renumbered = {}
        for citation in part.citations:
            key = (citation.passage.chunk.chunk_id, citation.quote)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(dataclasses.replace(citation, n=numbers[key]))
            renumbered[citation.n] = numbers[key]
        texts.append(re.sub(r"\[(\d+)\]", lambda m: f"[{renumbered.get(int(m.group(1)), m.group(1))}]", part.answer))
    if second.abstained:
        texts[1] = f"The transcript does not say: {second_part}"
    retrieved, seen = [], set()
    for pair in itertools.zip_longest(first.retrieved, second.retrieved):
        for passage in pair:
            if passage is not None and passage.chunk.chunk_id not in seen:
                seen.add(passage.chunk.chunk_id)
                retrieved.append(passage)
    return Answer(
        question, "\n".join(texts), False, citations, retrieved,
        {k: first.timings_ms.get(k, 0.0) + second.timings_ms.get(k, 0.0) for k in first.timings_ms},
        first.generator, first.answer_source, [*first.notes, *second.notes], " … ".join(q for q in (first.quote, second.quote) if q),
        confidence=first.confidence, resolved_question=f"{first.resolved_question or first.question} {second.resolved_question or second.question}",
    )

