"""The answer pipeline: question -> retrieval -> generation -> citation check -> Answer.

The CLI, the UI and the eval harness all call `Pipeline.ask` / `Pipeline.ask_stream`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from index.settings import Settings
from rag.cite import cite
from rag.types import Answer, Passage

NOT_COVERED = "The transcript does not cover this question."


class QuestionError(ValueError):
    """A question or option the pipeline cannot take; the message says why."""


class Pipeline:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._lock = threading.Lock()
        self._generators: dict[str, object] = {}
        self._embedder = None
        self._index = None
        self._retriever = None
        self._speakers = None

    # Heavy parts load on first use, once, and are shared by every caller.
    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from index.embed import Embedder

                self._embedder = Embedder(self.settings.embedding_model)
            return self._embedder

    @property
    def index(self):
        if self._index is None:
            from index.store import load_index

            index = load_index(self.settings)
            with self._lock:
                self._index = self._index or index
        return self._index

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

            self._speakers = SpeakerDirectory(self.index.turns)
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
            from index.embed import Embedder

            self._embedder = Embedder(self.settings.embedding_model)
        return self._embedder

    def warm_up(self, generator: str | None = None) -> None:
        self.retriever.search("warm up", k=1)
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
        self, question: str, speaker: str | None = None, k: int | None = None, generator: str | None = None, session: str | None = None
    ) -> Answer:
        answer = None
        for _, answer in self.ask_stream(question, speaker=speaker, k=k, generator=generator, session=session):
            pass
        return answer

    def ask_stream(
        self,
        question: str,
        speaker: str | None = None,
        k: int | None = None,
        generator: str | None = None,
        session: str | None = None,
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (answer text so far, None) while generating, then (final text, Answer)."""
        question = self.validate(question, k)
        sessions = self.resolve_session(session)
        speakers = self.resolve_speaker(speaker)
        k = k or self.settings.retrieve_k
        generator_name = generator or self.settings.generator
        model = self.generator(generator_name)  # loaded before the clock starts: timings measure answering
        started = time.perf_counter()
        retrieved = self.retriever.search(question, k=max(k, 10), speakers=speakers, sessions=sessions)
        retrieved_at = time.perf_counter()
        timings = {"retrieve": (retrieved_at - started) * 1000}
        context = retrieved[: min(k, self.settings.context_k)]
        top_similarity = max((p.similarity for p in context), default=0.0)
        if not context or top_similarity < self.settings.abstain_threshold:
            timings.update(generate=0.0, total=(time.perf_counter() - started) * 1000)
            answer = Answer(question, NOT_COVERED, True, [], retrieved, timings, generator_name, "none")
            yield answer.answer, answer
            return
        answer = self._speaker_answer(question, context, retrieved, generator_name)
        if answer is not None:
            answer.timings_ms = {**timings, "generate": (time.perf_counter() - retrieved_at) * 1000, "total": (time.perf_counter() - started) * 1000}
            yield answer.answer, answer
            return

        text = ""
        for piece in model.stream(question, context):
            text += piece
            yield text, None
        generated_at = time.perf_counter()
        answer = self._finish(question, text.strip(), context, retrieved, generator_name)
        answer.timings_ms = {
            **timings,
            "generate": (generated_at - retrieved_at) * 1000,
            "total": (time.perf_counter() - started) * 1000,
        }
        yield answer.answer, answer

    def _speaker_answer(self, question: str, context: list[Passage], retrieved: list[Passage], generator: str) -> Answer | None:
        """A "who said / who argued ..." question is answered by the speaker of the best-supported passage."""
        from rag.query import WHO_SAID
        from rag.types import Citation

        if self.retriever.analyze(question).kind != WHO_SAID:
            return None
        best = self.generator("extractive").best_sentence(question, context)
        if best is None:
            return None
        passage = context[best[0]]
        who = self.speakers.label(passage.chunk.session_id, passage.chunk.speaker, passage.chunk.turn_no)
        text = f"{who}: “{best[1]}” [1]"
        return Answer(question, text, False, [Citation(1, passage, best[1], 1.0)], retrieved, {}, generator, "speaker")

    def _finish(self, question: str, text: str, context: list[Passage], retrieved: list[Passage], generator: str) -> Answer:
        cited = cite(text, context)
        if cited.supported:
            return Answer(question, cited.text, False, cited.citations, retrieved, {}, generator, "generated")
        # The model's words are not backed by the passages: show the best supporting sentence instead.
        extractive = self.generator("extractive")
        best = extractive.best_sentence(question, context)
        if best is None:
            return Answer(question, NOT_COVERED, True, [], retrieved, {}, generator, "none")
        quoted = cite(best[1], [context[best[0]]])
        note = "the generated answer was not supported by the passages; showing the best supporting quote"
        notes = [note] if generator != "extractive" else []
        return Answer(question, quoted.text, False, quoted.citations, retrieved, {}, generator, "quote", notes)
