"""Who speaks in a session, as the speaker directory (rag.speakers) knows them: the data passed between the
modules that derive it (rag.introductions), match it in questions (rag.mentions) and use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.text import fold

AUDIENCE, UNKNOWN, MODERATOR = "AUDIENCE", "UNKNOWN", "MODERATOR"
GENERIC_SPEAKERS = {AUDIENCE, UNKNOWN, MODERATOR}
FUNCTION_WORDS = frozenset("of the for and on in at to a an de del la le".split())


@dataclass
class Speaker:
    session_id: str
    key: str  # speaker key of the turn headers; AUDIENCE for audience members
    name: str  # display name
    kind: str  # "panelist", "moderator", "audience", "unknown"
    turn_nos: list[int] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)  # folded names: full name, first name, surname, short forms
    role: str | None = None  # "Director of the GFC, Global Forum on Cyber Expertise"
    organisation: str | None = None
    country: str | None = None
    place: str | None = None  # audience members: where they said they are from
    acronyms: set[str] = field(default_factory=set)  # folded: "gfc", "gfce", "eff"
    co_moderator: bool = False
    introduced_by: str | None = None  # speaker key of the introducer
    introductions: list[tuple[int, int]] = field(default_factory=list)  # character spans in the session text
    gender: str | None = None  # "he" or "she" when the transcript's introduction of them says it

    @property
    def turns(self) -> int:
        return len(self.turn_nos)

    @property
    def last_turn(self) -> int | None:
        return max(self.turn_nos) if self.turn_nos else None

    @property
    def is_audience_member(self) -> bool:
        return self.key == AUDIENCE

    def description(self) -> str | None:
        """One line for citations and listings: "Co-moderator; chef D'entreprise, POST"."""
        parts = []
        if self.kind == "moderator":
            parts.append("Co-moderator" if self.co_moderator else "Moderator")
        if self.is_audience_member:
            parts.append("Audience member")
            if self.place:
                parts.append(self.place)
        elif self.role:
            organisation = self.organisation
            known = organisation is None or fold(organisation).replace("'s", "") in fold(self.role).replace("'s", "")
            parts.append(self.role if known else f"{self.role}, {organisation}")
        elif self.organisation:
            parts.append(self.organisation)
        text = "; ".join(parts)
        if self.country and fold(self.country) not in fold(text):
            text = f"{text} ({self.country})" if text else self.country
        return text or None


@dataclass(frozen=True)
class Token:
    """A word of a question, as the speaker matching (rag.mentions) and place matching (rag.places) read it."""

    text: str
    folded: str
    capitalised: bool
    upper: bool


@dataclass(frozen=True)
class Match:
    speaker: Speaker
    score: float
    how: str  # "name", "organisation", "role", "country", "moderator"


def title_initials(title: str) -> str:
    """"Chief Information Officer": cio; "Chief Executive": ceo, the officer that "Chief X" titles leave unsaid."""
    parts = title.split()
    initials = "".join(w[0] for w in parts).lower()
    return initials + "o" if parts and parts[0].lower() == "chief" and parts[-1].lower() != "officer" else initials

