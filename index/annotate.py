"""What the turns of a session do, derived at ingest and stored with the chunks (index.store, annotations.jsonl):

- RELAYED: a moderator reads out a question from someone who is not at the microphone ("we have a question from
  Priya Raman in Chennai, she asks whether ..."): the asker is that person, not the moderator;
- ASKED: an audience member at the microphone asks or comments, with the name and place they introduce themselves
  with (index.parse.self_introduction);
- CORRECTION: a speaker corrects a figure or date given earlier ("actually it was 2021, not 2019", "sorry, I said 40,
  it is 14"): the value stated as right and, when the sentence says it, the value it replaces;
- STANCE: a speaker says they are for or against something ("I fully support the register", "that proposal is
  unworkable").

The rules read the shape of spoken English (verbs of asking, correcting, supporting and opposing), never the names or
topics of a transcript. Offsets are code points into the session's text, like the turns'.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from index import parse as parse_module
from index import text as text_module
from index.parse import self_introduction
from index.text import numbers_in, sentence_spans
from index.types import Turn

RELAYED, ASKED, CORRECTION, STANCE = "relayed", "asked", "correction", "stance"
FOR, AGAINST, CONDITIONAL, NEUTRAL = "for", "against", "conditional", "neutral"
AUDIENCE = "AUDIENCE"


@dataclass(frozen=True, slots=True)
class Annotation:
    session_id: str
    turn_no: int
    kind: str  # RELAYED, ASKED, CORRECTION or STANCE
    start: int  # the annotated sentences, as offsets into the session text
    end: int
    who: str | None = None  # RELAYED, ASKED: the asker's name as given
    place: str | None = None  # RELAYED, ASKED: where the asker is
    value: str | None = None  # CORRECTION: the value stated as right; STANCE: FOR, AGAINST, CONDITIONAL or NEUTRAL
    replaces: str | None = None  # CORRECTION: the value it corrects, when the sentence gives it

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


# -- relayed questions ----------------------------------------------------------------------------------------
_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?[A-Z\u00C0-\u00DE][\w’'\u2011-]+(?:[ \u00a0]+(?:de |da |dos |van |von |del |la |el )?[A-Z\u00C0-\u00DE][\w’'\u2011-]+){0,2}"
_PLACE = r"[A-Z\u00C0-\u00DE][\w’'\u2011.-]+(?:[ \u00a0]+[A-Z\u00C0-\u00DE][\w’'\u2011.-]+){0,2}"
_NOT_A_NAME = re.compile(r"^(?:The|This|That|Our|My|Your|Their|His|Her|He|She|They|It|We|I|One|Another|Zoom|Chat|Online|Remote|Someone|Somebody|Everyone|Anyone)\b")
_RELAYED = [
    # "a question from Lucía Benítez in Asunción", "another question online from Amil", "one question on line and it's from Riad Hasan"
    re.compile(rf"\bquestions?\b[^.?!]{{0,40}}?\bfrom\s+(?P<who>{_NAME})(?:,?\s+(?:in|from|based\s+in|who\s+is\s+in|joining\s+from)\s+(?P<place>{_PLACE}))?"),
    # "Tendai Moyo in Harare asks whether", "Ibrahim Sesay, from Freetown, wants to know"
    re.compile(rf"(?P<who>{_NAME}),?\s+(?:in|from|based\s+in)\s+(?P<place>{_PLACE}),?\s+(?:who\s+)?(?:asks|is\s+asking|wants\s+to\s+know|would\s+like\s+to\s+know|wonders|writes)\b"),
    re.compile(rf"(?P<who>{_NAME})\s+(?:asks|is\s+asking|wants\s+to\s+know|would\s+like\s+to\s+know|wonders)\s+(?:whether|if|about|what|how|why|when|who|which)\b"),
    # "The first one is from Aisha Bello in Kano, Nigeria; she asks whether ...", "The first is from Joseph Odhiambo in
    # Kampala. He asks whether ...": the asking verb in that sentence or the next.
    re.compile(rf"\b(?:first|second|third|next|last|another|other)\s+(?:one\s+)?(?:is|comes)\s+from\s+(?P<who>{_NAME})(?:,?\s+(?:in|from|based\s+in)\s+(?P<place>{_PLACE}))?"
               r"(?=[^.?!]*(?:[.;]\s+(?:He|She|They)\s+)?\b(?:asks|is\s+asking|wants\s+to\s+know|would\s+like\s+to\s+know|wonders|writes)\b)"),
]
RELAYED_SENTENCES = 3  # a relayed question is read out in at most a few sentences


def relayed_questions(turn: Turn) -> list[Annotation]:
    found: list[Annotation] = []
    spans = sentence_spans(turn.text)
    for index, (a, b) in enumerate(spans):
        sentence = turn.text[a:b]
        # The sentence and the next: a relayed question may be announced in one and asked in the next.
        window = turn.text[a : spans[index + 1][1]] if index + 1 < len(spans) else sentence
        for pattern in _RELAYED:
            match = pattern.search(window)
            if match is None or match.start() >= len(sentence) or _NOT_A_NAME.match(match.group("who")):
                continue
            end = b
            for c, d in spans[index + 1 : index + RELAYED_SENTENCES]:
                following = turn.text[c:d]
                if any((m := p.search(following)) and not _NOT_A_NAME.match(m.group("who")) for p in _RELAYED):
                    break  # the next relayed question ("He asks whether" goes on with this one)
                end = d
            # Names end with their sentence ("in Dhaka. He asks": Dhaka).
            who, place = (window[match.start(g) : min(match.end(g), len(sentence))] if match.groupdict().get(g) else None for g in ("who", "place"))
            if _is_country(who):  # "the question made by the colleague from Germany": a place, nobody named
                who, place = None, place or who
            found.append(Annotation(turn.session_id, turn.turn_no, RELAYED, turn.start_char + a, turn.start_char + end, _clean(who), _clean(place)))
            break
    return found


def _is_country(name: str) -> bool:
    from index.parse import country_names

    return " ".join(name.split()) in country_names()


def _clean(text: str | None) -> str | None:
    return " ".join(text.replace("\u00a0", " ").split()).strip(" ,.") if text else None


# -- audience questions ----------------------------------------------------------------------------------------
def audience_question(turn: Turn) -> Annotation | None:
    if turn.speaker != AUDIENCE:
        return None
    introduced = self_introduction(turn.text)
    who, place = introduced if introduced else (None, None)
    return Annotation(turn.session_id, turn.turn_no, ASKED, turn.start_char, turn.end_char, who, place)


# -- corrections ------------------------------------------------------------------------------------------------
_VALUE = r"(?:[$€£]\s?)?\d[\d,.]*(?:\s?%|\s+percent|\s+per\s*cent|\s+million|\s+billion|\s+thousand)?|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)(?:[\s\u2011-]\w+)?"
# "2021, not 2019", "it was 14, not 40", "14 ships, not 40"
_RIGHT_NOT_WRONG = re.compile(rf"(?P<value>{_VALUE})(?:\s+[a-z]+){{0,2}}\s*,?\s+(?:and\s+)?not\s+(?P<replaces>{_VALUE})\b", re.I)
# "not 2019 but 2021", "not 40, it's 14", "I said 40, it is 14", "I said 40 — sorry, 14", "40 ‑‑ sorry, 14 million"
_WRONG_THEN_RIGHT = re.compile(
    rf"\b(?:not|said|wrote)\s+(?P<replaces>{_VALUE})(?:\s+[a-z]+)?\s*[,;:\u2011\u2013\u2014-]*\s*(?:but|it'?s|it\s+is|it\s+was|that'?s|that\s+is|sorry,?|i\s+meant|actually)\s+(?:it'?s\s+|it\s+is\s+|it\s+was\s+)?(?P<value>{_VALUE})\b"
    rf"|(?P<replaces2>{_VALUE})(?:\s+[a-z]+)?\s*[\u2011\u2013\u2014-]+\s*(?:sorry|I\s+mean|correction),?\s+(?P<value2>{_VALUE})\b",
    re.I,
)
_CORRECTING = re.compile(
    r"\b(?:correct(?:ion|ing)?|actually|in\s+fact|sorry|misspoke|I\s+meant|I\s+said|to\s+be\s+precise|for\s+the\s+record|not\s+quite|small\s+correction)\b",
    re.I,
)


_VALUE_RE = re.compile(_VALUE, re.I)
_WRONG_CUE = re.compile(r"\b(?:not|said|wrote|say|told\s+you)\b", re.I)
CORRECTION_WINDOW = 4  # "I said there are 40 repair ships ... It's 14.": the right value follows within a few sentences
WRONG_WITHIN = 30  # characters from "I said" / "not" to the value it takes back ("I said there are 40")


def corrections(turn: Turn) -> list[Annotation]:
    found, spans = [], sentence_spans(turn.text)
    for index, (a, b) in enumerate(spans):
        sentence = turn.text[a:b]
        match = _RIGHT_NOT_WRONG.search(sentence) or _WRONG_THEN_RIGHT.search(sentence)
        if match is not None and (_CORRECTING.search(sentence) or re.search(r"\b(?:was|is|were|are|it's)\b", sentence, re.I)):
            groups = {k: v for k, v in match.groupdict().items() if v}
            value, replaces = groups.get("value") or groups.get("value2"), groups.get("replaces") or groups.get("replaces2")
            if value and replaces and numbers_in(value) != numbers_in(replaces):
                found.append(_correction(turn, a, b, value, replaces))
                continue
        if not _CORRECTING.search(sentence):
            continue
        # A correction told over a few sentences: the value after "I said" / "not", then the first other value of the
        # same kind ("I think I said 2022 earlier. The survey was in 2023.").
        window_end = spans[min(len(spans), index + CORRECTION_WINDOW) - 1][1]
        window = turn.text[a:window_end]
        cue = _WRONG_CUE.search(window)
        wrong = _VALUE_RE.search(window, cue.end()) if cue else None
        if wrong is None or wrong.start() - cue.end() > WRONG_WITHIN or "." in window[cue.end() : wrong.start()] or not numbers_in(wrong.group()):
            continue
        right = next((v for v in _VALUE_RE.finditer(window, wrong.end()) if numbers_in(v.group()) and numbers_in(v.group()) != numbers_in(wrong.group())
                      and _is_year(v.group()) == _is_year(wrong.group())), None)
        if right is not None:
            end = next((d for c, d in spans[index:] if turn.start_char + d >= turn.start_char + a + right.end()), window_end)
            found.append(_correction(turn, a, end, right.group(), wrong.group()))
    # One correction found both in its own sentence and in the window before it: the window says what it is about
    # ("And I have to correct one thing, ... Deputy Mayor ... It was 2,300 families, not 3,200.").
    kept: dict[tuple, Annotation] = {}
    for item in found:
        key = (frozenset(numbers_in(item.value or "")), frozenset(numbers_in(item.replaces or "")))
        if key not in kept or item.end - item.start > kept[key].end - kept[key].start:
            kept[key] = item
    return sorted(kept.values(), key=lambda item: item.start)


def _is_year(value: str) -> bool:
    return re.fullmatch(r"(?:19|20)\d\d", value.strip(" ,.")) is not None


def _correction(turn: Turn, a: int, b: int, value: str, replaces: str) -> Annotation:
    return Annotation(turn.session_id, turn.turn_no, CORRECTION, turn.start_char + a, turn.start_char + b, value=value.strip(" ,.;"), replaces=replaces.strip(" ,.;"))


# -- stances ---------------------------------------------------------------------------------------------------
_INTENSIFIER = r"(?:strongly\s+|fully\s+|firmly\s+|really\s+|very\s+much\s+|fundamentally\s+|completely\s+|totally\s+|absolutely\s+|would\s+|do\s+|cannot\s+|can't\s+)?"
_AGAINST = re.compile(
    rf"\b(?:I|we)\s+{_INTENSIFIER}(?:oppose|reject|disagree|object\s+to)\b"
    r"|\b(?:I\s+am|I'm|we\s+are|we're|I\s+remain|we\s+remain)\s+(?:strongly\s+|firmly\s+|very\s+much\s+|completely\s+)?(?:against|opposed|not\s+convinced|not\s+in\s+favou?r|sceptical|skeptical|not\s+persuaded)\b"
    r"|\b(?:I|we)\s+(?:do\s+not|don't|cannot|can't|could\s+not|couldn't)\s+(?:support|accept|agree|endorse|back)\b"
    r"|\bunworkable\b|\b(?:a\s+|is\s+a\s+)(?:bad|terrible|dangerous)\s+idea\b|\bwould\s+be\s+a\s+(?:big\s+|serious\s+)?mistake\b|\bblunt\s+instrument\b"
    r"|\b(?:I|we)\s+(?:would\s+)?vote\s+against\b|\bwe\s+should\s+not\b|\bshould\s+be\s+rejected\b"
    # Said of the proposal: "a moratorium is irresponsible", "that would be reckless".
    r"|\b(?:is|would\s+be|are)\s+(?:simply\s+|just\s+|completely\s+)?(?:irresponsible|reckless|misguided|counterproductive|unacceptable)\b",
    re.I,
)
_FOR = re.compile(
    rf"\b(?:I|we)\s+{_INTENSIFIER}(?:support|back|endorse|welcome|favou?r|agree\s+with|stand\s+behind|champion)\b"
    r"|\b(?:I\s+am|I'm|we\s+are|we're)\s+(?:strongly\s+|fully\s+|firmly\s+|very\s+much\s+|all\s+)?(?:in\s+favou?r|for\s+(?:it|this|that|the)|supportive|a\s+(?:strong\s+)?(?:supporter|proponent))\b"
    r"|\b(?:is|would\s+be)\s+(?:a\s+)?(?:good|great|excellent|the\s+right)\s+(?:idea|step|approach|thing|proposal)\b"
    r"|\b(?:I|we)\s+(?:would\s+)?vote\s+(?:for|yes)\b|\b(?:I|we)\s+say\s+yes\b"
    # A speaker's government or organisation as the subject: "The Philippines will support the proposal".
    r"|\b(?:will|shall)\s+(?:strongly\s+|fully\s+)?(?:support|back|endorse)\b",
    re.I,
)
# Support with a condition attached, after the word of support: "I would support the clauses, but with a review clause",
# "we support them, with one condition"; or said outright: "conditional support".
_CONDITION = re.compile(
    r"\b(?:but|with\s+(?:one|a|two|three|some|certain)\s+(?:\w+\s+)?conditions?|on\s+(?:one\s+|the\s+|a\s+)?condition|provided|as\s+long\s+as|"
    r"only\s+if|if|subject\s+to|unless)\b",
    re.I,
)
# Declining to take a side: "ITU does not take a position on it", "that's not mine to decide", "we remain neutral".
_NEUTRAL = re.compile(
    r"\b(?:do(?:es)?\s+not|don't|doesn't|will\s+not|won't|cannot|can't|would\s+not|wouldn't)\s+take\s+(?:a\s+|any\s+)?(?:position|side|sides|stance)\b"
    r"|\b(?:take|takes|have|has)\s+no\s+(?:position|stance|view)\b|\b(?:remain|remains|stay|stays|are|is|am)\s+neutral\b"
    r"|\bnot\s+(?:mine|ours|for\s+(?:me|us))\s+to\s+(?:decide|make|judge|say|take)\b",
    re.I,
)
_CONDITIONAL = re.compile(r"\bconditional(?:ly)?\s+(?:support|yes)\b|\bsupport\w*\s+conditionally\b", re.I)


_NEGATED = re.compile(r"\bnot\s+(?:because|that)\s+$|\bnot\s+$", re.I)


def stances(turn: Turn) -> list[Annotation]:
    found = []
    for a, b in sentence_spans(turn.text):
        sentence = turn.text[a:b]
        if sentence.rstrip().endswith("?"):
            continue  # "Do you support it?" asks, it does not take a side
        matches = [(m.start(), polarity) for pattern, polarity in ((_NEUTRAL, NEUTRAL), (_AGAINST, AGAINST), (_FOR, FOR)) for m in pattern.finditer(sentence)
                   if not _NEGATED.search(sentence[max(0, m.start() - 16) : m.start()])]
        first = min(matches) if matches else None
        polarity = first[1] if first else None
        if polarity == FOR and _CONDITION.search(sentence, first[0]) or _CONDITIONAL.search(sentence):
            polarity = CONDITIONAL
        if polarity:
            found.append(Annotation(turn.session_id, turn.turn_no, STANCE, turn.start_char + a, turn.start_char + b, value=polarity))
    return found


@lru_cache(maxsize=1)
def rules_version() -> str:
    """Changes whenever the code deriving annotations changes: an index written by other rules is annotated again
    when loaded (index.store), without a rebuild."""
    digest = hashlib.blake2b(digest_size=12)
    for module in (__file__, parse_module.__file__, text_module.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def annotate(turns: Iterable[Turn]) -> list[Annotation]:
    """Every annotation of `turns`, in turn order."""
    found: list[Annotation] = []
    for turn in turns:
        found += relayed_questions(turn)
        asked = audience_question(turn)
        if asked is not None:
            found.append(asked)
        found += corrections(turn)
        found += stances(turn)
    return found
