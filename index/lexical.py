"""Keyword (BM25) side of the index: one tokenizer for chunks and questions, and the bm25s model built on it.

The tokens are folded words (accents, case, hyphens and thousands separators normalised, so "9,126" and
"9126" meet) without English stop words, with a light suffix rule so that "negotiations" meets "negotiation".
Changing the tokenizer changes LEXICAL_VERSION, which makes the loader rebuild the persisted model.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from index.text import words

LEXICAL_VERSION = "words-stop-s1"


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: BM25 indexing of 250,000 chunks stems ~40 million
def stem(word: str) -> str:
    """Strip one common English inflection; numbers and short words stay as they are."""
    if word[:1].isdigit() or len(word) <= 3:
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("ing"):
        return word[:-3]
    if word.endswith("ed") or word.endswith("es"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    stopwords = _stopwords()
    return [stem(w) for w in words(text) if w not in stopwords]


def build_bm25(texts: list[str]):
    """A bm25s model over `texts` (row i <-> texts[i]); None for an empty corpus."""
    import bm25s

    if not texts:
        return None
    model = bm25s.BM25()
    model.index([tokenize(t) for t in texts], show_progress=False)
    return model


def save_bm25(model, directory: Path) -> None:
    # allow_pickle=False: the files are plain .npy arrays and JSON, never pickles.
    model.save(str(directory), allow_pickle=False, show_progress=False)


def load_bm25(directory: Path):
    import bm25s

    return bm25s.BM25.load(str(directory), allow_pickle=False, mmap=False, show_progress=False)


def bm25_scores(model, question: str, rows: int):
    """BM25 score of every row for `question` (zeros when no question word is in the vocabulary)."""
    import numpy as np

    if model is None:
        return np.zeros(rows, dtype=np.float32)
    tokens = [t for t in tokenize(question) if t in model.vocab_dict]
    if not tokens:
        return np.zeros(rows, dtype=np.float32)
    return np.asarray(model.get_scores(tokens), dtype=np.float32)
