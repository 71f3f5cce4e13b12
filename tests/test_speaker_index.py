"""The speaker directory's word index finds exactly what scoring every speaker finds.

`SpeakerDirectory.match` scores only the speakers a word of the text can point at; the reference here is the
scan it replaced (every facet of every speaker), run over the eval questions and over each transcript's own
sentences, on the real transcript and on a directory of several sessions with renamed and repeated speakers.
No model is loaded.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from index.parse import parse_file, parse_text
from index.settings import PROJECT_ROOT
from index.text import sentence_spans
from rag.mentions import PERSON_NOUNS, mentions_organisation, points_for_role, tokens_of
from rag.places import countries_named, mentions_country, mentions_place
from rag.speakers import MODERATOR, Match, SpeakerDirectory
from tests.test_speakers import SYNTHETIC


def scan_name_matches(everyone, tokens, case_sensitive):
    folded = [t.folded for t in tokens]
    owner: dict[int, int] = {}
    points: dict[int, float] = {}
    multi = sorted(((alias.split(), i) for i, s in enumerate(everyone) for alias in s.aliases if " " in alias), key=lambda x: -len(x[0]))
    for parts, i in multi:
        for start in range(len(tokens) - len(parts) + 1):
            span = range(start, start + len(parts))
            if folded[start : start + len(parts)] == parts and all(owner.get(p, i) == i for p in span):
                owner.update({p: i for p in span})
                points[i] = 3.0
    for i, speaker in enumerate(everyone):
        for alias in speaker.aliases:
            if " " in alias or i in points:
                continue
            for position, token in enumerate(tokens):
                if token.folded == alias and owner.get(position, i) == i and (token.capitalised or not case_sensitive):
                    points[i] = 2.0
    return points


def scan_match(directory: SpeakerDirectory, text: str, case_sensitive: bool = True) -> list[Match]:
    """The matcher before the index: every facet of every speaker."""
    tokens = tokens_of(text)
    padded = " " + " ".join(t.folded for t in tokens) + " "
    scores: dict[int, tuple[float, str]] = {}
    everyone = directory.all()
    about_a_person = re.search(rf" {PERSON_NOUNS}s? ", padded) is not None

    def add(index, points, how):
        old, old_how = scores.get(index, (0.0, ""))
        scores[index] = (old + points, old_how or how)

    for i, points in scan_name_matches(everyone, tokens, case_sensitive).items():
        add(i, points, "name")
    for i, speaker in enumerate(everyone):
        if mentions_organisation(speaker, tokens, padded):
            add(i, 2.0, "organisation")
        role_points = points_for_role(speaker, padded, countries_named(tokens))
        if role_points:
            add(i, role_points, "role")
        place_points = 2.0 if speaker.is_audience_member and about_a_person else 1.5 if not speaker.is_audience_member else 1.0
        if speaker.country and mentions_country(speaker.country, tokens):
            add(i, place_points, "country")
        elif speaker.is_audience_member and speaker.place and mentions_place(speaker.place, tokens):
            add(i, place_points, "country")
        if speaker.kind == "moderator" and speaker.key != MODERATOR:
            if re.search(r" co ?-? ?moderat", padded) and speaker.co_moderator:
                add(i, 3.0, "moderator")
            elif re.search(r" (?:the )?(?:moderator|host)s? ", padded) and not re.search(r" co ?-? ?moderat", padded):
                add(i, 2.0, "moderator")
        if speaker.key == MODERATOR and re.search(r" online moderator ", padded):
            add(i, 3.0, "moderator")
    return [Match(everyone[i], points, how) for i, (points, how) in scores.items() if points >= 2.0]


def signature(matches: list[Match]) -> list[tuple]:
    return [(m.speaker.session_id, m.speaker.key, m.speaker.name, m.score, m.how) for m in matches]


def texts_for(turns) -> list[str]:
    questions = [json.loads(line)["question"] for line in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [turn.text[a:b] for turn in turns for a, b in sentence_spans(turn.text)]
    extra = [
        "What did the online moderator say?", "What did the co-moderator ask?", "What did the host say about the moderators?",
        "What did the Cuban deputy minister say?", "the participant from Nepal", "the Norwegian participant", "What did ECWAS say?",
        "What did the EFF speaker say?", "Katitza Rodriguez and Ernesto Rodriguez Hernandez", "rodriguez", "What did Sam say?",
        "the IWMI speaker", "the Brazilian director general", "the Argentinian director", "the satellite operator", "Kowalski", "", "??", "What did Olga Cavalli AB say?",
    ]
    return questions + sentences + extra


def renamed(turns, session_id: str, tag: str):
    keep = {"AUDIENCE", "MODERATOR", "UNKNOWN"}
    return [dataclasses.replace(t, session_id=session_id, speaker=t.speaker if t.speaker in keep else f"{t.speaker} {tag}",
                                speaker_name=t.speaker_name if t.speaker in keep else f"{t.speaker_name} {tag}") for t in turns]


@pytest.fixture(scope="module")
def real_turns(seed_path):
    return parse_file(seed_path).turns


@pytest.fixture(scope="module")
def several_sessions(real_turns):
    """The real session, a renamed copy, an exact copy under another id, and the synthetic water panel."""
    water = parse_text(SYNTHETIC, source="water-futures.txt", session_id="water").turns
    copy = [dataclasses.replace(t, session_id="copy") for t in real_turns]
    return real_turns + renamed(real_turns, "renamed", "AB") + copy + water


@pytest.mark.parametrize("case_sensitive", [True, False])
def test_index_matches_the_scan_on_the_real_transcript(real_turns, case_sensitive):
    directory = SpeakerDirectory(real_turns)
    texts = texts_for(real_turns)
    assert sum(bool(scan_match(directory, t, case_sensitive)) for t in texts) > 50  # the comparison covers real matches
    for text in texts:
        assert signature(directory.match(text, case_sensitive)) == signature(scan_match(directory, text, case_sensitive)), text


@pytest.mark.parametrize("case_sensitive", [True, False])
def test_index_matches_the_scan_on_several_sessions(several_sessions, case_sensitive):
    directory = SpeakerDirectory(several_sessions)
    texts = texts_for(several_sessions)[::3]
    for text in texts:
        assert signature(directory.match(text, case_sensitive)) == signature(scan_match(directory, text, case_sensitive)), text


def test_resolve_and_labels_match_the_scan(several_sessions):
    directory = SpeakerDirectory(several_sessions)
    for speaker in directory.all():
        for alias in sorted(speaker.aliases) + [speaker.key]:
            expected = {s.key for s in directory.all() if alias.lower() in s.aliases or alias.lower() == s.key.lower()}
            assert directory.resolve(alias) >= expected, alias
    for turn in several_sessions:
        member = next((m for m in directory.audience if m.session_id == turn.session_id and turn.turn_no in m.turn_nos), None)
        scanned = member.description() if member is not None else (directory.get(turn.session_id, turn.speaker).description()
                                                                    if directory.get(turn.session_id, turn.speaker) else None)
        assert directory.describe(turn.session_id, turn.speaker, turn.turn_no) == scanned


def entries_of(directory: SpeakerDirectory) -> list[tuple]:
    from rag.speakers import _to_json

    def plain(s):
        data = _to_json(s)
        data["aliases"], data["acronyms"] = sorted(data["aliases"]), sorted(data["acronyms"])
        data["introductions"] = [tuple(span) for span in data["introductions"]]
        return data

    return [(key, plain(s)) for key, s in directory.entries.items()] + [("audience", plain(m)) for m in directory.audience]


def test_cached_directory_is_the_derived_one_and_rederives_only_changed_sessions(several_sessions, tmp_path, monkeypatch):
    import rag.speakers as speakers

    cache = tmp_path / "cache" / "speakers.json"
    built = SpeakerDirectory(several_sessions)
    first = SpeakerDirectory(several_sessions, cache=cache)
    assert cache.exists() and entries_of(first) == entries_of(built)

    derived = []
    original = speakers.build_session
    monkeypatch.setattr(speakers, "build_session", lambda turns: derived.append(turns[0].session_id) or original(turns))
    again = SpeakerDirectory(several_sessions, cache=cache)
    assert derived == [] and entries_of(again) == entries_of(built)
    assert signature(again.match("What did Katitza Rodriguez say about ECWAS?")) == signature(built.match("What did Katitza Rodriguez say about ECWAS?"))

    # One session's text changes: only it is derived again; a session no longer indexed leaves the cache.
    changed = [dataclasses.replace(t, text=t.text.replace("Global Forum", "World Forum")) if t.session_id == "copy" else t
               for t in several_sessions if t.session_id != "water"]
    after = SpeakerDirectory(changed, cache=cache)
    assert derived == ["copy"]
    assert entries_of(after) == entries_of(SpeakerDirectory(changed))
    assert len(json.loads(cache.read_text(encoding="utf-8"))["sessions"]) == 3

    cache.write_text("{not json", encoding="utf-8")  # a damaged cache is no cache
    derived.clear()
    assert entries_of(SpeakerDirectory(changed, cache=cache)) == entries_of(after) and len(derived) == 3
