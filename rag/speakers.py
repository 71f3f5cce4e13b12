"""Who is who in the indexed sessions, and which speaker a name or alias means."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.text import fold, speaker_key
from index.types import Turn

GENERIC_SPEAKERS = {"AUDIENCE", "UNKNOWN", "MODERATOR"}


@dataclass
class Speaker:
    key: str
    name: str
    turns: int = 0
    aliases: set[str] = field(default_factory=set)  # folded forms that name this speaker


class SpeakerDirectory:
    def __init__(self, turns: list[Turn]):
        self.speakers: dict[str, Speaker] = {}
        for turn in turns:
            speaker = self.speakers.setdefault(turn.speaker, Speaker(turn.speaker, _base_name(turn)))
            speaker.turns += 1
            speaker.aliases.update(_aliases(turn))
        self._by_alias: dict[str, set[str]] = {}
        for speaker in self.speakers.values():
            for alias in speaker.aliases:
                self._by_alias.setdefault(alias, set()).add(speaker.key)

    def resolve(self, name: str) -> set[str]:
        """Speaker keys that `name` can mean: full name, surname, first name, or key."""
        folded = fold(name)
        if not folded:
            return set()
        if folded in self._by_alias:
            return set(self._by_alias[folded])
        return {k for alias, keys in self._by_alias.items() if folded in alias.split(" ") or alias.startswith(folded) for k in keys}

    def names(self) -> list[str]:
        return sorted(s.name for s in self.speakers.values())


def _base_name(turn: Turn) -> str:
    return turn.speaker.title() if turn.speaker in GENERIC_SPEAKERS else turn.speaker_name


def _aliases(turn: Turn) -> set[str]:
    name = fold(_base_name(turn))
    aliases = {name, fold(turn.speaker), fold(speaker_key(turn.speaker_name))}
    parts = name.split()
    if turn.speaker not in GENERIC_SPEAKERS and len(parts) > 1:
        aliases.update(parts)
    return {a for a in aliases if a}
