"""`make bench`: speed measurements, written to docs/benchmarks.md and docs/benchmarks.json.

Each section is a function `(BenchContext) -> SectionResult` registered in SECTIONS; add a section by
writing one more such function. `python -m eval.bench --only ingest` runs a subset: the other sections'
results already in docs/benchmarks.json and their parts of docs/benchmarks.md are kept as they are.
Every timing is the median over repeats. Sections that build indexes do it in a scratch data directory,
never in the user's.

Speed targets belong here, not in unit tests: the machine is shared, so each run records the load average.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index.settings import PROJECT_ROOT, Settings

DOC = PROJECT_ROOT / "docs" / "benchmarks.md"
RESULTS = PROJECT_ROOT / "docs" / "benchmarks.json"
SEED = PROJECT_ROOT / "seeds" / "igf2023-day2-main-session-2-cybersecurity-trust-online-safety.txt"
DOC_TITLE = "# Benchmarks\n\nWritten by `make bench` (`python -m eval.bench`); each section by its own function in eval/bench.py.\n"


@dataclass
class SectionResult:
    name: str
    title: str
    notes: list[str] = field(default_factory=list)  # how it was measured, in plain words
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)  # (headers, rows) for the document
    results: dict = field(default_factory=dict)  # the numbers, for docs/benchmarks.json

    def markdown(self, run: dict) -> str:
        from eval.report import markdown_table

        lines = [f"## {self.title}", "", f"{run['date']} · `{run['command']}` · {run['machine']}", ""]
        lines += [f"- {note}" for note in self.notes]
        for headers, rows in self.tables:
            lines += ["", markdown_table(headers, rows)]
        return "\n".join(lines)


class BenchContext:
    """What every section gets: settings, the seed transcript, repeats, a scratch area, one shared embedder."""

    def __init__(self, settings: Settings, scratch: Path, repeats: int, quick: bool):
        self.settings, self.scratch, self.repeats, self.quick = settings, scratch, repeats, quick
        self.seed = SEED
        self._embedder = None

    @property
    def embedder(self):
        if self._embedder is None:
            from index.embed import Embedder

            self._embedder = Embedder(self.settings.embedding_model)
        return self._embedder

    def scratch_settings(self, name: str) -> Settings:
        """Settings on an empty data directory of its own that shares the converted models."""
        home = self.scratch / name
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        if self.settings.model_cache.exists():
            (home / "models").symlink_to(self.settings.model_cache.resolve(), target_is_directory=True)
        return replace(self.settings, home=home)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


class StageClock:
    """While entered, times every call of `module.name` (one entry per `with`), to show where a step's time goes."""

    def __init__(self, module, name: str):
        self.module, self.name, self.seconds = module, name, []

    def __enter__(self):
        self.original = getattr(self.module, self.name)
        self.seconds.append(0.0)

        def clocked(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds[-1] += time.perf_counter() - started

        setattr(self.module, self.name, clocked)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.original)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- Generated sessions --------------------------------------------------------------------------------------
GENERATED_NOTE = (
    "Sessions beyond the bundled one are generated from it: its turns in a seeded random order under a new IGF-style "
    "title (\"IGF 2023 WS #1NNN Generated session NNN ...\"); added sessions also get renamed speakers, so their text is new."
)


def split_igf(text: str) -> tuple[str, list[str]]:
    """(everything before the first `>>` turn, the turns as written)."""
    starts = [m.start() for m in re.finditer(r"^>>", text, flags=re.M)]
    return text[: starts[0]], [text[a:b].rstrip() + "\n\n" for a, b in zip(starts, starts[1:] + [len(text)])]


def generated_session(seed_text: str, n: int, rename: bool = False, turns: int | None = None) -> str:
    """Session `n` made from the bundled transcript: shuffled turns, a new title, optionally renamed speakers.

    Without renaming, every turn's text (and so every chunk) repeats the seed's; renaming makes it new text.
    """
    header, body = split_igf(seed_text)
    random.Random(n).shuffle(body)
    if turns is not None:
        body = body[:turns]
    if rename:
        tag = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(d)] for d in str(n))  # IGF names are letters only
        body = [re.sub(r"^>> ([A-Z\u00C0-\u00DE][A-Z\u00C0-\u00DE .'’-]{0,60}?):", _renamed(tag), turn) for turn in body]
    title = f"IGF 2023 WS #{1000 + n} Generated session {n} from the cybersecurity main session"
    return title + header[header.index("\n") :] + "".join(body)


def _renamed(tag: str) -> Callable[[re.Match], str]:
    roles = {"AUDIENCE", "MODERATOR"}  # roles, not people: kept as they are
    return lambda m: m.group(0) if m.group(1).strip() in roles else f">> {m.group(1)} {tag}:"


class CachingEmbedder:
    """The real embedder, remembering every text's vector and token count: building generated sessions, whose
    text repeats the seed's, then costs no model time. Only used to set up what is measured, never inside a timing."""

    def __init__(self, embedder):
        self.inner, self.cache = embedder, {}
        self.count_tokens = functools.lru_cache(maxsize=None)(embedder.count_tokens)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, texts, batch_size: int = 64, **kwargs):
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing, batch_size=batch_size, **kwargs)):
                self.cache[text] = vector
        if not texts:
            return np.zeros((0, self.inner.dimension), dtype=np.float32)
        return np.vstack([self.cache[t] for t in texts]).astype(np.float32)


# -- Sections --------------------------------------------------------------------------------------------------


def bench_ingest(ctx: BenchContext) -> SectionResult:
    """Embedding throughput, whole-ingest throughput, and incremental re-ingest cost as the index grows."""
    import index.ingest as ingest_module
    from index.chunk import chunk_turns
    from index.ingest import index_is_fresh, ingest, remove_sessions
    from index.parse import parse_file
    from index.store import load_index, read_manifest

    embedder = ctx.embedder
    seed_text = ctx.seed.read_text(encoding="utf-8")
    transcript = parse_file(ctx.seed)
    chunks = chunk_turns(transcript.turns, transcript.session.title, embedder.count_tokens,
                         min(ctx.settings.chunk_tokens, embedder.max_tokens), ctx.settings.chunk_overlap_sentences)
    texts = [c.embedding_text for c in chunks]
    result = SectionResult("ingest", "Ingest: throughput and incremental re-ingest")
    threads = _torch_threads()

    # 1. The embedding model alone, on the bundled transcript's chunks.
    log(f"ingest: embedding {len(texts)} chunks x {ctx.repeats} ...")
    embedder.encode(texts[:64])  # warm-up: first-call allocations are not throughput
    encode_s = [timed(lambda: embedder.encode(texts, batch_size=64))[0] for _ in range(ctx.repeats)]

    # 2. A whole ingest of the bundled transcript into an empty index: parse, chunk, embed, write.
    log(f"ingest: whole ingest of the bundled transcript x {ctx.repeats} ...")
    whole = []
    for i in range(ctx.repeats):
        settings = ctx.scratch_settings(f"whole-{i}")
        seconds, report = timed(lambda: ingest([ctx.seed], settings, embedder))
        assert not report.errors, report.errors
        whole.append((seconds, report.chunks_embedded))
    whole_s = median([s for s, _ in whole])

    rows = [
        ["embedding only (sentence-transformers encode, batch 64)", str(len(texts)), f"{median(encode_s):.2f}", f"{len(texts) / median(encode_s):.1f}"],
        ["whole ingest into an empty index (parse, chunk, embed, write)", str(whole[0][1]), f"{whole_s:.2f}", f"{whole[0][1] / whole_s:.1f}"],
    ]
    result.tables.append((["bundled transcript", "chunks", "median s", "chunks/s"], rows))
    result.results["throughput"] = {
        "chunks": len(texts),
        "embed_s": encode_s,
        "embed_chunks_per_s": len(texts) / median(encode_s),
        "whole_ingest_s": [s for s, _ in whole],
        "whole_ingest_chunks_per_s": whole[0][1] / whole_s,
        "torch_threads": threads,
    }

    # 3. Incremental re-ingest with 1, 10 and 100 sessions indexed.
    sizes = [1, 10] if ctx.quick else [1, 10, 100]
    settings = ctx.scratch_settings("incremental")
    folder = ctx.scratch / "incremental-transcripts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    building = CachingEmbedder(embedder)
    building.encode(texts)  # the seed's chunk texts; generated sessions repeat them
    extra = ctx.scratch / "added-session.txt"
    extra.write_text(generated_session(seed_text, 9999, rename=True, turns=12), encoding="utf-8")
    incremental, table = [], []
    for size in sizes:
        for n in range(len(list(folder.iterdir())), size):
            (folder / f"generated-{n:03d}.txt").write_text(SEED.read_text(encoding="utf-8") if n == 0 else generated_session(seed_text, n), encoding="utf-8")
        log(f"ingest: building an index of {size} sessions ...")
        build_s, report = timed(lambda: ingest([folder], settings, building))
        assert not report.errors, report.errors
        manifest = read_manifest(settings.index_dir)
        total_chunks = sum(s.chunks for s in manifest.sessions)
        log(f"ingest: {size} sessions ({total_chunks} chunks): re-ingest, add, remove x {ctx.repeats} ...")
        unchanged, fresh, added, removed, added_chunks = [], [], [], [], 0
        writes = StageClock(ingest_module, "write_index")
        for _ in range(ctx.repeats):
            seconds, report = timed(lambda: ingest([folder], settings, embedder))
            assert report.chunks_embedded == 0 and len(report.unchanged) == size, report
            unchanged.append(seconds)
            seconds, is_fresh = timed(lambda: index_is_fresh(settings, [folder]))
            assert is_fresh
            fresh.append(seconds)
            with writes:
                seconds, report = timed(lambda: ingest([extra], settings, embedder))
            assert len(report.added) == 1 and not report.errors, report
            added.append(seconds)
            added_chunks = report.chunks_embedded
            seconds, gone = timed(lambda: remove_sessions(settings, report.added, embedder.dimension))
            assert gone == report.added
            removed.append(seconds)
        load_s = median([timed(lambda: load_index(settings))[0] for _ in range(ctx.repeats)])
        incremental.append({
            "sessions": size, "chunks": total_chunks, "build_s": build_s,
            "reingest_unchanged_s": unchanged, "index_is_fresh_s": fresh,
            "add_one_session_s": added, "add_one_session_chunks": added_chunks,
            "add_one_session_write_index_s": writes.seconds,
            "remove_one_session_s": removed, "load_index_s": load_s,
        })
        table.append([str(size), str(total_chunks), f"{median(unchanged):.3f}", f"{median(fresh):.3f}",
                      f"{median(added):.2f}", f"{median(writes.seconds):.2f}", f"{median(removed):.2f}", f"{load_s:.2f}"])
    result.tables.append((
        ["sessions", "chunks", "re-ingest, nothing changed (s)", "freshness check (s)", f"add one session, {incremental[0]['add_one_session_chunks']} chunks (s)",
         "of which writing the generation (s)", "remove one session (s)", "load index (s)"],
        table,
    ))
    result.results["incremental"] = incremental
    result.results["generated_sessions"] = GENERATED_NOTE
    result.notes = [
        f"Bundled transcript: {transcript.session.title} ({len(transcript.turns)} turns, {len(texts)} chunks of at most "
        f"{ctx.settings.chunk_tokens} word pieces); model {ctx.settings.embedding_model} on CPU, {threads} torch threads.",
        "chunks/s = chunks / wall seconds. A whole ingest also embeds whatever else the index stores per chunk, "
        "so it is slower than the model alone.",
        GENERATED_NOTE,
        "Building those indexes is not timed (it reuses the seed's vectors). Timed, with the real model, against an index "
        "of N sessions: `ingest()` of the same N unchanged files (hashes only: nothing parsed, loaded or written); "
        "`index_is_fresh()` (what `igf-rag ingest` checks before loading the model); adding one new session "
        f"(12 turns of a renamed generated session: load the index, embed only its chunks, write a new generation); "
        "removing it again; loading the index (checksums verified).",
        "Every change writes a complete new generation (vectors, chunks, turns and whatever the store derives from all "
        "chunks), which is what keeps a killed ingest harmless; its cost grows with the whole index, not with the change: "
        "the 'of which writing' column.",
        f"Medians of {ctx.repeats} repeats." if ctx.repeats > 1 else "One run each (--quick): a smoke test, not a measurement.",
    ]
    return result


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


SECTIONS: dict[str, Callable[[BenchContext], SectionResult]] = {
    "ingest": bench_ingest,
}


# -- Running and writing -----------------------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg()
    return f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at the start, Python {platform.python_version()}"


def write_outputs(results: list[SectionResult], run: dict, doc: Path = DOC, results_path: Path = RESULTS) -> None:
    from eval.compare import replace_section

    stored = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {"sections": {}}
    document = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if not document.strip():
        document = DOC_TITLE
    for section in results:
        stored["sections"][section.name] = {**run, "title": section.title, "notes": section.notes, "results": section.results}
        document = replace_section(document, section.name, section.markdown(run))
    doc.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(stored, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    doc.write_text(document, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="run only this section (repeatable)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per measurement; the median is reported (default 3)")
    parser.add_argument("--quick", action="store_true", help="one repeat and smaller sizes: a smoke test of the benchmark itself")
    parser.add_argument("--no-write", action="store_true", help="print the results; leave docs/ alone")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else max(1, args.repeats)
    names = args.only or list(SECTIONS)
    settings = Settings.from_env()
    command = "python -m eval.bench " + " ".join(argv if argv is not None else sys.argv[1:])
    run = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command.strip(), "machine": machine()}
    scratch = Path(tempfile.mkdtemp(prefix="igf-rag-bench-"))
    results = []
    try:
        ctx = BenchContext(settings, scratch, repeats, args.quick)
        for name in names:
            started = time.perf_counter()
            results.append(SECTIONS[name](ctx))
            log(f"{name}: {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run["machine"] += f", {os.getloadavg()[0]:.1f} at the end"
    for section in results:
        print(section.markdown(run), end="\n\n")
    if not args.no_write:
        write_outputs(results, run)
        print(f"wrote {DOC.relative_to(PROJECT_ROOT)} and {RESULTS.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
