"""Split turns into chunks that fit the embedding model, never crossing a turn."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from index.text import sentence_spans
from index.types import Chunk, Turn

TokenCounter = Callable[[str], int]


def chunk_turns(
    turns: Iterable[Turn],
    session_title: str,
    count_tokens: TokenCounter,
    max_tokens: int,
    overlap_sentences: int = 1,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    # A sentence is counted when it is fitted and again when windows are formed, and speakers' prefixes repeat:
    # tokenising is most of chunking's time.
    count_tokens = lru_cache(maxsize=4096)(count_tokens)
    for turn in turns:
        prefix_tokens = count_tokens(f"{turn.speaker_name}: ")
        budget = max_tokens - prefix_tokens
        windows = _windows(turn.text, count_tokens, budget, overlap_sentences)
        for i, (start, end) in enumerate(windows):
            chunks.append(
                Chunk(
                    chunk_id=f"{turn.session_id}:{turn.turn_no}:{i}",
                    session_id=turn.session_id,
                    session_title=session_title,
                    speaker=turn.speaker,
                    speaker_name=turn.speaker_name,
                    turn_no=turn.turn_no,
                    start_char=turn.start_char + start,
                    end_char=turn.start_char + end,
                    text=turn.text[start:end],
                )
            )
    return chunks


def _windows(text: str, count_tokens: TokenCounter, budget: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy windows of whole sentences within `budget` tokens; consecutive windows share `overlap` sentences."""
    pieces = [p for s in sentence_spans(text) for p in _fit(text, s, count_tokens, budget)]
    if not pieces:
        return []
    sizes = [count_tokens(text[a:b]) for a, b in pieces]
    windows, first = [], 0
    while first < len(pieces):
        last, used = first, sizes[first]
        while last + 1 < len(pieces) and used + sizes[last + 1] + 1 <= budget:
            last += 1
            used += sizes[last]
        # A window is measured as one string, which can tokenise differently from the sum of its parts. Once, not at
        # every sentence added: a longer string never has fewer tokens, and tokenising is most of chunking's time.
        while last > first and count_tokens(text[pieces[first][0] : pieces[last][1]]) > budget:
            last -= 1
        windows.append((pieces[first][0], pieces[last][1]))
        if last + 1 >= len(pieces):
            break
        first = max(last + 1 - overlap, first + 1)
        # An overlap that would not leave room for new text is dropped.
        if first <= last and sum(sizes[first : last + 2]) > budget:
            first = last + 1
    return windows


def _fit(text: str, span: tuple[int, int], count_tokens: TokenCounter, budget: int) -> list[tuple[int, int]]:
    """A sentence longer than the budget is cut at word boundaries."""
    start, end = span
    if count_tokens(text[start:end]) <= budget:
        return [span]
    pieces, piece_start, last_fit = [], start, None
    for match in re.finditer(r"\S+", text[start:end]):
        word_end = start + match.end()
        if count_tokens(text[piece_start:word_end]) <= budget:
            last_fit = word_end
            continue
        if last_fit is None:  # one "word" longer than the budget: cut it by characters
            cut = piece_start + max(1, budget)
            while cut > piece_start + 1 and count_tokens(text[piece_start:cut]) > budget:
                cut -= max(1, (cut - piece_start) // 4)
            last_fit = cut
        pieces.append((piece_start, last_fit))
        piece_start = last_fit
        while piece_start < end and text[piece_start].isspace():
            piece_start += 1
        last_fit = None
        if count_tokens(text[piece_start:word_end]) <= budget:
            last_fit = word_end
    if piece_start < end:
        pieces.append((piece_start, end))
    return [p for p in pieces if text[p[0] : p[1]].strip()]
