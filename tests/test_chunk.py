"""Chunking invariants on the real transcript, measured with the embedding model's own tokenizer."""

from __future__ import annotations

import pytest

from index.chunk import chunk_turns
from index.parse import parse_file, parse_text


@pytest.fixture(scope="module")
def transcript(seed_path):
    return parse_file(seed_path)


@pytest.mark.parametrize("max_tokens", [48, 160, 254])
def test_chunks_stay_inside_their_turn_and_fit_the_model(transcript, embedder, max_tokens):
    chunks = chunk_turns(transcript.turns, transcript.session.title, embedder.count_tokens, max_tokens)
    turns = {t.turn_no: t for t in transcript.turns}
    for chunk in chunks:
        turn = turns[chunk.turn_no]
        assert turn.start_char <= chunk.start_char < chunk.end_char <= turn.end_char
        assert transcript.text[chunk.start_char : chunk.end_char] == chunk.text
        assert chunk.speaker == turn.speaker
        # The embedded text (speaker prefix included) plus [CLS]/[SEP] fits the model's window.
        assert embedder.count_tokens(chunk.embedding_text) <= max_tokens
    assert {c.turn_no for c in chunks} == set(turns)  # every turn is indexed
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_long_turns_are_split_with_overlap_and_no_gaps(transcript, embedder):
    chunks = chunk_turns(transcript.turns, transcript.session.title, embedder.count_tokens, 160, overlap_sentences=1)
    by_turn = {}
    for chunk in chunks:
        by_turn.setdefault(chunk.turn_no, []).append(chunk)
    multi = [c for c in by_turn.values() if len(c) > 1]
    assert multi, "the long panel turns must be split"
    pairs = [(a, b) for windows in multi for a, b in zip(windows, windows[1:])]
    for a, b in pairs:
        assert b.end_char > a.end_char  # windows always move forward
        assert not transcript.text[a.end_char : b.start_char].strip()  # and drop no text between them
    overlapping = sum(b.start_char < a.end_char for a, b in pairs)
    # Overlap is dropped only where a long sentence would leave no room for new text.
    assert overlapping >= 0.8 * len(pairs)


def test_one_giant_sentence_is_cut_to_fit(embedder):
    text = ">> ANA: " + " ".join(f"word{i}" for i in range(3000)) + "\n"
    transcript = parse_text(text, source="giant.txt")
    chunks = chunk_turns(transcript.turns, "t", embedder.count_tokens, 64)
    assert len(chunks) > 10
    for chunk in chunks:
        assert embedder.count_tokens(chunk.embedding_text) <= 64
    covered = "".join(c.text for c in chunks).replace(" ", "")
    assert covered == transcript.turns[0].text.replace(" ", "")
