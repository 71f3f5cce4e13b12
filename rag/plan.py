"""Planning an answer: from the `Query` and the retrieved passages, the sentences that support the answer (rag.evidence),
the answer decided by what the turns do when the question asks about that (rag.discourse: who asked, who corrected,
where a speaker stands), a value replaced by a later correction, and the confidence abstention reads (rag.abstain).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.annotate import RELAYED, Annotation
from index.text import content_words, fold, names_in, numbers_in, sentence_spans, stem, words
from rag import discourse
from rag import question_types as qt
from rag.abstain import Confidence, answering, focus_names, introduces, measure, neighbours, passage_about_focus
from rag.evidence import TYPED, Evidence, TermWeights, abbreviates, answer_spans, lead_with_best_passage, near, select_evidence
from rag.mentions import person_noun_pattern
from rag.people import AUDIENCE
from rag.forms import ATTRIBUTION, FORM_INSTRUCTIONS, LISTED_SENTENCES, ORDINAL_ITEM, QUOTED_SENTENCES, Draft, Person, brief, listed_after, profile_answer, speaker_of, tight_context
from rag.question_types import FACT, LIST, ROLE, STANCE, VIEW, WHO
from rag.spans import NUMERIC, of_kind, spans_in
from rag.types import Passage


TOPIC_SHARE = 0.2  # a name in at least this share of a session's turns is what the session is about
_ASKS = re.compile(r"\b(?:asks?|asked|wants\s+to\s+know|wanted\s+to\s+know|wonders?|would\s+like\s+to\s+know)\b", re.I)
_PLURAL_ASKERS = re.compile(r"\b(?:participants|people|askers|members|delegates)\b", re.I)


@dataclass(frozen=True)
class Resources:
    """What the answer stage reads besides the passages: built once per loaded index (rag.pipeline)."""

    embedder: object
    weights: TermWeights
    directory: object = None  # rag.speakers.SpeakerDirectory
    vectors: Callable[[list[tuple[Passage, int, int]]], np.ndarray] | None = None  # rag.evidence.SentenceVectors
    turn_at: Callable[[str, int], object] | None = None  # (session, turn number) -> index.types.Turn
    annotations: Sequence[Annotation] = ()
    locate: discourse.Locate | None = None  # (session, start, end) -> (passage, start, end in its text)
    text_of: Callable[[Annotation], str] | None = None  # an annotation's sentences
    name_max_share: float = 0.03  # Settings.name_max_share: a name in more of the passages is the setting, not an answer
    turns_of: Callable[[str], list] | None = None  # session -> its turns (index.types.Turn)

    @cached_property
    def _askers(self) -> dict[tuple[str, int], str]:
        found: dict[tuple[str, int], str] = {}
        for annotation in self.annotations:
            if annotation.who:
                key = (annotation.session_id, annotation.turn_no)
                found[key] = f"{found.get(key, '')} {annotation.who} {annotation.place or ''}".strip()  # "Aisha Bello in Kano"
        return found

    @cached_property
    def introduction_spans(self) -> frozenset[tuple[str, int, int]]:
        """(session, start, end) of every passage introducing a speaker, by the moderator or by themselves."""
        if self.directory is None:
            return frozenset()
        return frozenset((s.session_id, a, b) for s in self.directory.entries.values() for a, b in s.introductions)

    @cached_property
    def read_out_spans(self) -> frozenset[tuple[str, int, int]]:
        """(session, start, end) of every question a moderator reads out for someone else (index.annotate RELAYED)."""
        return frozenset((a.session_id, a.start, a.end) for a in self.annotations if a.kind == RELAYED)

    def askers_in(self, session_id: str, turn_no: int) -> str:
        """The names of the people whose questions the turn reads out or asks ("" when none): looked up, not searched,
        for every passage an answer weighs."""
        return self._askers.get((session_id, turn_no), "")

    def session_topic(self, session_id: str, name: str) -> bool:
        """Does `name` run through the session, in at least TOPIC_SHARE of its turns? Then it is what the session is
        about, and says nothing about which of its passages answers a question."""
        turns = self.session_turns(session_id)
        wanted = [stem(w) for w in content_words(name)]
        if not turns or not wanted:
            return False
        hits = sum(all(w in {stem(x) for x in words(t.text)} for w in wanted) for t in turns)
        return hits >= TOPIC_SHARE * len(turns)

    def session_turns(self, session_id: str) -> list:
        if self.turns_of is None:
            return []
        return self.turns_of(session_id)

    def moderators(self) -> frozenset[tuple[str, str]]:
        """(session, speaker key) of every session's moderators (rag.speakers: the speakers who introduce others)."""
        if self.directory is None:
            return frozenset()
        return frozenset((s.session_id, s.key) for s in self.directory.entries.values() if s.kind == "moderator")

    def speaker_of_turn(self, session_id: str, turn_no: int) -> str | None:
        turn = self.turn_at(session_id, turn_no) if self.turn_at else None
        return turn.speaker if turn is not None else None


@dataclass
class AnswerPlan:
    query: object  # rag.query.Query
    evidence: list[Evidence]
    confidence: Confidence
    draft: Draft | None = None  # an answer decided without the model (a role, an asker, a correction, a stance)
    alongside: list[Evidence] = dataclasses.field(default_factory=list)  # the best sentence's passage's other sentences, best first
    notes: list[str] = dataclasses.field(default_factory=list)
    correction: Annotation | None = None  # the later correction the answer rests on ("It was 2,300 families, not 3,200")

    @property
    def question(self) -> str:
        return self.query.text

    @property
    def form(self) -> str:
        return self.query.form

    @property
    def named(self) -> set[str]:
        """Speaker keys the question names outright."""
        return {t.key for t in self.query.targets if t.how == "name"}

    @property
    def acted_on(self) -> set[str]:
        """Speaker keys of the people a "who" question names as acted on: never its answer."""
        return {t.key for t in self.query.others}

    @property
    def who_said(self) -> bool:
        return self.query.kind == "who_said"

    @property
    def context(self) -> list[Passage]:
        return tight_context(self.evidence)

    @property
    def instruction(self) -> str | None:
        return FORM_INSTRUCTIONS.get(self.form)

    @property
    def asks_model(self) -> bool:
        return bool(self.evidence) and self.draft is None and self.form in FORM_INSTRUCTIONS


def asked_words_of_type(query) -> frozenset[str]:
    """Stems of the words a typed answer must be said of: what is counted, measured or amounted, or the event whose
    time is asked ("When is the pilot due to begin?": begin, start, launch, ...)."""
    if query.answer_type not in TYPED:
        return frozenset()
    return query.counted | query.measured | query.amount_of | query.event


def needs_wider_search(plan: "AnswerPlan") -> bool:
    """No passage of the context states the type of thing asked for, and the question says what it must be said of."""
    return not plan.confidence.type_found and bool(asked_words_of_type(plan.query))


def wider_answers(plan: "AnswerPlan", weights: TermWeights) -> bool:
    """Does the plan over more passages lead with a sentence stating what is asked, said of what it must be said of?"""
    return plan.confidence.type_found and bool(plan.evidence) and states_asked_words(plan.query, plan.evidence[0], weights)


def states_asked_words(query, item: Evidence, weights: TermWeights) -> bool:
    """Does the sentence state a thing of the type asked for, beside a word it must be said of, and is it, or are the
    sentences around it, about the rarest other word of the question ("the SignBridge avatar pilot ... it starts in
    January 2025", not "the citywide system started in 2019" near another pilot)?"""
    asked = asked_words_of_type(query)
    if not any(near(item.text, span, asked) for span in answer_spans(item.text, query)):
        return False
    topic = [w for w in query.focus if stem(w) not in asked]
    if not topic:
        return True
    rarest = stem(max(topic, key=weights.weight))
    return rarest in {stem(w) for w in words(f"{item.text} {neighbours(item)}")}


def asks_about_questions(query) -> bool:
    """Is the question about the questions asked ("Who asked whether ...", "What did the researcher ask ...", "Which
    questions did Kwame read out?")? Then a question read out can be its answer."""
    return query.asks_asker or query.asks_relayer or query.asks_relayed or bool(_ASKS.search(query.text) or _ABOUT_QUESTIONS.search(query.text))


# "the question from Benin", "How did Olga respond to the proposal": the question read out is what is answered.
_ABOUT_QUESTIONS = re.compile(r"\b(?:questions?|respond(?:s|ed)?|responses?|repl(?:y|ied|ies)|answer(?:s|ed)?|react(?:s|ed)?|reactions?)\b", re.I)


def plan_answer(query, passages: list[Passage], resources: Resources, sentences: int = 3) -> AnswerPlan:
    """Pick the answer's supporting sentences from `passages`, decide the answer when the turns' annotations do, and
    measure the confidence."""
    targets = list(query.targets)
    focus = frozenset(t.key for t in (query.answering or targets))
    addressed = frozenset(t.key for t in targets) - focus | {t.key for t in query.others}
    # A question about a speaker (kind "profile": where they are from, what they do) is answered where they are introduced.
    introductions = frozenset((t.session_id, a, b) for t in targets for a, b in t.speaker.introductions) if query.kind == "profile" else frozenset()
    turns = pointed_turns(query)
    if query.session_end and resources.directory is not None:
        turns |= closing_turns(passages, resources.directory)
    if query.answered_topic and resources.turn_at is not None:
        turns |= answering_turns(query.answered_topic, passages, resources.turn_at)
    # Whether a passage is about the names the question uses: not asked of a question about what a speaker said, whose
    # answer is in that speaker's words whether or not they repeat the names ("respond to the statistic on GDP").
    about = (lambda passage: passage_about_focus(query, passage, resources)) if focus_names(query, resources) and query.kind != "speaker_view" else None
    ranked = select_evidence(
        query, passages, resources.embedder, resources.weights, limit=None, vectors=resources.vectors, focus=focus, addressed=addressed,
        # What a session came to is the moderator's to sum up: their sentences are not held back then.
        turns=frozenset(turns), introductions=introductions, about=about, moderators=frozenset() if query.session_end else resources.moderators(),
        read_out=frozenset() if asks_about_questions(query) else resources.read_out_spans,
    )
    if query.others:
        # "Who disagreed with Owen?": Owen's own sentences cannot hold the answer, however well they match his name.
        acted_on = {(t.session_id, t.key) for t in query.others}
        ranked = [e for e in ranked if (e.passage.chunk.session_id, e.passage.chunk.speaker) not in acted_on] or ranked
        # Nor is the moderator's introduction of Owen: it names him, and disagrees with nobody.
        ranked = [e for e in ranked if not introduces(e, resources.introduction_spans)] or ranked
    if query.form == WHO and not query.targets and resources.directory is not None:
        ranked = described_as_asked(query, ranked, resources.directory)
    if query.form in QUOTED_SENTENCES and query.answer_type not in NUMERIC:
        ranked = lead_with_best_passage(ranked)
    if query.quoted and query.form != WHO:
        # "When Rizal said \"as Ana said\", which point ...": the sentence saying the quoted words is the answer's.
        quoting = next((e for e in ranked if any(fold(q) in fold(e.text) for q in query.quoted)), None)
        if quoting is not None:
            ranked = [quoting] + [e for e in ranked if e is not quoting]
    announcing = None
    if (query.form == LIST and query.numbers) or (query.form in (VIEW, FACT) and query.answer_type is None):
        # "What three problems ...": the sentence announcing three problems leads, and the answer reads on into them; so
        # does "two things are missing" for "What did Inès say was missing ...?".
        searched = ranked[:ANNOUNCING_SENTENCES] if query.form == LIST else [e for e in ranked if ranked and e.passage.chunk.chunk_id == ranked[0].passage.chunk.chunk_id]
        announcing = next((a for e in searched for a in (e, *announced_before(e)) if listed_after(a, query) and (query.form == LIST or _shares_focus(e, query))), None)
        if announcing is not None:
            ranked = [announcing] + [e for e in ranked if e is not announcing]
    notes: list[str] = []
    correction: list[Annotation] = []
    draft = decided_answer(query, passages, ranked, resources, notes)
    found = True
    if draft is None:
        # The answer rests on the best sentence that can answer (rag.abstain.answering), not merely the best-scored one.
        # A sentence announcing the list asked for ("Two things.") answers with the items it announces.
        lead = ranked[0] if announcing is not None else answering(query, ranked, resources, resources.name_max_share)
        found = lead is not None
        if lead is not None and lead is not ranked[0]:
            ranked = [lead] + [e for e in ranked if e is not lead]
        if query.answer_type in NUMERIC and ranked:
            ranked = from_its_source(query, ranked, resources.moderators())
        if query.answer_type in TYPED and ranked:
            ranked = _corrected_first(query, ranked, resources, notes, correction)
    evidence = ranked[:sentences]
    if draft is not None:
        evidence = draft.evidence + [e for e in evidence if e.where not in {d.where for d in draft.evidence}]
    alongside = [e for e in ranked[1:] if ranked[0].passage.chunk.chunk_id == e.passage.chunk.chunk_id] if ranked else []
    confidence = measure(query, passages, evidence, resources, found)
    pointed_at = query.position and turns & {(p.chunk.session_id, p.chunk.turn_no) for p in passages}
    # Words the question quotes, found as said: the question is about that passage, whatever its other words.
    pointed_at = pointed_at or (query.quoted and any(fold(q) in fold(p.chunk.text) for q in query.quoted for p in passages))
    if (draft is not None and draft.text) or pointed_at:
        # An answer the turns' annotations or the speaker directory decided rests on what they found, not on the words;
        # so does one from the turn the question points at ("Chris Painter's final message"), whatever its words.
        confidence = dataclasses.replace(confidence, coverage=max(confidence.coverage, 1.0))
    return AnswerPlan(query, evidence, confidence, draft, alongside, notes, correction[0] if correction else None)


def announced_before(item: Evidence) -> list[Evidence]:
    """For an item of a list ("Second, from 2026, every operator must ..."), the sentences of its passage before it,
    nearest first, among which the one announcing the list ("Two things.") may be; none for any other sentence."""
    if not ORDINAL_ITEM.match(item.text):
        return []
    spans = [(a, b) for a, b in sentence_spans(item.passage.chunk.text) if b <= item.start]
    return [Evidence(item.passage, a, b, item.score) for a, b in spans[::-1][:LISTED_SENTENCES]]


def described_as_asked(query, ranked: list[Evidence], directory) -> list[Evidence]:
    """"Which minister called the convention unworkable?": among the best sentences, those of a speaker whose role
    holds the word the question asks for ("Vice Minister ...") come first; the others keep their order after them."""
    asked = {stem(w.lower()) for w in qt.asked_words(query.text)}
    if not asked:
        return ranked

    def fits(item: Evidence) -> bool:
        chunk = item.passage.chunk
        described = directory.describe(chunk.session_id, chunk.speaker, chunk.turn_no) or ""
        return bool(asked & {stem(w) for w in words(described)})

    best = ranked[:DESCRIBED_SENTENCES]
    fitting = [e for e in best if fits(e)]
    return fitting + [e for e in ranked if e not in fitting] if fitting else ranked


DESCRIBED_SENTENCES = 5  # the best sentences searched for one by a speaker described as the question asks


def decided_answer(query, passages: list[Passage], ranked: list[Evidence], resources: Resources, notes: list[str]) -> Draft | None:
    """The answer when the question asks about what the turns do (who asked, who corrected, where someone stands) or
    about a speaker's role; None for every other question."""
    sessions = set(query.sessions) or sessions_naming(query, {p.chunk.session_id for p in passages[:3]}, resources)
    annotations, directory = resources.annotations, resources.directory
    if resources.locate is None or resources.text_of is None:
        return profile_answer(query.targets, passages, directory) if query.form == ROLE else None
    found_args = (annotations, resources.text_of, resources.weights, resources.embedder, resources.locate)
    retrieved = frozenset((p.chunk.session_id, p.chunk.turn_no) for p in passages)
    if query.asks_relayed and query.targets:
        relayed = relayed_by(query, resources)
        if relayed is not None:
            return relayed
    if query.asks_asker and (query.form == LIST or _PLURAL_ASKERS.search(query.text)):
        # "Which remote participants had questions read out?": every asker of the sessions.
        people = [a for a in discourse.askers(query, annotations) if a.who and a.session_id in sessions]
        found = [f for a in people if (f := discourse.Found(a, e, 1.0) if (e := discourse._evidence(a, resources.locate, 1.0)) else None)]
        if found:
            names = list(dict.fromkeys(f.annotation.who for f in found))
            return Draft(", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1], [f.evidence for f in found[:3]], ATTRIBUTION, [])
    if query.asks_asker:
        found = discourse.asker_answer(query, *found_args, sessions, resources.vectors, retrieved)
        if found is not None and query.asks_name and not found.annotation.who:
            notes.append("the person who asked did not give a name")
            return Draft("", [], ATTRIBUTION, list(notes))
        if found is not None:
            relayer = speaker_of(found.evidence.passage, directory).name if found.annotation.kind == "relayed" else None
            place = found.annotation.place
            text = place if query.answer_type in ("place", "locality") and place else discourse.asker_text(found, relayer)
            return Draft(text, [found.evidence], ATTRIBUTION, [])
    if query.form in (VIEW, FACT) and not query.asks_asker and discourse.about_an_asker(query):
        # "What did María González in Bogotá want to know?": the question she asked, as it was read out; nobody of that
        # name or place asked anything: not covered.
        asked = discourse.asked_by(query, annotations, resources.locate)
        if not asked:
            notes.append("no question from the person or place named was read out or asked")
            return Draft("", [], ATTRIBUTION, list(notes))
        who = asked[0].annotation.who or f"The participant from {asked[0].annotation.place}"
        text = resources.text_of(asked[0].annotation)
        asking = _ASKS.search(text)
        said = text[asking.end() :].strip() if asking else asked[0].evidence.text
        return Draft(f"{who} asked {brief(said, query)}", [asked[0].evidence], ATTRIBUTION, [], beside=text)
    if query.asks_moderator:
        draft = _moderator_answer(set(query.sessions) or {passages[0].chunk.session_id} if passages else set(), resources)
        if draft is not None:
            return draft
    if query.asks_relayer:
        found = discourse.relayer_answer(annotations, resources.locate, sessions)
        if found is not None:
            chunk = found.evidence.passage.chunk
            reader = directory.get(chunk.session_id, chunk.speaker) if directory is not None else None
            introduced = _introduction_saying(reader, _RELAYING, resources) if reader is not None else None
            return Draft(speaker_of(found.evidence.passage, directory).label(), [e for e in (introduced, found.evidence) if e is not None], ATTRIBUTION, [])
    if query.asks_corrector:
        found = discourse.corrector_answer(query, *found_args, sessions, resources.vectors, lambda a: _corrects_target(a, query, resources))
        if found is not None:
            return Draft(speaker_of(found.evidence.passage, directory).label(), [found.evidence], ATTRIBUTION, [])
    if query.answer_type == STANCE and query.targets:
        speakers = {(t.session_id, t.key) for t in query.targets}
        found = discourse.stance_answer(query, *found_args, speakers, resources.speaker_of_turn)
        if found is not None:
            name = speaker_of(found.evidence.passage, directory).name
            return Draft(f"{name} {discourse.STANCE_WORDS[found.annotation.value]}: {brief(found.evidence.text, query)}", [found.evidence], ATTRIBUTION, [])
    if query.asks_origin and not query.asks_asker and not query.targets:
        origin = origin_answer(query, ranked, resources)
        if origin is not None:
            return origin
    introduced = introduced_answer(query, resources)
    if introduced is not None:
        return introduced
    expanded = expansion_answer(query, ranked)
    if expanded is not None:
        return expanded
    if query.asked_side is not None:
        exclude = {t.key for t in (*query.targets, *query.others)}
        stances = [a for a in annotations if not query.in_audience or resources.speaker_of_turn(a.session_id, a.turn_no) == AUDIENCE]
        if query.others and resources.turn_at is not None:
            # "Who disagreed with Daniel?": a turn taking that side against someone else ("João, I fundamentally
            # disagree") is no answer; the turn must name one of the people acted on.
            stances = [a for a in stances if _names_any(resources.turn_at(a.session_id, a.turn_no), query.others)]
        people = discourse.stance_people(query, query.asked_side, stances, *found_args[1:], sessions, exclude, resources.speaker_of_turn)
        if people:
            names = [speaker_of(f.evidence.passage, directory).label() for f in people]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            return Draft(listed, [f.evidence for f in people[:3]], ATTRIBUTION, [])
    if query.form == ROLE:
        return profile_answers(query.targets, passages, resources)
    return None


def profile_answers(targets, passages: list[Passage], resources: Resources) -> Draft | None:
    """"Which company does Daniel work for?" with a Daniel in each of three sessions: each one's role, cited to where
    they were introduced (the question names no session)."""
    if len({t.session_id for t in targets}) != len(targets) or len(targets) == 1:
        return profile_answer(targets, passages, resources.directory)
    drafts = []
    for target in targets:
        located = [found[0] for a, b in target.speaker.introductions if (found := resources.locate(target.session_id, a, b)) is not None]
        draft = profile_answer((target,), passages + located, resources.directory)
        if draft is not None:
            drafts.append(draft)
    if len(drafts) < 2:
        return drafts[0] if drafts else None
    return Draft("; ".join(d.text for d in drafts), [d.evidence[0] for d in drafts][:3], ATTRIBUTION, [])


def relayed_by(query, resources: Resources) -> Draft | None:
    """"Which questions did Tomas Bergqvist read out?": each question read out in the target's turns, with who sent it
    and from where, cited where it was read out."""
    readers = {(t.session_id, t.key) for t in query.targets}
    items, evidence = [], []
    for annotation in resources.annotations:
        if annotation.kind != "relayed" or (annotation.session_id, resources.speaker_of_turn(annotation.session_id, annotation.turn_no)) not in readers:
            continue
        found = discourse._evidence(annotation, resources.locate, 1.0) if resources.locate else None
        if found is None:
            continue
        text = resources.text_of(annotation)
        asking = _ASKS.search(text)
        said = text[asking.end() :].strip() if asking else text
        who = ", ".join(x for x in (annotation.who, annotation.place) if x) or "a remote participant"
        items.append(f"{who}: {brief(said, None, RELAYED_WORDS)}")
        evidence.append(found)
    if not items:
        return None
    return Draft("; ".join(items), evidence[:3], ATTRIBUTION, [])


RELAYED_WORDS = 20  # each question read out, shortened: several make one answer


def origin_answer(query, ranked: list[Evidence], resources: Resources) -> Draft | None:
    """"Which country was the audience member from who runs internet through a village cooperative?": the audience
    member among the best sentences' speakers, and where they said they are from, cited to their introduction and to
    the sentence the question knows them by."""
    directory = resources.directory
    if directory is None:
        return None
    for item in ranked[:ORIGIN_SENTENCES]:
        chunk = item.passage.chunk
        member = directory.member(chunk.session_id, chunk.turn_no) if chunk.speaker == AUDIENCE else None
        if member is None or not (member.place or member.country):
            continue
        where = member.country if query.asks_country and member.country else member.place or member.country
        located = [found for a, b in member.introductions[:1] if resources.locate and (found := resources.locate(member.session_id, a, b)) is not None]
        # The last sentence of their introduction: the one saying where they are from ("Hello, I'm from Indonesia.").
        cited = [Evidence(p, c, d, 1.0) for p, a, b in located for c, d in sentence_spans(p.chunk.text) if c < b and a < d][-1:]
        who = f"{member.name}, in the audience" if member.aliases else "an audience member who gave no name"
        return Draft(f"{where} ({who})", [*cited, item][:2], ATTRIBUTION, [])
    return None


ORIGIN_SENTENCES = 3  # the best sentences searched for the audience member a question describes


def introduced_answer(query, resources: Resources) -> Draft | None:
    """"Who heads the Universal Access Fund at ZICTA?", "Which panelist is the engineer from Bengaluru?": the speaker the
    question describes by role, organisation or country (one per session: the question names no session, so each
    session's is given), cited to the sentence introducing them as such. None for a question about what someone did
    or said ("Which minister called the convention unworkable?"): the words decide that one."""
    # "At the Keeping the World Connected panel, who spoke for the ITU?": the person of the session the question names.
    targets = tuple(t for t in query.targets if not query.sessions or t.session_id in query.sessions)
    if query.form != WHO or query.kind == "who_said" or not targets or any(t.how == "name" for t in targets) or query.others:
        return None
    if len({t.session_id for t in targets}) != len(targets) or asks_what_was_done(query.text):
        return None
    asked = {stem(w) for w in content_words(query.text)}
    people, evidence = [], []
    for target in targets:
        sentences = []
        for start, end in target.speaker.introductions:
            found = resources.locate(target.session_id, start, end)
            if found is None:
                continue
            passage, a, b = found
            sentences += [Evidence(passage, c, d, 1.0) for c, d in sentence_spans(passage.chunk.text) if c < b and a < d]
        if not sentences:
            return None
        # The introducing sentence that says most of what the question describes them by.
        best = max(sentences, key=lambda e: len(asked & {stem(w) for w in content_words(e.text)}))
        said = {stem(w) for w in content_words(f"{target.speaker.description() or ''} {target.speaker.organisation or ''} {best.text}")}
        said |= set(target.speaker.acronyms) | {stem(w) for w in content_words(best.passage.chunk.session_title)}  # "At the Keeping the World Connected panel"
        # Every word of the question describing them is said of them: its focus words, and the names and initials it
        # uses ("Who is the CEO of Cloudflare?": a chief executive of something else is not the answer).
        describing = [*query.focus, *(w for name in query.names for w in content_words(name)), *(fold(w) for w in re.findall(r"\b[A-Z]{2,6}\b", query.text))]
        if any(stem(w) not in said and w not in said and stem(w.rstrip("s")) not in said and not re.fullmatch(PERSON_NOUN, w) and w not in BEING_WORDS for w in describing):
            return None  # "Who is the CEO of Cloudflare?": the Cloudflare speaker was not introduced as its CEO
        people.append(Person(target.speaker.name, target.speaker.description()).label())
        evidence.append(best)
    text = people[0] if len(people) == 1 else "; ".join(f"{p} in {e.passage.chunk.session_title}" for p, e in zip(people, evidence))
    return Draft(text, evidence[:3], ATTRIBUTION, [])


def expansion_answer(query, ranked: list[Evidence]) -> Draft | None:
    """"What does GFC stand for?": the name spelled out in the best sentences whose initials are the acronym."""
    for item in ranked[:EXPANSION_SENTENCES] if query.acronyms else ():
        for name in names_in(item.text):
            acronym = next((a for a in sorted(query.acronyms) if abbreviates(a, name) and fold(a) != fold(name)), None)
            if acronym:
                return Draft(f"{acronym} stands for {name}", [item], ATTRIBUTION, [])
    return None


EXPANSION_SENTENCES = 6
ANNOUNCING_SENTENCES = 6  # the best sentences searched for one announcing the list a question asks for


def asks_what_was_done(question: str) -> bool:
    """Does a "who" question ask about something done in the session ("Who argued ...", "Which panelist criticised
    ..."), not who someone is ("Who heads ...", "Which panelist is ...")?"""
    return bool(_DID_IN_SESSION.search(question))


PERSON_NOUN = person_noun_pattern() + "s?"
# Verbs that only say someone holds a place ("works for", "is based in"): an introduction need not repeat them.
BEING_WORDS = frozenset("work works worked working based comes come from represents represent representing represented spoke speaks speaking".split())
# Verbs of what people do in a session; "who heads/leads/runs/represents/founded X" asks who someone is.
_DID_IN_SESSION = re.compile(
    r"\b(?:said|says|say|argued|asked|answered|responded|replied|mentioned|proposed|suggested|called|critici[sz]ed|warned|agreed|disagreed|"
    r"supported|opposed|challenged|demanded|interrupted|thanked|corrected|relayed|raised|noted|described|cited|recommended|explained|told)\b",
    re.I,
)


def sessions_naming(query, candidates: set[str], resources: Resources) -> set[str]:
    """Of `candidates`, the sessions whose turns say every specific name of the question ("RiskLens"): a name said in
    one session only tells which session a "who corrected ..." means. All of them when no name narrows them."""
    names = [fold(n) for n in focus_names(query, resources)]
    if not names or len(candidates) < 2:
        return candidates
    naming = {s for s in candidates if all(any(n in fold(t.text) for t in resources.session_turns(s)) for n in names)}
    return naming or candidates


def _moderator_answer(sessions: set[str], resources: Resources) -> Draft | None:
    """The moderators of `sessions` (the speaker directory: who introduces the others), the main one first, each cited to
    the sentence of their turns that says they moderate, else to their first words."""
    directory = resources.directory
    if directory is None or not sessions:
        return None
    # A speaker key that is only a role ("MODERATOR") names nobody: it answers nothing a name would.
    chosen = sorted((s for s in directory.entries.values() if s.kind == "moderator" and s.session_id in sessions and s.turn_nos
                     and fold(s.name) not in ("moderator", "chair", "host")), key=lambda s: (s.co_moderator, s.turn_nos[0]))
    found = []
    for speaker in chosen:
        turn = resources.turn_at(speaker.session_id, speaker.turn_nos[0]) if resources.turn_at else None
        if turn is None or resources.locate is None:
            continue
        spans = sentence_spans(turn.text) or [(0, len(turn.text))]
        a, b = next(((a, b) for a, b in spans if _MODERATING.search(turn.text[a:b])), spans[0])
        located = resources.locate(speaker.session_id, turn.start_char + a, turn.start_char + b)
        # A co-moderator is best cited where the session introduced them as one ("Rahul is our online moderator").
        introduced = _introduction_saying(speaker, _MODERATING, resources) if speaker.co_moderator else None
        if introduced is not None:
            found.append((speaker, introduced))
        elif located is not None:
            found.append((speaker, Evidence(located[0], located[1], located[2], 1.0)))
    if not found:
        return None
    names = [Person(s.name, s.description()).label() for s, _ in found]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return Draft(listed, [e for _, e in found[:3]], ATTRIBUTION, [])


_MODERATING = re.compile(r"\b(?:moderat\w*|chair(?:ing|ed)?)\b", re.I)
_RELAYING = re.compile(r"\b(?:moderat\w*|questions?|online|remote)\b", re.I)


def _introduction_saying(speaker, pattern: re.Pattern, resources: Resources) -> Evidence | None:
    """The sentence introducing `speaker` (rag.introductions) that says what `pattern` looks for, if one does."""
    for start, end in speaker.introductions if resources.locate is not None else ():
        found = resources.locate(speaker.session_id, start, end)
        if found is None:
            continue
        passage, a, b = found
        text = passage.chunk.text
        for c, d in sentence_spans(text):
            if c < b and a < d and pattern.search(text[c:d]):
                return Evidence(passage, c, d, 1.0)
    return None


def _names_any(turn, people) -> bool:
    """Does the turn name one of `people` (query targets) by one of their names?"""
    if turn is None:
        return False
    said = f" {' '.join(words(turn.text))} "
    return any(t.session_id == turn.session_id and any(f" {alias} " in said for alias in t.speaker.aliases) for t in people)


def _shares_focus(item: Evidence, query) -> bool:
    return bool({stem(w) for w in query.focus} & {stem(w) for w in words(item.text)})


def from_its_source(query, ranked: list[Evidence], moderators: frozenset[tuple[str, str]]) -> list[Evidence]:
    """A moderator's summary ("the numbers we leave with are ... a 3 million euro compensation fund") repeats what a
    panelist said ("The council approved a compensation fund of 3 million euros"): when one of the next best sentences
    of the session states the same amount in another speaker's words, that one leads, and the answer is theirs. Not
    for a question about what the moderator said."""
    lead = ranked[0]
    chunk = lead.passage.chunk
    if (chunk.session_id, chunk.speaker) not in moderators or any(t.key == chunk.speaker for t in query.targets):
        return ranked
    stated = [numbers_in(span.text) for span in answer_spans(lead.text, query)]
    for item in ranked[1:SOURCE_SENTENCES]:
        other = item.passage.chunk
        if other.session_id != chunk.session_id or (other.session_id, other.speaker) in moderators:
            continue
        if any(numbers_in(span.text) in stated for span in answer_spans(item.text, query) if numbers_in(span.text)):
            return [item] + [e for e in ranked if e is not item]
    return ranked


SOURCE_SENTENCES = 4  # the best sentence and the next three: where the summarised speaker's own sentence would be


def _corrects_target(annotation: Annotation, query, resources: Resources) -> bool:
    """Does the correction replace a figure that one of the question's named speakers stated earlier in its session?"""
    named = {t.key for t in (*query.targets, *query.others) if t.session_id == annotation.session_id}
    replaced = numbers_in(annotation.replaces or "")
    if not named or not replaced:
        return False
    return any(turn.speaker in named and turn.turn_no < annotation.turn_no and replaced & numbers_in(turn.text) for turn in resources.session_turns(annotation.session_id))


def _corrected_first(query, ranked: list[Evidence], resources: Resources, notes: list[str], correction: list[Annotation]) -> list[Evidence]:
    """A typed answer whose value a later sentence corrects ("It was 2,300 families, not 3,200") is the correction."""
    best = ranked[0]
    stated = set().union(*(numbers_in(s.text) for s in answer_spans(best.text, query))) if answer_spans(best.text, query) else set()
    found = discourse.corrected(best, stated, resources.annotations, resources.locate) if resources.locate else None
    if found is None and query.asks_correction:
        # "When did the plan actually go live?": a correction of a date, not of an amount.
        corrections = [a for a in resources.annotations if a.kind == "correction" and a.session_id == best.where[0]
                       and (query.answer_type not in NUMERIC or of_kind(spans_in(a.value or ""), query.answer_type))]
        found = discourse.corrector_answer(query, corrections, resources.text_of, resources.weights, resources.embedder, resources.locate, set())
    if found is None:
        return ranked
    notes.append(f"a later sentence corrects {found.annotation.replaces} to {found.annotation.value}")
    correction.append(found.annotation)
    lead = dataclasses.replace(found.evidence, score=max(found.evidence.score, best.score))
    return [lead] + [e for e in ranked if e.where != lead.where]


def closing_turns(passages: list[Passage], directory) -> set[tuple[str, int]]:
    """(session, turn number) of the passages that are a moderator's last turn: where a session's outcome is summed up."""
    found = set()
    for passage in passages:
        chunk = passage.chunk
        speaker = directory.entries.get((chunk.session_id, chunk.speaker))
        if speaker is not None and speaker.kind == "moderator" and chunk.turn_no == speaker.last_turn:
            found.add((chunk.session_id, chunk.turn_no))
    return found


def pointed_turns(query) -> set[tuple[str, int]]:
    """(session, turn number) of the turn a question points at: each target speaker's last turn for "final
    recommendation", "closing remarks", their first for "opening remarks"."""
    position = getattr(query, "position", None)
    chosen = set()
    for target in getattr(query, "targets", ()) if position else ():
        turn_nos = sorted(target.turn_nos or target.speaker.turn_nos)
        if turn_nos:
            chosen.add((target.session_id, turn_nos[-1] if position == "last" else turn_nos[0]))
    return chosen


ANSWER_MIN_WORDS = 25  # "Yes, please, go ahead.", "Addressed to any speaker?": the floor passing, not the answer
ANSWER_WITHIN_TURNS = 8  # a question read out, repeated and passed on is answered within a few turns


def answering_turns(topic: str, passages: list[Passage], turn_at: Callable[[str, int], object]) -> set[tuple[str, int]]:
    """(session, turn number) of the turn answering the question asked about `topic` ("the answer to the question on
    emerging technologies"): the question is the passages' sentence ending in "?" that holds most of the topic's
    words (at least half); the answer, the first later turn that neither asks it again nor is a short aside."""
    wanted = {stem(w) for w in content_words(topic)}
    if not wanted:
        return set()

    def asks(text: str) -> float:
        shares = [len(wanted & {stem(w) for w in content_words(text[a:b])}) / len(wanted) for a, b in sentence_spans(text) if text[a:b].rstrip().endswith("?")]
        return max(shares, default=0.0)

    best, asked = 0.5, None
    for passage in passages:
        share = asks(passage.chunk.text)
        if share > best or (share == best and asked is None):
            best, asked = share, (passage.chunk.session_id, passage.chunk.turn_no)
    if asked is None:
        return set()
    session_id, asked_in = asked
    for turn_no in range(asked_in + 1, asked_in + 1 + ANSWER_WITHIN_TURNS):
        turn = turn_at(session_id, turn_no)
        if turn is None:
            break
        if len(words(turn.text)) >= ANSWER_MIN_WORDS and asks(turn.text) < 0.5:
            return {(session_id, turn_no)}
    return set()
