"""Countries and places in the transcripts' words: which country a description names, and whether a question
mentions a speaker's country ("the Cuban deputy minister") or an audience member's place ("the participant from
Nepal"). Country names come from pycountry (ISO 3166), never from a list of the transcripts' own."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from index.text import fold
from rag.people import FUNCTION_WORDS, Token


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Folded country names (short, common and official) -> the short name."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                names[fold(value)] = country.name
    return names


@lru_cache(maxsize=1)
def _country_names_by_first_word() -> dict[str, list[tuple[int, str, str]]]:
    """First word of each folded country name (of four letters or more) -> (position in _countries(), name, country)."""
    table: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for position, (name, country) in enumerate(_countries().items()):
        if len(name) >= 4:
            table[name.split(" ")[0]].append((position, name, country))
    return dict(table)


def country_in(text: str) -> str | None:
    """The longest country name in the text (the first listed among equals). Only names whose first word is a
    word of the text can be in it, so only those are tried, in their listed order."""
    words = re.findall(r"[a-z]+", fold(text))
    folded = " " + " ".join(words) + " "
    table = _country_names_by_first_word()
    best = None
    for _, name, country in sorted({entry for word in set(words) for entry in table.get(word, ())}):
        if f" {name} " in folded and (best is None or len(name) > len(best[0])):
            best = (name, country)
    return best[1] if best else None


@lru_cache(maxsize=512)
def country_names_of(country: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([fold(country)] + [n for n, c in _countries().items() if c == country]))


def mentions_country(country: str, tokens: list["Token"]) -> bool:
    """The country's name or its adjective ("Cuban", "Nigerian", "Kuwaiti", "Norwegian")."""
    for name in country_names_of(country):
        parts = name.split()
        if len(parts) > 1:
            if f" {name} " in " " + " ".join(t.folded for t in tokens) + " ":
                return True
            continue
        # "Norwegian" and "Norway" share all but the last two letters of the name.
        need = max(4, len(name) - 2)
        if any(t.capitalised and len(t.folded) >= need and t.folded[:need] == name[:need] and len(t.folded) - len(name) <= 4 for t in tokens):
            return True
    return False


@lru_cache(maxsize=1)
def _countries_by_prefix() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = defaultdict(set)
    for name, country in _countries().items():
        if len(name) >= 4:
            table[name.split()[0][:4]].add(country)
    return {prefix: frozenset(countries) for prefix, countries in table.items()}


def countries_named(tokens: list["Token"]) -> set[str]:
    """Every country the words name or describe ("Brazilian", "Zambia's"), of any speaker or none."""
    table = _countries_by_prefix()
    possible = {c for t in tokens if t.capitalised for c in table.get(t.folded[:4], ())}
    return {c for c in possible if mentions_country(c, tokens)}


def mentions_place(place: str, tokens: list["Token"]) -> bool:
    words = place_words(place)
    return any(t.capitalised and t.folded in words for t in tokens)


@lru_cache(maxsize=4096)  # many speakers share a place or an organisation; matching asks for their words per question
def place_words(place: str) -> frozenset[str]:
    words = {w for w in re.findall(r"[a-z]+", fold(place)) if w not in FUNCTION_WORDS and len(w) > 3}
    return frozenset(words - {"ministry", "government", "affairs", "foreign", "office", "minister", "university"})

