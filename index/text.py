"""Text normalisation for matching (never for display)."""

from __future__ import annotations

import re
import unicodedata

# U+2010..U+2015 hyphens and dashes, U+2212 minus, soft hyphen: all match an ASCII hyphen.
_HYPHENS = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")


def strip_accents(text: str) -> str:
    if text.isascii():  # nothing to strip; the common case, and BM25 indexing folds every chunk
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return _NON_ASCII.sub(_drop_combining, decomposed)  # combining marks are never ASCII


def _drop_combining(match: re.Match) -> str:
    return "" if unicodedata.combining(match.group()) else match.group()


def fold(text: str) -> str:
    """Case-, accent-, hyphen- and whitespace-insensitive form of `text`."""
    text = strip_accents(text).translate(_HYPHENS).translate(_QUOTES).lower()
    return _SPACE.sub(" ", text).strip()


def speaker_key(name: str) -> str:
    return _SPACE.sub(" ", strip_accents(name).translate(_HYPHENS).upper()).strip()


def words(text: str) -> list[str]:
    """Folded word tokens; thousands separators are dropped ("9,126" -> "9126")."""
    tokens = _WORD.findall(fold(text))
    return [(_THOUSANDS.sub("", t) if "," in t else t).rstrip(".,'") for t in tokens]


_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|vs|etc|e\.g|i\.e|No)\.$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, trailing whitespace excluded."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        if _ABBREVIATION.search(text, max(start, end - 6), end):
            continue
        while end > start and text[end - 1].isspace():
            end -= 1
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    tail_end = len(text.rstrip())
    if text[start:tail_end].strip():
        spans.append((start, tail_end))
    return spans


# -- words that carry content, numbers and names (matching answers to their evidence) --------------------
# Function words carry no evidence: an answer is supported by its content words.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers him his how i
    if in into is it its itself just me more most my no nor not now of off on once only or other our out over own said
    same say says she should so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yes well think really
    going like get got one thing things also actually""".split()
)


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS}


# -- numbers -----------------------------------------------------------------------------------------
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_SCALES)
_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")


def is_digits(word: str) -> bool:
    return _DIGITS.match(word) is not None


def numbers_in(text: str) -> set[str]:
    """The numbers `text` states, as digit strings: "six" and "6" are both "6", "twenty-five" is "25",
    "9,126" is "9126", "20%" is "20". A lone "one" is a pronoun ("the one thing"), not a count."""
    found: set[str] = set()
    total = current = 0
    spelled: list[str] = []

    def close() -> None:
        nonlocal total, current
        if spelled and spelled != ["one"]:
            found.add(str(total + current))
        total = current = 0
        spelled.clear()

    for token in words(text.replace("-", " ")):
        if token in _UNITS or token in _TENS:
            current += _TENS.get(token) or _UNITS.index(token)
        elif token == "hundred" and spelled:
            current = (current or 1) * 100
        elif token in _SCALES and spelled:
            total += (current or 1) * _SCALES[token]
            current = 0
        else:
            close()
            if _DIGITS.match(token):
                found.add(token.rstrip("0").rstrip(".") if "." in token else token)
            continue
        spelled.append(token)
    close()
    return found


_NAME_WORD = r"[A-Z](?:[\w’'-]|\.(?=[A-Za-z]))*"
_NAME = re.compile(rf"(?<![\w.]){_NAME_WORD}(?:\s+(?:(?:of|for|the|on|and|de|del|la)\s+)?{_NAME_WORD})*")
_NOT_NAMES = frozenset({"i", "i'm", "i've", "i'll", "i'd", "the", "a", "an", "and", "but", "so", "it", "this", "that", "we", "they", "he", "she", "yes", "no"})


def stem(word: str) -> str:
    """A crude stem that makes inflections and spelling variants meet ("negotiated"/"negotiation",
    "organisation"/"organization")."""
    return word[:5] if len(word) > 5 else word


def names_in(text: str) -> list[str]:
    """Capitalised word runs ("Global Forum on Cyber Expertise", "Kyoto", "ECOWAS"), sentence openers excluded
    unless they begin a longer name."""
    names = []
    starts = {a for a, _ in sentence_spans(text)} | {0}
    for match in _NAME.finditer(text):
        name = match.group(0).strip()
        parts = name.split()
        at_start = match.start() in starts or text[: match.start()].rstrip().endswith((":", "\u201c", '"'))
        if at_start and len(parts) == 1:
            continue
        if fold(parts[0]) in _NOT_NAMES or (at_start and fold(parts[0]) in STOPWORDS):
            parts = parts[1:]  # "Then Olga Cavalli": the opener is a function word
        if parts and not all(fold(p) in _NOT_NAMES for p in parts):
            names.append(" ".join(parts))
    return names
