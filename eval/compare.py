"""`make eval`: every eval set through every generator available, and docs/eval.md written from the figures.

Retrievers are compared on the bundled set with the extractive generator (fast, no model); generators on every
question set (eval/devsets/ and the bundled set, one index holding all the transcripts) and on the dialogue set, side by
side; then the leave-one-transcript-out run (eval.loto).
The seq2seq generator runs only when IGF_RAG_SEQ2SEQ_MODEL names a local model directory (none ships here).

docs/eval.md is shared with other tools: this one rewrites only the sections between its own markers
`<!-- section:NAME -->` ... `<!-- /section:NAME -->` (NAME in SECTIONS) and keeps everything else as it is.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from index.settings import GENERATORS, PROJECT_ROOT, RETRIEVERS, Settings
from eval.doc import update_doc
from eval.report import fmt, markdown_table

DOC = PROJECT_ROOT / "docs" / "eval.md"
SECTIONS = ("harness-comparison", "harness-per-type")  # and "corpus", "dialogues"; eval.loto writes "held-out"
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


# -- docs/eval.md (sections written through eval.doc) -------------------------------------------------
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


def write_doc(path: Path, runs: list[dict], command: str, date: str, default_retriever: str, skipped: list[str]) -> None:
    update_doc(
        path,
        {
            SECTIONS[0]: comparison_section(runs, command, date, skipped),
            SECTIONS[1]: per_type_section(runs, default_retriever),
        },
    )


# -- every eval set, each generator ------------------------------------------------------------------------
SET_COLUMNS = [
    ("accuracy", "acc."), ("accuracy_shown", "acc. shown"), ("f1", "F1"), ("answer_words_p50", "words p50"), ("speaker_accuracy", "speaker"),
    ("citation_precision", "cite P"), ("abstain_unanswerable", "not covered"), ("false_refusal", "refused"), ("hit@5", "hit@5"),
    ("model_kept", "model kept"), ("total_p50_ms", "p50 ms"), ("total_p95_ms", "p95 ms"),
]


def corpus_section(summaries: dict[str, dict], command: str, date: str) -> str:
    """Per question set and generator, the development mean per generator, side by side."""
    from eval.report import fmt as cell

    rows = []
    for generator, summary in summaries.items():
        for name, metrics in summary["sets"].items():
            rows.append([name, generator, *(cell(metrics.get(key), key) for key, _ in SET_COLUMNS)])
        mean = summary.get("development_mean") or {}
        rows.append([f"**mean of the {len(summary.get('development', []))} development transcripts**", f"**{generator}**",
                     *(f"**{cell(mean.get(key), key)}**" if key in mean else "–" for key, _ in SET_COLUMNS)])
    return "\n".join([
        "## Every eval set: model-written and extractive answers side by side",
        "",
        f"Measured {date} with `{command}`: every question set of `eval/devsets/` and the bundled `eval/questions.jsonl`, "
        "each transcript indexed beside all the others (so a question can be answered from the wrong session), with the "
        "default settings (abstention thresholds chosen on all five development transcripts, see \"held-out\" for the "
        "figures where each transcript is scored with thresholds it was not tuned on).",
        "",
        markdown_table(["question set", "generator", *(label for _, label in SET_COLUMNS)], rows, left=2),
        "",
        "acc.: the short answer (the `answer` field without citation markers) holds a gold answer; acc. shown: the answer or "
        "the verbatim sentences shown beside it does; F1: token F1 of the short answer; words p50: its median length; "
        "model kept: of the answers a model was asked to write, the share whose words passed the grounding check (the rest "
        "show the quoted sentence); latencies are whole answers on a shared 2-core machine.",
        "",
        "By the failure class a development question exercises (eval/CORPUS_SPEC.md; a question may carry several tags, "
        "and the bundled set carries none):",
        "",
        markdown_table(["class", "generator", "n", *(label for key, label in TAG_COLUMNS)], [
            [tag, generator, str(metrics.get("n", 0)), *(cell(metrics.get(key), key) for key, _ in TAG_COLUMNS)]
            for generator, summary in summaries.items() for tag, metrics in sorted(summary.get("by_tag", {}).items())
        ], left=2),
    ])


TAG_COLUMNS = [("accuracy", "acc."), ("accuracy_shown", "acc. shown"), ("speaker_accuracy", "speaker"), ("citation_precision", "cite P"),
               ("abstain_unanswerable", "not covered"), ("false_refusal", "refused"), ("hit@5", "hit@5")]


def dialogue_section(summaries: dict[str, dict], command: str, date: str) -> str:
    kinds = sorted({k for s in summaries.values() for k in s["resolution_by_reference"]})
    rows = []
    for generator, s in summaries.items():
        f = s["follow_up_metrics"]
        rows.append([generator, f"{s['resolution_accuracy']:.3f}", *(f"{s['resolution_by_reference'].get(k, 0):.2f}" for k in kinds),
                     *(fmt(f.get(key), key) for key in ("accuracy", "accuracy_shown", "speaker_accuracy", "citation_precision", "model_kept"))])
    first = next(iter(summaries.values()))
    return "\n".join([
        "## Conversations: follow-up questions (eval/dialogues.jsonl)",
        "",
        f"Measured {date} with `{command}`: {first['dialogues']} dialogues, {first['follow_ups']} follow-up turns, answered "
        "turn by turn with the conversation so far as history (rag/conversation.py), on the corpus index. Resolution: the "
        "stand-alone question the follow-up was answered as names the speaker or topic it refers to (and not the old "
        "subject, for topic switches); then the answer metrics of the follow-up turns.",
        "",
        markdown_table(["generator", "resolution", *kinds, "acc.", "acc. shown", "speaker", "cite P", "model kept"], rows, left=1),
    ])


# -- running -------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.splitlines()[0])
    parser.add_argument("--generators", nargs="+", choices=GENERATORS, help="default: every generator available")
    parser.add_argument("--retrievers", nargs="+", choices=RETRIEVERS, help="retrievers compared on the bundled set (default: all)")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"the document to update (default {DOC.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--out", type=Path, help="base output directory (default: eval-out/ in the data directory)")
    parser.add_argument("--skip-loto", action="store_true", help="leave the held-out section (python -m eval.loto) as it is")
    args = parser.parse_args(argv)
    import rag.cli  # noqa: F401  importing the CLI sets the offline, quiet environment every entry point runs in

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from eval.corpus import build_corpus, default_sets
    from eval.dialogues import evaluate_dialogues
    from eval.harness import DEFAULT_QUESTIONS, corpus_table, evaluate, evaluate_corpus, load_questions, set_progress
    from rag.console import console, errors
    from rag.pipeline import Pipeline

    settings = Settings.from_env()
    base = args.out or settings.home / "eval-out"
    extra = sys.argv[1:] if argv is None else argv
    command = "make eval" if not extra else "python -m eval.compare " + " ".join(extra)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    generators = list(args.generators or available_generators(settings))
    skipped = []
    if "seq2seq" not in available_generators(settings):
        skipped.append(f"seq2seq (IGF_RAG_SEQ2SEQ_MODEL={settings.seq2seq_model!r} is not a local model directory)")
        generators = [g for g in generators if g != "seq2seq"]
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())

    # Retrievers on the bundled set alone (extractive: no model needed to compare what is found).
    questions = load_questions(DEFAULT_QUESTIONS)
    runs, pipelines = [], {}
    for _, retriever in plan(settings, ["extractive"], args.retrievers):
        pipeline = Pipeline(settings.with_overrides(retriever=retriever))
        if pipelines:
            pipeline._embedder = next(iter(pipelines.values())).embedder
        pipelines[retriever] = pipeline
        with Progress(*columns, console=errors) as bar:
            task = bar.add_task(f"bundled set, extractive + {retriever}", total=len(questions))
            run = evaluate(pipeline, questions, base / f"extractive-{retriever}", generator="extractive",
                           progress=lambda done, _: bar.update(task, completed=done), command=command, questions_path=DEFAULT_QUESTIONS)
        runs.append(run.metrics)
    write_doc(args.doc, runs, command, date, settings.retriever, skipped)

    # Every question set and the dialogues on the corpus index, once per generator, one pipeline for all.
    sets = default_sets()
    corpus = Pipeline(build_corpus(settings, sets))
    summaries, dialogue_summaries = {}, {}
    for generator in generators:
        try:
            corpus.generator(generator)
        except (RuntimeError, OSError, ValueError) as error:
            skipped.append(f"{generator} ({error})")
            errors.print(f"[yellow]skipping the {generator} generator:[/] {error}", highlight=False)
            continue
        with Progress(*columns, console=errors) as bar:
            summaries[generator] = evaluate_corpus(corpus.settings, sets, base / f"corpus-{generator}", generator=generator, progress=set_progress(bar, generator),
                                                   command=command, pipeline=corpus).summary
            dialogue_task = bar.add_task(f"dialogues ({generator})", total=None)
            dialogue_summaries[generator] = evaluate_dialogues(corpus.settings, base / f"dialogues-{generator}", generator=generator, pipeline=corpus,
                                                               progress=lambda: bar.advance(dialogue_task))
        console.print(corpus_table(summaries[generator]))
    if summaries:
        update_doc(args.doc, {"corpus": corpus_section(summaries, command, date), "dialogues": dialogue_section(dialogue_summaries, command, date)})
    if not args.skip_loto:
        from eval import loto

        loto.main(["--doc", str(args.doc), "--command", command] + (["--out", str(base)] if args.out else []))
    console.print(f"Updated {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
