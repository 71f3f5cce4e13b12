"""`igf-rag eval`: answer every question of a question set through the answer pipeline and score it offline.

Writes to the output directory:
- results.jsonl: one record per question, the `ask --json` object plus the question's `id` (a public interface:
  other scorers read it);
- metrics.json: every metric overall and per question type (see eval/metrics.py for the rules);
- report.md and report.png (eval/report.py).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eval import metrics as m

DEFAULT_QUESTIONS = Path(__file__).resolve().with_name("questions.jsonl")
QUESTION_FIELDS = {"id": str, "question": str, "answers": list, "speakers": list, "evidence": list, "type": str}
OPTIONAL_FIELDS = {"tags": list}
Progress = Callable[[int, int], None]


class QuestionSetError(ValueError):
    """A question set that cannot be used; the message names the file, line and field."""


def load_questions(path: Path) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QuestionSetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionSetError(f"{path}: cannot read the question set ({error})") from None
    questions, seen = [], set()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionSetError(f"{where}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise QuestionSetError(f"{where}: expected a JSON object")
        for name, kind in {**QUESTION_FIELDS, **{k: v for k, v in OPTIONAL_FIELDS.items() if k in record}}.items():
            value = record.get(name)
            if not isinstance(value, kind):
                raise QuestionSetError(f"{where}: field {name!r} must be a {kind.__name__}")
            if kind is list and not all(isinstance(item, str) for item in value):
                raise QuestionSetError(f"{where}: field {name!r} must be a list of strings")
        if record["id"] in seen:
            raise QuestionSetError(f"{where}: duplicate id {record['id']!r}")
        if record["answers"] and not record["evidence"]:
            raise QuestionSetError(f"{where}: field 'evidence' is empty but the question has answers")
        seen.add(record["id"])
        questions.append({name: record[name] for name in (*QUESTION_FIELDS, *OPTIONAL_FIELDS) if name in record})
    if not questions:
        raise QuestionSetError(f"{path}: no questions")
    return questions


def run_eval(
    pipeline,
    questions: Sequence[dict],
    k: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    generator: str | None = None,
) -> list[dict]:
    """Answer the (first `limit`) questions with `pipeline.ask`; one `ask --json` record plus `id` per question."""
    chosen = list(questions[:limit] if limit else questions)
    pipeline.warm_up(generator)  # model loading stays out of the first question's timings
    results = []
    # Each question is timed as a new question would be: its embedding must not come from an earlier run's cache.
    forget_queries = getattr(pipeline.embedder.encode_query, "cache_clear", lambda: None)
    for done, question in enumerate(chosen, start=1):
        forget_queries()
        answer = pipeline.ask(question["question"], k=k, generator=generator)
        results.append({"id": question["id"], **answer.to_dict()})
        if progress:
            progress(done, len(chosen))
    return results


@dataclass
class EvalRun:
    results: list[dict]
    metrics: dict
    scores: list[m.QuestionScore]


def evaluate(
    pipeline,
    questions: Sequence[dict],
    out: Path,
    k: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    generator: str | None = None,
    command: str = "",
    questions_path: Path | None = None,
) -> EvalRun:
    """run_eval, score, and write results.jsonl, metrics.json, report.md and report.png into `out`."""
    from eval.report import write_report

    settings = pipeline.settings
    started = time.time()
    results = run_eval(pipeline, questions, k=k, limit=limit, progress=progress, generator=generator)
    grounding = m.ground(questions, pipeline.index.turns, pipeline.index.chunks)
    scores = m.score_all(results, questions, grounding)
    computed = m.summarize(scores)
    metrics = {
        "generator": generator or settings.generator,
        "retriever": settings.retriever,
        "k": k or settings.retrieve_k,
        "questions": str(questions_path or ""),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "wall_seconds": round(time.time() - started, 1),
        # Every setting, so a run can be reproduced (fusion, re-ranking, abstention threshold...).
        "settings": {f.name: str(v) if isinstance(v, Path) else v for f in dataclasses.fields(settings) for v in [getattr(settings, f.name)]},
        **_rounded(computed),
    }
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for record in results:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(out, metrics, scores, results, questions)
    return EvalRun(results, metrics, scores)


def _rounded(value, digits: int = 4):
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    return value


# -- several question sets over a corpus of transcripts ----------------------------------------------------
# The figures a corpus summary averages over the development transcripts (each transcript weighs the same).
MEAN_KEYS = (
    "hit@1", "hit@5", "mrr", "accuracy", "accuracy_shown", "f1", "answer_words_p50", "speaker_accuracy", "citation_precision", "citation_recall",
    "abstain_unanswerable", "false_refusal", "total_p50_ms", "total_p95_ms",
)


@dataclass
class CorpusRun:
    runs: dict[str, EvalRun]  # question set name -> its run
    summary: dict  # {"sets": {name: overall metrics}, "development_mean": {...}, "by_tag": {...}}


def mean_over(metrics: Sequence[dict], keys: Sequence[str] = MEAN_KEYS) -> dict:
    """Each key's mean over the runs that have it (a transcript with no question of a kind adds nothing to it)."""
    result = {}
    for key in keys:
        values = [m[key] for m in metrics if m.get(key) is not None]
        result[key] = sum(values) / len(values) if values else None
    return result


def evaluate_corpus(
    settings,
    sets,
    out: Path,
    k: int | None = None,
    limit: int | None = None,
    generator: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    command: str = "",
    pipeline=None,
) -> CorpusRun:
    """Every question set of `sets` (eval.corpus.QuestionSet) on one index holding all their transcripts; each set's
    outputs go to `out/<set name>/` (to `out` itself for a single set), the summary to `out/summary.json`. `pipeline`: one already open on the corpus
    index (its settings are used), e.g. to compare generators without loading the models twice."""
    from eval.corpus import build_corpus, session_of
    from rag.pipeline import Pipeline

    if pipeline is None:
        pipeline = Pipeline(build_corpus(settings, sets))
    runs: dict[str, EvalRun] = {}
    scores: list[m.QuestionScore] = []
    for question_set in sets:
        questions = load_questions(question_set.questions)
        session = session_of(question_set.transcript) if question_set.transcript is not None else None
        for question in questions:
            question["session"] = session
        report = (lambda done, total, name=question_set.name: progress(name, done, total)) if progress else None
        run = evaluate(pipeline, questions, out if len(sets) == 1 else out / question_set.name, k=k, limit=limit, progress=report, generator=generator, command=command,
                       questions_path=question_set.questions)
        runs[question_set.name] = run
        scores += run.scores
    development = [runs[s.name].metrics["overall"] for s in sets if s.development]
    summary = {
        "generator": generator or pipeline.settings.generator,
        "retriever": pipeline.settings.retriever,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "sets": {name: run.metrics["overall"] for name, run in runs.items()},
        "development": [s.name for s in sets if s.development],
        "development_mean": mean_over(development) if development else None,
        "by_tag": m.summarize(scores).get("by_tag", {}),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(_rounded(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return CorpusRun(runs, summary)


def set_progress(bar, label: str) -> Callable[[str, int, int], None]:
    """evaluate_corpus's progress callback: one bar of the rich Progress `bar` per question set."""
    tasks = {}

    def progress(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(f"{name[:36]} ({label})", total=total)
        bar.update(tasks[name], completed=done)

    return progress


def run_cli(settings, questions: Sequence[Path] | None = None, out: Path | None = None, k: int | None = None, limit: int | None = None) -> None:
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from eval.corpus import CorpusError, build_corpus, question_sets
    from index.store import IndexError_
    from rag.console import console, errors, fail
    from rag.pipeline import Pipeline, QuestionError

    out = Path(out) if out else settings.home / "eval-out"
    if limit is not None and limit < 1:
        fail(f"--limit must be at least 1, not {limit}", 2)
    if k is not None and not 1 <= k <= settings.max_k:
        fail(f"k must be between 1 and {settings.max_k}, not {k}", 2)
    command = " ".join(["igf-rag", *sys.argv[1:]]) if sys.argv else "igf-rag eval"
    label = f"{settings.generator} + {settings.retriever}"
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    try:
        sets = question_sets(questions or [DEFAULT_QUESTIONS])
        for question_set in sets:
            load_questions(question_set.questions)  # every set is checked before any is answered
        if len(sets) == 1 and sets[0].transcript is None:  # a question set about whatever the index holds
            question_set = load_questions(sets[0].questions)
            total = min(limit or len(question_set), len(question_set))
            with Progress(*columns, console=errors) as bar:
                task = bar.add_task(f"Answering ({label})", total=total)
                run = evaluate(Pipeline(settings), question_set, out, k=k, limit=limit, progress=lambda done, _: bar.update(task, completed=done),
                               command=command, questions_path=sets[0].questions)
            console.print(summary_table(run.metrics))
            console.print(f"Wrote {out / 'results.jsonl'}, metrics.json, report.md and report.png", highlight=False)
            return
        with console.status("Indexing the transcripts of the question sets (once)..."):
            corpus = build_corpus(settings, sets)
        with Progress(*columns, console=errors) as bar:
            corpus_run = evaluate_corpus(corpus, sets, out, k=k, limit=limit, progress=set_progress(bar, label), command=command)
    except (QuestionSetError, CorpusError) as error:
        fail(str(error), 2)
    except (QuestionError, IndexError_, RuntimeError) as error:
        fail(str(error))
    if len(corpus_run.runs) == 1:
        console.print(summary_table(next(iter(corpus_run.runs.values())).metrics))
    else:
        console.print(corpus_table(corpus_run.summary))
    where = out if len(corpus_run.runs) == 1 else out / "<set>"
    console.print(f"Wrote {where / 'results.jsonl'}, metrics.json, report.md, report.png and {out / 'summary.json'}", highlight=False)


def run_dialogues_cli(settings, path: Path, out: Path | None = None) -> None:
    """`igf-rag eval --dialogues FILE`: every conversation answered turn by turn over the corpus of eval transcripts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from eval.corpus import CorpusError
    from eval.dialogues import DialogueSetError, evaluate_dialogues, load_dialogues
    from rag.console import console, errors, fail

    out = Path(out) if out else settings.home / "eval-out" / "dialogues"
    try:
        total = len(load_dialogues(path))
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors) as bar:
            task = bar.add_task(f"Dialogues ({settings.generator})", total=total)
            summary = evaluate_dialogues(settings, out, path, progress=lambda: bar.advance(task))
    except (DialogueSetError, CorpusError) as error:
        fail(str(error), 2)
    follow = summary["follow_up_metrics"]
    console.print(f"{summary['dialogues']} dialogues, {summary['follow_ups']} follow-ups: resolution {summary['resolution_accuracy']:.3f} "
                  f"({', '.join(f'{k} {v:.2f}' for k, v in summary['resolution_by_reference'].items())}); follow-up answers: "
                  f"accuracy {fmt(follow.get('accuracy'))}, speaker {fmt(follow.get('speaker_accuracy'))}, citation P {fmt(follow.get('citation_precision'))}",
                  highlight=False)
    console.print(f"Wrote {out / 'dialogues.jsonl'} and {out / 'dialogues.json'}", highlight=False)


CORPUS_COLUMNS = [
    ("accuracy", "acc."), ("speaker_accuracy", "speaker"), ("citation_precision", "cite P"), ("abstain_unanswerable", "abst."),
    ("false_refusal", "refused"), ("hit@5", "hit@5"),
]


def corpus_table(summary: dict):
    """One row per question set and the mean over the development transcripts."""
    from rich import box
    from rich.table import Table

    table = Table(title=f"{summary['generator']} generator + {summary['retriever']} retriever", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("question set", no_wrap=True, max_width=30, overflow="ellipsis")
    for _, label in CORPUS_COLUMNS:
        table.add_column(label, justify="right", no_wrap=True, min_width=5)
    for name, metrics in summary["sets"].items():
        table.add_row(name, *(fmt(metrics.get(key), 2) for key, _ in CORPUS_COLUMNS))
    if summary.get("development_mean"):
        table.add_row("[bold]mean, development sets[/]", *(f"[bold]{fmt(summary['development_mean'].get(key), 2)}[/]" for key, _ in CORPUS_COLUMNS))
    return table


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


SUMMARY_ROWS = [
    ("n", "questions"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("mrr", "MRR"),
    ("ndcg@10", "nDCG@10"),
    ("accuracy", "accuracy"),
    ("f1", "F1"),
    ("speaker_accuracy", "speaker"),
    ("citation_precision", "citation P"),
    ("citation_recall", "citation R"),
    ("abstain_unanswerable", "abstained"),
    ("false_refusal", "refused"),
    ("total_p50_ms", "p50 ms"),
    ("total_p95_ms", "p95 ms"),
]
SHORT_TYPES = {"factoid": "fact.", "number": "num.", "opinion": "opin.", "summary": "summ.", "unanswerable": "unan."}


def summary_table(metrics: dict):
    """Metrics as rows, question types as columns: fits an 80-column terminal."""
    from rich import box
    from rich.table import Table

    title = f"{metrics['generator']} generator + {metrics['retriever']} retriever, k={metrics['k']}"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    columns = [("all", metrics["overall"]), *((SHORT_TYPES.get(t, t), v) for t, v in metrics["by_type"].items())]
    table.add_column("metric", no_wrap=True)
    for name, _ in columns:
        table.add_column(name, justify="right", no_wrap=True, min_width=4, style="bold" if name == "all" else None)
    table.caption = "abstained: unanswerable questions answered 'not covered'; refused: answerable ones refused"
    table.caption_justify = "left"
    for key, label in SUMMARY_ROWS:
        digits = 0 if key.endswith("_ms") or key == "n" else 2
        table.add_row(label, *(fmt(values[key], digits) for _, values in columns))
    return table
