"""Data passed between the indexing stages: parse -> chunk -> embed -> store."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)  # slots: a large index holds hundreds of thousands
class Turn:
    """One speaker turn, with its exact place in the source text."""

    session_id: str
    turn_no: int  # 1-based, in file order
    line_no: int  # 1-based line of the turn's header
    speaker: str  # match key: upper case, no accents ("ERNESTO RODRIGUEZ HERNANDEZ", "AUDIENCE", "UNKNOWN")
    speaker_name: str  # display label ("Ernesto Rodriguez Hernández", "Audience (Jinson Alufi, Abuja, Nigeria)")
    # Offsets (code points) into Transcript.text; text == Transcript.text[start:end].
    start_char: int
    end_char: int
    text: str
    # Seconds from the start of the recording, for formats that carry timings (subtitles, timed JSON).
    start_time: float | None = None
    end_time: float | None = None


@dataclass(frozen=True)
class Session:
    session_id: str
    title: str
    source: str  # path as given at ingest time
    sha256: str
    date: str | None = None  # as precise as the title allows: "2023-10-10", "2023 Day 2", "2023"
    session_type: str | None = None  # "Main Session", "Workshop", "Open Forum", ...


@dataclass(frozen=True)
class Transcript:
    session: Session
    turns: list[Turn]
    # For plain-text formats, the decoded source itself. Subtitle and JSON turns are joined from several
    # cues or escaped strings, so for them this is the turns rendered as "Name: text" paragraphs.
    text: str


@dataclass(frozen=True, slots=True)
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
    start_time: float | None = None  # the turn's timing, when its format has one
    end_time: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def embedding_text(self) -> str:
        # Naming the speaker in the embedded text lets "what did X say" queries match X's turns.
        return f"{self.speaker_name}: {self.text}"
