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
        for name, kind in QUESTION_FIELDS.items():
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
        questions.append({name: record[name] for name in QUESTION_FIELDS})
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


def run_cli(settings, questions: Path | None = None, out: Path | None = None, k: int | None = None, limit: int | None = None) -> None:
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from index.store import IndexError_
    from rag.cli import console, errors, fail
    from rag.pipeline import Pipeline, QuestionError

    questions_path = Path(questions) if questions else DEFAULT_QUESTIONS
    out = Path(out) if out else settings.home / "eval-out"
    if limit is not None and limit < 1:
        fail(f"--limit must be at least 1, not {limit}", 2)
    if k is not None and not 1 <= k <= settings.max_k:
        fail(f"k must be between 1 and {settings.max_k}, not {k}", 2)
    try:
        question_set = load_questions(questions_path)
    except QuestionSetError as error:
        fail(str(error), 2)
    pipeline = Pipeline(settings)
    total = min(limit or len(question_set), len(question_set))
    label = f"{settings.generator} + {settings.retriever}"
    try:
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=errors
        ) as bar:
            task = bar.add_task(f"Answering ({label})", total=total)
            run = evaluate(
                pipeline,
                question_set,
                out,
                k=k,
                limit=limit,
                progress=lambda done, _: bar.update(task, completed=done),
                command=" ".join(["igf-rag", *sys.argv[1:]]) if sys.argv else "igf-rag eval",
                questions_path=questions_path,
            )
    except (QuestionError, IndexError_, RuntimeError) as error:
        fail(str(error))
    console.print(summary_table(run.metrics))
    console.print(f"Wrote {out / 'results.jsonl'}, metrics.json, report.md and report.png", highlight=False)


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
