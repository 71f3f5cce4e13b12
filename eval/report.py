"""report.md (tables per question type, the worst failures) and report.png (metrics per type) for one eval run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from eval import metrics as m

WORST_FAILURES = 15
LABELS = {
    "n": "n",
    "n_answerable": "answerable",
    "n_unanswerable": "unanswerable",
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mrr": "MRR",
    "ndcg@10": "nDCG@10",
    "accuracy": "accuracy",
    "f1": "F1",
    "speaker_accuracy": "speaker acc.",
    "citation_precision": "citation P",
    "citation_recall": "citation R",
    "abstain_unanswerable": "abstained (unanswerable)",
    "false_refusal": "refused (answerable)",
    "retrieve_p50_ms": "retrieve p50",
    "retrieve_p95_ms": "retrieve p95",
    "generate_p50_ms": "generate p50",
    "generate_p95_ms": "generate p95",
    "total_p50_ms": "total p50",
    "total_p95_ms": "total p95",
}
RETRIEVAL = ["n_answerable", "hit@1", "hit@3", "hit@5", "hit@10", "mrr", "ndcg@10"]
ANSWERS = ["n_answerable", "accuracy", "f1", "speaker_accuracy", "citation_precision", "citation_recall"]
ABSTENTION = ["n_unanswerable", "abstain_unanswerable", "n_answerable", "false_refusal"]
LATENCY = ["n", "retrieve_p50_ms", "retrieve_p95_ms", "generate_p50_ms", "generate_p95_ms", "total_p50_ms", "total_p95_ms"]


def fmt(value, key: str = "") -> str:
    if value is None:
        return "–"
    if key.endswith("_ms") or key.startswith("answer_words"):
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A GitHub table; the first `left` columns are left-aligned (text), the rest right-aligned (numbers)."""

    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join(":---" if i < left else "---:" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def type_table(metrics: Mapping, keys: Sequence[str]) -> str:
    rows = [[name, *(fmt(values[k], k) for k in keys)] for name, values in metrics["by_type"].items()]
    rows.append(["**all**", *(f"**{fmt(metrics['overall'][k], k)}**" for k in keys)])
    return markdown_table(["type", *(LABELS[k] for k in keys)], rows)


def _clip(text: str, limit: int = 220) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def worst_failures(scores: Sequence[m.QuestionScore], results: Sequence[Mapping], questions: Sequence[Mapping], limit: int = WORST_FAILURES) -> str:
    by_id = {q["id"]: q for q in questions}
    answers = {r["id"]: r for r in results}
    failing = [s for s in scores if m.failure_reasons(s)]
    failing.sort(key=lambda s: (-m.severity(s), s.id))
    if not failing:
        return "No failures."
    rows = []
    for s in failing[:limit]:
        q, r = by_id[s.id], answers[s.id]
        gold = " / ".join(q["answers"]) or "(not covered)"
        answer = r["answer"] + (f" — {r['citations'][0]['speaker']}" if r.get("citations") else "")
        rows.append([s.id, s.type, _clip(q["question"], 160), _clip(gold, 100), _clip(answer), "; ".join(m.failure_reasons(s))])
    header = f"{len(failing)} of {len(scores)} questions have at least one failure; the {min(limit, len(failing))} worst:\n\n"
    return header + markdown_table(["id", "type", "question", "gold", "answer — first cited speaker", "what failed"], rows, left=6)


def render_markdown(metrics: Mapping, scores: Sequence[m.QuestionScore], results: Sequence[Mapping], questions: Sequence[Mapping]) -> str:
    overall = metrics["overall"]
    overall_rows = [[LABELS[k], fmt(overall[k], k)] for k in LABELS]
    parts = [
        f"# Eval report: {metrics['generator']} generator, {metrics['retriever']} retriever",
        "",
        f"- Date: {metrics['date']}",
        f"- Command: `{metrics['command'] or 'igf-rag eval'}`",
        f"- Question set: {metrics['questions'] or '(given in code)'}; {overall['n']} questions answered, k={metrics['k']}",
        f"- Wall time: {metrics['wall_seconds']} s",
        "",
        "Scored offline, without a judge model; the rules are at the end of this report. Latencies are milliseconds.",
        "",
        "## Overall",
        "",
        markdown_table(["metric", "value"], overall_rows),
        "",
        "## Retrieval by question type",
        "",
        type_table(metrics, RETRIEVAL),
        "",
        "## Answers, attribution and citations by question type",
        "",
        type_table(metrics, ANSWERS),
        "",
        "## Abstention by question type",
        "",
        type_table(metrics, ABSTENTION),
        "",
        "## Latency by question type (ms)",
        "",
        type_table(metrics, LATENCY),
        "",
        "## Worst failures",
        "",
        worst_failures(scores, results, questions),
        "",
        "## How it is scored",
        "",
        RULES,
    ]
    return "\n".join(parts) + "\n"


RULES = """\
- Matching ignores case, accents, hyphen variants, runs of whitespace and thousands separators ("9,126" = "9126").
- A retrieved or cited passage is relevant when it contains one of the question's evidence strings, or covers at
  least half of an evidence string's character span in the transcript (evidence cut by a chunk boundary).
- hit@k: a relevant passage among the first k retrieved; MRR: 1/rank of the first; nDCG@10: binary gains, the ideal
  ranking holding every relevant chunk of the index.
- Accuracy: the answer contains one of the gold answers at word boundaries (a plural or verb ending may follow).
  F1: token F1 against the best gold answer. A refusal of an answerable question counts as wrong.
- Speaker accuracy (answerable questions with citations): a cited passage is by one of the gold speakers; a named
  audience member is matched by an AUDIENCE citation.
- Citation precision: share of the citations of answerable questions whose passage is relevant; citation recall:
  share of answerable questions with at least one relevant citation.
- Abstention: share of unanswerable questions answered "not covered"; share of answerable ones refused."""


CHART_TOP = ["hit@1", "hit@5", "hit@10", "mrr", "ndcg@10"]
CHART_BOTTOM = ["accuracy", "f1", "speaker_accuracy", "citation_precision", "citation_recall", "false_refusal", "abstain_unanswerable"]


def write_chart(path: Path, metrics: Mapping) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    types = list(metrics["by_type"]) + ["all"]
    rows = [metrics["by_type"][t] for t in types[:-1]] + [metrics["overall"]]
    figure, axes = plt.subplots(2, 1, figsize=(12, 8), constrained_layout=True)
    for axis, keys, title in ((axes[0], CHART_TOP, "Retrieval"), (axes[1], CHART_BOTTOM, "Answers, attribution, citations, abstention")):
        x = np.arange(len(types))
        width = 0.8 / len(keys)
        for i, key in enumerate(keys):
            values = [np.nan if row[key] is None else row[key] for row in rows]
            axis.bar(x + (i - (len(keys) - 1) / 2) * width, values, width, label=LABELS[key])
        for position, row in zip(x, rows):
            if all(row[key] is None for key in keys):
                axis.text(position, 0.03, "n/a", ha="center", color="grey")
        labels = [f"{t}\n(n={row['n']})" for t, row in zip(types, rows)]
        axis.set_xticks(x, labels)
        axis.set_ylim(0, 1.05)
        axis.set_title(title, loc="left")
        axis.grid(axis="y", alpha=0.3)
        axis.legend(ncol=len(keys), fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    figure.suptitle(f"{metrics['generator']} generator, {metrics['retriever']} retriever, k={metrics['k']} — {metrics['date']}")
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(out: Path, metrics: Mapping, scores: Sequence[m.QuestionScore], results: Sequence[Mapping], questions: Sequence[Mapping]) -> None:
    (out / "report.md").write_text(render_markdown(metrics, scores, results, questions), encoding="utf-8")
    write_chart(out / "report.png", metrics)
