"""The speaker directory and query understanding, on the real transcript and on a synthetic one with other names.

No model is loaded here: the directory is built from parsed turns.
"""

from __future__ import annotations

import pytest

from index.parse import parse_file, parse_text
from rag.query import GENERAL, PROFILE, SPEAKER_VIEW, WHO_SAID, analyze, question_kind
from rag.introductions import acronyms_of
from rag.speakers import AUDIENCE, SpeakerDirectory


@pytest.fixture(scope="module")
def real(seed_path):
    transcript = parse_file(seed_path)
    return transcript.session.session_id, SpeakerDirectory(transcript.turns)


SYNTHETIC = """Water Futures Panel

***

>> ANNA KOWALSKI: Good morning everyone. My name is Anna Kowalski, Chief Water Officer of Poland.  Here with me is my colleague Ravi Menon.  He is the Head of Research, WaterLab.  He will help me moderate the session.

We have Samuel Okafor from the International Water Management Institute.  He is the Senior Hydrologist for West Africa.  Are you there?

>> SAMUEL OKAFOR: Yes, I am here.

>> ANNA KOWALSKI: Welcome.  He is joining us from Accra.  Over to Ravi.

>> RAVI MENON: Thank you, Anna.  I would like to introduce Beatriz Santos, Director General of the National Water Agency of Brazil, who is also online.

>> BEATRIZ SANTOS: Thank you.  Rivers do not stop at borders, so we share river gauge data with every neighbour.

>> SAMUEL OKAFOR: Groundwater is the hidden reserve.  We mapped 40 aquifers last year and found most of them overdrawn.

>> AUDIENCE: Thank you.  My name is Tomas Berg, based in Oslo Norway.  My question is for Sam: who pays for the mapping?

>> ANNA KOWALSKI: Thank you, Sam, please answer briefly.

>> SAMUEL OKAFOR: Donors paid for the first survey; utilities pay now.
"""


@pytest.fixture(scope="module")
def synthetic():
    transcript = parse_text(SYNTHETIC, source="water-futures.txt", session_id="water")
    return SpeakerDirectory(transcript.turns)


# -- the real transcript --------------------------------------------------------------------------------------
def test_roles_come_from_the_moderators_introductions(real):
    sid, directory = real
    painter = directory.get(sid, "CHRISTOPHER PAINTER")
    assert painter.role == "Director of the GFC, Global Forum on Cyber Expertise"
    assert painter.introduced_by == "OLGA CAVALLI"
    assert directory.describe(sid, "CHRISTOPHER PAINTER") == "Director of the GFC, Global Forum on Cyber Expertise"
    katitza = directory.get(sid, "KATITZA RODRIGUEZ")
    assert katitza.organisation == "Electronic Frontier Foundation"
    assert katitza.role == "Policy Director for Global Privacy"
    assert "eff" in katitza.acronyms
    assert directory.get(sid, "ALISSA STARZAK").organisation == "CloudFlare"
    ernesto = directory.get(sid, "ERNESTO RODRIGUEZ HERNANDEZ")
    assert ernesto.role.startswith("Deputy Minister of the Ministry of Communications")
    assert ernesto.country == "Cuba"
    folake = directory.get(sid, "FOLAKE OLAGUNJU")
    assert "economic community of West African states" in folake.organisation
    assert "ecowas" in folake.acronyms
    belyakova = directory.get(sid, "ELIZAVETA BELYAKOVA")
    assert belyakova.organisation == "Alliance for the Protection of Children in the Digital Environment"


def test_self_introduction_and_moderators(real):
    sid, directory = real
    olga = directory.get(sid, "OLGA CAVALLI")
    assert olga.role == "National Cybersecurity Director of Argentina"
    assert olga.country == "Argentina"
    assert olga.kind == "moderator" and not olga.co_moderator
    tracy = directory.get(sid, "TRACY HACKSHAW")
    assert tracy.kind == "moderator" and tracy.co_moderator
    assert directory.describe(sid, "TRACY HACKSHAW").startswith("Co-moderator")
    assert directory.get(sid, "CHRISTOPHER PAINTER").kind == "panelist"


def test_audience_members_from_their_self_introductions(real, seed_path):
    sid, directory = real
    members = {m.name: m for m in directory.audience if m.session_id == sid}
    assert members["Jinson Alufi"].country == "Nigeria"
    assert members["Qusai Oshati"].country == "Kuwait"
    assert members["Gannis"].country == "Nepal"
    assert any("Mona Houck" in name for name in members)
    assert all(m.key == AUDIENCE for m in members.values())
    # Where they introduced themselves is recorded, as a moderator's introduction of a panelist is: it answers
    # "Which organisation does X come from?". It ends with the sentence giving the name.
    turns = {t.turn_no: t for t in parse_file(seed_path).turns}
    jinson = members["Jinson Alufi"]
    (start, end), = jinson.introductions
    turn = turns[jinson.turn_nos[0]]
    said = turn.text[start - turn.start_char : end - turn.start_char]
    assert start == turn.start_char and said.endswith("Jinson\u00a0Alufi, based in Abuja Nigeria.") and len(said) < len(turn.text)


@pytest.mark.parametrize(
    "name, keys",
    [
        ("Christopher Painter", {"CHRISTOPHER PAINTER"}),
        ("Painter", {"CHRISTOPHER PAINTER"}),
        ("chris", {"CHRISTOPHER PAINTER"}),  # short form found in the text ("Thank you, Chris.")
        ("Folake", {"FOLAKE OLAGUNJU"}),
        ("Rodriguez", {"KATITZA RODRIGUEZ", "ERNESTO RODRIGUEZ HERNANDEZ"}),
        ("Ernesto Rodríguez Hernández", {"ERNESTO RODRIGUEZ HERNANDEZ"}),
        ("the Cuban deputy minister", {"ERNESTO RODRIGUEZ HERNANDEZ"}),
        ("the EFF speaker", {"KATITZA RODRIGUEZ"}),
        ("the Cloudflare speaker", {"ALISSA STARZAK"}),
        ("the ECOWAS speaker", {"FOLAKE OLAGUNJU"}),
        ("ECWAS", {"FOLAKE OLAGUNJU"}),  # a caption variant, one letter off
        ("the GFC director", {"CHRISTOPHER PAINTER"}),
        ("the co-moderator", {"TRACY HACKSHAW"}),
        ("Jinson Alufi", {AUDIENCE}),
        ("the participant from Kuwait", {AUDIENCE}),
        ("Quisai", {AUDIENCE}),  # misspelt as the captions do
        ("Zebulon Quartermaine", set()),
    ],
)
def test_resolve_any_alias(real, name, keys):
    _, directory = real
    assert directory.resolve(name) == keys


def test_full_name_does_not_also_match_a_shared_surname(real):
    _, directory = real
    matched = {m.speaker.key for m in directory.match("What legal protection did Katitza Rodriguez call for?")}
    assert matched == {"KATITZA RODRIGUEZ"}


def test_label_for_who_said_answers(real):
    sid, directory = real
    assert directory.label(sid, "KATITZA RODRIGUEZ") == "Katitza Rodriguez (Policy Director for Global Privacy, Electronic Frontier Foundation)"
    assert directory.describe(sid, "ALISSA STARZAK") == "CloudFlare's Vice President from Global Head of Public Policy"
    jinson_turn = next(m for m in directory.audience if m.name == "Jinson Alufi").turn_nos[0]
    assert directory.label(sid, AUDIENCE, jinson_turn).startswith("Jinson Alufi (Audience member")
    assert "not name" in directory.label(sid, "UNKNOWN")


# -- a synthetic transcript: the same rules, other names -------------------------------------------------------
def test_synthetic_directory_is_derived_from_its_own_text(synthetic):
    anna = synthetic.get("water", "ANNA KOWALSKI")
    assert anna.role == "Chief Water Officer of Poland" and anna.country == "Poland"
    assert anna.kind == "moderator" and not anna.co_moderator
    ravi = synthetic.get("water", "RAVI MENON")
    assert ravi.role == "Head of Research, WaterLab"
    assert ravi.kind == "moderator" and ravi.co_moderator
    samuel = synthetic.get("water", "SAMUEL OKAFOR")
    assert samuel.organisation == "International Water Management Institute"
    assert samuel.role == "Senior Hydrologist for West Africa"
    assert "iwmi" in samuel.acronyms
    assert "sam" in samuel.aliases
    # The introducer's next turn goes on about him after his short reply.
    assert len(samuel.introductions) == 2
    beatriz = synthetic.get("water", "BEATRIZ SANTOS")
    assert beatriz.role == "Director General of the National Water Agency of Brazil"
    assert beatriz.country == "Brazil"
    assert beatriz.introduced_by == "RAVI MENON"
    (tomas,) = synthetic.audience
    assert tomas.name == "Tomas Berg" and tomas.country == "Norway"
    assert {s.name for s in synthetic.all()}.isdisjoint({"Christopher Painter", "Olga Cavalli"})


@pytest.mark.parametrize(
    "name, keys",
    [
        ("the IWMI speaker", {"SAMUEL OKAFOR"}),
        ("Sam", {"SAMUEL OKAFOR"}),
        ("the Brazilian director general", {"BEATRIZ SANTOS"}),
        ("the co-moderator", {"RAVI MENON"}),
        ("the Norwegian participant", {AUDIENCE}),
        ("Kowalski", {"ANNA KOWALSKI"}),
        ("the EFF speaker", set()),
    ],
)
def test_synthetic_resolve(synthetic, name, keys):
    assert synthetic.resolve(name) == keys


def test_same_name_in_two_sessions_is_two_entries():
    first = parse_text(">> MARIA LOPEZ: My name is Maria Lopez, Minister of Energy of Chile.\n", source="a.txt", session_id="a")
    second = parse_text(">> MARIA LOPEZ: My name is Maria Lopez, Professor of Law at the University of Lima.\n", source="b.txt", session_id="b")
    directory = SpeakerDirectory(first.turns + second.turns)
    assert directory.describe("a", "MARIA LOPEZ") == "Minister of Energy of Chile"
    assert directory.describe("b", "MARIA LOPEZ") == "Professor of Law at the University of Lima"
    assert directory.get("b", "MARIA LOPEZ").organisation == "University of Lima"
    assert directory.resolve("Maria Lopez") == {"MARIA LOPEZ"}


def test_acronyms_with_and_without_function_words():
    assert {"ecowas", "ecwas"} <= acronyms_of("Economic Community of West African States")
    assert "gfc" in acronyms_of("GFC, Global Forum on Cyber Expertise")


# -- question kinds ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who argued that prevention is better than addressing cybercrime after the fact?", WHO_SAID),
        ("Which panelist said cybersecurity should not undermine privacy?", WHO_SAID),
        ("Who brought up the Budapest Convention?", WHO_SAID),
        ("What role does Alissa Starzak hold at Cloudflare?", PROFILE),
        ("In which country does Folake Olagunju work?", PROFILE),
        ("At which university is Folake Olagunju a lecturer?", PROFILE),
        # A place asked of something the person did, not of who they are.
        ("In which city did Folake Olagunju lose her luggage on the way to the meeting?", SPEAKER_VIEW),
        ("What did the Cloudflare speaker say about AI?", SPEAKER_VIEW),
        ("According to Chris Painter, who launched the GFC?", SPEAKER_VIEW),
        ("How many countries signed the Budapest Convention?", GENERAL),
    ],
)
def test_question_kinds(real, question, kind):
    _, directory = real
    assert analyze(question, directory).kind == kind


def test_position_and_content(real):
    _, directory = real
    query = analyze("What was Folake Olagunju's final recommendation?", directory)
    assert query.position == "last" and {t.key for t in query.targets} == {"FOLAKE OLAGUNJU"}
    assert "Folake" not in query.content and "recommendation" in query.content
    assert analyze("Which concept did the Cloudflare speaker raise in her first remarks?", directory).position == "first"
    # How a moderator sums up, or what someone said at the end, is in their last turn.
    assert analyze("How did Olga Cavalli sum up the session?", directory).position == "last"
    assert analyze("What did Tracy Hackshaw say at the end?", directory).position == "last"
    assert question_kind("Who is speaking?", names_someone=False) == GENERAL


@pytest.mark.parametrize(
    "question, acted_on, routed",
    [
        # Named after the verb of the person asked for: whom that person acted on, never the answer.
        ("Who disagreed with Chris Painter on capacity building?", {"CHRISTOPHER PAINTER"}, set()),
        ("Which panelist interrupted Olga Cavalli?", {"OLGA CAVALLI"}, set()),
        # Named before the verb, after a copula or an auxiliary, or beside the person asked for: still routed to.
        ("Which GFC speaker argued for regional capacity building?", set(), {"CHRISTOPHER PAINTER"}),
        ("Who is the speaker from Cloudflare?", set(), {"ALISSA STARZAK"}),
        ("Who did Olga Cavalli thank first?", set(), {"OLGA CAVALLI"}),
        ("Who co-moderated the session together with Olga Cavalli?", set(), {"OLGA CAVALLI"}),
    ],
)
def test_who_questions_never_answer_with_the_person_acted_on(real, question, acted_on, routed):
    _, directory = real
    query = analyze(question, directory)
    assert {t.key for t in query.others} == acted_on
    assert routed <= {t.key for t in query.targets}
    assert not acted_on & {t.key for t in query.targets}


def test_a_leading_phrase_does_not_hide_a_who_question(real):
    _, directory = real
    query = analyze("In the main session on cybersecurity, trust and online safety, which panelist works for Cloudflare?", directory)
    assert query.form == "who"


ROLE_HEADER = """Open data workshop

>> MARTA SILVA: Welcome, everyone.  I am Marta Silva, director of the Open Data Institute of Lisbon, and I moderate today.  And online we have Peter Novak in Prague, who is our online moderator and who will read out your questions.

>> ONLINE MODERATOR: Thank you, Marta.  We have a question from Ana Ruiz in Quito; she asks whether the data is free.

>> MARTA SILVA: It is free.
"""


def test_a_role_header_is_the_person_introduced_in_that_role():
    transcript = parse_text(ROLE_HEADER, source="open-data.txt", session_id="open-data")
    directory = SpeakerDirectory(transcript.turns)
    reader = directory.get("open-data", "ONLINE MODERATOR")
    assert reader.name == "Peter Novak" and reader.introductions
    assert {m.speaker.key for m in directory.match("What did Peter Novak read out?")} == {"ONLINE MODERATOR"}


def test_a_name_described_otherwise_is_someone_else_of_that_name():
    transcript = parse_text(ROLE_HEADER, source="open-data.txt", session_id="open-data")
    directory = SpeakerDirectory(transcript.turns)
    assert not analyze("Which organisation does the network engineer Peter Novak work for?", directory).targets
    assert "ONLINE MODERATOR" in {t.key for t in analyze("Which organisation does the online moderator Peter Novak work for?", directory).targets}
    assert analyze("Who moderated together with Peter Novak?", directory).targets


def test_a_month_or_a_weekday_is_not_a_name_the_question_is_about(real):
    # "after the January 2022 eruption": a sentence about the eruption need not say "January" to be about it.
    _, directory = real
    assert analyze("How long was Tonga offline after the January 2022 eruption?", directory).names == ("Tonga",)
    assert analyze("What did the ECOWAS speaker say on Tuesday about Kenya?", directory).names == ("Kenya",)


def test_a_role_said_with_a_verb_and_a_title_before_the_name():
    text = """Data session

>> ANNA BERG: Welcome.  I am Anna Berg and I moderate.  With me, Professor Tomas Lind teaches competition law at the University of Uppsala.

>> TOMAS LIND: Thank you, Anna.  Merger control is slow.
"""
    directory = SpeakerDirectory(parse_text(text, source="data.txt", session_id="data").turns)
    lind = directory.get("data", "TOMAS LIND")
    assert lind.role.startswith("Professor, teaches competition law") and "University of Uppsala" in lind.organisation
    assert {m.speaker.key for m in directory.match("What did the academic say about mergers?")} == {"TOMAS LIND"}


def test_a_chief_executive_goes_by_ceo():
    from rag.evidence import abbreviates
    from rag.introductions import title_initials

    assert title_initials("Chief Executive") == "ceo" and title_initials("Chief Information Officer") == "cio"
    assert abbreviates("CEO", "Chief Executive") and not abbreviates("CEO", "Central Election")



TOPICAL_ORGANISATIONS = """Community networks workshop

>> HELENA STRAND: Welcome to this workshop on community networks and public services.  With me, Wanjiru Kamau, co-founder of Tunza Mesh, a community network in Makueni County in Kenya.  Then Claire Dubois, head of public policy at Orbitra, a low-earth orbit satellite operator.  And Joanna Nowak from the Municipal and Public Services Union.

>> WANJIRU KAMAU: Thank you, Helena.  A household pays 500 shillings a month.

>> CLAIRE DUBOIS: We launched a community backhaul tariff in 2023.

>> JOANNA NOWAK: Our members run the public services.
"""


def test_an_organisation_is_named_by_its_name_not_by_the_words_of_the_topic():
    directory = SpeakerDirectory(parse_text(TOPICAL_ORGANISATIONS, source="cn.txt", session_id="cn").turns)

    def matched(question):
        return {m.speaker.key for m in directory.match(question)}

    # The session's topic words are in the descriptions of two organisations: a question about the topic names nobody.
    assert matched("When is Zambia's community network window planned to start?") == set()
    assert matched("How are public services funded in community networks?") == set()
    # The name itself, capitalised or typed in lower case, names the speaker.
    assert matched("What does Tunza Mesh charge?") == {"WANJIRU KAMAU"}
    assert matched("what did the municipal and public services union say?") == {"JOANNA NOWAK"}
    # What the organisation is said to be describes its speaker, unless the question is about another country's.
    assert matched("Did the satellite operator take a side?") == {"CLAIRE DUBOIS"}
    assert matched("What does a household pay on the Kenyan community network?") == {"WANJIRU KAMAU"}
    assert matched("What does a household pay on the Ugandan community network?") == set()


def test_the_noun_that_refers_to_a_described_speaker_is_not_what_the_question_is_about(real):
    _, directory = real
    described = analyze("What does the Cloudflare representative see as the most valuable feature of the IGF?", directory)
    assert described.targets and "representative" not in described.focus and "feature" in described.focus
    # Not a description of someone: "speakers" is what is counted.
    assert "speakers" in analyze("How many speakers talked about ransomware?", directory).focus


def test_according_to_names_whose_words_answer(real):
    _, directory = real
    query = analyze("Olga Cavalli called it a treaty. What is it really, according to Chris Painter?", directory)
    assert {t.key for t in query.targets} == {"OLGA CAVALLI", "CHRISTOPHER PAINTER"}
    assert [t.key for t in query.answering] == ["CHRISTOPHER PAINTER"]


def test_a_moderator_who_introduces_themselves_is_described_by_what_they_say_they_are():
    text = """Town hall

>> ANNA BERG: Good afternoon.  My name is Anna Berg, I'm a journalist, I cover local government, and I will be moderating.  With me, Tomas Lind, the city's Chief Information Officer.

>> TOMAS LIND: Thank you, Anna.
"""
    directory = SpeakerDirectory(parse_text(text, source="th.txt", session_id="th").turns)
    anna = directory.get("th", "ANNA BERG")
    assert anna.role == "a journalist" and anna.introductions
    # "I'm not sure ..." after a name is not a description.
    other = text.replace("I'm a journalist, I cover local government, and I will be moderating", "I'm not sure this microphone works")
    assert SpeakerDirectory(parse_text(other, source="th.txt", session_id="th").turns).get("th", "ANNA BERG").role is None


def test_the_people_acted_on_are_not_names_the_answer_must_repeat(real):
    # "Who introduced Elizaveta Belyakova ...?": her name says whom, and the introducing turn may name her alone.
    _, directory = real
    query = analyze("Who introduced Elizaveta Belyakova and the Cuban deputy minister to the audience?", directory)
    assert {t.key for t in query.others} >= {"ELIZAVETA BELYAKOVA"}
    assert not any("Belyakova" in name for name in query.names) and "belyakova" not in query.focus


def _directory_of(transcript: str):
    from pathlib import Path

    turns = parse_file(Path(__file__).parent.parent / "eval/transcripts" / transcript).turns
    return turns[0].session_id, SpeakerDirectory(turns)


def test_what_an_audience_member_says_they_are_describes_them():
    sid, directory = _directory_of("igf2025-town-hall-algorithms-in-public-services.txt")
    members = {m.name: m for m in directory.audience if m.session_id == sid}
    assert "city council" in members["Gerhard Voss"].role  # "My name is Gerhard Voss, I'm a member of the ... city council"
    assert [m.speaker.name for m in directory.match("the opposition city councillor")] == ["Gerhard Voss"]


def test_a_kind_of_person_that_fits_a_panelist_is_the_panelist():
    # "the researcher" is Ananya Rao of the Rural Connectivity Lab, not the master's student at a university who asked her.
    _, directory = _directory_of("igf2025-ws-community-networks-financing.txt")
    assert [m.speaker.key for m in directory.match("Who asked the researcher what predicts survival?")] == ["ANANYA RAO"]


def test_a_company_by_the_one_word_of_its_name_that_is_not_a_suffix():
    # "Veritrace Systems, the company that built RiskLens": "Veritrace" names it; "Systems" alone would name anyone's.
    _, directory = _directory_of("igf2025-town-hall-algorithms-in-public-services.txt")
    assert [m.speaker.key for m in directory.match("Is Veritrace in favour of publishing the source code?")] == ["LUKE BRENNAN"]
    assert not directory.match("Which systems does the city use?")


def test_a_follow_up_naming_a_speaker_asks_about_that_speaker(real):
    # rag.conversation joins a short follow-up to the question before it; the name in the follow-up decides who it asks about.
    _, directory = real
    query = analyze("What did Olga Cavalli say about it — following: Why does Christopher Painter think a treaty is premature?", directory)
    assert {t.key for t in query.targets} == {"OLGA CAVALLI"}
