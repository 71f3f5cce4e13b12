"""What a question asks for (rag/question_types.py), read from questions of the bundled and development sets, and the
sessions a question names (rag.query.named_sessions)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from index.text import stem
from rag import question_types as qt
from rag.query import named_sessions


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("What share of Tunza Mesh's monthly operating costs goes on backhaul?", "share"),
        ("How much does a connected household pay each month on the Kenyan community network?", "price"),
        ("How much money is currently in Zambia's Universal Access Fund?", "money"),
        ("How much funding does the ITU's sign-language avatar pilot have?", "money"),
        ("How many researchers worked on Ravi Menon's audit of RiskLens?", "count"),
        ("In which earlier year was Tonga's international cable cut by a ship's anchor?", "year"),
        ("How long did the independent audit of the welfare fraud scoring system take?", "duration"),
        ("How many days did the longest repair on Meridian's cables take last year?", "duration"),
        ("On what date did the survey close?", "date"),
        # "How long is" a thing asks for its length; "how long was X offline", "how long is it going to last" for a time.
        ("How long is Tonga's only international cable, and where does it run to?", "measure"),
        ("How long was Tonga offline after the January 2022 eruption, rather than the two weeks first mentioned?", "duration"),
        ("How long is the SignBridge pilot going to last?", "duration"),
        ("Where was the remote participant who asked whether funds should give grants directly to community networks?", "place"),
        # A country or a city by name, not an organisation that may stand for a place.
        ("Which country chairs the UN Ad Hoc Committee on cybercrime?", "locality"),
        ("In which city is the revised text of the model clauses due to be adopted?", "locality"),
        ("Which country charges Tessera Payments a monthly fee for each registered data flow?", "locality"),  # not the fee
        ("Which company does Daniel work for?", "organisation"),
        ("What is the name of Argentina's national cybersecurity strategy?", "name"),
        ("By how much did Brazil cut the spectrum public price for small providers in small municipalities?", "quantity"),
        ("Who corrected the Deputy Mayor's figure for the number of families whose payments were suspended?", "person"),
        ("What is Moses Banda's position on a 1 percent levy on over-the-top platforms?", "stance"),
        ("Does the digital-rights lawyer support the moratorium on facial recognition?", "stance"),
        ("What is Sanjay's view on per-transfer fees?", "stance"),
        ("On what condition would Wanjiru support the platform levy?", "stance"),
        # An amount asked for without "how": a measure, and a comparison ("compared with X, how much") as a share of X.
        ("What is the average age of the cable repair ships?", "duration"),
        ("What is the total length of the new cable?", "quantity"),
        ("Compared with the cable, how much capacity did the satellite link provide?", "share"),
        # Not a typed thing: a reason, a yes/no question about a fact, "where in" a text.
        ("Why does Fatou Ndiaye oppose cable protection zones?", None),
        ("Would the members of the Meridian consortium accept a compulsory levy on cable owners to finance the fund?", None),
        ("Where in the cybercrime convention would the EFF speaker like to see human rights?", None),
        ("What kind of country is Tracy Hackshaw a citizen of?", None),  # a description of a country, not one
        ("What did the 40 percent figure from the survey really measure?", None),  # a share it states, not one it asks for
        ("What percent of government websites failed?", "share"),
        # A place or organisation noun after the verb is the subject, not the thing asked for.
        ("What does the city council pay beekeepers?", None),
        ("Which development bank funds the last mile facility?", "organisation"),
        ("What did the bank say about hedging?", None),
    ],
)
def test_the_type_of_the_thing_asked_for(question, answer_type):
    assert qt.answer_type(question, qt.question_form(question)) == answer_type


# A count of people is said as a count of what they are: "around 60 participants connected".
PEOPLE = {stem(w) for w in qt.PEOPLE_COUNTED_AS}


@pytest.mark.parametrize(
    ("question", "counted", "measured"),
    [
        ("How many national CERTs are there in the region?", {"certs"}, set()),
        # People are counted by what they are or did: "412 respondents with disabilities".
        ("How many people with disabilities responded to the survey?", {"disab", "respo"} | PEOPLE, set()),
        # ... up to the verb: not by what they did it to ("the open forum", "the workshop").
        ("How many people followed the open forum online?", {"follo"} | PEOPLE, set()),
        ("How many people were following the workshop online at the start?", {"follo"} | PEOPLE, set()),
        # A part of a whole counts the whole's things, not its owner: "of the network's 23 members".
        ("How many of the network's 23 members have an enforcement budget?", {"membe"}, set()),
        ("How many of the e-wallet pilots were still running?", {"pilot"}, set()),
        ("What is the average age of the ships?", set(), {"age"}),
        # A quantity a service is measured by, asked as "what X does ...": an amount that stands by that word.
        ("What latency does the satellite plan offer?", set(), {"laten"}),
        ("What word accuracy did the survey measure for Arabic captions?", set(), {"accur"}),
    ],
)
def test_what_is_counted_or_measured(question, counted, measured):
    assert qt.counted_nouns(question) == counted and qt.measured_noun(question) == measured


@pytest.mark.parametrize(
    ("question", "moderator"),
    [
        ("Who moderated the town hall?", True),
        ("Who was the chair of the panel?", True),
        ("Who is hosting this session?", True),
        ("Who co-moderated the session together with Olga Cavalli?", False),  # a co-moderator, found by the introduction
        ("Who was the online moderator?", False),  # the one who relays remote questions
        ("Who chaired the G8 and G7 high-tech crime group while in government?", False),  # a past role, not the session's chair
        ("Who moderated the IGF 2025 high-level panel on subsea cables?", True),
        ("Who relayed the questions from remote participants?", False),
    ],
)
def test_questions_about_the_moderator(question, moderator):
    assert qt.asks_moderator(question) is moderator


def test_focus_words_leave_out_the_words_that_only_ask():
    assert qt.focus_words("What share of Tunza Mesh's monthly operating costs goes on backhaul?") == (
        "backhaul", "costs", "goes", "mesh", "monthly", "operating", "tunza")
    assert "share" not in qt.focus_words("What share of the fund was disbursed?")
    assert qt.focus_words("What did Ravi Menon say about the audit?", frozenset({"ravi", "menon"})) == ("audit",)


@pytest.mark.parametrize(
    ("question", "asker", "corrector", "correction", "relayer"),
    [
        ("Who asked whether the development bank could lend in local currency?", True, False, False, False),
        ("Which deaf-blind online participant asked whether caption windows work with a braille display?", True, False, False, False),
        ("Where is the audience member who asked how often caseworkers overrode a high-risk flag from?", True, False, False, False),
        ("Who corrected Rahul's figure on keyboard access to the chat?", False, True, True, False),
        ("What is the correct rate of Kenya's universal service levy on operators?", False, False, True, False),
        ("At the town hall on algorithms in public services, who relayed the remote participants' questions?", False, False, False, True),
        ("What did Olga Cavalli ask Christopher Painter?", False, False, False, False),
        ("Who sent the remote question asking whether refugees can correct their data?", True, False, False, False),
        ("Who posed a question about data retention?", True, False, False, False),
    ],
)
def test_questions_about_the_discourse(question, asker, corrector, correction, relayer):
    assert qt.asks_asker(question) is asker
    assert qt.asks_corrector(question) is corrector
    assert qt.asks_correction(question) is correction
    assert qt.asks_relayer(question) is relayer


@dataclass
class Info:
    session_id: str
    title: str
    session_type: str | None
    date: str | None


SESSIONS = [
    Info("cn", "IGF 2025 – Day 3 – WS #142 Who Pays for the Last Mile? Financing Community Networks", "Workshop", "2025 Day 3"),
    Info("th", "igf2025-town-hall-algorithms-in-public-services", "Town Hall", "2025"),
    Info("dp", "IGF 2025 Open Forum #37 Trusted Data Flows: A Network of Data Protection Authorities for the Global Majority", "Open Forum", "2025"),
    Info("sc", "IGF 2025 – Day 1 – High Level Panel: Keeping the World Connected – Subsea Cable Resilience", "High-Level Session", "2025 Day 1"),
]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Who moderated the town hall on algorithms in public services?", ("th",)),
        ("Who moderated the open forum?", ("dp",)),
        ("How many people were following the day 3 community networks workshop online at the start?", ("cn",)),
        ("At the Keeping the World Connected panel, who spoke for the ITU?", ("sc",)),
        ("Who moderated the workshop on community networks at IGF 2023 in Kyoto?", ("",)),  # no such session is indexed
        # Title words without a session noun, or a session noun alone, name nothing.
        ("How many of the 37 universal service funds publish a complete annual report?", ()),
        ("What did the panel say about cables?", ()),
    ],
)
def test_a_question_names_its_session_by_type_title_and_year(question, named):
    assert named_sessions(question, SESSIONS) == named


def test_one_session_is_never_narrowed():
    assert named_sessions("Who moderated the town hall on algorithms in public services?", SESSIONS[1:2]) == ()


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("When does the comment period on the draft model clauses close?", {"close", "end"}),
        ("When is the avatar pilot due to begin?", {"begin", "start"}),  # "it starts in January 2025"
        ("When did Orbitra's community backhaul plan actually go live?", {"live"}),
        ("When Rizal said \"as Ana said\", which point of hers was he echoing?", set()),  # not a question about when
        ("In which year was the survey carried out?", set()),
    ],
)
def test_what_happens_in_a_when_question(question, said):
    from index.text import stem

    found = qt.event_words(question)
    assert {stem(w) for w in said} <= found and (found or not said)


def test_where_someone_in_the_audience_is_from():
    assert qt.asks_origin("Which country was the audience member from who runs internet through a village cooperative?")
    assert qt.asks_origin("Where is the participant who works for a village cooperative from?")
    assert not qt.asks_origin("Which country charges a monthly fee?")  # no one in the audience
    assert not qt.asks_origin("How many participants came from Kenya?")  # a count, not a place


@pytest.mark.parametrize(
    ("question", "side", "audience"),
    [
        ("Who in the audience argued against the moratorium?", "against", True),
        ("Which panelists supported the proposal to require human-verified captions in all sessions?", "for", False),
        ("Who opposed the levy?", "against", False),
        ("Who trained the coaches who supported tech experts?", None, False),  # the side is in a later clause
    ],
)
def test_which_side_a_who_question_asks_for(question, side, audience):
    assert qt.asked_side(question) == side and qt.in_audience(question) is audience


def test_the_words_a_question_quotes():
    assert qt.quoted_phrases('When Rizal said "as Ana said", which point of hers was he echoing?') == ("as Ana said",)
    assert qt.quoted_phrases("Who told the town hall 'I fundamentally disagree with the Deputy Mayor'?") == ("I fundamentally disagree with the Deputy Mayor",)
    assert qt.quoted_phrases("What is Moses Banda's position on the platforms' levy?") == ()  # apostrophes quote nothing


def test_which_questions_were_read_out():
    assert qt.asks_relayed("Which questions did Tomas Bergqvist read out?")
    assert qt.asks_relayed("What questions did the online moderator relay?")
    assert not qt.asks_relayed("Who relayed the online questions?")  # who, not which questions


def test_a_question_asking_for_a_reason():
    assert qt.asks_reason("Why has Zambia's fund not yet financed any community network?")
    assert qt.asks_reason("For what reason did the council delay the vote?")
    assert qt.asks_reason("What were the main reasons for the outage?")
    assert not qt.asks_reason("Who explained why the fund failed?")  # asks for a person


def test_two_things_counted_at_once():
    assert qt.counted_pair("How many member authorities and observers does the network have?") == ("autho", "obser")
    assert qt.counted_pair("How many respondents took part in the survey?") is None


def test_what_the_person_asked_for_is():
    assert qt.asked_words("In the panel on cables, which minister called the convention unworkable?") == ("minister",)
    assert qt.asked_words("Which Kenyan official said the permits were slow?") == ()  # a name-like word stops it
    assert qt.asked_words("Which deputy minister argued for a treaty?") == ("deputy", "minister")


@pytest.mark.parametrize(
    "question, noun",
    [
        ("What is the name of the repair ship Indonesia plans to keep on standby?", "ship"),
        ("What is the name of Argentina's national cybersecurity strategy?", "strategy"),
        ("What is the name of the Cloudflare programme that protects journalists?", "programme"),
        ("Who is the CEO of Cloudflare?", None),
    ],
)
def test_the_noun_a_name_is_asked_of(question, noun):
    assert qt.named_noun(question) == noun


@pytest.mark.parametrize(
    "question, of",
    [
        ("How much annotated signing did a language need for the pilot?", {"signi"}),
        ("How much bandwidth does a village school need?", {"bandw"}),
        ("How much money did the government set aside?", set()),  # money is its own type
        ("How much does each member contribute?", set()),
    ],
)
def test_what_an_amount_is_of(question, of):
    assert qt.amount_of(question) == of


def test_a_reply_to_a_question_is_not_its_asker():
    assert qt.asks_asker("Which question did the online moderator relay from Kano?")
    assert not qt.asks_asker("What answer did Folake give to the question from Benin about solar power?")
    assert not qt.asks_asker("How did Hélène respond to the question from Aisha Bello?")


def test_what_a_named_person_does_is_their_role():
    assert qt.question_form("What does Teresa Koval do?") == qt.ROLE
    assert qt.question_form("What does the fund do?") != qt.ROLE  # not a person
    assert qt.question_form("What did Chris Painter do before the GFC?") != qt.ROLE


def test_what_happens_in_a_when_question():
    assert "delet" in qt.event_words("When does GADP delete biometric templates?")
    assert "delet" in qt.event_words("When are biometric templates deleted at GADP?")
    assert "close" in qt.event_words("When does the comment period close?")


def test_what_something_contains_is_a_list_of_its_parts():
    assert qt.question_form("What would each entry in the proposed register contain?") == qt.LIST
    assert qt.question_form("What does the pilot's second phase include?") == qt.LIST
    assert qt.question_form("What did the audit find?") != qt.LIST
    assert qt.question_form("Does the register include the vendor?") != qt.LIST  # yes or no


def test_whether_something_belongs_is_no_stance_whatever_verb_describes_the_group():
    question = "Is Nepali among the languages supported by Confera's automatic captions?"
    assert qt.answer_type(question, qt.question_form(question)) is None
    question = "Did the Anatel advisor back the proposed OTT levy?"
    assert qt.answer_type(question, qt.question_form(question)) == qt.STANCE


def test_the_words_picking_one_of_several_of_a_kind():
    assert qt.which_instance("How much would the second phase of the ITU's pilot cost?") == {"second"}
    assert qt.which_instance("In which city will the coalition hold its next session?") == {"next"}
    assert qt.which_instance("How many cases did Haki Data document last year?") == frozenset()
    assert qt.which_instance("What will the fund do next year?") == frozenset()  # a time, not one of several things


def test_what_something_would_cost_asks_for_money_and_which_city_will_host_asks_for_a_city():
    for question in ("What would a second phase of the pilot cost?", "What did the audit cost?"):
        assert qt.answer_type(question, qt.question_form(question)) == qt.MONEY, question
    question = "Which city will host the coalition's next session?"
    assert qt.question_form(question) != qt.WHO and qt.answer_type(question, qt.question_form(question)) == qt.LOCALITY


def test_where_speakers_agreed_is_no_place():
    question = "Where did the speakers agree and disagree by the end of the session?"
    assert qt.answer_type(question, qt.question_form(question)) != qt.PLACE
