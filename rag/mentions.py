"""Finding speakers in free text (a question): the word -> speaker index the directory scores from, and the facets
it scores (names, organisations and their acronyms, role titles)."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from functools import lru_cache

from index.text import fold, words
from rag.people import FUNCTION_WORDS, MODERATOR, Speaker, Token
from rag.places import country_names_of, mentions_country, place_words

# Nouns that say "the person from/at ..." in a question; they carry no identity of their own.
PERSON_NOUNS = r"(?:speaker|representative|panell?ist|participant|delegate|official|member|colleague|person|expert|guest)"


class MatchIndex:
    """Which speakers (positions in `everyone`) each word can point at, for every facet `match` scores.

    Each lookup may return more speakers than match (they are then scored as before) but never fewer, so
    `match` finds exactly what scoring every speaker would, in the same order."""

    def __init__(self, everyone: list[Speaker]):
        self.everyone = everyone
        self.exact: dict[str, list[int]] = defaultdict(list)  # folded alias or key -> speakers (resolve)
        self.multi_by_first: dict[str, list[tuple[int, list[str], int]]] = defaultdict(list)  # first word -> (order, parts, speaker)
        self.single: dict[str, list[int]] = defaultdict(list)  # one-word alias -> speakers
        self.acronyms: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))  # initial -> acronym -> speakers
        self.words: dict[str, list[int]] = defaultdict(list)  # a role title's last word -> speakers
        self.capitalised_words: dict[str, list[int]] = defaultdict(list)  # words of audience members' places
        # An organisation of one word counts when it is written capitalised; of more, when two of its words are in the text.
        self.organisation_words: dict[str, list[int]] = defaultdict(list)
        self.organisation_size: dict[int, int] = {}
        self.heard: dict[str, list[int]] = defaultdict(list)  # heard_key of organisation words and word pairs
        self.by_country: dict[str, list[int]] = defaultdict(list)
        self.country_prefixes: dict[str, set[str]] = defaultdict(set)  # a country name's first four letters -> countries
        self.moderators: list[int] = []  # kind "moderator" but not the MODERATOR key
        self.online_moderators: list[int] = []  # the MODERATOR key
        self._acronym_cache: dict[str, list[int]] = {}
        order = 0
        for i, speaker in enumerate(everyone):
            for alias in speaker.aliases:
                self.exact[alias].append(i)
                if " " in alias:
                    parts = alias.split()
                    self.multi_by_first[parts[0]].append((order, parts, i))
                    order += 1
                else:
                    self.single[alias].append(i)
            if fold(speaker.key) not in speaker.aliases:
                self.exact[fold(speaker.key)].append(i)
            for acronym in speaker.acronyms:
                self.acronyms[acronym[:1]][acronym].append(i)
            if speaker.organisation:
                words = set(organisation_words(speaker.organisation))
                for word in words:
                    self.organisation_words[word].append(i)
                self.organisation_size[i] = len(words)
                for key in heard_keys(speaker.organisation):
                    self.heard[key].append(i)
            described_by = organisation_description(speaker.organisation or "")
            if described_by:
                self.words[described_by[-1]].append(i)
            if speaker.role:
                title_words = role_title(speaker.role, frozenset(speaker.acronyms))
                if title_words:
                    self.words[title_words[-1]].append(i)
                described_as = set(re.findall(r"[a-z]+", fold(f"{speaker.role} {speaker.organisation or ''}")))
                for kind, kind_words in ROLE_KINDS.items():
                    if kind_words & described_as:
                        self.words[kind].append(i)
            if speaker.country:
                self.by_country[speaker.country].append(i)
            if speaker.is_audience_member and speaker.place:
                for word in place_words(speaker.place):
                    self.capitalised_words[word].append(i)
            if speaker.kind == "moderator" and speaker.key != MODERATOR:
                self.moderators.append(i)
            if speaker.key == MODERATOR:
                self.online_moderators.append(i)
        for country in self.by_country:
            for name in country_names_of(country):
                self.country_prefixes[name.split()[0][:4]].add(country)

    def name_matches(self, tokens: list["Token"], case_sensitive: bool) -> dict[int, float]:
        """3 points for a full name, 2 for one name alone; a word that is part of a longer name matched for one
        speaker does not also count as a single name of another ("Katitza Rodriguez" is not Ernesto Rodriguez).
        Longer names are tried first, ties in directory order."""
        folded = [t.folded for t in tokens]
        starts: dict[str, list[int]] = defaultdict(list)  # word -> its positions in the text
        for position, word in enumerate(folded):
            starts[word].append(position)
        owner: dict[int, int] = {}
        points: dict[int, float] = {}
        multi = sorted((entry for word in starts for entry in self.multi_by_first.get(word, ())), key=lambda e: (-len(e[1]), e[0]))
        for _, parts, i in multi:
            for start in starts[parts[0]]:
                span = range(start, start + len(parts))
                if folded[start : start + len(parts)] == parts and all(owner.get(p, i) == i for p in span):
                    owner.update({p: i for p in span})
                    points[i] = 3.0
        positions: dict[int, list[int]] = defaultdict(list)
        for position, word in enumerate(folded):
            for i in self.single.get(word, ()):
                positions[i].append(position)
        for i in sorted(positions):
            if i in points:
                continue
            if any(owner.get(p, i) == i and (tokens[p].capitalised or not case_sensitive) for p in positions[i]):
                points[i] = 2.0
        return points

    def countries_mentioned(self, tokens: list["Token"]) -> set[str]:
        possible = {c for t in tokens for c in self.country_prefixes.get(t.folded[:4], ())}
        return {c for c in possible if mentions_country(c, tokens)}

    def candidates(self, tokens: list["Token"], countries: set[str], moderator: bool, online_moderator: bool) -> list[int]:
        """Speakers some facet other than the name could score, ascending (the order scores are added in)."""
        found: set[int] = set()
        present = {t.folded for t in tokens}
        capitalised = {t.folded for t in tokens if t.capitalised}
        organisation_hits: dict[int, int] = defaultdict(int)
        for word in present:
            found.update(self.words.get(word, ()))
            for i in self.organisation_words.get(word, ()):
                organisation_hits[i] += 1
        for word in capitalised:
            found.update(self.capitalised_words.get(word, ()))
            if len(word) >= HEARD_NAME_LETTERS and heard_key(word):
                found.update(self.heard.get(heard_key(word), ()))  # "Anatel", captioned "a natal"
        for i, hits in organisation_hits.items():
            size = self.organisation_size[i]
            organisation = self.everyone[i].organisation
            if hits >= 2 or (size == 1 and organisation_names(organisation)[0][0] in capitalised) or leading_name_word(organisation) in capitalised:
                found.add(i)
        for token in tokens:
            if token.upper:
                found.update(self._acronym_like(token.folded))
        for country in countries:
            found.update(self.by_country[country])
        if moderator:
            found.update(self.moderators)
        if online_moderator:
            found.update(self.online_moderators)
        return sorted(found)

    def _acronym_like(self, token: str) -> list[int]:
        if token not in self._acronym_cache:
            if len(self._acronym_cache) > 4096:
                self._acronym_cache.clear()
            self._acronym_cache[token] = [i for acronym, owners in self.acronyms.get(token[:1], {}).items() if acronym_like(token, acronym) for i in owners]
        return self._acronym_cache[token]



@lru_cache(maxsize=4096)
def organisation_words(organisation: str) -> tuple[str, ...]:
    """The words of the organisation's name, those written capitalised: "Tunza Mesh, a community network in Makueni
    County" is tunza, mesh, makueni, county. The description beside a name ("a community network") is what the
    session is about, and a question about the topic ("Zambia's community network window") is not about the speaker."""
    return tuple(w for run in organisation_names(organisation) for w in run)


@lru_cache(maxsize=4096)
def organisation_names(organisation: str) -> tuple[tuple[str, ...], ...]:
    """The runs of capitalised words in an organisation ("Public Algorithms Lab at the University of Marenburg": public
    algorithms lab; university marenburg), each the words that say its name."""
    runs: list[list[str]] = [[]]
    for word in re.findall(r"[^\W_]+", organisation):
        if word[:1].isupper():
            folded = fold(word)
            if folded not in FUNCTION_WORDS and len(folded) > 2 and not folded.isdigit():
                runs[-1].append(folded)
        elif fold(word) not in ("of", "and", "for"):  # "Ministry of Communications" is one name
            runs.append([])
    return tuple(tuple(run) for run in runs if run)


COMPANY_SUFFIXES = frozenset("systems group technologies technology labs inc ltd limited corporation corp company holdings solutions".split())


def leading_name_word(organisation: str) -> str | None:
    """The one word that names a company whose name is that word and generic suffixes ("Veritrace Systems":
    veritrace); None for any other name."""
    first = organisation_names(organisation)[0] if organisation_names(organisation) else ()
    return first[0] if first and set(first[1:]) <= COMPANY_SUFFIXES else None


def names_organisation(organisation: str, word: str) -> bool:
    """An organisation of one name word is that word only when it leads: "Orbitra, a satellite operator" is Orbitra,
    "a natal, the Brazilian telecommunications regulator" is not "Brazilian"."""
    return fold(organisation).startswith(word)



def tokens_of(text: str) -> list[Token]:
    result = []
    for raw in re.findall(r"[\w’'-]+", text):
        word = re.sub(r"['’]s$", "", raw).strip("'’-")
        if word:
            result.append(Token(word, fold(word), word[:1].isupper(), word.isupper() and len(word) >= 2))
    return result


def heard_as(word: str, text: str) -> bool:
    """Does `text` hold `word` as captions mishear a name: split ("Mala bow" for Malabo), one letter off, or its vowels
    misheard ("a natal" for Anatel: the same consonants in the same order, from the same first letter)?"""
    if len(word) < 5:
        return False
    word = fold(word)
    spoken = words(fold(text))
    joined = {a + b for a, b in zip(spoken, spoken[1:])}
    key = heard_key(word)
    return any(
        difflib.SequenceMatcher(None, word, candidate).ratio() >= HEARD_AS or (key is not None and heard_key(candidate) == key)
        for candidate in joined | set(spoken)
        if abs(len(candidate) - len(word)) <= 2
    )


def _consonants(word: str) -> str:
    return re.sub(r"[aeiouy]", "", word[1:])


def misheard_in(tokens: list[Token], text: str) -> bool:
    """Is a capitalised word of `tokens` (not the first, not a word of `text` as written) in `text` as captions
    mishear a name ("Anatel" in "a natal")?"""
    written = {fold(w) for w in re.findall(r"[\w'-]+", text)}
    # Only a misheard vowel or a split, not a near spelling: "Cuban" is not "Cuba" misheard, it is another word.
    return any(
        t.capitalised and t is not tokens[0] and len(t.folded) >= HEARD_NAME_LETTERS and t.folded not in FUNCTION_WORDS and t.folded not in written
        and heard_key(t.folded) in heard_keys(text)
        for t in tokens
    )


@lru_cache(maxsize=1 << 12)
def heard_keys(text: str) -> frozenset[str]:
    """The heard keys of `text`'s words and of each two words joined ("a natal": "antl")."""
    written = [fold(w) for w in re.findall(r"[\w'-]+", text)]
    return frozenset(k for w in {*written, *(a + b for a, b in zip(written, written[1:]))} if (k := heard_key(w)))


def heard_key(word: str) -> str | None:
    """A misheard vowel keeps a word's key: its first letter and the consonants after it ("anatel", "anatal": "antl");
    None when fewer than three consonants follow (too many words share the key)."""
    consonants = _consonants(word)
    return word[:1] + consonants if len(consonants) >= 3 else None


HEARD_NAME_LETTERS = 5  # shorter words are too often heard in other words
HEARD_AS = 0.85  # similarity of a caption's spelling to a name (difflib ratio): "malabow" ~ "malabo" 0.92


def mentions_organisation(speaker: Speaker, tokens: list[Token], padded: str) -> bool:
    for token in tokens:
        if token.upper and any(acronym_like(token.folded, a) for a in speaker.acronyms):
            return True
    organisation = speaker.organisation
    if not organisation:
        return False
    if misheard_in(tokens, organisation):
        return True  # "the Anatel advisor" for the organisation captioned "a natal"
    words = organisation_words(organisation)
    if not words:
        return False
    if len(set(words)) == 1:
        return names_organisation(organisation, words[0]) and any(t.folded == words[0] and t.capitalised for t in tokens)
    hits = [t for t in tokens if t.folded in set(words)]
    if len({t.folded for t in hits}) < 2:
        # "Veritrace" for "Veritrace Systems", capitalised and not opening the text.
        leading = leading_name_word(organisation)
        return leading is not None and names_organisation(organisation, leading) and any(t.folded == leading and t.capitalised and t is not tokens[0] for t in hits)
    # Two words of the name written capitalised ("the Claimants Union") name it; in lower case, two words of a name
    # are often the session's topic ("algorithms in public services" is not the Public Algorithms Lab): the whole
    # name must be there ("the welfare claimants union").
    if any(t.capitalised and t is not tokens[0] for t in hits):
        return True
    present = {t.folded for t in tokens}
    return any(len(run) >= 2 and set(run) <= present for run in organisation_names(organisation))


@lru_cache(maxsize=1 << 16)  # every upper-case word of a question is compared with the acronyms of many speakers
def acronym_like(token: str, acronym: str) -> bool:
    """Equal, or one letter apart for acronyms of three letters or more (captions write ECWAS for ECOWAS)."""
    if token == acronym:
        return True
    if min(len(token), len(acronym)) < 3 or abs(len(token) - len(acronym)) > 1 or token[0] != acronym[0]:
        return False
    return difflib.SequenceMatcher(None, token, acronym).ratio() >= 0.8 and _edit_distance(token, acronym) <= 1


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@lru_cache(maxsize=1024)
def role_title(role: str, acronyms: frozenset[str]) -> tuple[str, ...]:
    """The words of a role's title: "Deputy Minister of the Ministry ..." -> ("deputy", "minister")."""
    title = re.split(r"\b(?:of|for|at|from|in|with)\b|,", fold(role), maxsplit=1)[0]
    return tuple(w for w in re.findall(r"[a-z]+", title) if w not in FUNCTION_WORDS and w not in acronyms)


# Nouns that name a kind of person by what they do, and the words of a role or organisation that make someone one:
# "the academic" is the professor at a university, "the Kenyan regulator" the Communications Authority's head.
_COUNCIL = {"council", "councillor", "councilor", "councilman", "councilwoman"}
_PARLIAMENT = {"parliament", "parliamentarian", "senator", "congressman", "congresswoman", "legislator", "mp"}
ROLE_KINDS = {
    "academic": {"professor", "lecturer", "researcher", "university", "academic", "scholar"},
    "researcher": {"professor", "researcher", "university", "research", "lab", "laboratory", "institute"},
    "regulator": {"authority", "commission", "regulator", "regulatory", "commissioner"},
    "diplomat": {"ambassador", "embassy", "diplomat", "foreign"},
    "activist": {"activist", "campaigner", "advocacy"},
    "councillor": _COUNCIL,
    "councilor": _COUNCIL,
    "parliamentarian": _PARLIAMENT,
    "lawmaker": _PARLIAMENT,
    "student": {"student", "phd", "undergraduate", "postgraduate"},
}


def role_kinds(speaker: Speaker, padded: str) -> set[str]:
    """The kinds of person (ROLE_KINDS) that `padded` names and the speaker's role or organisation makes them."""
    if not speaker.role:
        return set()
    described_as = set(re.findall(r"[a-z]+", fold(f"{speaker.role} {speaker.organisation or ''}")))
    return {kind for kind, words in ROLE_KINDS.items() if f" {kind} " in padded and words & described_as}


def points_for_role(speaker: Speaker, padded: str, countries: set[str] = frozenset()) -> float:
    """2 for the role's title ("deputy minister", "policy director"), or for its head noun with another word of the
    role ("the accessibility engineer" for a senior accessibility engineer, "the rights lawyer" for a lawyer with the
    Civic Rights Law Centre); 1 for its head noun alone ("director"). 2 also for what the speaker's organisation is
    said to be ("the satellite operator": "Orbitra, a low-earth orbit satellite operator"). None when the text names
    other countries than the speaker's ("Zambia's community network window" is not Kenya's community network, "the
    Brazilian regulator" not Kenya's)."""
    if countries and speaker.country and speaker.country not in countries:
        return 0.0
    described_by = organisation_description(speaker.organisation or "")
    if described_by and f" {described_by[-1]} " in padded and set(described_by[:-1]) & set(re.findall(r"[a-z]+", padded)):
        return 2.0
    if not speaker.role:
        return 0.0
    if role_kinds(speaker, padded):  # one person: "the academic"
        return 2.0
    title_words = role_title(speaker.role, frozenset(speaker.acronyms))
    if not title_words:
        return 0.0
    phrase = " ".join(title_words)
    if len(title_words) > 1 and f" {phrase} " in padded:
        return 2.0
    if f" {title_words[-1]} " in padded:
        described = {w for w in re.findall(r"[a-z]+", fold(speaker.role)) if len(w) > 2 and w not in FUNCTION_WORDS} - {title_words[-1]}
        spoken = set(re.findall(r"[a-z]+", padded))  # "digital-rights": digital, rights
        return 2.0 if described & spoken else 1.0
    return 0.0


@lru_cache(maxsize=4096)
def organisation_description(organisation: str) -> tuple[str, ...]:
    """The words of what an organisation is said to be, head noun last: "Tunza Mesh, a community network in Makueni
    County" -> (community, network); "ANPD, the Brazilian National Data Protection Authority" -> (brazilian, ...,
    authority)."""
    said = re.search(r",\s+(?:a|an|the)\s+([^,;]+?)(?=\s+(?:in|at|of|for|from|that|which|who|with|based|and)\b|[,;.]|$)", organisation)
    if not said or not said.group(1).split()[-1][:1].islower():  # "the Zambia Information ... Authority" is a name
        return ()
    words = [w for w in re.findall(r"[a-z]+", fold(said.group(1))) if w not in FUNCTION_WORDS and len(w) > 2]
    return tuple(words) if len(words) >= 2 else ()


def person_noun_pattern() -> str:
    return PERSON_NOUNS
