"""Typed candidate spans: the pieces of a sentence that can be the answer to a question asking for a share, an amount
of money, a price per period, a count, a year, a date, a duration, a place, a person or an organisation.

Quantities come from quantulum3 (numbers with their units, spelled-out numbers, fractions), dates from dateparser,
currency words from ISO 4217 (pycountry) and countries from ISO 3166: general sources, never the transcripts' own
words. quantulum3 runs without its classifier, which it would load by unpickling a file (the project never
unpickles); its rule-based disambiguation is enough for units in speech.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.text import fold, names_in

SHARE, MONEY, PRICE, COUNT, YEAR, DATE, DURATION = "share", "money", "price", "count", "year", "date", "duration"
MEASURE = "measure"  # a quantity with a physical unit: 827 kilometres, 100 megabits per second
QUANTITY = "quantity"  # asked for, never found: "how much", "how often", "by how much" take any amount
NAME = "name"  # asked for, never found: "What is the name of ...", "What is it called?" take any proper name
PLACE, PERSON, ORGANISATION = "place", "person", "organisation"
LOCALITY = "locality"  # asked for, never found: "which country", "which city" take a place and nothing else
NUMERIC = frozenset({SHARE, MONEY, PRICE, COUNT, YEAR, DATE, DURATION, MEASURE, QUANTITY})
KINDS = (SHARE, MONEY, PRICE, COUNT, YEAR, DATE, DURATION, MEASURE, PLACE, PERSON, ORGANISATION)
# The spans that answer a question of each type: a price is an amount of money too, a year is a date too, "how long is"
# may ask for a length, "where does she teach" for an institution.
ANSWERS = {
    SHARE: {SHARE},
    MONEY: {MONEY, PRICE},
    PRICE: {PRICE, MONEY},
    COUNT: {COUNT},
    YEAR: {YEAR, DATE},
    DATE: {DATE, YEAR},
    DURATION: {DURATION},
    MEASURE: {MEASURE, DURATION},  # "how long is the pilot?" may ask for a duration after all
    QUANTITY: {SHARE, MONEY, PRICE, COUNT, DURATION, MEASURE},
    PLACE: {PLACE, ORGANISATION},
    LOCALITY: {PLACE},
    PERSON: {PERSON},
    ORGANISATION: {ORGANISATION, PLACE, PERSON},  # a name of three capitalised words may be any of them
    NAME: {ORGANISATION, PLACE, PERSON},
}
NAMES = frozenset({PLACE, PERSON, ORGANISATION})


@dataclass(frozen=True)
class Span:
    kind: str
    start: int  # offsets in the sentence
    end: int
    text: str
    value: float | None = None


_MONTHS = "january february march april may june july august september october november december".split()
_MONTH = r"(?:" + "|".join(m.capitalize() for m in _MONTHS) + r")"
_DATE = re.compile(
    rf"\b(?:(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?:19|20)\d\d)?"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?"
    rf"|{_MONTH}\s+(?:of\s+)?(?:19|20)\d\d)\b"
)
_YEAR = re.compile(r"(?<![\d.,$€£])\b(?:19|20)\d\d\b(?![\d,.]\d)(?!\s*(?:%|percent|per\s*cent))")
_ONE_IN = re.compile(r"\b(?:one|two|three|\d+)\s+(?:in|out\s+of)\s+(?:every\s+)?(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|\w+teen|twenty|hundred|\d+)\b", re.I)
_FRACTION_WORDS = re.compile(r"\b(?:half|a\s+third|two\s+thirds|a\s+quarter|three\s+quarters|a\s+fifth|a\s+tenth|majority|minority)\b", re.I)
_PERIOD = re.compile(r"^\s*(?:a|an|per|each|every|a\s+single)?\s*(?:month|year|week|day|quarter|household|user|person|connection|site|village)s?\b|^\s*(?:monthly|annually|yearly|weekly)\b", re.I)
_TIME_UNITS = {"second", "minute", "hour", "day", "week", "fortnight", "month", "quarter", "year", "decade", "century"}
_NUMBERISH = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"\w+teen|hundred|thousand|million|billion|half|third|quarter|fifth|dozen|" + "|".join(_MONTHS) + r")\b",
    re.I,
)
# Words that make a capitalised name an organisation, not a person or a place (English common nouns).
_ORGANISATION_WORDS = frozenset(
    """ministry department agency authority commission council committee forum alliance foundation union bank fund network
    institute association organisation organization group company corporation inc ltd university lab laboratory office
    federation coalition consortium secretariat society centre center board court parliament government systems services
    partnership initiative programme program project observatory""".split()
)
_PLACE_CUE = re.compile(r"\b(?:in|from|at|based\s+in|near|to|off)\s+(?:the\s+)?$", re.I)
# "Thank you to Linda", "the floor to Rahul", "over to Kwame": the name after "to" is a person's.
_PERSON_CUE = re.compile(r"\b(?:thank\s+you|thanks|floor|over|back|turn|talk(?:ing)?|speak(?:ing)?|listen(?:ing)?|respond(?:ing)?|repl(?:y|ying))\s+to\s+$", re.I)
_YEAR_RANGE = re.compile(r"(?:between|from)\s+((?:19|20)\d\d)\s*(?:and|to|-|–)\s*(?:19|20)\d\d", re.I)
_LEADING_YEAR = re.compile(r"^(?:19|20)\d\d(?=\s+(?:a|in|on|at|the|and|to|we|when|was|of)\b|$)")
_CURRENCY_WORD = re.compile(r"^\s*(?:u\.?s\.?\s+)?(?:[a-z]+\s+)?(?:dollars?|euros?|pounds?|shillings?|naira|rupees?|pesos?|reais|real|francs?|cedis?|rand|yen|yuan)\b", re.I)
# "a three-year moratorium", "an 18-month audit": a duration written as an adjective
_ADJECTIVE_DURATION = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty|thirty|forty|fifty)[\u2010\u2011-](?:year|month|week|day|hour|minute)\b",
    re.I,
)
_HYPHENS = dict.fromkeys(map(ord, "\u2010\u2011"), "-")
_ONE_OF = re.compile(r"\bone(?=\s+(?:of\s+(?:them|those|these)\b|out\s+of\b))", re.I)
_SPELLED_COUNT = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b",
    re.I,
)


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Load what the first sentence with a number would load (quantulum3's English rules import inflect, dateparser its
    language data: seconds on this machine), so that the first question does not pay for it."""
    spans_in.__wrapped__("In March 2024 they paid 40,000 dollars, about 20% of the cost.")


@lru_cache(maxsize=1)
def _quantity_parser():
    import sys
    import warnings

    # Its classifier is a pickle, never loaded (USE_CLF off). quantulum3 turns the classifier on when scikit-learn
    # imports, and importing it took 2.5 s here: scikit-learn is hidden while quantulum3 is imported (so USE_CLF starts
    # off) and put back as it was.
    hidden = sys.modules.get("sklearn")
    sys.modules["sklearn"] = None  # an import of a module mapped to None raises ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Classifier dependencies not installed": it is off on purpose
            import quantulum3.classifier
    finally:
        if hidden is None:
            del sys.modules["sklearn"]
        else:
            sys.modules["sklearn"] = hidden
    quantulum3.classifier.USE_CLF = False
    from quantulum3 import parser

    return parser


@lru_cache(maxsize=1)
def currency_words() -> tuple[frozenset[str], frozenset[str]]:
    """(ISO 4217 codes, folded currency names): "USD", and the last word of each currency's name ("shilling")."""
    import pycountry

    names = {"dollar", "dollars", "euro", "euros", "cent", "cents", "buck", "bucks"}
    codes = set()
    for currency in pycountry.currencies:
        codes.add(currency.alpha_3)
        last = fold(currency.name).split()[-1]
        if last.isalpha() and len(last) > 2:
            names |= {last, last + "s"}
    return frozenset(codes), frozenset(names)


def _names_currency(word: str) -> bool:
    """A currency code as written in upper case ("KES"), or a currency's name in any case ("shillings")."""
    codes, names = currency_words()
    return word in codes or word.lower() in names


_SYMBOL = re.compile(r"[$€£¥₦₹₱]")


def _is_money(surface: str, unit_name: str, entity: str, before: str, after: str) -> bool:
    if entity == "currency" or _SYMBOL.search(surface) or _SYMBOL.search(before[-2:]):
        return True
    if any(_names_currency(w) for w in re.findall(r"[a-z]+", fold(unit_name))):
        return True
    # The word just before ("USD 40,000", "KES 500") or just after ("500 shillings", "U.S. dollars"), "million" between.
    previous = re.findall(r"(?<![\w.])([A-Za-z]+)\W{0,2}$", before)
    following = [w for w in re.findall(r"[A-Za-z]+", after[:24])[:3] if len(w) >= 3 and w.lower() not in ("million", "billion", "thousand")][:1]
    return any(_names_currency(w) for w in previous + following if len(w) >= 3)


@lru_cache(maxsize=16384)
def spans_in(sentence: str) -> tuple[Span, ...]:
    """Every typed span of `sentence`, in order of appearance (numbers by quantulum3; dates, places, people and
    organisations by the rules below). A sentence with no digit, number word or month holds no numeric span."""
    # Captions join spelled numbers with U+2011 ("Thirty‑eight days"), which quantulum3 reads as two numbers: the
    # sentence is read with plain hyphens (the same length, so the offsets hold) and the spans keep the original text.
    plain = sentence.translate(_HYPHENS)
    if plain != sentence:
        return tuple(Span(s.kind, s.start, s.end, sentence[s.start : s.end], s.value) for s in spans_in(plain))
    spans: list[Span] = []
    if _NUMBERISH.search(sentence):
        spans += _quantities(sentence)
        for match in _DATE.finditer(sentence):
            if _parses_as_date(match.group(0)):
                spans.append(Span(DATE, match.start(), match.end(), match.group(0)))
        for match in _ONE_IN.finditer(sentence):
            spans.append(Span(SHARE, match.start(), match.end(), match.group(0)))
        for match in _FRACTION_WORDS.finditer(sentence):
            spans.append(Span(SHARE, match.start(), match.end(), match.group(0)))
        for match in _ADJECTIVE_DURATION.finditer(sentence):
            spans.append(Span(DURATION, match.start(), match.end(), match.group(0)))
        covered = [(x.start, x.end) for x in spans]
        for match in _SPELLED_COUNT.finditer(sentence):  # "Thirteen countries were affected.": quantulum3 misses a capital
            if not any(a <= match.start() < b for a, b in covered):
                spans.append(Span(COUNT, match.start(), match.end(), match.group(0)))
        for match in _ONE_OF.finditer(sentence):  # "only one of them was still running": quantulum3 reads no number
            if not any(a <= match.start() < b for a, b in covered):
                spans.append(Span(COUNT, match.start(), match.end(), match.group(0), 1.0))
    spans += _names(sentence)
    return tuple(sorted(_without_overlaps(spans), key=lambda s: (s.start, s.end)))


def _quantities(sentence: str) -> list[Span]:
    found: list[Span] = []
    try:
        quantities = _quantity_parser().parse(sentence)
    except Exception:  # quantulum3 fails on odd inputs (a lone unit symbol, unusual unicode); a sentence is skipped
        return found
    for quantity in quantities:
        start, end = quantity.span
        start = max(start, 0)  # quantulum3 starts a range that opens the sentence ("Between 2023 and 2025") at -1
        unit = quantity.unit.name or ""
        entity = getattr(quantity.unit.entity, "name", "") or ""
        if sentence[end - 2 : end + 2] == " U.S":  # "38 million U.S. dollars": the U is the country, not a unit
            end, unit, entity = end - 2, "dimensionless", "dimensionless"
        surface = sentence[start:end]
        before, after = sentence[max(0, start - 14) : start], sentence[end : end + 30]
        if not re.search(r"\d|[a-z]", surface, re.I):
            continue
        unit_words = set(unit.split())
        years = _YEAR_RANGE.fullmatch(surface)
        if years:  # "between 2023 and 2025": a span of years, not a count
            found.append(Span(YEAR, start, end, surface, float(years.group(1))))
            continue
        year = _LEADING_YEAR.match(surface)
        if year and not _is_money(surface, unit, entity, before, after) and not re.search(r"%|percent", surface, re.I):
            found.append(Span(YEAR, start, start + year.end(), year.group(0), float(year.group(0))))  # "2019 a ship", "2018 in Kib"
            continue
        if _is_money(surface, unit, entity, before, after):
            tail = _CURRENCY_WORD.sub("", after, count=1)
            period = ("per" in unit_words and bool(unit_words & _TIME_UNITS)) or _PERIOD.match(tail) is not None
            if _PERIOD.match(tail):
                end += len(after) - len(tail) + _PERIOD.match(tail).end()
            found.append(Span(PRICE if period else MONEY, start, end, sentence[start:end], quantity.value))
        elif unit == "percentage" or re.search(r"%|\bper\s*cent\b|\bpercent\b", surface, re.I):
            found.append(Span(SHARE, start, end, surface, quantity.value))
        elif (unit_words & _TIME_UNITS and unit_words <= _TIME_UNITS | {"of", "arc"}) or entity == "time":
            if re.match(r"^(?:a|an|one|per|each)\s", surface, re.I) and quantity.value == 1:
                continue  # "a year", "a month": a rate's period, not a duration
            found.append(Span(DURATION, start, end, surface, quantity.value))
        elif _YEAR.fullmatch(surface.strip()):
            found.append(Span(YEAR, start, end, surface, quantity.value))
        elif entity not in ("dimensionless", "", "unknown") and unit != "dimensionless":
            found.append(Span(MEASURE, start, end, surface, quantity.value))
        elif entity in ("dimensionless", "") or quantity.value is not None:
            if quantity.value is not None and 0 < quantity.value < 1 and not re.search(r"\d", surface):
                found.append(Span(SHARE, start, end, surface, quantity.value))  # "a fifth", "two thirds"
            else:
                found.append(Span(COUNT, start, end, surface, quantity.value))
    return found


@lru_cache(maxsize=4096)
def _parses_as_date(text: str) -> bool:
    import dateparser

    return dateparser.parse(re.sub(r"^the\s+", "", text), languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first"}) is not None


def _names(sentence: str) -> list[Span]:
    from rag.places import country_in

    spans, at = [], 0
    for name in names_in(sentence):
        start = sentence.find(name, at)
        if start < 0:
            continue
        at = end = start + len(name)
        words = [w.lower().strip(".,") for w in name.split()]
        if any(w in _ORGANISATION_WORDS for w in words) or (len(name) >= 2 and name.isupper()):
            kind = ORGANISATION
        elif country_in(name) or (_PLACE_CUE.search(sentence[max(0, start - 12) : start]) and not _PERSON_CUE.search(sentence[max(0, start - 24) : start])):
            kind = PLACE
        elif 2 <= len(words) <= 4:
            kind = PERSON
        else:
            continue
        spans.append(Span(kind, start, end, name))
    return spans


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Longest first: "March 2024" is one date, not a date and a year; "$3 a month" one price."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: -(s.end - s.start)):
        if all(span.end <= k.start or k.end <= span.start for k in kept):
            kept.append(span)
    return kept


def of_kind(spans: tuple[Span, ...], answer_type: str | None) -> list[Span]:
    """The spans that can answer a question of `answer_type` (rag.question_types)."""
    wanted = ANSWERS.get(answer_type or "", set())
    return [s for s in spans if s.kind in wanted]
