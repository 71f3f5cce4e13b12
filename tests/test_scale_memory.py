"""What keeps a large index's memory small, checked on the real transcript's index: reading stored sentence
vectors row by row (never through the memory map, never all of them) gives exactly the stored rows."""

from __future__ import annotations

import numpy as np

from index.store import load_index, read_rows


def test_read_rows_is_the_stored_rows(settings):
    table = load_index(settings).sentences
    assert isinstance(table.vectors, np.memmap)
    everything = np.asarray(table.vectors).copy()
    rng = np.random.default_rng(0)
    for size in (1, 7, len(everything) // 3, len(everything)):
        rows = np.unique(rng.integers(0, len(everything), size))
        assert np.array_equal(read_rows(table.vectors, rows), everything[rows])
    assert np.array_equal(read_rows(everything, np.array([2, 0])), everything[[2, 0]])  # not a memory map, any order
    assert read_rows(table.vectors, np.zeros(0, dtype=np.int64)).shape == (0, everything.shape[1])


def test_answer_sentence_vectors_read_on_demand_are_the_chunks_rows(pipeline):
    from rag.evidence import SentenceVectors

    index = pipeline.index
    vectors = SentenceVectors(index, pipeline.embedder)
    everything = np.asarray(index.sentences.vectors)
    for row, chunk in enumerate(index.chunks):
        expected = everything[np.flatnonzero(index.sentences.chunk_rows == row)]
        assert np.array_equal(vectors.stored(chunk.chunk_id), expected)
    assert vectors.stored("no such chunk") is None
