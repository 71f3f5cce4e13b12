"""`make eval`: run the eval harness for every generator and retriever available and write docs/eval.md.

Retrievers are compared with the extractive generator (fast, no model); generators with the default retriever.
The seq2seq generator runs only when IGF_RAG_SEQ2SEQ_MODEL names a local model directory (none ships here).

docs/eval.md is shared with other tools: this one rewrites only the sections between its own markers
`<!-- section:NAME -->` ... `<!-- /section:NAME -->` (NAME in SECTIONS) and keeps everything else as it is.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from index.settings import GENERATORS, PROJECT_ROOT, RETRIEVERS, Settings
from eval.report import fmt, markdown_table

DOC = PROJECT_ROOT / "docs" / "eval.md"
SECTIONS = ("harness-comparison", "harness-per-type")
DOC_TITLE = "# Evaluation\n"
COMPARISON = [
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("mrr", "MRR"),
    ("ndcg@10", "nDCG@10"),
    ("accuracy", "acc."),
    ("f1", "F1"),
    ("speaker_accuracy", "speaker acc."),
    ("citation_precision", "cite P"),
    ("citation_recall", "cite R"),
    ("abstain_unanswerable", "abstained (unans.)"),
    ("false_refusal", "refused (ans.)"),
    ("total_p50_ms", "p50 ms"),
    ("total_p95_ms", "p95 ms"),
]
PER_TYPE = [("n", "n")] + [c for c in COMPARISON if c[0] not in ("hit@10",)]


def available_generators(settings: Settings) -> list[str]:
    names = ["extractive", "causal"]
    if Path(settings.seq2seq_model).expanduser().exists():
        names.append("seq2seq")
    return names


def plan(settings: Settings, generators: list[str] | None = None, retrievers: list[str] | None = None) -> list[tuple[str, str]]:
    """(generator, retriever) runs: every retriever with the extractive generator, every generator with the default retriever."""
    generators = generators or available_generators(settings)
    retrievers = retrievers or list(RETRIEVERS)
    runs = [("extractive", r) for r in retrievers] if "extractive" in generators else []
    runs += [(g, settings.retriever) for g in generators if (g, settings.retriever) not in runs]
    return runs


# -- docs/eval.md --------------------------------------------------------------------------------------
def section(name: str, body: str) -> str:
    return f"<!-- section:{name} -->\n{body.strip()}\n<!-- /section:{name} -->"


def replace_section(document: str, name: str, body: str) -> str:
    """`document` with section `name` replaced by `body` (appended when missing); all other text kept byte for byte."""
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
    replacement = section(name, body)
    if pattern.search(document):
        return pattern.sub(lambda _: replacement, document, count=1)
    if not document.strip():
        document = DOC_TITLE
    return document.rstrip("\n") + "\n\n" + replacement + "\n"


def comparison_section(runs: list[dict], command: str, date: str, skipped: list[str]) -> str:
    rows = [[r["generator"], r["retriever"], *(fmt(r["overall"][key], key) for key, _ in COMPARISON)] for r in runs]
    n = runs[0]["overall"] if runs else {}
    lines = [
        "## Generators and retrievers compared (eval harness)",
        "",
        f"Measured {date} with `{command}` on a 2-core CPU machine shared with other work (latencies are noisy).",
        f"Question set: `eval/questions.jsonl`, {n.get('n', 0)} questions ({n.get('n_answerable', 0)} answerable, "
        f"{n.get('n_unanswerable', 0)} not covered by the transcript), k={runs[0]['k'] if runs else '–'}.",
        "Scored offline by `eval/metrics.py` (rules in its docstring and at the end of each run's report.md); "
        "per-run outputs (results.jsonl, metrics.json, report.md, report.png) are in `eval-out/<generator>-<retriever>/` of the data directory.",
        "",
        markdown_table(["generator", "retriever", *(label for _, label in COMPARISON)], rows, left=2),
        "",
        "Retrieval: hit@k, MRR and nDCG@10 of the retrieved passages (relevant = contains an evidence string). "
        "Answers: accuracy (contains a gold answer) and token F1. Speaker acc.: a cited passage is by a gold speaker. "
        "Cite P/R: citation precision and recall. Abstained: unanswerable questions answered \"not covered\" (higher is better); "
        "refused: answerable questions wrongly refused (lower is better). p50/p95: total answer latency.",
    ]
    for note in skipped:
        lines += ["", f"Not run: {note}."]
    return "\n".join(lines)


def per_type_section(runs: list[dict], default_retriever: str) -> str:
    lines = ["## Per question type, per generator (eval harness)", ""]
    for r in runs:
        if r["retriever"] != default_retriever:
            continue
        rows = [[t, *(fmt(v[key], key) for key, _ in PER_TYPE)] for t, v in r["by_type"].items()]
        rows.append(["**all**", *(f"**{fmt(r['overall'][key], key)}**" for key, _ in PER_TYPE)])
        lines += [f"### {r['generator']} generator, {r['retriever']} retriever", "", markdown_table(["type", *(label for _, label in PER_TYPE)], rows), ""]
    return "\n".join(lines)


def update_doc(path: Path, sections: dict[str, str]) -> None:
    """Replace (or append) the named sections of `path`, under a lock: tools that share the document can run at once."""
    import hashlib
    import tempfile

    from filelock import FileLock

    # The lock lives outside the repository; its name is stable across processes (str hashes are not).
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    with FileLock(str(Path(tempfile.gettempdir()) / f"igf-rag-doc-{digest}.lock")):
        document = path.read_text(encoding="utf-8") if path.exists() else ""
        for name, body in sections.items():
            document = replace_section(document, name, body)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(path.name + ".tmp")
        staging.write_text(document, encoding="utf-8")
        os.replace(staging, path)


def write_doc(path: Path, runs: list[dict], command: str, date: str, default_retriever: str, skipped: list[str]) -> None:
    update_doc(
        path,
        {
            SECTIONS[0]: comparison_section(runs, command, date, skipped),
            SECTIONS[1]: per_type_section(runs, default_retriever),
        },
    )


# -- running -------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.splitlines()[0])
    parser.add_argument("--generators", nargs="+", choices=GENERATORS, help="default: every generator available")
    parser.add_argument("--retrievers", nargs="+", choices=RETRIEVERS, help="default: all")
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick check; the doc then says so)")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"the document to update (default {DOC.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--out", type=Path, help="base output directory (default: eval-out/ in the data directory)")
    args = parser.parse_args(argv)
    import rag.cli  # noqa: F401  importing the CLI sets the offline, quiet environment every entry point runs in

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from eval.harness import DEFAULT_QUESTIONS, evaluate, load_questions, summary_table
    from rag.pipeline import Pipeline

    console, errors = Console(), Console(stderr=True)
    settings = Settings.from_env()
    questions = load_questions(DEFAULT_QUESTIONS)
    base = args.out or settings.home / "eval-out"
    extra = sys.argv[1:] if argv is None else argv
    command = "make eval" if not extra else "python -m eval.compare " + " ".join(extra)
    generators = list(args.generators or available_generators(settings))
    runs, skipped, pipelines = [], [], {}
    if "seq2seq" not in available_generators(settings):
        skipped.append(f"seq2seq (IGF_RAG_SEQ2SEQ_MODEL={settings.seq2seq_model!r} is not a local model directory)")
        generators = [g for g in generators if g != "seq2seq"]
    for generator, retriever in plan(settings, generators, args.retrievers):
        if retriever not in pipelines:
            pipeline = Pipeline(settings.with_overrides(retriever=retriever))
            if pipelines:  # one embedding model for every pipeline
                pipeline._embedder = next(iter(pipelines.values())).embedder
            pipelines[retriever] = pipeline
        pipeline = pipelines[retriever]
        try:
            pipeline.generator(generator)
        except (RuntimeError, OSError, ValueError) as error:
            skipped.append(f"{generator} ({error})")
            errors.print(f"[yellow]skipping the {generator} generator:[/] {error}", highlight=False)
            continue
        total = min(args.limit or len(questions), len(questions))
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=errors) as bar:
            task = bar.add_task(f"{generator} + {retriever}", total=total)
            run = evaluate(
                pipeline,
                questions,
                base / f"{generator}-{retriever}",
                limit=args.limit,
                generator=generator,
                progress=lambda done, _: bar.update(task, completed=done),
                command=command,
                questions_path=DEFAULT_QUESTIONS,
            )
        console.print(summary_table(run.metrics))
        runs.append(run.metrics)
    if not runs:
        errors.print("[bold red]error:[/] no run completed; nothing written")
        return 1
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    write_doc(args.doc, runs, command, date, settings.retriever, skipped)
    console.print(f"Updated {args.doc} (sections {', '.join(SECTIONS)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
