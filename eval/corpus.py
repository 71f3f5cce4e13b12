"""Question sets over a corpus of transcripts: each set is scored on an index that holds every transcript of the
corpus, so a question must find its own session among the others (the session filter and cross-session confusion
are exercised), as a user's library would be.

A question set `NAME.jsonl` belongs to the transcript `NAME.<ext>`, looked for in the folder `transcripts/` beside the
set's folder, the set's own folder, eval/transcripts/ and seeds/; the bundled set eval/questions.jsonl belongs to the
bundled transcript. The corpus index lives in `<data dir>/eval-corpus/` (built once, updated when a transcript
changes), never in the user's own index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.settings import PROJECT_ROOT, Settings

EVAL_DIR = Path(__file__).resolve().parent
TRANSCRIPTS = EVAL_DIR / "transcripts"
DEVSETS = EVAL_DIR / "devsets"
SEEDS = PROJECT_ROOT / "seeds"
BUNDLED_QUESTIONS = EVAL_DIR / "questions.jsonl"
BUNDLED = "bundled"
TRANSCRIPT_SUFFIXES = (".txt", ".vtt", ".srt", ".json", ".md", ".text")


class CorpusError(ValueError):
    """A question set without its transcript, or a corpus that cannot be indexed; the message names the file."""


@dataclass(frozen=True)
class QuestionSet:
    name: str  # the transcript's stem, or "bundled"
    questions: Path
    transcript: Path | None  # None: the questions are about whatever the index holds

    @property
    def development(self) -> bool:
        """A development transcript (eval/transcripts/), as opposed to the bundled session."""
        return self.transcript is not None and self.transcript.parent.resolve() == TRANSCRIPTS.resolve()


def bundled_transcript() -> Path:
    found = sorted(p for p in SEEDS.iterdir() if p.suffix in TRANSCRIPT_SUFFIXES)
    if len(found) != 1:
        raise CorpusError(f"{SEEDS}: expected one bundled transcript, found {len(found)}")
    return found[0]


def find_transcript(stem: str, near: Path) -> Path | None:
    for folder in (near.parent / "transcripts", near, TRANSCRIPTS, SEEDS):
        if folder.is_dir():
            found = sorted(p for p in folder.iterdir() if p.stem == stem and p.suffix.lower() in TRANSCRIPT_SUFFIXES and p.is_file())
            if found:
                return found[0]
    return None


def question_sets(paths: Iterable[Path]) -> list[QuestionSet]:
    """The question sets that `paths` name: a folder gives each `*.jsonl` in it (each needs its transcript), a file
    gives itself (with its transcript when one is found; the bundled set with the bundled transcript)."""
    sets: list[QuestionSet] = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.glob("*.jsonl"))
            if not files:
                raise CorpusError(f"{path}: the folder holds no question sets (*.jsonl)")
            for file in files:
                transcript = find_transcript(file.stem, path)
                if transcript is None:
                    raise CorpusError(f"{file}: no transcript named {file.stem}.* in {path.parent / 'transcripts'}, {path}, {TRANSCRIPTS} or {SEEDS}")
                sets.append(QuestionSet(file.stem, file, transcript))
        elif path.resolve() == BUNDLED_QUESTIONS.resolve():
            sets.append(QuestionSet(BUNDLED, path, bundled_transcript()))
        elif path.is_file():
            sets.append(QuestionSet(path.stem, path, find_transcript(path.stem, path.parent)))
        else:
            raise CorpusError(f"{path}: no such file or folder")
    names = [s.name for s in sets]
    if len(names) != len(set(names)):
        raise CorpusError(f"two question sets share a name: {sorted({n for n in names if names.count(n) > 1})}")
    return sets


def default_sets() -> list[QuestionSet]:
    """The development transcripts' sets and the bundled set: what `make eval` scores."""
    return question_sets([DEVSETS, BUNDLED_QUESTIONS])


def corpus_settings(settings: Settings) -> Settings:
    """The settings of the corpus index: its own data directory, sharing the user's converted models."""
    home = settings.home / "eval-corpus"
    home.mkdir(parents=True, exist_ok=True)
    models = home / "models"
    if not models.exists() and not models.is_symlink():
        settings.model_cache.mkdir(parents=True, exist_ok=True)
        models.symlink_to(settings.model_cache.resolve(), target_is_directory=True)
    return dataclasses.replace(settings, home=home)


def build_corpus(settings: Settings, sets: Sequence[QuestionSet], progress: Callable[[int, int], None] | None = None) -> Settings:
    """Index every set's transcript and the bundled one into the corpus index (unchanged files are not embedded
    again); returns the corpus index's settings."""
    from index.embed import Embedder
    from index.ingest import index_is_fresh, ingest
    from index.store import read_manifest

    corpus = corpus_settings(settings)
    transcripts = list(dict.fromkeys([bundled_transcript(), *(s.transcript for s in sets if s.transcript is not None)]))
    if index_is_fresh(corpus, transcripts) and {s.session_id for s in read_manifest(corpus.index_dir).sessions} == set(map(session_of, transcripts)):
        return corpus
    embedder = Embedder(corpus.embedding_model, precision=corpus.embedding_precision)
    report = ingest(transcripts, corpus, embedder, rebuild=True, progress=progress)
    if report.errors:
        raise CorpusError("; ".join(report.errors))
    return corpus


def session_of(transcript: Path) -> str:
    from index.parse import read_text, session_id_for

    _, sha = read_text(transcript)
    return session_id_for(transcript, sha)
