"""Index persistence: round trip, manifest checks, checksums, atomic generations."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from index.ingest import ingest, index_is_fresh
from index.settings import Settings
from index.store import CURRENT, IndexCorrupt, IndexMismatch, IndexMissing, load_index


@pytest.fixture()
def home_settings(tmp_path, settings):
    return dataclasses.replace(settings, home=tmp_path / "home")


def test_round_trip(settings, seed_path):
    index = load_index(settings)
    assert index.vectors.ntotal == len(index.chunks) > 100
    assert len(index.turns) == 86
    assert index.manifest.sessions[0].title.startswith("IGF 2023")
    text = seed_path.read_text(encoding="utf-8")
    for chunk in index.chunks:
        assert text[chunk.start_char : chunk.end_char] == chunk.text
    vector = index.vectors.reconstruct(0)
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-4)


def test_manifest_records_model_chunker_and_sources(settings, seed_path):
    import hashlib

    manifest = load_index(settings).manifest
    assert manifest.embedding_model == settings.embedding_model
    assert manifest.dimension == 384
    assert manifest.chunk_tokens == settings.chunk_tokens
    assert manifest.sessions[0].sha256 == hashlib.sha256(seed_path.read_bytes()).hexdigest()
    assert set(manifest.files) >= {"vectors.faiss", "chunks.jsonl", "turns.jsonl"}


def test_mismatched_configuration_is_an_error(settings):
    other = dataclasses.replace(settings, chunk_tokens=settings.chunk_tokens - 10)
    with pytest.raises(IndexMismatch, match="chunk_tokens"):
        load_index(other)
    other_model = dataclasses.replace(settings, embedding_model="some/other-model")
    with pytest.raises(IndexMismatch, match="embedding_model"):
        load_index(other_model)
    assert not index_is_fresh(other, [settings.home])


def test_an_index_built_by_another_transcript_reader_is_rebuilt(home_settings, seed_path, embedder):
    # Turns and speaker names come from index/parse.py: an index it did not build holds stale ones ("Adebayo‑okafor").
    ingest([seed_path], home_settings, embedder)
    assert index_is_fresh(home_settings, [seed_path])
    [current] = home_settings.index_dir.rglob("manifest.json")  # the one live generation
    data = json.loads(current.read_text())
    data["parse_rules"] = "an older reader"
    current.write_text(json.dumps(data))
    with pytest.raises(IndexMismatch, match="transcript reader"):
        load_index(home_settings)
    assert not index_is_fresh(home_settings, [seed_path])


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissing, match="igf-rag ingest"):
        load_index(Settings(home=tmp_path))


def test_reingest_unchanged_file_does_no_work(home_settings, seed_path, embedder):
    first = ingest([seed_path], home_settings, embedder)
    assert first.added and first.chunks_embedded > 0
    assert index_is_fresh(home_settings, [seed_path])
    generation = (home_settings.index_dir / CURRENT).read_text()
    second = ingest([seed_path], home_settings, embedder)
    assert second.unchanged == first.added and second.chunks_embedded == 0
    assert (home_settings.index_dir / CURRENT).read_text() == generation


def test_corrupted_file_is_detected_by_checksum(home_settings, seed_path, embedder):
    ingest([seed_path], home_settings, embedder)
    index = load_index(home_settings)
    chunks_file = index.path / "chunks.jsonl"
    chunks_file.write_bytes(chunks_file.read_bytes()[:-100])  # truncated
    with pytest.raises(IndexCorrupt, match="checksum.*rebuild"):
        load_index(home_settings)


def test_bad_file_leaves_index_untouched(home_settings, seed_path, embedder, tmp_path):
    ingest([seed_path], home_settings, embedder)
    before = load_index(home_settings)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not text")
    report = ingest([bad], home_settings, embedder)
    assert report.errors and "not valid UTF-8" in report.errors[0]
    after = load_index(home_settings)
    assert after.path == before.path and len(after.chunks) == len(before.chunks)


def test_generation_dirs_do_not_pile_up(home_settings, seed_path, embedder, tmp_path):
    ingest([seed_path], home_settings, embedder)
    extra = tmp_path / "extra.txt"
    extra.write_text("Ana Silva: The Pacific islands need submarine cables.\n", encoding="utf-8")
    ingest([extra], home_settings, embedder)
    generations = [p for p in home_settings.index_dir.iterdir() if p.is_dir()]
    assert len(generations) == 1
    manifest = json.loads((generations[0] / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2
