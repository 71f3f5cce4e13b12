"""Retrieval ablation and abstention calibration: `python -m eval.ablation`.

Runs every answerable question of the question set through the retriever in each configuration (dense only,
BM25 only, hybrid with each fusion, speaker routing as boost or filter, re-ranking), scores the retrieved lists
with eval/metrics.py (the harness's rules, so the numbers agree), and sweeps the abstention threshold of the
default configuration over all questions. Writes two marked sections of docs/eval.md and prints the tables.

Speaker accuracy here is the top retrieved passage's speaker (one of the gold speakers; AUDIENCE for named
audience members). Latency is the retriever's own, the question's embedding included (the query cache is
cleared before each timed question; --timed sets how many are timed, since embedding dominates the run time).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from eval import metrics as m
from eval.harness import DEFAULT_QUESTIONS, load_questions
from index.settings import PROJECT_ROOT, Settings

DOC = PROJECT_ROOT / "docs" / "eval.md"
ABLATION_SECTION = "retrieval-ablation"
CURVE_SECTION = "abstention-curve"
K = 10
THRESHOLDS = [round(x, 3) for x in np.arange(0.20, 0.701, 0.025)]


@dataclasses.dataclass(frozen=True)
class Config:
    name: str
    overrides: dict


def configs(settings: Settings) -> list[Config]:
    best = {"retriever": "hybrid", "fusion": settings.fusion, "fusion_dense_weight": settings.fusion_dense_weight}
    return [
        Config("dense only", {"retriever": "dense", "speaker_routing": "off", "rerank": False}),
        Config("BM25 only", {"retriever": "bm25", "speaker_routing": "off", "rerank": False}),
        Config("hybrid, RRF", {"retriever": "hybrid", "fusion": "rrf", "speaker_routing": "off", "rerank": False}),
        *(
            Config(f"hybrid, weighted sum (dense {w})", {"retriever": "hybrid", "fusion": "weighted", "fusion_dense_weight": w, "speaker_routing": "off", "rerank": False})
            for w in (0.3, 0.5, 0.7)
        ),
        Config("hybrid + speaker routing (filter)", {**best, "speaker_routing": "filter", "rerank": False}),
        Config("hybrid + speaker routing (boost)", {**best, "speaker_routing": "boost", "rerank": False}),
        Config("hybrid + re-ranking (no routing)", {**best, "speaker_routing": "off", "rerank": True}),
        Config("hybrid + speaker routing (filter) + re-ranking", {**best, "speaker_routing": "filter", "rerank": True}),
        Config("hybrid + speaker routing (boost) + re-ranking", {**best, "speaker_routing": "boost", "rerank": True}),
    ]


def is_default(config: Config, settings: Settings) -> bool:
    return all(getattr(settings, key) == value for key, value in config.overrides.items() if key != "fusion_dense_weight" or settings.fusion == "weighted")


def run_config(pipeline, settings: Settings, questions: list[dict], grounding: m.Grounding, timed: int = 0) -> tuple[dict, list[dict]]:
    """Metrics of one configuration; the first `timed` questions are timed with an empty query-embedding cache."""
    from rag.retrieve import Retriever

    retriever = Retriever(pipeline.index, pipeline.embedder, settings.retriever, settings=settings, directory=pipeline.speakers)
    results = []
    for position, question in enumerate(questions):
        if position < timed:
            pipeline.embedder.encode_query.cache_clear()
        started = time.perf_counter()
        passages = retriever.search(question["question"], k=K)
        elapsed = (time.perf_counter() - started) * 1000
        records = [p.to_dict() for p in passages]
        timings = {"retrieve": elapsed} if position < timed else {}
        results.append({"id": question["id"], "retrieved": records, "citations": records[:1], "timings_ms": timings})
    scores = m.score_all(results, questions, grounding)
    return m.aggregate(scores), results


def abstention_curve(pipeline, settings: Settings, questions: list[dict], results: list[dict]) -> list[dict]:
    """For each threshold: answerable questions refused and unanswerable ones answered, by the pipeline's rule
    (abstain when the best similarity among the first context_k passages is below the threshold)."""
    context_k = min(settings.context_k, settings.retrieve_k)
    top = {r["id"]: max((p["similarity"] for p in r["retrieved"][:context_k]), default=0.0) for r in results}
    answerable = [q["id"] for q in questions if q["answers"]]
    unanswerable = [q["id"] for q in questions if not q["answers"]]
    rows = []
    for threshold in THRESHOLDS:
        refused = int(sum(top[i] < threshold for i in answerable))
        answered = int(sum(top[i] >= threshold for i in unanswerable))
        rows.append(
            {
                "threshold": threshold,
                "false_refusals": refused,
                "false_refusal_rate": refused / len(answerable) if answerable else 0.0,
                "unanswerable_answered": answered,
                "unanswerable_answered_rate": answered / len(unanswerable) if unanswerable else 0.0,
            }
        )
    return rows


def best_threshold(curve: list[dict]) -> dict:
    """The threshold with the fewest errors by rate (false refusals + unanswerable answered), the lower on ties:
    a wrong refusal of a covered question costs as much as an answer to an uncovered one."""
    return min(curve, key=lambda row: (row["false_refusal_rate"] + row["unanswerable_answered_rate"], row["threshold"]))


# -- docs/eval.md ------------------------------------------------------------------------------------------
def fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def ablation_section(rows: list[tuple[Config, dict]], settings: Settings, command: str, n: int, timed: int) -> str:
    lines = [
        "## Retrieval ablation",
        "",
        f"Measured {date.today().isoformat()} with `{command}` over the {n} answerable questions of `eval/questions.jsonl`, "
        f"k={K}, on a 2-core CPU machine shared with other work (latencies are noisy).",
        "Relevance and speaker rules are eval/metrics.py's. Speaker acc.: the top passage is by a gold speaker. "
        f"p50: retrieval latency with the question's embedding (no cache), over the first {timed} questions.",
        "",
        "| configuration | hit@1 | hit@5 | MRR | speaker acc. | p50 ms |",
        "|:--|--:|--:|--:|--:|--:|",
    ]
    for config, metrics in rows:
        name = f"**{config.name}** (default)" if is_default(config, settings) else config.name
        lines.append(
            f"| {name} | {fmt(metrics['hit@1'])} | {fmt(metrics['hit@5'])} | {fmt(metrics['mrr'])} | "
            f"{fmt(metrics['speaker_accuracy'])} | {fmt(metrics['retrieve_p50_ms'], 1)} |"
        )
    lines += [
        "",
        "Stages: *dense* is the cosine of the question to each chunk (FAISS, all-MiniLM-L6-v2); *BM25* is bm25s over "
        "folded, stop-word-free, lightly stemmed words; *hybrid* fuses both. *Speaker routing* finds the speakers a "
        "question names (full name, surname, first name, short form, role, organisation or its acronym, country, "
        "moderator role; `rag/query.py`, `rag/speakers.py`) and lifts their passages (boost) or keeps only them "
        "(filter); a question about a speaker also lifts the moderator's introduction of them. *Re-ranking* orders "
        "the best 40 fused candidates by reciprocal rank fusion of their best sentence's similarity (sentence "
        "vectors stored at index time) and BM25, plus the routing lift.",
        "",
        f"Default (index/settings.py): retriever={settings.retriever}, fusion={settings.fusion}, "
        f"speaker_routing={settings.speaker_routing}, rerank={'on' if settings.rerank else 'off'}.",
    ]
    return "\n".join(lines)


def curve_section(curve: list[dict], chosen: dict, settings: Settings, config_name: str, n_answerable: int, n_unanswerable: int) -> str:
    lines = [
        "## Abstention on retrieval similarity alone",
        "",
        f"A retrieval-only study: \"not covered\" whenever the best similarity (question to chunk, or to its best sentence) "
        f"among the first {min(settings.context_k, settings.retrieve_k)} retrieved passages is below a threshold, with no "
        f"other check. Swept with the default retriever ({config_name}) over {n_answerable} answerable and {n_unanswerable} "
        "unanswerable questions:",
        "",
        "| threshold | answerable refused | unanswerable answered |",
        "|--:|--:|--:|",
    ]
    for row in curve:
        mark = " **←**" if row is chosen else ""
        lines.append(
            f"| {row['threshold']:.3f}{mark} | {row['false_refusals']} ({row['false_refusal_rate']:.0%}) | "
            f"{row['unanswerable_answered']} ({row['unanswerable_answered_rate']:.0%}) |"
        )
    lines += [
        "",
        f"Best on similarity alone: **{chosen['threshold']:.3f}**, the fewest errors by rate (refusal rate + "
        "answered-unanswerable rate, the lower threshold on ties). Similarity alone separates the two kinds of question "
        "only partly: an uncovered question about a covered topic (\"What is Cloudflare's annual revenue?\") scores like a "
        f"covered one. The pipeline therefore uses a low similarity floor (abstain_threshold={settings.abstain_threshold}) "
        "together with the answer-stage checks (key-word coverage, a supporting sentence, the kind of answer asked for): "
        "their trade-off curve is the \"Abstention\" section of the answer-stage study below.",
    ]
    return "\n".join(lines)


def write_doc(path: Path, sections: dict[str, str]) -> None:
    from eval.doc import replace_section

    document = path.read_text(encoding="utf-8") if path.exists() else "# Evaluation\n"
    for name, body in sections.items():
        document = replace_section(document, name, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".md.ablation.tmp")
    staging.write_text(document, encoding="utf-8")
    os.replace(staging, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.ablation", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--doc", type=Path, default=DOC, help="markdown file whose marked sections are rewritten")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, help="also write every configuration's metrics here")
    parser.add_argument("--curve-only", action="store_true", help="only the abstention curve of the default configuration (printed)")
    parser.add_argument("--timed", type=int, default=60, help="questions timed per configuration (embedding cache cleared); 0: none")
    args = parser.parse_args(argv)

    from index.store import IndexError_
    from rag.pipeline import Pipeline

    settings = Settings.from_env()
    questions = load_questions(args.questions)
    pipeline = Pipeline(settings)
    try:
        grounding = m.ground(questions, pipeline.index.turns, pipeline.index.chunks)
    except IndexError_ as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    answerable = [q for q in questions if q["answers"]]
    rows, default_results, default_name = [], None, None
    for config in [] if args.curve_only else configs(settings):
        metrics, _ = run_config(pipeline, dataclasses.replace(settings, **config.overrides), answerable, grounding, args.timed)
        rows.append((config, metrics))
        print(f"{config.name:50} hit@1 {fmt(metrics['hit@1'])}  hit@5 {fmt(metrics['hit@5'])}  MRR {fmt(metrics['mrr'])}  "
              f"speaker {fmt(metrics['speaker_accuracy'])}  p50 {fmt(metrics['retrieve_p50_ms'], 1)} ms", flush=True)
        if is_default(config, settings) and default_name is None:
            default_name = config.name
    _, default_results = run_config(pipeline, settings, questions, grounding)
    curve = abstention_curve(pipeline, settings, questions, default_results)
    chosen = best_threshold(curve)
    print(f"abstention: best threshold {chosen['threshold']:.3f} ({chosen['false_refusals']} answerable refused, "
          f"{chosen['unanswerable_answered']} unanswerable answered); configured {settings.abstain_threshold}")
    if args.curve_only:
        for row in curve:
            print(f"{row['threshold']:.3f}  refused {row['false_refusals']:3}  answered {row['unanswerable_answered']:3}")
        return 0
    command = "python -m eval.ablation"
    sections = {
        ABLATION_SECTION: ablation_section(rows, settings, command, len(answerable), args.timed),
        CURVE_SECTION: curve_section(curve, chosen, settings, default_name or "configured", len(answerable), len(questions) - len(answerable)),
    }
    if args.json:
        args.json.write_text(json.dumps({"configs": [{"name": c.name, **c.overrides, "metrics": mt} for c, mt in rows], "curve": curve, "chosen": chosen}, indent=1))
    if not args.no_doc:
        write_doc(args.doc, sections)
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
