"""All tunable settings in one place.

Defaults live in the dataclass; environment variables `IGF_RAG_<FIELD>` override them,
and CLI flags override both (see `Settings.with_overrides`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
GENERATORS = ("causal", "seq2seq", "extractive")
RETRIEVERS = ("dense", "bm25", "hybrid")
FUSIONS = ("rrf", "weighted")
SPEAKER_ROUTINGS = ("boost", "filter", "off")
EMBEDDING_PRECISIONS = ("bf16", "fp32")
QUERY_BACKENDS = ("onnx", "torch")


# OpenMP threads that spin while waiting make torch 10-40x slower whenever the cores are shared (another
# process, a second request); sleeping waiters cost little when the cores are idle. Read when torch
# loads, so it is set here, before any module imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _default_home() -> Path:
    return Path(os.environ.get("IGF_RAG_HOME") or PROJECT_ROOT / ".igf-rag")


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=_default_home)
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    # The embedding transformer runs in bfloat16 (2-3x float32 throughput, cosine >= 0.9999 to float32 vectors;
    # docs/benchmarks.md, ingest) where the CPU does bfloat16 natively, else in float32. The index manifest records
    # which one built the vectors; querying with the other is allowed (rankings are the same to within 1e-4 cosine).
    embedding_precision: str = "bf16"
    # What embeds questions (and the few sentences answering embeds): "onnx", the same model exported once to an ONNX
    # graph run by ONNX Runtime in float32 (index/query_graph.py: no torch import, so a new process answers in about
    # 1 s instead of 9, and 4-6 ms a question), or "torch", the ingest model itself. Ingest always runs torch.
    query_backend: str = "onnx"
    # Word pieces per chunk, speaker prefix included; the embedder reads at most 256 (254 + 2 special).
    chunk_tokens: int = 160
    chunk_overlap_sentences: int = 1
    retriever: str = "hybrid"
    # How hybrid retrieval merges dense and BM25 rankings: reciprocal rank fusion, or a weighted sum of the
    # dense cosine and the max-normalised BM25 score (fusion_dense_weight on the dense side).
    fusion: str = "rrf"
    fusion_dense_weight: float = 0.5
    # A question that names a speaker (name, role, organisation) lifts that speaker's passages ("boost"),
    # keeps only them ("filter"), or is treated like any other ("off"). Measured by python -m eval.ablation.
    speaker_routing: str = "boost"
    # Re-rank the fused candidates with sentence-level similarity (sentence vectors stored at index time).
    rerank: bool = True
    retrieve_k: int = 10
    # Passages whose sentences are searched for the answer (the best of them go to the generator).
    context_k: int = 6
    # Sentences of those passages given to the generator: the best-supporting ones, not whole chunks.
    evidence_sentences: int = 3
    # Extractive by default: on the development transcripts SmolLM2-135M ("causal") is no more accurate (its reply
    # passes the grounding check for 9-31% of the answers it is asked for; the rest show the same quote) at 1.2 s a
    # median answer instead of about 50 ms, and with copy_spans its words are kept but accuracy drops (docs/eval.md).
    generator: str = "extractive"
    causal_model: str = "smollm2"
    # What runs the causal model: "onnx" (onnxruntime-genai, the model exported once into the data directory) or
    # "torch" (transformers' generate()). Measured by make bench (docs/benchmarks.md): onnx is the faster.
    causal_runtime: str = "onnx"
    seq2seq_model: str = "google/flan-t5-base"
    # The causal/seq2seq reply ends at its first sentence; max_new_tokens caps a sentence that runs on.
    max_new_tokens: int = 32
    # copy_spans: the model may only copy a contiguous run of words from one excerpt (constrained decoding), so its
    # words pass the grounding check (SmolLM2: 9 in 10 of its replies instead of 1 in 6) -- but it picks worse spans than
    # the sentence scorer (development transcripts: accuracy several points lower, docs/eval.md), so it is off by default.
    # generation_examples: two worked examples in the chat prompt before the question; they help copy_spans pick a short
    # phrase, but free decoding then echoes them and accepts more wrong replies (eval accuracy 0.624 vs 0.651 without).
    copy_spans: bool = False
    generation_examples: bool = False
    # Torch threads for one generation (0: torch's default). Decoding a 135M model token by token is overhead-bound;
    # on the shared machine one thread was 5.7x faster than two in one interleaved probe and 1.25x slower in another,
    # so the default is unchanged until it is measured on a quiet machine.
    generation_threads: int = 0
    # The answer is "not covered" (rag/abstain.py) when the closest passage's similarity is below abstain_threshold
    # (the best of chunk and sentence cosines), when less than abstain_min_coverage of the question's focus words
    # (IDF-weighted) occur in the searched passages, or (abstain_on_answer_type) when no sentence about the question's
    # names and numbers states the kind of thing it asks for (an amount for "how much", a year for "which year").
    # Chosen by python -m eval.loto on the five development transcripts (eval/transcripts/), each transcript scored with
    # the values chosen on the other four; these defaults are the values chosen on all five (docs/eval.md, "held-out").
    # Whatever these values, a question none of whose key words occur in the passages ("a recipe for chocolate cake")
    # is refused (rag.abstain.refusal): a rule, not tuned on any set.
    abstain_threshold: float = 0.28
    abstain_min_coverage: float = 0.35
    abstain_on_answer_type: bool = True
    # A name found in more than this share of the passages (the forum, the UN, the internet) runs through the
    # transcripts: it is their setting, not the name a "which organisation" or "where" question asks for.
    name_max_share: float = 0.03
    # Above this many chunks the vector index is approximate (HNSW): exact search grows with the corpus,
    # HNSW stays near-constant. hnsw_ef_search trades speed for recall (eval.bench measures recall@10).
    hnsw_threshold: int = 50_000
    hnsw_ef_search: int = 1024
    max_question_chars: int = 500
    max_k: int = 50
    host: str = "127.0.0.1"
    port: int = 7860
    # A server bound beyond this machine (shared) takes at most rate_limit_burst questions or uploads in a row
    # from one client address, refilled at rate_limit_per_minute; 0 turns the limit off (docs/security.md).
    rate_limit_per_minute: int = 10
    rate_limit_burst: int = 5

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def model_cache(self) -> Path:
        return self.home / "models"

    @property
    def speaker_cache(self) -> Path:
        """Speaker directory entries derived per session (rag.speakers), reused while a session's turns are unchanged."""
        return self.home / "cache" / "speakers.json"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"IGF_RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f, raw)
        return cls(**values)

    def with_overrides(self, **overrides) -> "Settings":
        """Return a copy with every override that is not None applied (CLI flags)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = dataclasses.replace(self, **given)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.causal_runtime not in ("onnx", "torch"):
            raise ValueError(f"causal_runtime must be onnx or torch, not {self.causal_runtime!r}")
        if self.generator not in GENERATORS:
            raise ValueError(f"generator must be one of {', '.join(GENERATORS)}, not {self.generator!r}")
        if self.embedding_precision not in EMBEDDING_PRECISIONS:
            raise ValueError(f"embedding_precision must be one of {', '.join(EMBEDDING_PRECISIONS)}, not {self.embedding_precision!r}")
        if self.query_backend not in QUERY_BACKENDS:
            raise ValueError(f"query_backend must be one of {', '.join(QUERY_BACKENDS)}, not {self.query_backend!r}")
        if self.retriever not in RETRIEVERS:
            raise ValueError(f"retriever must be one of {', '.join(RETRIEVERS)}, not {self.retriever!r}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if self.speaker_routing not in SPEAKER_ROUTINGS:
            raise ValueError(f"speaker_routing must be one of {', '.join(SPEAKER_ROUTINGS)}, not {self.speaker_routing!r}")
        if not 0.0 <= self.fusion_dense_weight <= 1.0:
            raise ValueError(f"fusion_dense_weight must be between 0 and 1, not {self.fusion_dense_weight}")
        if self.rate_limit_per_minute < 0 or self.rate_limit_burst < 1:
            raise ValueError(f"rate_limit_per_minute must be 0 (off) or more and rate_limit_burst at least 1, not {self.rate_limit_per_minute} and {self.rate_limit_burst}")
        if not 1 <= self.retrieve_k <= self.max_k:
            raise ValueError(f"k must be between 1 and {self.max_k}, not {self.retrieve_k}")
        if not 16 <= self.chunk_tokens <= 254:
            raise ValueError(f"chunk_tokens must be between 16 and 254, not {self.chunk_tokens}")


def _coerce(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "Path":
            return Path(raw)
    except ValueError:
        raise ValueError(f"environment variable IGF_RAG_{f.name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
