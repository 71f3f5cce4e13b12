"""`igf-rag`: the command line. A thin client of the answer pipeline and the indexer."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from rag.console import console, errors, fail

# Everything runs offline: never let a library reach for a model hub, and keep its progress bars quiet.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "GRADIO_ANALYTICS_ENABLED": "False",
}.items():
    os.environ.setdefault(_name, _value)

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Ask questions about panel transcripts, offline, with cited answers.")

GeneratorOpt = typer.Option(None, "--generator", "-g", help="extractive (default: quoted sentences), causal (SmolLM2 paraphrase beside the quote), or seq2seq (FLAN-T5 path)")
RetrieverOpt = typer.Option(None, "--retriever", help="hybrid (default), dense, or bm25")


def load_settings(**overrides):
    from index.settings import Settings

    try:
        return Settings.from_env().with_overrides(**overrides)
    except ValueError as error:
        fail(str(error), 2)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Transcript files or directories of them."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Discard the existing index and build it anew from PATHS."),
) -> None:
    """Add transcripts to the index (unchanged files are skipped, changed files replace their old session)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from index.embed import Embedder
    from index.ingest import index_is_fresh
    from index.ingest import ingest as run_ingest
    from index.store import IndexError_

    settings = load_settings()
    if not rebuild and index_is_fresh(settings, paths):
        console.print(escape(f"The index in {settings.index_dir} is up to date with {', '.join(map(str, paths))}."))
        return
    with console.status("Loading the embedding model..."):
        embedder = Embedder(settings.embedding_model, precision=settings.embedding_precision)
    try:
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=errors) as bar:
            task = bar.add_task("Embedding chunks", total=None)
            report = run_ingest(paths, settings, embedder, rebuild=rebuild, progress=lambda done, total: bar.update(task, completed=done, total=total))
    except IndexError_ as error:
        fail(str(error))
    for verb, ids in (("added", report.added), ("replaced", report.replaced), ("unchanged", report.unchanged)):
        for sid in ids:
            console.print(f"{verb:9} {sid}", highlight=False)
    console.print(f"{report.chunks_embedded} chunks embedded; the index holds {report.chunks_total} chunks.")
    for message in report.errors:
        errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if report.errors:
        raise typer.Exit(1)
    if settings.query_backend == "onnx":  # torch is loaded now: export the question graph here rather than at the next start
        from index.query_graph import GraphUnavailable, ensure_query_graph

        try:
            with console.status("Exporting the embedding model for questions (once)..."):
                ensure_query_graph(settings.model_cache, settings.embedding_model)
        except GraphUnavailable as error:
            errors.print(f"note: questions will be embedded with torch: {escape(str(error))}", highlight=False, soft_wrap=True)


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in plain language."),
    speaker: Optional[str] = typer.Option(None, "--speaker", "-s", help="Only passages by this speaker: full name, surname, first name, short form, or role (\"the EFF speaker\"); see `igf-rag speakers`."),
    session: Optional[str] = typer.Option(None, "--session", help="Only this session: its id, an id prefix, or part of its title (see `igf-rag sessions`)."),
    k: Optional[int] = typer.Option(None, "--k", "-k", help="Number of passages to retrieve (1-50)."),
    generator: Optional[str] = GeneratorOpt,
    retriever: Optional[str] = RetrieverOpt,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (the stable public schema)."),
    history: Optional[Path] = typer.Option(
        None, "--history", help="The conversation so far: a JSON file holding a list of earlier `ask --json` objects, oldest first. The question may then be a follow-up (\"And does he agree?\")."
    ),
) -> None:
    """Answer a question from the indexed transcripts, with numbered citations."""
    from index.store import IndexError_
    from rag.pipeline import Pipeline, QuestionError

    settings = load_settings(generator=generator, retriever=retriever)
    earlier = read_history(history) if history is not None else None
    pipeline = Pipeline(settings)
    try:
        pipeline.validate(question, k)
        answer = pipeline.ask(question, speaker=speaker, k=k, session=session, history=earlier)
    except (QuestionError, IndexError_, RuntimeError) as error:
        fail(str(error))
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
        return
    print_answer(answer)


def read_history(path: Path) -> list:
    """The earlier answers of a conversation from a JSON file (a list of `ask --json` objects), or a clear error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: no such history file", 2)
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: cannot read the history ({error})", 2)
    except json.JSONDecodeError as error:
        fail(f"{path}:{error.lineno}:{error.colno}: the history is not valid JSON ({error.msg})", 2)
    if not isinstance(data, list):
        fail(f"{path}: the history must be a JSON list of earlier `ask --json` objects, not a {type(data).__name__}", 2)
    return data


def print_answer(answer) -> None:
    from rich.panel import Panel
    from rich.text import Text

    style = "yellow" if answer.abstained else "green"
    if answer.resolved_question and answer.resolved_question != answer.question:
        console.print(f"[dim]Answered as: {escape(answer.resolved_question)}[/]", highlight=False)
    console.print(Panel(Text(answer.answer), title="Answer", border_style=style, title_align="left"))
    for note in answer.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    for citation in answer.citations:
        p = citation.passage.chunk
        console.print(f"[bold][{citation.n}][/] [cyan]{escape(p.speaker_name)}[/] — {escape(p.session_title)}, {where_in_session(p)}", highlight=False)
        console.print(f"    “{escape(citation.quote)}”", highlight=False, soft_wrap=True)
    if answer.abstained and answer.retrieved:
        console.print("[dim]Closest passages (not supporting):[/]")
        for passage in answer.retrieved[:3]:
            console.print(f"  [dim]{escape(passage.chunk.speaker_name)}, turn {passage.chunk.turn_no}: {escape(passage.chunk.text[:160])}…[/]", highlight=False)
    t = answer.timings_ms
    console.print(f"[dim]retrieve {t.get('retrieve', 0):.0f} ms · generate {t.get('generate', 0):.0f} ms · total {t.get('total', 0):.0f} ms · {answer.generator}[/]")


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def where_in_session(chunk) -> str:
    """Where a passage is: 'turn 12, 00:03:41' for timed formats, else 'turn 12 (chars 5120-5400)'."""
    if chunk.start_time is not None:
        return f"turn {chunk.turn_no}, {clock(chunk.start_time)}"
    return f"turn {chunk.turn_no} (chars {chunk.start_char}-{chunk.end_char})"


@app.command()
def chat(
    session: Optional[str] = typer.Option(None, "--session", help="Only this session: its id, an id prefix, or part of its title."),
    generator: Optional[str] = GeneratorOpt,
) -> None:
    """Chat in the terminal: ask, then ask follow-ups ("and what did she say about it?"). Commands: /sources N prints
    the whole turn citation N comes from, /reset starts a new conversation, /quit (or Ctrl-D) leaves."""
    from rich.prompt import Prompt

    from index.store import IndexError_
    from rag.pipeline import Pipeline, QuestionError

    pipeline = Pipeline(load_settings(generator=generator))
    history: list[dict] = []
    last = None
    console.print("[bold]igf-rag chat[/] — ask about the indexed sessions; /sources N, /reset, /quit.", highlight=False)
    while True:
        try:
            line = Prompt.ask("[bold cyan]You[/]", console=console).strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            return
        if line == "/reset":
            history, last = [], None
            console.print("[dim]New conversation.[/]")
            continue
        if line.startswith("/sources"):
            show_source(pipeline, last, line)
            continue
        try:
            pipeline.validate(line, None)
            answer = None
            shown = 0
            for text, done in pipeline.ask_stream(line, session=session, history=history):
                if done is None and len(text) > shown:
                    console.print(escape(text[shown:]), end="", highlight=False, soft_wrap=True)
                    shown = len(text)
                answer = done or answer
            if shown:
                console.print()
        except (QuestionError, IndexError_, RuntimeError) as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            continue
        print_answer(answer)
        history.append(answer.to_dict())
        last = answer


def show_source(pipeline, answer, line: str) -> None:
    """/sources N: the whole turn that citation N of the last answer comes from."""
    parts = line.split()
    if answer is None or not answer.citations:
        console.print("[dim]No citations yet.[/]")
        return
    if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(answer.citations):
        console.print(f"[dim]Usage: /sources N, N from 1 to {len(answer.citations)}.[/]")
        return
    chunk = answer.citations[int(parts[1]) - 1].passage.chunk
    turn = pipeline.index.turn(chunk.session_id, chunk.turn_no)
    console.print(f"[bold][{parts[1]}][/] [cyan]{escape(chunk.speaker_name)}[/] — {escape(chunk.session_title)}, {where_in_session(chunk)}", highlight=False)
    console.print(escape(turn.text if turn is not None else chunk.text), highlight=False, soft_wrap=True)


@app.command()
def speakers() -> None:
    """List the speakers of each indexed session: role, organisation and the names `ask --speaker` accepts."""
    from index.store import IndexError_
    from index.text import fold
    from rag.pipeline import Pipeline

    try:
        directory = Pipeline(load_settings()).speakers
    except IndexError_ as error:
        fail(str(error))
    for session_id in dict.fromkeys(s.session_id for s in directory.all()):
        console.print(f"[bold]{session_id}[/]", highlight=False)
        for speaker in sorted((s for s in directory.all() if s.session_id == session_id), key=lambda s: (s.is_audience_member, s.name)):
            console.print(escape(f"  {speaker.name:30} {speaker.turns:3} turn{'s' if speaker.turns != 1 else ' '}  {speaker.description() or ''}"), highlight=False, soft_wrap=True)
            also = sorted(speaker.aliases - {fold(speaker.name)}) + sorted(a.upper() for a in speaker.acronyms if len(a) <= 6)
            if also:
                console.print(f"  {'':30}            [dim]also: {escape(', '.join(also))}[/]", highlight=False, soft_wrap=True)


@app.command()
def sessions(as_json: bool = typer.Option(False, "--json", help="Print a JSON list of the sessions.")) -> None:
    """List the indexed sessions with their turn, chunk and speaker counts."""
    import dataclasses

    from index.store import IndexError_, read_manifest

    settings = load_settings()
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexError_ as error:
        fail(str(error))
    if manifest is None:
        fail(f"no index in {settings.index_dir}; build one with: igf-rag ingest seeds/")
    if as_json:
        sys.stdout.write(json.dumps([dataclasses.asdict(s) for s in manifest.sessions], ensure_ascii=False) + "\n")
        return
    if not manifest.sessions:
        console.print("The index holds no sessions; add some with: igf-rag ingest PATH")
    for s in manifest.sessions:
        about = " · ".join(x for x in (s.date, s.session_type) if x)
        console.print(f"[bold]{s.session_id}[/]  {escape(s.title)}", highlight=False)
        console.print(escape(f"    {s.turns} turns, {s.chunks} chunks, {s.speakers} speakers{'  · ' + about if about else ''}  · {s.source}"), highlight=False)


@app.command()
def remove(session_ids: list[str] = typer.Argument(..., help="Sessions to drop: ids as listed by `igf-rag sessions` (or a unique id prefix or title part).")) -> None:
    """Remove sessions from the index."""
    from index.ingest import remove_sessions
    from index.sessions import SessionNotFound, find_session
    from index.store import IndexError_, read_manifest

    settings = load_settings()
    try:
        manifest = read_manifest(settings.index_dir)
        if manifest is None:
            fail(f"no index in {settings.index_dir}")
        wanted = [find_session(manifest.sessions, query).session_id for query in session_ids]
        gone = remove_sessions(settings, wanted, manifest.dimension)
    except (IndexError_, SessionNotFound) as error:
        fail(str(error))
    for sid in gone:
        console.print(f"removed {sid}", highlight=False)
    missing = sorted(set(wanted) - set(gone))
    if missing:  # removed by another process since the listing was read
        fail(f"not in the index: {', '.join(missing)}")


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Address to bind (default 127.0.0.1: this machine only)."),
    port: Optional[int] = typer.Option(None, help="Port (default 7860)."),
    auth: Optional[str] = typer.Option(None, help="USER:PASS required to use the app (or IGF_RAG_AUTH)."),
) -> None:
    """Start the chat UI in the browser."""
    from ui.app import serve as run_server

    run_server(load_settings(host=host, port=port), auth=auth)


@app.command(name="eval")
def evaluate(
    questions: Optional[list[Path]] = typer.Option(
        None, help="A question set (JSON lines) or a folder of them, each answered beside its transcript (repeatable); default: the bundled set."
    ),
    out: Optional[Path] = typer.Option(None, help="Output directory; default: eval-out/ in the data directory."),
    generator: Optional[str] = GeneratorOpt,
    retriever: Optional[str] = RetrieverOpt,
    k: Optional[int] = typer.Option(None, "--k", "-k", help="Passages to retrieve."),
    limit: Optional[int] = typer.Option(None, help="Only the first N questions."),
    dialogues: Optional[Path] = typer.Option(
        None, "--dialogues", help="A dialogue set (eval/dialogues.jsonl): conversations answered turn by turn; scores how follow-ups are resolved."
    ),
) -> None:
    """Run the eval question set (or a dialogue set) through the pipeline and report metrics."""
    from eval.harness import run_cli, run_dialogues_cli

    settings = load_settings(generator=generator, retriever=retriever)
    if dialogues is not None:
        run_dialogues_cli(settings, dialogues, out=out)
        return
    run_cli(settings, questions=questions, out=out, k=k, limit=limit)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
