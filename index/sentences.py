"""Sentence vectors of every chunk, embedded at index time so re-ranking costs no model call per query.

A chunk's evidence is often one sentence among six: the best sentence's similarity to the question is
a sharper signal than the whole chunk's. Each sentence is embedded with its speaker's name, like chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.text import sentence_spans
from index.types import Chunk


@dataclass(frozen=True)
class SentenceTable:
    chunk_rows: np.ndarray  # (n,) int32: the chunk (row of the vector index) each sentence belongs to
    vectors: np.ndarray  # (n, d) float32, unit length

    def __len__(self) -> int:
        return len(self.chunk_rows)

    def select(self, keep: np.ndarray) -> "SentenceTable":
        """The sentences of the chunks where `keep` (a mask over chunk rows) is true, rows renumbered."""
        new_row = np.cumsum(keep) - 1
        mask = keep[self.chunk_rows] if len(self.chunk_rows) else np.zeros(0, dtype=bool)
        return SentenceTable(new_row[self.chunk_rows[mask]].astype(np.int32), self.vectors[mask])

    @staticmethod
    def concat(first: "SentenceTable", second: "SentenceTable", offset: int) -> "SentenceTable":
        """`second`'s chunk rows start after `offset` chunks of `first`."""
        return SentenceTable(
            np.concatenate([first.chunk_rows, second.chunk_rows + offset]).astype(np.int32),
            np.vstack([first.vectors, second.vectors]).astype(np.float32),
        )

    @staticmethod
    def empty(dimension: int) -> "SentenceTable":
        return SentenceTable(np.zeros(0, dtype=np.int32), np.zeros((0, dimension), dtype=np.float32))


def sentence_texts(chunks: list[Chunk]) -> tuple[list[int], list[str]]:
    """(chunk row, text to embed) for every sentence of every chunk, in order."""
    rows, texts = [], []
    for row, chunk in enumerate(chunks):
        for start, end in sentence_spans(chunk.text) or [(0, len(chunk.text))]:
            rows.append(row)
            texts.append(f"{chunk.speaker_name}: {chunk.text[start:end]}")
    return rows, texts


def embed_sentences(embedder, chunks: list[Chunk], batch: int = 64) -> SentenceTable:
    """Each distinct text is embedded once: a chunk's first sentence is often the previous chunk's last (the
    overlap), so about one sentence in seven repeats (105 of 727 in the bundled transcript)."""
    rows, texts = sentence_texts(chunks)
    if not texts:
        return SentenceTable.empty(embedder.dimension)
    distinct = {text: i for i, text in enumerate(dict.fromkeys(texts))}
    vectors = embedder.encode(list(distinct), batch_size=batch)
    return SentenceTable(np.asarray(rows, dtype=np.int32), vectors[[distinct[text] for text in texts]])
