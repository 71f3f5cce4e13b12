"""Questions embedded by ONNX Runtime: the embedding transformer exported once to an ONNX graph, then run without
torch or transformers in the answering process.

Why: importing torch and transformers took 5-8 s of the 9 s a new process needed to answer on 2 cores (transformers'
BERT import alone pulls in torch.distributed, torch._dynamo, sympy and scipy), while the answer side needs the model
only for a question and a few sentences. ONNX Runtime loads the graph in about 0.3 s and embeds a question in 4-6 ms,
against 6-8 ms for torch in bfloat16 (docs/benchmarks.md, retrieval and cold start). Ingest keeps torch: on batches its
bfloat16 model is 2x this float32 graph, and 1.05x an int8 copy of it (docs/benchmarks.md, ingest).

The graph is the float32 model with mean pooling (and normalisation when the model has it) inside it. It is kept in
the model cache under a fingerprint of the model's files, written atomically, and used only after its vectors agreed
with torch's on texts the export did not see. An ONNX file is a protobuf: loading it runs no pickled Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from index.embed import (FROZEN_MIN_COSINE, TRACE_EXAMPLE, UNSEEN_TEXTS, QueryCache, mean_pooling_layout, quiet_tracing,
                         resolve_model_path, token_batches)

GRAPH_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
INFO_FILE = "graph.json"
# Bumped when the exported graph's inputs, outputs or pooling change, so older exports are not reused.
GRAPH_FORMAT = 1


class GraphUnavailable(RuntimeError):
    """The model cannot be run as a question graph here; the message says why (callers fall back to torch)."""


def model_fingerprint(model_path: Path) -> str:
    """Changes when any file of the model directory changes (name, size or modification time) or the graph format does."""
    digest = hashlib.sha256(f"format {GRAPH_FORMAT}".encode())
    for path in sorted(p for p in model_path.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(model_path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def graph_dir(cache_root: Path, model_name: str) -> Path:
    model_path = Path(resolve_model_path(model_name))
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(model_name.rstrip("/")).name)
    return cache_root / f"query-graph-{slug}-{model_fingerprint(model_path)}"


def ensure_query_graph(cache_root: Path, model_name: str) -> Path:
    """The directory of the model's question graph, exported first when the cache lacks it (about 6 s, once)."""
    target = graph_dir(cache_root, model_name)
    if (target / INFO_FILE).exists():
        return target
    from filelock import FileLock

    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cache_root / "query-graph.lock")):
            if (target / INFO_FILE).exists():
                return target
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_root))
            staging.chmod(0o755)  # mkdtemp's 0700 would hide the cache from other users of a shared data directory
            try:
                export_query_graph(Path(resolve_model_path(model_name)), staging)
                shutil.rmtree(target, ignore_errors=True)  # a graph without its info file is unfinished or damaged
                os.replace(staging, target)  # readers find the whole graph or none of it
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        raise GraphUnavailable(f"cannot write the question graph to {cache_root}: {error.strerror or error}") from error
    return target


def export_query_graph(model_path: Path, directory: Path) -> None:
    """Export the model (float32, mean pooling inside) to `directory` and check it against torch, or raise GraphUnavailable."""
    layout = mean_pooling_layout(model_path)
    if layout is None or not (model_path / TOKENIZER_FILE).exists():
        raise GraphUnavailable(f"{model_path} is not a transformer with mean pooling and a tokenizer.json")
    max_length, normalize = layout
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1) if normalize else pooled

    shutil.copyfile(model_path / TOKENIZER_FILE, directory / TOKENIZER_FILE)
    tokenizer = question_tokenizer(directory, max_length)
    model = Pooled(AutoModel.from_pretrained(str(model_path), dtype=torch.float32, trust_remote_code=False).eval())
    example = _model_inputs(tokenizer.encode_batch(TRACE_EXAMPLE))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    try:
        with quiet_tracing(), torch.no_grad():
            # The TorchScript-based exporter: 1.3 s and no onnxscript, where torch.export's took 11 s. It warns that it
            # is deprecated and that traced branches are constants: the check below is what decides.
            inputs = _model_inputs(tokenizer.encode_batch(UNSEEN_TEXTS))
            expected = model(**{n: torch.from_numpy(inputs[n]) for n in names}).numpy()  # before: exporting changes the model
            torch.onnx.export(model, tuple(torch.from_numpy(example[n]) for n in names), str(directory / GRAPH_FILE),
                              input_names=names, output_names=["embedding"], opset_version=17, dynamo=False,
                              dynamic_axes={**{n: {0: "texts", 1: "tokens"} for n in names}, "embedding": {0: "texts"}})
    except Exception as error:  # noqa: BLE001 - any exporter failure leaves questions on torch
        raise GraphUnavailable(f"exporting {model_path.name} to ONNX failed: {error}") from error
    graph = QueryGraph(directory, max_length)
    agreement = _min_cosine(np.vstack([graph.encode([text]) for text in UNSEEN_TEXTS] + [graph.encode(UNSEEN_TEXTS)]),
                            np.vstack([expected, expected]))
    if agreement < FROZEN_MIN_COSINE:
        raise GraphUnavailable(f"the ONNX graph of {model_path.name} disagrees with torch (cosine {agreement:.6f})")
    info = {"format": GRAPH_FORMAT, "model": str(model_path), "max_length": max_length, "normalize": normalize,
            "dimension": int(expected.shape[1]), "min_cosine_to_torch": agreement}
    (directory / INFO_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(1).min())


def question_tokenizer(directory: Path, max_length: int):
    """The model's own fast tokeniser (tokenizers, no transformers): special tokens added, truncated to the model's limit."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
    tokenizer.no_padding()  # tokenizer.json may pad every text to a fixed length; batches pad to their longest text
    tokenizer.enable_truncation(max_length)
    return tokenizer


def _model_inputs(encodings) -> dict[str, np.ndarray]:
    """The graph's inputs for tokenised texts, padded to the longest."""
    ids = np.zeros((len(encodings), max(len(e.ids) for e in encodings)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


class QueryGraph:
    """What answering needs of an embedder (`dimension`, `encode`, `encode_query`), run by ONNX Runtime."""

    def __init__(self, directory: Path, max_length: int | None = None, threads: int = 0):
        import onnxruntime

        info = json.loads((directory / INFO_FILE).read_text(encoding="utf-8")) if (directory / INFO_FILE).exists() else {}
        self.max_length = max_length or int(info["max_length"])
        self.directory = directory
        self.tokenizer = question_tokenizer(directory, self.max_length)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        # Worker threads that spin after a call take the cores the rest of the answer (search, scoring) runs on.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(directory / GRAPH_FILE), options, providers=["CPUExecutionProvider"])
        self.dimension = int(info.get("dimension") or self.session.get_outputs()[0].shape[-1])
        self.precision = "fp32"
        self.encode_query = QueryCache(self.encode, maxsize=1024)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self.tokenizer.encode_batch(texts)
        for rows in token_batches([len(e.ids) for e in encodings], batch_size):
            vectors[rows] = self.session.run(None, _model_inputs([encodings[i] for i in rows]))[0]
        return vectors


def load_query_encoder(settings):
    """The question encoder of `settings`: the ONNX graph (exported on first use), or the torch Embedder when the
    settings ask for torch or the model cannot be exported (the reason is logged)."""
    if settings.query_backend == "onnx":
        try:
            directory = ensure_query_graph(settings.model_cache, settings.embedding_model)
            try:
                return QueryGraph(directory)
            except Exception:  # noqa: BLE001 - ONNX Runtime's load errors have no common type; the cache is ours to redo
                shutil.rmtree(directory, ignore_errors=True)
                return QueryGraph(ensure_query_graph(settings.model_cache, settings.embedding_model))
        except GraphUnavailable as error:
            import logging

            logging.getLogger(__name__).warning("questions are embedded with torch: %s", error)
    from index.embed import Embedder

    return Embedder(settings.embedding_model, precision=settings.embedding_precision)
