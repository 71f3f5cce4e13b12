"""Data passed between the indexing stages: parse -> chunk -> embed -> store."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Turn:
    """One speaker turn, with its exact place in the source text."""

    session_id: str
    turn_no: int  # 1-based, in file order
    line_no: int  # 1-based line of the turn's header
    speaker: str  # match key: upper case, no accents ("ERNESTO RODRIGUEZ HERNANDEZ", "AUDIENCE", "UNKNOWN")
    speaker_name: str  # display label ("Ernesto Rodriguez Hernández", "Audience (Jinson Alufi, Abuja, Nigeria)")
    start_char: int  # offsets into the decoded source text (code points); text == source[start:end]
    end_char: int
    text: str


@dataclass(frozen=True)
class Session:
    session_id: str
    title: str
    source: str  # path as given at ingest time
    sha256: str


@dataclass(frozen=True)
class Transcript:
    session: Session
    turns: list[Turn]
    text: str  # the whole decoded source, for verbatim display


@dataclass(frozen=True)
class Chunk:
    """A window of one turn: never crosses a speaker turn."""

    chunk_id: str
    session_id: str
    session_title: str
    speaker: str
    speaker_name: str
    turn_no: int
    start_char: int
    end_char: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def embedding_text(self) -> str:
        # Naming the speaker in the embedded text lets "what did X say" queries match X's turns.
        return f"{self.speaker_name}: {self.text}"
