"""Text normalisation for matching (never for display)."""

from __future__ import annotations

import re
import unicodedata

# U+2010..U+2015 hyphens and dashes, U+2212 minus, soft hyphen: all match an ASCII hyphen.
_HYPHENS = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")


def strip_accents(text: str) -> str:
    if text.isascii():  # nothing to strip; the common case, and BM25 indexing folds every chunk
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return _NON_ASCII.sub(_drop_combining, decomposed)  # combining marks are never ASCII


def _drop_combining(match: re.Match) -> str:
    return "" if unicodedata.combining(match.group()) else match.group()


def fold(text: str) -> str:
    """Case-, accent-, hyphen- and whitespace-insensitive form of `text`."""
    text = strip_accents(text).translate(_HYPHENS).translate(_QUOTES).lower()
    return _SPACE.sub(" ", text).strip()


def speaker_key(name: str) -> str:
    return _SPACE.sub(" ", strip_accents(name).translate(_HYPHENS).upper()).strip()


def words(text: str) -> list[str]:
    """Folded word tokens; thousands separators are dropped ("9,126" -> "9126")."""
    tokens = _WORD.findall(fold(text))
    return [(_THOUSANDS.sub("", t) if "," in t else t).rstrip(".,'") for t in tokens]


_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|vs|etc|e\.g|i\.e|No)\.$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, trailing whitespace excluded."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        if _ABBREVIATION.search(text, max(start, end - 6), end):
            continue
        while end > start and text[end - 1].isspace():
            end -= 1
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    tail_end = len(text.rstrip())
    if text[start:tail_end].strip():
        spans.append((start, tail_end))
    return spans
