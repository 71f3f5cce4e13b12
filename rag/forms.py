"""The answer a person reads: a short answer in the shape of the question's form (rag.question_types), and beside it
the verbatim sentences it rests on (`Draft.quote`), from the evidence sentences (rag.evidence) and, when one ran, the
language model's reply:

- "who": the person's name and role;
- "role": the role the transcript introduces a speaker with (the speaker directory);
- "number" and other typed answers: the clause stating the thing asked for, with the speaker;
- "list", "view", "fact": the model's reply when it passes the grounding check, else the best sentence's clauses
  that say most of what was asked, cut to ANSWER_WORDS words.

Every answer is built from sentences of the passages, so it can be checked against them (rag.cite.check_grounding).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.text import NUMBER_WORDS, STOPWORDS, content_words, fold, numbers_in, sentence_spans, stem, words
from rag.cite import Grounding, check_grounding
from rag.evidence import ANNOUNCED_ITEMS, COURTESY, GIVES_REASON, REFERS_BACK, Evidence, answer_spans, sentence_after, sentence_before
from rag.spans import NUMERIC, Span
from rag.question_types import FACT, LIST, NUMBER, VIEW, WHO
from rag.types import Passage

# -- people --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    name: str
    role: str | None

    def label(self, full_role: bool = False) -> str:
        """"Christopher Painter (Director of the GFC)": the role cut at its first comma unless `full_role`."""
        if not self.role:
            return self.name
        role = self.role if full_role else re.split(r"[,;]\s", self.role, maxsplit=1)[0]
        if fold(role) in fold(self.name):
            return self.name
        return f"{self.name} ({role})"


def speaker_of(passage: Passage, directory) -> Person:
    """Who speaks in `passage`: an audience member by the name they gave, a panelist with their role."""
    chunk = passage.chunk
    if directory is None:
        return Person(chunk.speaker_name, None)
    member = next((m for m in getattr(directory, "audience", []) if m.session_id == chunk.session_id and chunk.turn_no in m.turn_nos), None)
    if member is not None:
        return Person(member.name, _audience_role(member))
    speaker = directory.get(chunk.session_id, chunk.speaker) if hasattr(directory, "get") else None
    if speaker is None or speaker.kind in ("unknown", "audience"):
        return Person(chunk.speaker_name, None)
    return Person(speaker.name, speaker.description())


def _audience_role(member) -> str | None:
    where = member.place or member.organisation or member.country
    return f"audience member, {where}" if where else "audience member"


def people_mentioned(text: str, session_id: str, directory, exclude: set[str]) -> list[Person]:
    """Known speakers that `text` names (full name or a name alone), other than the speaker keys in `exclude`."""
    if directory is None or not hasattr(directory, "match"):
        return []
    found = []
    for match in directory.match(text):
        speaker = match.speaker
        if match.how != "name" or speaker.session_id != session_id or speaker.key in exclude or speaker.kind == "unknown":
            continue
        role = _audience_role(speaker) if speaker.is_audience_member else speaker.description()
        found.append(Person(speaker.name, role))
    return found



# -- answer parts ----------------------------------------------------------------------------------------
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?:but|because|while|whereas|although|so that|which)\s+|\s+-+\s+|\s+\u2011\u2011\s+")
MIN_CLAUSE_WORDS = 6


def clause_around(sentence: str, position: int) -> str:
    """The clause of `sentence` holding character `position`, widened by its neighbours until it has a few words."""
    breaks = list(_CLAUSE_BREAK.finditer(sentence))
    pieces = list(zip([0] + [m.end() for m in breaks], [m.start() for m in breaks] + [len(sentence)]))
    index = next((i for i, (a, b) in enumerate(pieces) if a <= position < max(b, a + 1)), len(pieces) - 1)
    first = last = index
    while len(words(sentence[pieces[first][0] : pieces[last][1]])) < MIN_CLAUSE_WORDS and (first > 0 or last < len(pieces) - 1):
        if last < len(pieces) - 1:
            last += 1
        else:
            first -= 1
    clause = sentence[pieces[first][0] : pieces[last][1]].strip(" ,;:.")
    return _LEADING_CONJUNCTION.sub("", clause)


_LEADING_CONJUNCTION = re.compile(r"^(?:and|but|so|or|because|while)\s+", re.I)


_NUMBER_TOKEN = re.compile(r"\b\d[\d,.]*%?|\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.I)


def best_span(sentence: str, query) -> Span | None:
    """The span of the type `query` asks for that sits closest to the question's focus words (what is counted or
    measured): "backhaul is 60 percent of our costs, power 15 percent" answers "what share ... backhaul" with 60."""
    found = answer_spans(sentence, query)
    if not found:
        return None
    focus = {stem(w) for w in query.focus}
    counted = set(query.counted | query.measured)

    def closeness(span: Span) -> float:
        # Nearer words say more, and what is counted ("412 respondents") most.
        before = [stem(w) for w in words(sentence[: span.start])][-SPAN_WINDOW:][::-1]
        after = [stem(w) for w in words(sentence[span.end :])][:SPAN_WINDOW]
        near = sum((2.0 if w in counted else 1.0 if w in focus else 0.0) / distance for side in (before, after) for distance, w in enumerate(side, start=1))
        # "By how much was the price cut?": "reduced by 90 percent", not the "30,000 inhabitants" it applies to.
        changed_by = query.asks_change and re.search(r"\bby\s*$", sentence[: span.start]) is not None
        # "How many of the pilots were still running?": "only one of them", not "eleven pilots".
        part = query.asks_part and _PART_OF.match(sentence, span.end) is not None
        return near + CHANGE_BONUS * (changed_by or part)

    return max(found, key=closeness)  # max keeps the first of equals


_PART_OF = re.compile(r"\s+(?:of\s+(?:them|those|these|the)\b|out\s+of\b)", re.I)
SPAN_WINDOW = 6  # words either side of a span that say what it counts
CHANGE_BONUS = 10.0  # more than any span's nearness to the question's words can add up to


def typed_clause(sentence: str, query) -> str | None:
    """The clause of `sentence` stating the thing `query` asks for, with what it counts or measures."""
    span = best_span(sentence, query)
    if span is None:
        return None
    if query.counted_pair:
        # "How many member authorities and observers ...": "23 member authorities, plus four observers".
        clauses = [clause_around(sentence, s.start) for s in answer_spans(sentence, query) if _counts(sentence, s, query.counted_pair)]
        if len(set(clauses)) > 1:
            return ", ".join(dict.fromkeys(clauses))
    return clause_around(sentence, span.start)


def _counts(sentence: str, span, nouns: tuple[str, ...]) -> bool:
    """Is one of `nouns` (stems) among the few words after `span` ("23 member authorities")?"""
    return any(stem(w) in nouns for w in words(sentence[span.end :])[:COUNTED_AFTER])


COUNTED_AFTER = 3


def number_clause(sentence: str, wanted: set[str] | None = None) -> str | None:
    """The clause of `sentence` that states a number (one of `wanted` when given), with what it counts."""
    for match in _NUMBER_TOKEN.finditer(sentence):
        stated = numbers_in(sentence[match.start() : match.end() + 12])
        if stated and (not wanted or stated & wanted) and not (match.group(0).lower() == "one" and "1" not in stated):
            return clause_around(sentence, match.start())
    return None


def clean_generated(text: str) -> str:
    """The model's reply without chat debris: a leading "Answer:" or speaker label, quotes, a cut-off last sentence."""
    text = _MARKERS.sub("", text).strip()
    text = re.sub(r"^(?:answer|a)\s*:\s*", "", text, flags=re.I)
    text = re.sub(r"^\[\d+\]\s*", "", text)
    text = text.strip().strip("\"'\u201c\u201d").strip()
    spans = sentence_spans(text)
    if len(spans) > 1 and not text.rstrip().endswith((".", "!", "?")):
        text = text[: spans[-2][1]]  # the last sentence was cut by the token limit
    return text.strip()


_MARKERS = re.compile(r"\s*\[\d+\]")



# -- the answer ------------------------------------------------------------------------------------------
GENERATED, REGENERATED, QUOTE, ATTRIBUTION = "generated", "regenerated", "quote", "attribution"
GROUNDING_FAILED = "failed the grounding check"  # in an answer's notes: the model's reply was replaced (eval.metrics)


@dataclass
class Draft:
    """An answer before citation markers: its words, the sentences it rests on (cited in this order), and how
    it was made (`source`: GENERATED, REGENERATED, QUOTE or ATTRIBUTION)."""

    text: str  # the short answer, without citation markers
    evidence: list[Evidence]
    source: str
    notes: list[str]
    grounding: Grounding | None = None
    beside: str | None = None  # the verbatim sentences shown beside the answer (None: the first evidence sentence)

    @property
    def quote(self) -> str:
        """The verbatim sentences that prove the answer, to show beside it."""
        if self.beside is not None:
            return self.beside
        return self.evidence[0].text if self.evidence else ""


# A short answer says this many words at most, after the speaker's name: the sentences it rests on are shown beside it.
ANSWER_WORDS = 40
ANNOUNCING_COST = 1.0  # one focus word's worth


ITEM_VALUE = 0.1  # less than a word of the question: items never outweigh what the question asks about


def brief(text: str, query=None, limit: int = ANSWER_WORDS) -> str:
    """`text` cut to at most `limit` words: the run of its clauses that holds most of the question's focus words (and
    the thing asked for), marked with "…" where it was cut."""
    if len(text.split()) <= limit:
        return text
    breaks = list(_CLAUSE_BREAK.finditer(text))
    pieces = list(zip([0] + [m.end() for m in breaks], [m.start() for m in breaks] + [len(text)]))
    focus = {stem(w) for w in (query.focus if query is not None else ())}
    typed = [s for s in answer_spans(text, query)] if query is not None else []

    # "Which screen readers does Rahul use?": the clause naming what is listed is followed by its items ("..., NVDA on my
    # laptop and VoiceOver on my phone").
    listed = stem(query.noun) if query is not None and query.form == LIST and query.noun else None

    def value(a: int, b: int) -> float:
        said = {stem(w) for w in words(text[a:b])}
        # A run that stops at a colon stops where what it announces begins ("only on one condition: that ..."); one
        # that stops at "but" before what it sets against ("not through restrictions, but through education"); one that
        # stops after naming what a list question asks for, before the items.
        announces = text[b : b + 1] == ":" or re.match(r"\s*,?\s*but\b", text[b:], re.I) is not None
        names_list = listed is not None and b < len(text) and listed in {stem(w) for w in words(text[a:b].rsplit(",", 1)[-1])}
        # A list question's answer is its items: of runs holding as many of the question's words, the one with more.
        items = ITEM_VALUE * text.count(",", a, b) if query is not None and query.form == LIST else 0.0
        return len(focus & said) + sum(2 for s in typed if a <= s.start < b) + items - 0.01 * a / max(1, len(text)) - ANNOUNCING_COST * (announces or names_list)

    best = None
    for i in range(len(pieces)):
        for j in range(i, len(pieces)):
            a, b = pieces[i][0], pieces[j][1]
            if len(text[a:b].split()) > limit:
                break
            if best is None or value(a, b) > value(*best):
                best = (a, b)
    if best is None:  # one clause longer than the limit: its first words
        cut = " ".join(text.split()[:limit])
        return cut.rstrip(" ,;:") + " …"
    if value(*best) <= 0:
        # No run holds a word of the question: the sentence's opening, as much of it as fits, not its first clause alone
        # ("So the fear as you see the technologies …").
        fits = [b for _, b in pieces if len(text[:b].split()) <= limit]
        best = (0, fits[-1]) if fits else best
    a, b = best
    clause = text[a:b].strip(" ,;:")
    return ("… " if a > 0 else "") + clause + (" …" if b < len(text.rstrip(" .")) else "")


def tight_context(evidence: list[Evidence]) -> list[Passage]:
    """The model's context: per passage, only its chosen sentences (in text order), best passage first."""
    grouped: dict[str, list[Evidence]] = {}
    for item in evidence:
        grouped.setdefault(item.passage.chunk.chunk_id, []).append(item)
    context = []
    for items in grouped.values():
        passage = items[0].passage
        text = " ".join(e.text for e in sorted(items, key=lambda e: e.start))
        context.append(dataclasses.replace(passage, chunk=dataclasses.replace(passage.chunk, text=text)))
    return context


def ground_in(claim: str, evidence: list[Evidence], question: str = "") -> tuple[Grounding, list[Evidence]]:
    """The grounding of `claim` in one sentence of `evidence` (the best-covering one), else in all of them
    together (citing those that share words with it). Names the `question` uses need not be in the sentence."""
    best: tuple[Grounding, Evidence] | None = None
    for item in evidence:
        grounding = check_grounding(claim, item.text, given=question)
        if grounding.supported and (best is None or grounding.coverage > best[0].coverage):
            best = (grounding, item)
    if best is not None:
        return best[0], [best[1]]
    joined = check_grounding(claim, " ".join(e.text for e in evidence), given=question)
    claim_words = content_words(claim)
    sharing = [e for e in evidence if claim_words & content_words(e.text)]
    return joined, (sharing[:2] if joined.supported else [])


def compose(plan, reply: str | None, directory=None, retry: Callable[[], str] | None = None) -> Draft:
    """The answer a person reads, in the shape of the plan's form (rag.plan.AnswerPlan), from the model's `reply` when
    it passes the grounding check, from a stricter second reply (`retry`) when the first fails, else from the best
    sentence verbatim. `reply` is None when no model was asked (the answer is then the best sentence, or a "who"
    attribution). A plan whose answer is already decided (a role, an asker, a correction, a stance) keeps it."""
    if plan.draft is not None:
        return plan.draft
    evidence, form, named, alongside = plan.evidence, plan.form, plan.named, plan.alongside
    if not evidence:
        return Draft("", [], QUOTE, ["no sentence of the passages supports an answer"])
    if form == WHO:
        found = choose_person(reply or "", evidence, directory, named, plan.who_said, plan.acted_on)
        if found is not None and found[1].score < evidence[0].score - SECOND_SENTENCE_MARGIN and evidence[0].passage.chunk.speaker in named:
            # "Who trained the coaches in X's case?": X's best sentence names no one, so the answer is in X's words
            # ("people trained by social psychologists"), not a person a far weaker sentence happens to name.
            found = None
        if found is not None:
            person, item, source = found
            if item.passage.chunk.chunk_id != evidence[0].passage.chunk.chunk_id:
                # The best sentence's passage names the person too ("dear co-moderator here" beside "Here with me is
                # Tracy Hackshaw"): that passage, the one that answers, is the one to cite, not a passing mention.
                item = next((e for e in alongside if person in people_mentioned(e.text, e.passage.chunk.session_id, directory, named)), item)
            # The name answers; the sentence beside it lets the reader check it at a glance.
            return Draft(person.label(), [item], source, list(plan.notes))
    notes: list[str] = list(plan.notes)
    if reply is not None and form not in (WHO, VIEW):
        # The reply must rest on the sentences the quoted answer would show (the best sentence's passage): measured,
        # a reply grounded in another passage was more often a wrong one (another number, a side remark).
        quoted = _quoted_sentences(form, evidence, alongside)
        attempts = [(reply, GENERATED)]
        for attempt in range(2):
            text, source = attempts[attempt]
            draft = _generated(plan.query, clean_generated(text), quoted, directory, source)
            if draft.grounding is not None and draft.grounding.supported:
                draft.notes = notes
                # Beside the short answer, the sentences of the cited passage that prove it: a reader checks it at a
                # glance, and a short reply that misses the point is not all they see.
                draft.beside = " ".join(e.text for e in sorted(quoted, key=lambda e: e.start))
                return draft
            notes.append(f"the {'first' if attempt == 0 else 'second'} answer {GROUNDING_FAILED} ({_reason(draft)})")
            if retry is None or attempt == 1:
                break
            attempts.append((retry(), REGENERATED))
        notes.append("showing the best supporting sentence instead")
    return _quoted(plan.query, evidence, directory, notes, alongside, getattr(plan, "correction", None))


def _reason(draft: Draft) -> str:
    return draft.grounding.reason if draft.grounding is not None else "the reply was empty"


def _generated(query, core: str, evidence: list[Evidence], directory, source: str) -> Draft:
    form, question = query.form, query.text
    if not core:
        return Draft("", [], source, [], None)
    if form == LIST:
        items = [i.strip(" .") for i in re.split(r",\s*|;\s*|\s+and\s+|\n+|^\s*[-*\d.]+\s*", core) if i.strip(" .")]
        grounded = [(i, ground_in(i, evidence, question)) for i in items]
        kept = [(i, g) for i, g in grounded if g[0].supported]
        if len(kept) < 2 or len(kept) < len(items) / 2:
            missing = tuple(i for i, g in grounded if not g[0].supported)
            return Draft(core, [], source, [], Grounding(False, len(kept) / max(1, len(items)), missing))
        cited = []
        for _, (_, items_evidence) in kept:
            cited += [e for e in items_evidence if e not in cited]
        text = ", ".join(i for i, _ in kept[:-1]) + " and " + kept[-1][0]
        return Draft(_attributed(text, cited[0], directory), cited[:2], source, [], Grounding(True, 1.0))
    grounding, cited = ground_in(core, evidence, question)
    if not grounding.supported:
        return Draft(core, [], source, [], grounding)
    if form == NUMBER:
        stated = numbers_in(core)
        if not stated:
            return Draft(core, [], source, [], Grounding(False, grounding.coverage, ("a number",)))
        # The number with its unit and what it counts, in the speaker's words.
        core = number_clause(cited[0].text, stated) or core
    return Draft(_attributed(core, cited[0], directory), cited, source, [], grounding)


def _quoted_sentences(form: str, evidence: list[Evidence], alongside: list[Evidence] | None) -> list[Evidence]:
    """The best sentence and its passage's next-best ones (best first): a view, a list or a fact often spans several
    sentences of one turn, and one citation covers them all. Sentences of another passage would need more
    citations, and measured, those cost more citation precision than they gained answers."""
    best = evidence[0]
    same = alongside if alongside is not None else evidence[1:]
    same = [e for e in same if e.passage.chunk.chunk_id == best.passage.chunk.chunk_id and e.score >= best.score - SECOND_SENTENCE_MARGIN]
    return [best] + same[: QUOTED_SENTENCES.get(form, 1) - 1]


def _quoted(query, evidence: list[Evidence], directory, notes: list[str], alongside: list[Evidence] | None = None, correction=None) -> Draft:
    best, form = evidence[0], query.form
    core = best.text
    if correction is not None and correction.value in best.text:
        # The value as corrected: "It was 2.5 million pesos" (corrected from 3 million).
        core = f"{clause_around(best.text, best.text.rindex(correction.value))} (corrected from {correction.replaces})"
    elif query.answer_type in NUMERIC and (clause := typed_clause(best.text, query)):
        core = clause
    elif form == NUMBER:
        core = number_clause(best.text) or core
    if core == best.text and form in (VIEW, FACT) and ANNOUNCES_CANDOUR.search(best.text):
        # "On mutual recognition I have to be very honest, and maybe a little bit impolite. Brazil will not outsource its
        # adequacy decisions to anyone.": the sentence announces how the view will be said; the next one says it.
        after = sentence_after(best.passage.chunk.text, best.end)
        if after:
            core = f"{best.text} {after}"
    items = listed_after(best, query) if form in (LIST, VIEW, FACT) and core == best.text else None
    if items:
        # "You have three problems at once. The permit, ... The insurance, ... And the crew, ...": the items it announces.
        return Draft(_attributed(f"{best.text} {items}", best, directory), [best], QUOTE, notes, Grounding(True, 1.0), f"{best.text} {items}")
    quoted = sorted(_quoted_sentences(form, evidence, alongside), key=lambda e: e.start) if form in QUOTED_SENTENCES else [best]
    beside = " ".join(e.text for e in quoted)
    if form in QUOTED_SENTENCES and core == best.text and query.position:
        # "Her final recommendation", "his closing remarks": the turn's sentences that say something, in order.
        core = " ".join(e.text for e in quoted if not says_nothing(e.text)) or best.text
    elif form in QUOTED_SENTENCES and core == best.text and says_nothing(best.text):
        # The short answer is the best sentence that says something ("Thank you very much, Tracy." says nothing).
        core = next((e.text for e in quoted if not says_nothing(e.text)), best.text)
    if core == best.text and form != LIST and REFERS_BACK.match(best.text):
        # "It was effectively acting as a proxy for ethnicity ...": what "it" is was said in the sentence before.
        core = f"{sentence_before(best.passage.chunk.text, best.start)} {best.text}".strip()
    if core == best.text and query.asks_reason and not GIVES_REASON.search(best.text):
        # "The fund has not financed a single network. Not because we are against them, but because ...": a sentence
        # that restates what the question asks about, with the reason said next.
        after = sentence_after(best.passage.chunk.text, best.end)
        if GIVES_REASON.search(after):
            core = f"{best.text} {after}"
    return Draft(_attributed(brief(core, query), best, directory), [best], QUOTE, notes, Grounding(True, 1.0), beside)


# A sentence ending on how the speaker is about to put it ("I have to be very honest", "let me be blunt").
ANNOUNCES_CANDOUR = re.compile(
    r"\b(?:be|being)\s+(?:very\s+|quite\s+|completely\s+|perfectly\s+)?(?:honest|frank|clear|blunt|direct|impolite|undiplomatic)\b"
    r"(?:,?\s+(?:and|or)\s+(?:maybe\s+|perhaps\s+)?(?:a\s+(?:little\s+)?(?:bit\s+)?)?\w+)?\s*[.:!]?\s*$",
    re.I,
)


LISTED_SENTENCES = 4  # the most sentences an announced list is read on into


def listed_after(best: Evidence, query) -> str | None:
    """The sentences after `best` that list what it announces: "three problems", "two measures", or a sentence ending
    in a colon; at most the announced number of them (LISTED_SENTENCES when none is said). None when `best` announces
    no list."""
    text = best.passage.chunk.text
    sentence = best.text.rstrip()
    noun = stem(query.noun) if query.noun else None
    announced = next((n for n in query.numbers if n.isdigit() and 1 < int(n) <= LISTED_SENTENCES), None)
    number = rf"\b(?:{'|'.join(_NUMBER_NAMES.get(announced, ()))}|{announced})\s+"
    # The noun asked for ("two measures", "three big problems"), or, right after the number and ending its clause, a
    # word saying nothing of the items ("we did two things.", "Three things, very concretely."); "at two different
    # points." is no announcement.
    generic = "|".join(f"{w}\\w*" for w in sorted(ANNOUNCED_ITEMS))
    counted = announced and noun and re.search(rf"{number}(?:(?:\w+\s+)?{re.escape(query.noun[:5])}|(?:{generic})(?=\s*(?:[.:,;]|$)))", sentence, re.I)
    missing = _ANNOUNCES_MISSING.search(sentence) if not counted else None
    if missing:
        announced = _NUMBER_VALUES[missing.group(1).lower()]
    if not counted and not missing and not sentence.endswith(":"):
        return None
    following = [text[a:b] for a, b in sentence_spans(text) if a >= best.end]
    ordinals = [s for s in following if ORDINAL_ITEM.match(s)]
    if len(ordinals) >= 2:
        # "Two things. First, we created a permit desk. A permit used to take three weeks. ... Second, ...": the items
        # are the sentences their ordinals open, not the ones that explain them.
        return " ".join(ordinals[: int(announced) if announced else LISTED_SENTENCES])
    return " ".join(following[: int(announced) if announced else LISTED_SENTENCES]) or None


ORDINAL_ITEM = re.compile(r"\s*(?:and\s+)?(?:first|second|third|fourth|finally|lastly)(?:ly)?\b", re.I)


# "Two things are missing, and they are not small.", "Abena listed the criteria, and one is missing.": the next sentences
# say what.
_ANNOUNCES_MISSING = re.compile(r"\b(one|two|three|four)\s+(?:[\w-]+\s+)?(?:is|are|was|were)\s+(?:still\s+)?missing\b", re.I)
_NUMBER_VALUES = {"one": "1", "two": "2", "three": "3", "four": "4"}


_NUMBER_NAMES = {"2": ("two", "both"), "3": ("three",), "4": ("four",)}


def says_nothing(sentence: str) -> bool:
    """A courtesy ("Thank you very much, Tracy.", "Yes, please, go ahead.") or a sentence of a few words."""
    return len(content_words(sentence)) < 3 or (COURTESY.match(sentence) is not None and len(sentence.split()) <= 8)


# How many sentences of the best passage a quoted answer may join, per form.
QUOTED_SENTENCES = {VIEW: 3, LIST: 3, FACT: 3}
SECOND_SENTENCE_MARGIN = 0.5  # measured on odd-numbered questions: 0.3 -> 0.5 gained 5 answers, 1.0 none more


def _attributed(core: str, item: Evidence, directory) -> str:
    """"Alissa Starzak: something like 20% of all of the websites ...": the speaker's name, then the answer."""
    return f"{speaker_of(item.passage, directory).name}: {core}"


def choose_person(reply: str, evidence: list[Evidence], directory, named: set[str], who_said: bool,
                  acted_on: set[str] = frozenset()) -> tuple[Person, Evidence, str] | None:
    """The person a "who" question asks for: the one the model named, when that person speaks or is named in the
    evidence; else, for "who said ...", the speaker of the best sentence, and otherwise a person the best
    sentence names (someone other than those the question names), or its speaker. Never one of `acted_on` (speaker
    keys: "Who disagreed with the Deputy Mayor?")."""
    candidates: list[tuple[Person, Evidence]] = []
    for item in evidence:
        if not who_said:
            candidates += [(p, item) for p in people_mentioned(item.text, item.passage.chunk.session_id, directory, named | acted_on)]
        if (item.passage.chunk.speaker not in named or who_said) and item.passage.chunk.speaker not in acted_on:
            candidates.append((speaker_of(item.passage, directory), item))
    candidates = [(p, e) for p, e in candidates if p.name and fold(p.name) not in ("unknown", "audience", "moderator")]
    if not candidates:
        return None
    reply_words = set(words(reply))
    for person, item in candidates:
        if reply_words and set(words(person.name)) & reply_words - STOPWORDS:
            return person, item, GENERATED
    person, item = candidates[0]
    return person, item, ATTRIBUTION




# The forms whose answer the model is asked for, with the line added to its system prompt. "who" and "role"
# answers come from the speaker directory and "view" answers are the speaker's own sentences: measured, the
# model's replies for them were wrong more often than the rules (python -m eval.answer_study --prompts).
FORM_INSTRUCTIONS = {
    NUMBER: "Reply with the number and what it counts.",
    LIST: "Reply with the items only, separated by commas.",
    FACT: "Reply with a few words only.",
}



def profile_answer(targets, passages: list[Passage], directory) -> Draft | None:
    """"What role does X hold?": the role the transcript introduces X with, cited to the introducing passage."""
    if directory is None or len({(t.session_id, t.key) for t in targets}) != 1:
        return None
    speaker = targets[0].speaker
    role = speaker.description() if hasattr(speaker, "description") else None
    introductions = getattr(speaker, "introductions", [])
    if not role or not introductions:
        return None
    if speaker.organisation and fold(speaker.organisation) not in fold(role):
        role = f"{role}, {speaker.organisation}"
    evidence = []
    for passage in passages:
        chunk = passage.chunk
        if chunk.session_id != speaker.session_id:
            continue
        for start, end in introductions:
            for a, b in sentence_spans(chunk.text):
                if chunk.start_char + a < end and start < chunk.start_char + b:
                    item = Evidence(passage, a, b, 1.0)
                    if item.where not in {e.where for e in evidence}:
                        evidence.append(item)
    if not evidence:
        return None
    role_words = re.sub(r"^(?:Co-moderator|Moderator|Audience member);\s*", "", role)
    grounding = check_grounding(role_words, " ".join(e.text for e in evidence))
    if not grounding.supported:
        return None
    # Cite the introducing sentences that state the role (one when it holds the whole role), not merely the first
    # sentences of the introduction: "She is in New York" supports nothing of "Policy Director for Global Privacy".
    supported, cited = ground_in(role_words, evidence)
    cited = cited if supported.supported and cited else evidence[:2]
    return Draft(f"{speaker.name}: {role}", cited, ATTRIBUTION, [], grounding, " ".join(e.text for e in cited))

