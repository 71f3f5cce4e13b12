"""Answers that come from what the turns do (index.annotate), not from what they say:

- who asked a question, and from where: a question read out by a moderator is the remote participant's, an audience
  member's is theirs (`asker_answer`);
- who corrected a figure, and which figure is right: a value a later sentence corrects is not the answer; the
  correction is (`corrector_answer`, `corrected`);
- where a speaker stands on a proposal, and who was for or against it (`stance_answer`, `stance_people`).

Each finds the annotations whose words are closest to the question's (IDF-weighted focus words and cosine), in the
sessions the question is about, and returns the evidence sentence with the person or value it states.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.annotate import AGAINST, ASKED, CONDITIONAL, CORRECTION, FOR, NEUTRAL, RELAYED, STANCE, Annotation
from index.text import content_words, numbers_in, sentence_spans, stem
from rag.evidence import Evidence, TermWeights
from rag.spans import COUNT, spans_in
from rag.types import Passage

# (session, start, end) -> the passage holding that span and the span's offsets in its text
Locate = Callable[[str, int, int], tuple[Passage, int, int] | None]


@dataclass(frozen=True)
class Found:
    """An annotation chosen as the answer, with the evidence sentence that states it and how well it matches."""

    annotation: Annotation
    evidence: Evidence
    match: float


def relevance(query, text: str, weights: TermWeights) -> float:
    """IDF-weighted share of the question's focus words in `text` (by stem)."""
    return _relevance(query.focus, text, weights)


def _ranked(query, annotations: Sequence[Annotation], text_of: Callable[[Annotation], str], weights: TermWeights, embedder, sessions: set[str],
            locate: Locate | None = None, vectors=None) -> list[tuple[float, Annotation]]:
    """`annotations` (in `sessions`, when given) best first, by their best sentence: the IDF-weighted share of the
    question's focus words it holds plus its cosine to the question. A long audience turn is judged by its sentence
    that matches, not by the sum of all it says."""
    chosen = [a for a in annotations if not sessions or a.session_id in sessions]
    if not chosen:
        return []
    pieces: list[tuple[int, str, tuple | None]] = []  # (annotation index, sentence text, (passage, a, b) when located)
    for index, annotation in enumerate(chosen):
        found = locate(annotation.session_id, annotation.start, annotation.end) if locate is not None else None
        if found is None:
            pieces.append((index, text_of(annotation), None))
            continue
        passage, start, end = found
        text = passage.chunk.text
        for a, b in sentence_spans(text) or [(0, len(text))]:
            if a < end and start < b:
                pieces.append((index, text[a:b], (passage, a, b)))
    question = embedder.encode_query(query.text)
    located = [p[2] for p in pieces]
    if vectors is not None and all(located):
        sentence_vectors = vectors(located)
    else:
        sentence_vectors = embedder.encode([p[1] for p in pieces])
    cosines = sentence_vectors @ question
    best: dict[int, float] = {}
    for (index, text, _), cosine in zip(pieces, cosines):
        best[index] = max(best.get(index, float("-inf")), relevance(query, text, weights) + float(cosine))
    return sorted(((score, chosen[i]) for i, score in best.items()), key=lambda pair: -pair[0])


def _evidence(annotation: Annotation, locate: Locate, score: float) -> Evidence | None:
    found = locate(annotation.session_id, annotation.start, annotation.end)
    if found is None:
        return None
    passage, a, b = found
    return Evidence(passage, a, b, score)


# -- askers -----------------------------------------------------------------------------------------------------
_REMOTE = re.compile(r"\b(?:remote|online|on\s+line|relayed|read\s+out|zoom|chat)\b", re.I)
_FLOOR = re.compile(r"\b(?:audience|floor|in\s+the\s+room|at\s+the\s+mic(?:rophone)?|came\s+to\s+the\s+mic)\b", re.I)


def askers(query, annotations: Sequence[Annotation]) -> list[Annotation]:
    """The questions a "who asked" question can mean: read out for a remote participant ("the online participant
    who asked") or put at the microphone ("the audience member"), or either; with a place when it asks where from."""
    kinds = {RELAYED} if _REMOTE.search(query.text) else {ASKED} if _FLOOR.search(query.text) else {RELAYED, ASKED}
    needs_place = query.answer_type in ("place", "locality")
    return [a for a in annotations if a.kind in kinds and (a.place if needs_place else (a.who or a.place))]


def asker_answer(query, annotations: Sequence[Annotation], text_of, weights, embedder, locate: Locate, sessions: set[str], vectors=None,
                 retrieved: frozenset[tuple[str, int]] = frozenset()) -> Found | None:
    """The relayed or audience question closest to what the question asks about: among those in the retrieved
    passages' turns (`retrieved`: (session, turn number)) when any is, else among those of `sessions`."""
    candidates = askers(query, annotations)
    in_retrieved = [a for a in candidates if (a.session_id, a.turn_no) in retrieved]
    for score, annotation in _ranked(query, in_retrieved or candidates, text_of, weights, embedder, set() if in_retrieved else sessions, locate, vectors):
        evidence = _evidence(annotation, locate, score)
        if evidence is not None:
            return Found(annotation, evidence, score)
    return None


_ASKING_VERB = re.compile(r"\b(?:ask|asked|asks|want\s+to\s+know|wanted\s+to\s+know|wonder|wondered|question|relay|relayed|read\s+out)\b", re.I)
_PARTICIPANT = re.compile(r"\b(?:participant|audience\s+member|person|delegate|someone|questioner)\b", re.I)


def about_an_asker(query) -> bool:
    """"What did María González in Bogotá want to know?", "What did the online participant from Nairobi ask?": a
    question about what someone asked, named by their name or place."""
    # The moderator who read the question out is not the one it is about ("What did the online moderator relay from ...").
    return bool(query.names) and _ASKING_VERB.search(query.text) is not None and all(t.how == "moderator" for t in query.targets)


def asked_by(query, annotations: Sequence[Annotation], locate: Locate) -> list[Found]:
    """The questions asked by a person the question names, by name or, for "the participant from X", by place."""
    names = [n for n in query.names]
    by_place = _PARTICIPANT.search(query.text) is not None
    found = []
    for annotation in annotations:
        if annotation.kind not in (RELAYED, ASKED):
            continue
        if any(_same_person(n, annotation.who or "") or (by_place and _same_person(n, annotation.place or "")) for n in names):
            evidence = _evidence(annotation, locate, 1.0)
            if evidence is not None:
                found.append(Found(annotation, evidence, 1.0))
    return found


def _same_person(name: str, who: str) -> bool:
    name_words, who_words = set(content_words(name)), set(content_words(who))
    return bool(name_words) and name_words <= who_words


def relayer_answer(annotations: Sequence[Annotation], locate: Locate, sessions: set[str]) -> Found | None:
    """The first question read out in the sessions: its reader is the one who relayed the questions."""
    for annotation in annotations:
        if annotation.kind == RELAYED and (not sessions or annotation.session_id in sessions):
            evidence = _evidence(annotation, locate, 1.0)
            if evidence is not None:
                return Found(annotation, evidence, 1.0)
    return None


def asker_text(found: Found, relayed_by: str | None) -> str:
    """'Lucía Benítez (Asunción), read out by Rahul Mehta' / 'Kofi Mensah (Tamale), at the microphone'."""
    annotation = found.annotation
    who = annotation.who or (f"a participant from {annotation.place}" if annotation.place else "a participant")
    if annotation.who and annotation.place:
        who = f"{who} ({annotation.place})"
    if annotation.kind == RELAYED:
        return f"{who}, a question read out by {relayed_by}" if relayed_by else f"{who}, a question read out by the moderator"
    return f"{who}, at the microphone"


# -- corrections ---------------------------------------------------------------------------------------------------
def corrector_answer(query, annotations: Sequence[Annotation], text_of, weights, embedder, locate: Locate, sessions: set[str], vectors=None,
                     corrects_named: Callable[[Annotation], bool] | None = None) -> Found | None:
    """The correction closest to what the question asks about ("Who corrected the figure for families?"); when the
    question names whose figure was corrected ("the Deputy Mayor's figure"), only the corrections of what that speaker
    said (`corrects_named`), if there are any."""
    found = [a for a in annotations if a.kind == CORRECTION]
    if corrects_named is not None:
        found = [a for a in found if corrects_named(a)] or found
    for score, annotation in _ranked(query, found, text_of, weights, embedder, sessions, locate, vectors):
        if query.numbers and not (query.numbers & (numbers_in(annotation.value or "") | numbers_in(annotation.replaces or ""))):
            score -= 0.5  # the question names the figure, and this correction is about another one
        evidence = _evidence(annotation, locate, score)
        if evidence is not None:
            return Found(annotation, evidence, score)
    return None


def corrected(evidence: Evidence, stated: set[str], annotations: Sequence[Annotation], locate: Locate) -> Found | None:
    """A later correction, in the same session, of a value `evidence` states (`stated`: its numbers): "It was 2,300
    families, not 3,200" for the sentence giving 3,200. The first such correction after the sentence."""
    if not stated:
        return None
    session, at = evidence.where
    end = at + len(evidence.text)
    for annotation in annotations:
        # A correction said after the sentence, or in the sentences that begin with it ("I said 3 million. ... It was 2.5").
        if annotation.kind != CORRECTION or annotation.session_id != session or annotation.end <= end or annotation.start < at:
            continue
        replaced = numbers_in(annotation.replaces or "")
        if replaced & stated and not numbers_in(annotation.value or "") & stated:
            found = _evidence(annotation, locate, evidence.score)
            if found is not None and _same_kind(evidence.text, stated & replaced, found.text, replaced | numbers_in(annotation.value or "")):
                return Found(annotation, found, evidence.score)
    return None


def _same_kind(stated_in: str, stated: set[str], corrected_in: str, corrected: set[str]) -> bool:
    """Are the figure a sentence states and the one a correction replaces the same kind of thing? "40 percent of our
    economy" is not corrected by "I said 40 repair ships. It's 14." (a share, a count); "a three-year grant" not by
    "the fine was 3 million pesos". True when either sentence types none of them."""
    first = [s for s in spans_in(stated_in) if numbers_in(s.text) & stated]
    second = [s for s in spans_in(corrected_in) if numbers_in(s.text) & corrected]
    if not first or not second:
        return True
    if not {s.kind for s in first} & {s.kind for s in second}:
        return False
    # Two counts are of the same thing when they count the same noun: "40 members" is not "40 repair ships".
    stated_nouns, corrected_nouns = _counted_nouns(stated_in, first), _counted_nouns(corrected_in, second)
    return not stated_nouns or not corrected_nouns or bool(stated_nouns & corrected_nouns)


def _counted_nouns(text: str, spans) -> set[str]:
    """The stems of the words a count counts: the content words among the four after it, within its clause ("40
    repair ships": repair, ships; "not 40, for the Indian Ocean": indian, ocean)."""
    found = set()
    for span in spans:
        if span.kind == COUNT:
            following = re.split(r"[.?!;]", text[span.end :], maxsplit=1)[0]
            found |= {stem(w) for w in content_words(" ".join(following.split()[:4])) if not numbers_in(w)}
    return found


# -- stances ---------------------------------------------------------------------------------------------------------
def stance_answer(query, annotations: Sequence[Annotation], text_of, weights, embedder, locate: Locate, speakers: set[tuple[str, str]], speaker_of_turn) -> Found | None:
    """The stance sentence of one of `speakers` ((session, speaker key)) closest to the question's topic: one whose
    words, or the sentences next to it, hold a word of the question's focus ("I strongly agree with Abena on this." after
    "A per-transfer fee is a tax on trade"); None when the speaker took sides only on other things ("we support the fund"
    is no answer about the convention). The evidence runs on into the next sentence when the stance announces it ("with
    one condition.")."""
    own = [a for a in annotations if a.kind == STANCE and (a.session_id, speaker_of_turn(a.session_id, a.turn_no)) in speakers]
    for score, annotation in _ranked(query, own, text_of, weights, embedder, set()):
        evidence = _evidence(annotation, locate, score)
        if evidence is None:
            continue
        before, after = _beside(evidence)
        if after is None:
            # The sentence ends its chunk: the next chunk holds it too (chunks overlap), with what follows it.
            evidence = _evidence_followed(annotation, locate, score) or evidence
            before, after = _beside(evidence)
        topic = _topic(query)
        if topic and _relevance(topic, " ".join(e.text for e in (before, evidence, after) if e is not None), weights) == 0:
            continue
        if after is not None and (_ANNOUNCES.search(evidence.text) or _relevance(topic, after.text, weights) > _relevance(topic, evidence.text, weights)):
            evidence = Evidence(evidence.passage, evidence.start, after.end, score)
        return Found(annotation, evidence, score)
    return None


# "..., with one condition.", "... on this:", "Here is why." : the stance's substance is in the next sentence.
_ANNOUNCES = re.compile(r"(?:\bconditions?|\bthis|\bwhy|\bfollows?|:)\W*$", re.I)


def _evidence_followed(annotation: Annotation, locate: Locate, score: float) -> Evidence | None:
    found = locate(annotation.session_id, annotation.start, annotation.end + FOLLOWING_CHARS)
    if found is None or not found[0].chunk.start_char <= annotation.start < annotation.end <= found[0].chunk.end_char:
        return None  # no chunk holds the sentence with more after it
    passage, a, _ = found
    return Evidence(passage, a, a + annotation.end - annotation.start, score)


FOLLOWING_CHARS = 200  # about a sentence


def _topic(query) -> list[str]:
    """The question's focus words less those naming the speakers it asks about ("the Africa Open Networks Coalition's
    position on the convention": convention)."""
    naming = set()
    for target in query.targets:
        naming |= {stem(w) for w in content_words(" ".join(filter(None, (target.speaker.description(), target.speaker.organisation, target.speaker.name))))}
    return [w for w in query.focus if stem(w) not in naming]


def _relevance(focus: Sequence[str], text: str, weights: TermWeights) -> float:
    if not focus:
        return 0.0
    present = {stem(w) for w in content_words(text)}
    return sum(weights.weight(w) for w in focus if stem(w) in present) / sum(weights.weight(w) for w in focus)


def _beside(item: Evidence) -> tuple[Evidence | None, Evidence | None]:
    """The sentences just before and after `item` in its passage."""
    spans = sentence_spans(item.passage.chunk.text)
    at = next((i for i, (a, _) in enumerate(spans) if a == item.start), None)
    if at is None:
        return None, None
    before = Evidence(item.passage, *spans[at - 1], item.score) if at > 0 else None
    after = Evidence(item.passage, *spans[at + 1], item.score) if at + 1 < len(spans) else None
    return before, after


def stance_people(query, polarity: str, annotations: Sequence[Annotation], text_of, weights, embedder, locate: Locate, sessions: set[str],
                  exclude: set[str], speaker_of_turn, limit: int = 4) -> list[Found]:
    """The speakers who took side `polarity` on what the question is about, one stance sentence each, best first:
    those whose stance sentences share the question's focus words."""
    found, seen = [], set()
    sides = {FOR, CONDITIONAL} if polarity == FOR else {polarity}  # support on a condition is support
    stances = [a for a in annotations if a.kind == STANCE and a.value in sides]
    for score, annotation in _ranked(query, stances, text_of, weights, embedder, sessions):
        speaker = (annotation.session_id, speaker_of_turn(annotation.session_id, annotation.turn_no))
        if speaker in seen or speaker[1] in exclude or relevance(query, text_of(annotation), weights) == 0:
            continue
        evidence = _evidence(annotation, locate, score)
        if evidence is not None:
            seen.add(speaker)
            found.append(Found(annotation, evidence, score))
        if len(found) == limit:
            break
    return found


STANCE_WORDS = {FOR: "supports it", AGAINST: "is against it", CONDITIONAL: "gives it conditional support", NEUTRAL: "takes no position"}
