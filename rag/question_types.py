"""What a question asks for, read from its words once (rag.query.analyze keeps the result in the `Query`):

- the form of the answer: "who" (a person), "role" (what a named person is), "number", "list" (several items),
  "view" (what someone said or thinks, or why), "fact" (anything else);
- the type of the thing asked for, one of rag.spans' kinds (a share, an amount of money, a price per period, a count,
  a year, a date, a duration, a place, a person, an organisation), STANCE (for or against), or None;
- what the question is about: its content words minus the words that only ask ("how many", "what share"), the
  thing counted or measured, the numbers it states itself;
- whether it asks about the discourse itself: who asked a question, who corrected a figure, which figure is right.
"""

from __future__ import annotations

import re

from index.text import NUMBER_WORDS, STOPWORDS, content_words, numbers_in, stem, words
from rag.people import FUNCTION_WORDS
from rag.spans import COUNT, DATE, DURATION, LOCALITY, MEASURE, MONEY, NAME, ORGANISATION, PERSON, PLACE, PRICE, QUANTITY, SHARE, YEAR

STANCE = "stance"
WHO, ROLE, NUMBER, LIST, VIEW, FACT = "who", "role", "number", "list", "view", "fact"
FORMS = (WHO, ROLE, NUMBER, LIST, VIEW, FACT)

ASKED_PERSON = (
    r"(?:panell?ists?|speakers?|participants?|audience\s+members?|members?\s+of\s+the\s+audience|persons?|people|"
    r"delegates?|officials?|moderators?|co-?moderators?|representatives?|colleagues?|one|ministers?|councillors?|"
    r"commissioners?|experts?|researchers?|host|chair)"
)
_AUXILIARY = r"(?:did|does|do|is|are|was|were|can|could|has|have|had|should|would|will|caused|make|made)"
# "Who ...", "Which (two) panelists ...": the answer is a person.
# After a phrase setting the scene, up to a comma: "In the high-level panel on subsea cables, which minister ...".
_LEAD = r"^\s*(?:[^,?]{0,80},\s*){0,2}"
# "What is the name of Tonga's minister?" asks who, "What is the name of the minister's agency?" does not.
ASKS_FOR_PERSON = re.compile(
    # "Which city will host ...": after an auxiliary, "host" is what the city does, not who is asked for.
    rf"{_LEAD}(?:who|whom|whose)\b|{_LEAD}(?:\w+\s+){{0,6}}?which\s+(?:(?!{_AUXILIARY}\b)\w+\s+){{0,2}}{ASKED_PERSON}\b"
    rf"|{_LEAD}what\s+(?:is|was|were|are)\s+the\s+names?\s+of\s+(?:[\w’'-]+\s+){{0,4}}?{ASKED_PERSON}\b(?!['’]s)(?![\w\s-]*['’]s\b)",
    re.I,
)
# "What does Teresa Koval do?": a named person's job (a name, capitalised, then "do").
_WHAT_DOES_X_DO = re.compile(r"(?i:\s*(?:and\s+)?what\s+(?:does|did)\s+)(?:[A-Z][\w'’\u2011.-]*\s+){1,4}(?i:do)\s*\??\s*$")
_ROLE = re.compile(r"\b(?:role|position(?!\s+(?:on|about|regarding|towards?)\b)|job|title|organi[sz]ation|represent|represents|work\s+for|works\s+for|chair|chairs|do(?:es)?\s+for\s+a\s+living)\b", re.I)
_ACCORDING = re.compile(r"\b(?:according\s+to|per|in\s+the\s+view\s+of)\b", re.I)
_VIEW_WORDS = (
    r"according\s+to|per|view|respond|answer|remarks?|message|closing|recommendation|summari[sz]e|think|thinks|consider|"
    r"considers|believe|see|sees|judge"
)
_NUMBER = re.compile(
    # "How far off is a treaty?" asks for a judgement ("far down the pike"), not a distance.
    r"\bhow\s+(?:many|much|long|old|often|far(?!\s+off)|large|big)\b|\b(?:what|which)\s+(?:\w+\s+)?(?:share|percentage|per\s*cent|proportion|"
    r"number|size|year|age|amount|figures?|increase|fraction|rate|price|cost|fee|budget|value|date|month)\b|\bin\s+what\s+year\b|\bby\s+how\s+many\b",
    re.I,
)
_COUNTED = re.compile(r"\b(?:two|three|four|five|several|multiple|kinds|types|forms|ways)\b", re.I)
_LIST_HEAD = re.compile(rf"\b(?:which|what)\s+((?:[\w-]+\s+){{0,4}}?)([\w-]+)\s+(?:of\s+[\w\s-]+?\s+)?{_AUXILIARY}\b", re.I)
_VIEW_FORM = re.compile(
    rf"\b(?:{_VIEW_WORDS}|say|said|says|react|describe|agree|disagree|call\s+for|called\s+for)\b"
    r"|^\s*(?:why|how)\b|^\s*(?:does|do|did|is|are|should|can)\b",
    re.I,
)
_KIND_OF_THING = re.compile(r"^\s*(?:what|which)\s+(?:kinds?|types?|sorts?)\s+of\s+\w+", re.I)
_KIND_OF = re.compile(rf"\b(?:what|which)\s+(?:kinds?|types?|sorts?|forms?)\s+of\s+(?:[\w-]+\s+){{0,2}}?([\w-]+)\s+{_AUXILIARY}\b", re.I)


# "Who demanded an answer from the Deputy Mayor?", "Which councillor challenged the minister?": the words after the verb
# of the person asked for. Not after a copula ("Who is the speaker from the ITU?") or an auxiliary ("Who did the mayor
# thank?"), whose answer is, or is found in the words of, the person named.
_WHO_VERB = re.compile(
    rf"{_LEAD}(?:who|(?:\w+\s+){{0,6}}?which\s+(?:[\w-]+\s+){{0,3}}?{ASKED_PERSON}(?:\s+(?:from|of|at|in|on)\s+(?:the\s+)?[\w'’-]+){{0,2}})"
    r"\s+(?:(?:also|first|then|later|openly|publicly|directly)\s+)?(?P<verb>[\w'’-]+)",
    re.I,
)
_NOT_AN_ACTION = frozenset("is was are were be been being 's did does do has had have will would can could should shall may might".split())


def acted_on(question: str) -> str | None:
    """The part of a "who" question after the verb of the person asked for: who is named there is whom that person
    acted on, never the answer. None when the question has no such verb."""
    found = _WHO_VERB.match(question)
    if found is None or found.group("verb").lower() in _NOT_AN_ACTION or _JOINT_VERB.match(found.group("verb")):
        return None  # "Who co-moderated the session with Olga?": she did it too
    after = question[found.end("verb") :]
    # "Who moderated together with Olga?": Olga did it too; her words may name the answer, so she stays routed to.
    return _CO_ACTOR.split(after, 1)[0]


_JOINT_VERB = re.compile(r"co[-\u2011]\w+|co(?:moderat|chair|host|organi[sz]|found|author|lead|led)\w*", re.I)
_CO_ACTOR = re.compile(r"\b(?:together\s+with|along\s+with|alongside|jointly\s+with)\b", re.I)


def question_form(question: str) -> str:
    """The form of answer `question` asks for (one of FORMS)."""
    if ASKS_FOR_PERSON.search(question):
        return WHO
    if _NUMBER.search(question):
        return NUMBER
    if _is_list(question):
        return LIST
    # "What role should the media play, according to X?" asks for X's view, not X's role.
    if (_ROLE.search(question) and re.match(r"^\s*(?:what|which)\b", question, re.I) and not _ACCORDING.search(question)) or asks_what_they_do(question):
        return ROLE
    if _VIEW_FORM.search(question):
        return VIEW
    return FACT


def asks_what_they_do(question: str) -> bool:
    """"What does Teresa Koval do?": a named person's job."""
    return _WHAT_DOES_X_DO.match(question) is not None


# "At which university is Adaeze a researcher?", "Where does Yusuf teach?": the thing asked for, the person and a word
# or two. "On which webinar platform could Rahul not find the unmute button?" asks about something that happened.
_WH_PHRASE = re.compile(rf"\b(?:which|what|where)\b(?:\s+[\w-]+){{0,3}}?\s+{_AUXILIARY}\b", re.I)
PROFILE_OTHER_WORDS = 2


def says_little_else(question: str) -> bool:
    """Do at most PROFILE_OTHER_WORDS lower-case content words stand beside the wh-phrase and the names?"""
    rest = _WH_PHRASE.sub(" ", question, count=1)
    return len([w for w in re.findall(r"[\w\u2011-]+", rest) if w[0].islower() and w.lower() not in STOPWORDS and w.lower() not in FUNCTION_WORDS]) <= PROFILE_OTHER_WORDS


def asked_noun(question: str) -> str | None:
    """The noun a "what/which X" question asks for ("What gap does ...": "gap"), lower-cased; None for none or a name."""
    kind_of = _KIND_OF.search(question)
    head = _LIST_HEAD.search(question)
    noun = kind_of.group(1) if kind_of else head.group(2) if head else None
    return None if noun is None or noun[0].isupper() else noun.lower()


# "What would each entry in the register contain?": what something is made of is a list of its parts.
_ASKS_CONTENTS = re.compile(r"^\s*what\s+(?:would|does|do|did|will|should|must|could|can)\b.*\b(?:contain|include|consist\s+of|comprise)\s*\??\s*$", re.I)


def _is_list(question: str) -> bool:
    if _ASKS_CONTENTS.search(question):
        return True
    head = _LIST_HEAD.search(question)
    if head is None:
        return False
    modifiers, noun = head.group(1).lower(), head.group(2).lower()
    if _COUNTED.search(modifiers + noun):
        return True
    # A plural head noun ("Which positions did ...") asks for several items; "-ss", "-us", "-is" are singular.
    return noun.endswith("s") and not noun.endswith(("ss", "us", "is")) and noun not in NUMBER_WORDS


# -- the type of the thing asked for ----------------------------------------------------------------------
_VIEWISH = re.compile(r"\b(?:view|opinion|position|stance|think|feel|argue|argued)\b", re.I)
_YES_NO = re.compile(r"^\s*(?:would|does|did|do|is|are|was|were|can|could|will|should|has|have|had)\b", re.I)
# "Where is X based?", not "Where in the convention ...?" or "Where does X stand on ...?"
_WHERE = re.compile(r"^\s*(?:\w+\s*,\s*)?where\b(?!\s+in\s+the\b)(?!.*\b(?:stand|agree|agreed|disagree|disagreed|differ|differed)\b)", re.I)
_ASKS_NAME = re.compile(r"\bwhat\s+(?:is|was|are|were)\s+the\s+names?\s+of\b|\bwhat\s+is\s+(?:it|this|that|the\s+\w+)\s+called\b|\bwhat'?s\s+the\s+name\b", re.I)
_ASKS_SHARE = re.compile(
    # A percentage the question states ("What did the 40 percent figure measure?") is not one it asks for.
    r"\b(?:what|which)\s+(?:\w+\s+){0,2}?(?:share|percentage|proportion|fraction|rate)\b|\bhow\s+much\s+of\b|(?<!\d )\bpercent(?:age)?\b|(?<!\d )\bper\s*cent\b|(?<![\d ])%"
    # "Compared with the cable, how much capacity did the satellite give?": a share of the other.
    r"|\b(?:compared\s+(?:with|to)|relative\s+to)\b.*\bhow\s+much\b|\bhow\s+much\b.*\b(?:compared\s+(?:with|to)|relative\s+to)\b"
    r"|\b(?:share|percentage|proportion)\s+of\b",
    re.I,
)
_PERIOD_WORDS = r"(?:month|monthly|year|yearly|annual|annually|week|weekly|day|daily)"
_ASKS_PRICE = re.compile(rf"\b(?:per|each|a|every|an)\s+{_PERIOD_WORDS}\b|\b(?:monthly|annual|yearly|weekly)\s+(?:fee|price|cost|rate|charge|subscription)s?\b", re.I)
_MONEY_NOUNS = r"(?:price|cost|fee|budget|funding|revenue|salary|grant|loan|fine|levy|tariff|investment|value|contribution|subscription|charge|fund|facility|contract)s?"
_ASKS_MONEY = re.compile(
    r"\bhow\s+much\s+(?:money|funding|financing|budget|revenue|income|profit)\b|\bhow\s+much\s+(?:does|did|do|is|was|will|would|are|were|had|has|have)\b.*\b(?:cost|costs|pay|paid|charge|charged|raise|raised|spend|spent|invest|invested|lend|lent|worth|fund|funded|receive|received|get|earn|approve|approved|disburse|disbursed|provide|provided|give|gave|allocate|allocated|commit|committed|contribute|contributed|collect|collected)\b"
    # The noun in lower case: "Mallory Grant" is a name, not a grant.
    rf"|\b(?:what|which)\s+(?:is|was|are|were|does|did)?\s*(?:the\s+)?(?:[\w'’-]+\s+){{0,4}}?(?-i:{_MONEY_NOUNS})\b(?!\s+(?:of|for)\s+(?:the\s+)?(?:fund|levy)\b)"
    r"|^\s*what\s+(?:does|did|do|would|will|could|should|might)\s+(?:[\w'’-]+\s+){1,8}?cost(?:\s+(?:per|a|each|every)\s+\w+)?\s*\??\s*$"  # "What would the second phase cost?"
    rf"|\bhow\s+(?:large|big|much)\s+(?:is|was|were|are)\s+(?:the\s+)?(?:[\w'’-]+\s+){{0,4}}?(?-i:{_MONEY_NOUNS})\b|\bhow\s+much\s+money\b|\bin\s+(?:dollars|euros)\b",
    re.I,
)
# "What is the average age of the ships?", "What is the total length of the cable?": an amount, though no "how".
# Quantities a network, a service or a system is measured by: their answer is an amount with a unit or a share.
_MEASURED = r"latency|accuracy|bandwidth|throughput|uptime|availability|speed|capacity|length|distance|depth|weight|height|coverage\s+rate|error\s+rate"
_ASKS_MEASURE = re.compile(
    r"\b(?:what|which)\s+(?:is|was|are|were)\s+(?:the|their|its|his|her)\s+(?:(?:average|typical|median|mean|total|maximum|minimum|current|expected)\s+)?"
    r"(?P<noun>age|length|distance|speed|capacity|size|height|depth|weight|population|lifetime|lifespan|duration|volume|latency|accuracy|bandwidth|throughput|uptime)\b"
    # "What latency does the plan offer?", "What word accuracy did the survey measure?"
    rf"|\b(?:what|which)\s+(?:[\w-]+\s+)?(?P<measured>{_MEASURED})\s+{_AUXILIARY}\b",
    re.I,
)
_ASKS_COUNT = re.compile(r"\bhow\s+many\b|\bwhat\s+(?:is\s+the\s+)?number\s+of\b", re.I)
_ASKS_QUANTITY = re.compile(r"\bhow\s+(?:much|often|far|big|large)\b|\bby\s+how\s+(?:much|many)\b", re.I)
_ASKS_YEAR = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?year\b|\bin\s+what\s+year\b|\bby\s+(?:the\s+end\s+of\s+)?(?:what|which)\s+year\b", re.I)
_ASKS_DATE = re.compile(r"\b(?:what|which)\s+(?:calendar\s+)?(?:date|day|month)\b|^\s*when\s+(?:was|were|did|does|do|is|are|will|would|has|had)\b|\bon\s+what\s+date\b", re.I)
# "How long is Tonga's only international cable?", "How far is the landing station?": a length, where "how long is
# the pilot going to last?" asks for a duration. A duration still answers when no length is found (rag.spans.ANSWERS).
_ASKS_LENGTH = re.compile(
    r"\bhow\s+long\s+(?:is|are)\s+(?!it\b|they\b)(?:(?!(?:going|expected|supposed|to|set)\b)[\w'’\u2011-]+\s+){0,5}?[\w\u2011-]+\s*(?:\?|,|\band\b|$)|\bhow\s+far\b|\bwhat\s+distance\b",
    re.I,
)
_ASKS_DURATION = re.compile(r"\bhow\s+long\b|\bhow\s+many\s+(?:days|weeks|months|years|hours|minutes)\b|\bwhat\s+(?:duration|period)\b|\bhow\s+quickly\b", re.I)
# The noun asked for follows "which"/"what" directly or after an adjective or two; after a verb ("What does the city
# pay?", "What did the bank say?") it is the subject, not what is asked.
_NOT_A_VERB = r"(?!(?:is|was|are|were|does|did|do|will|would|has|had|have|can|could|should|the)\b)"
# "Which country ...", "In which city ...": a place by name, not an organisation that may stand for one.
_ASKS_LOCALITY = re.compile(rf"\b(?:which|what)\s+(?:{_NOT_A_VERB}\w+\s+){{0,2}}?(?:city|cities|country|countries|town|towns|village|villages|nation|nations)\b", re.I)
_ASKS_PLACE = re.compile(rf"\b(?:which|what)\s+(?:{_NOT_A_VERB}\w+\s+){{0,2}}?(?:city|cities|country|countries|town|village|region|district|place|location|states|nations)\b|\bfrom\s+which\b", re.I)
_ASKS_ORGANISATION = re.compile(
    rf"\b(?:which|what)\s+(?:{_NOT_A_VERB}[\w-]+\s+){{0,2}}?(?:organi[sz]ation|company|companies|agency|institution|bank|ministry|body|firm|foundation|"
    r"university|party|platform|vendor|operator|consortium|association|union|network|regulator)\b(?!\s+of\b)",
    re.I,
)
_ASKS_STANCE = re.compile(
    r"\b(?:position|stance|view)\s+on\b|\bfor\s+or\s+against\b|\bthink\s+(?:of|about)\b|\b(?:support|supports|supported|oppose|opposes|opposed|back|backed|"
    r"favou?r|endorse|endorsed|reject|rejected|take\s+a\s+side|took\s+a\s+side|take\s+a\s+position|took\s+a\s+position)\b",
    re.I,
)


_MEMBERSHIP = re.compile(r"^\s*(?:is|are|was|were)\s+.+?\s+(?:among|one\s+of)\s+the\b", re.I)


def answer_type(question: str, form: str) -> str | None:
    """The kind of thing the answer must state (rag.spans kinds, STANCE), or None when any sentence may answer."""
    if form == WHO:
        return PERSON
    if _KIND_OF_THING.match(question):
        return None  # "What kind of country is X a citizen of?": a description ("a small island state"), not a country
    if _YES_NO.match(question):
        # "Is Nepali among the languages supported by Confera's captions?" asks whether something belongs, not a stance.
        return STANCE if _ASKS_STANCE.search(question) and not _MEMBERSHIP.match(question) else None
    if _WHERE.match(question):
        return PLACE
    if _VIEWISH.search(question):
        return STANCE if _ASKS_STANCE.search(question) and not re.match(r"^\s*(?:why|how)\b", question, re.I) else None
    checks = (
        (_ASKS_NAME, NAME),
        (_ASKS_LENGTH, MEASURE),
        (_ASKS_ORGANISATION, ORGANISATION),
        (_ASKS_LOCALITY, LOCALITY),  # "Which country charges a monthly fee?": a country, not the fee
        (_ASKS_DURATION, DURATION), (_ASKS_SHARE, SHARE), (_ASKS_YEAR, YEAR), (_ASKS_COUNT, COUNT), (_ASKS_MONEY, MONEY),
        (_ASKS_QUANTITY, QUANTITY), (_ASKS_PLACE, PLACE), (_ASKS_DATE, DATE),
    )
    for pattern, kind in checks:
        if pattern.search(question):
            return PRICE if kind == MONEY and _ASKS_PRICE.search(question) else kind
    measure = _ASKS_MEASURE.search(question)
    if measure:
        return DURATION if (measure.group("noun") or "").lower() in ("age", "lifetime", "lifespan", "duration") else QUANTITY
    if form == NUMBER:
        return QUANTITY
    if form in (VIEW, FACT) and _ASKS_STANCE.search(question) and not re.match(r"^\s*(?:(?:what|which)\s+(?!is\b|was\b)|why\b|how\b)", question, re.I):
        return STANCE
    return None


# -- what the question is about --------------------------------------------------------------------------
# Words that only say what kind of answer is wanted: they are not what the answer is about.
ASKING_WORDS = frozenset(
    """share percentage percent proportion fraction number many much long year years date day month when where which what who whom
    whose how amount figure size total roughly approximately about exactly according remarks closing final concluding
    opening statement intervention mention mentioned position stance view support supports supported oppose opposes opposed
    agree agreed disagree disagreed favour favor against side recommendation recommendations message advice takeaway
    takeaways point points comment comments thoughts remark summary conclusion views opinion response reaction acronym
    abbreviation stand stands organisation organization represent represents role job title""".split()
)
_COUNTED_NOUN = re.compile(r"\bhow\s+many\s+((?:[\w'-]+\s*){1,6})|\b(?:share|percentage|proportion|fraction)\s+of\s+(?:all\s+)?(?:the\s+)?([\w'-]+)", re.I)


def focus_words(question: str, identity: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The question's content words, minus the words that only ask and the words that only name a speaker."""
    found = {re.sub(r"'s$", "", w) for w in content_words(question)}
    return tuple(sorted(w for w in found if w not in ASKING_WORDS and w not in identity and w not in STOPWORDS and not numbers_in(w)))


_TWO_COUNTED = re.compile(r"\bhow\s+many\s+(?:[\w-]+\s+)?([\w-]+)\s+and\s+(?:[\w-]+\s+)?([\w-]+)\s+" + _AUXILIARY + r"\b", re.I)


def counted_pair(question: str) -> tuple[str, str] | None:
    """"How many member authorities and observers does the network have?": the stems of the two things counted."""
    found = _TWO_COUNTED.search(question)
    return (stem(found.group(1).lower()), stem(found.group(2).lower())) if found else None


def counted_nouns(question: str) -> frozenset[str]:
    """Stems of what a "how many X" or "share of X" question counts; empty for none."""
    counted = _COUNTED_NOUN.search(question)
    if counted is None:
        return frozenset()
    if counted.group(2):
        return frozenset({stem(counted.group(2).lower())})
    # The head of the noun phrase: its last plural before a function word ("how many national CERTs are": CERTs;
    # "how many countries take part": countries), else its first word ("how many people attended": people).
    phrase = []
    for word in words(re.sub(r"^\s*of\s+(?:the\s+|these\s+|those\s+)?", "", counted.group(1), flags=re.I)):  # "how many of the pilots"
        if word in STOPWORDS:
            break
        if word.endswith(("'s", "’s")):
            phrase = []  # "how many of the network's 23 members": the possessor is not what is counted
        elif not numbers_in(word):
            phrase.append(word)
    plurals = [w for w in phrase if w.endswith("s") and not w.endswith("ss")]
    head = plurals[-1] if plurals else phrase[0] if phrase else None
    if head in _ANYONE:
        # "How many people with disabilities responded": the people are counted by what they are or did ("412
        # respondents with disabilities"), so those words count as the noun too.
        after = []
        for word in words(question[counted.start(1) :])[1:COUNTED_WORDS]:
            if word not in STOPWORDS:
                after.append(word)
            if word.endswith(("ed", "ing")):
                break  # the verb: what follows is what they did it to ("followed the open forum", "were following")
        return frozenset({stem(head), *map(stem, after), *map(stem, PEOPLE_COUNTED_AS)})
    return frozenset({stem(head)}) if head else frozenset()


def measured_noun(question: str) -> frozenset[str]:
    """"What is the average age of ...": the stem of what is measured (age), which the answer's amount stands by."""
    found = _ASKS_MEASURE.search(question)
    return frozenset({stem((found.group("noun") or found.group("measured")).lower().split()[-1])}) if found else frozenset()


def amount_of(question: str) -> frozenset[str]:
    """"How much annotated signing did ...": the stem of what the amount is of (signing); empty for money and time,
    which are their own types."""
    much = _HOW_MUCH_OF.search(question)
    return frozenset({stem(much.group(1).lower())}) if much and much.group(1).lower() not in _SAID_AS_AMOUNT else frozenset()


# "How much annotated signing did ...": what the amount is of; money and time are their own types.
_HOW_MUCH_OF = re.compile(rf"\bhow\s+much\s+(?:[a-z][\w-]*\s+)?([a-z][\w-]*)\s+{_AUXILIARY}\b", re.I)
_SAID_AS_AMOUNT = frozenset("money time funding cash capital more less".split())


_ANYONE = frozenset("people persons individuals".split())
# "How many people were following online?" is answered by "around 60 participants": a count of people is said as a
# count of what those people are.
PEOPLE_COUNTED_AS = frozenset("people participants attendees respondents delegates users residents inhabitants".split())
COUNTED_WORDS = 6  # the words after "how many people" that say who is counted


# -- questions about the discourse ------------------------------------------------------------------------
# "Who asked whether ...", "Where is the participant who asked about X from?", "Which question did the online moderator
# relay from X?": the asker of a question read out or put at the microphone.
_ASKS_ASKER = re.compile(
    r"\b(?:who|which\s+(?:[\w\u2011-]+\s+){0,2}?(?:participant|person|member|delegate|one))\s+(?:\w+\s+){0,3}?(?:asked|ask|asks|wanted\s+to\s+know|submitted|(?:raised|put|sent|posed|typed|wrote)\s+(?:in\s+)?(?:a|the|this|that)\s+(?:\w+\s+)?question)\b"
    r"|\b(?:participant|person|member|delegate|questioner)\s+who\s+(?:\w+\s+){0,2}?(?:asked|wanted\s+to\s+know|raised|submitted)\b"
    r"|\bwho\s+came\s+to\s+the\s+(?:mic|microphone)\b|\bquestion\s+(?:did|from)\b"
    r"|\b(?:participants|people)\s+(?:\w+\s+){0,2}?questions?\s+(?:were\s+)?(?:read\s+out|relayed)\b",
    re.I,
)
_ASKS_CORRECTOR = re.compile(r"\bwho\s+(?:\w+\s+){0,2}?correct(?:ed|s)?\b", re.I)
_ASKS_CORRECTION = re.compile(r"\b(?:correct(?:ed|ion)?|actual(?:ly)?|right|real)\s+(?:figure|number|year|date|rate|amount|value|count)\b|\bcorrect(?:ed|ion)\b|\bactually\b", re.I)


_ASKS_RELAYER = re.compile(r"\bwho\s+(?:\w+\s+){0,2}?(?:relayed|read\s+out|passed\s+on|brought\s+in)\b.*\bquestions?\b|\bwho\s+was\s+the\s+(?:online|remote)\s+moderator\b", re.I)


# "Who moderated the open forum?", "Who is hosting this session?", "Who chaired?": not "Who chaired the G8 high-tech
# crime group?", which asks about someone's past, not about the session.
_SESSION_WORDS = r"(?:session|panel|workshop|forum|town\s+hall|coalition|meeting|event|discussion|debate|dialogue|roundtable|round\s+table)s?"
_ASKS_MODERATOR = re.compile(
    r"\bwho\s+(?:(?:was|is)\s+)?(?:moderat(?:ed|ing|es)|chair(?:ed|ing|s)|host(?:ed|ing|s)|facilitat(?:ed|ing|es))\b"
    rf"(?=\s*[?.!]?\s*$|\s+(?:today|it)\b|\s+(?:[\w'’-]+\s+){{0,5}}?{_SESSION_WORDS}\b)"
    r"|\bwho\s+(?:was|is|were|are)\s+the\s+(?:session\s+|main\s+)?(?:moderators?|chairs?|chairpersons?|hosts?|facilitators?)\b",
    re.I,
)


def asks_moderator(question: str) -> bool:
    """"Who moderated the town hall?", "Who was the chair?": the session's moderator (not the online one, who relays)."""
    return _ASKS_MODERATOR.search(question) is not None and not asks_relayer(question)


_ASKS_COUNTRY = re.compile(r"\b(?:which|what)\s+(?:\w+\s+){0,2}?(?:country|countries|nation|nations)\b", re.I)


_WHEN = re.compile(r"^\s*when\s+(?:is|was|are|were|does|did|do|will|would|has|had|should)\b.*?\b([a-z]+)(?:\s+(live|up|off|out|place|effect))?\s*\?\s*$", re.I)
# Verbs that say the same event: a pilot "due to begin" is one that "starts in January".
_SAME_EVENT = ({"begin", "start", "launch", "open", "commence"}, {"end", "close", "finish", "conclude", "expire"})


_NAMED_SUBJECT_VERB = re.compile(r"(?i:\s*when\s+(?:does|did|do|will|would|should)\s+)(?:[A-Z][\w'’\u2011.-]*\s+){1,4}([a-z][\w-]*)\b")


def event_words(question: str) -> frozenset[str]:
    """Stems of what happens in a "when" question ("When does the comment period close?": close, end, finish ...);
    empty for other questions."""
    found = _WHEN.match(question)
    if not found or found.group(1).lower() in STOPWORDS:
        return frozenset()
    verb = found.group(1).lower()
    said = {verb, *(found.group(2).lower() for _ in (0,) if found.group(2))}
    # "When does GADP delete biometric templates?": the verb follows a named subject, the object ends the question.
    named = _NAMED_SUBJECT_VERB.match(question)
    if named and named.group(1).lower() not in STOPWORDS:
        said.add(named.group(1).lower())
    # "When are biometric templates deleted at GADP?": a participle says what happens.
    said |= {w for w in words(question)[2:] if len(w) > 4 and w.endswith("ed") and w not in STOPWORDS}
    for group in _SAME_EVENT:
        if verb in group:
            said |= group
    return frozenset(stem(w) for w in said)


def asks_change(question: str) -> bool:
    """"By how much did Brazil cut the price?": the amount of a change, said as "by 90 percent"."""
    return re.search(r"\bby\s+(?:how\s+(?:much|many)|what\s+(?:share|percentage|proportion|amount|factor))\b", question, re.I) is not None


_WHICH_PERSON = re.compile(r"\bwhich\s+((?:[a-z][\w\u2011-]*\s+){1,3})", re.I)


def asked_words(question: str) -> tuple[str, ...]:
    """"Which minister called ...?", "Which Kenyan official said ...?": the lower-case words after "which" that may
    say what the person asked for is (minister, official), up to the verb."""
    found = _WHICH_PERSON.search(question)
    if not found:
        return ()
    kept = []
    for word in found.group(1).split():
        if word in STOPWORDS or word.endswith("ed") or not word[0].islower():
            break
        kept.append(word)
    return tuple(kept)


def asks_session_end(question: str) -> bool:
    """"How did the panel line up by the end of the session?", "How did the moderator close the panel?": what the
    session came to, which its moderator sums up in the closing turn."""
    return _SESSION_END.search(question) is not None


_SESSION_END = re.compile(
    r"\b(?:by|at|towards?)\s+the\s+(?:very\s+)?end\s+of\s+the\s+(?:session|panel|workshop|forum|meeting|town\s+hall|discussion|debate)\b"
    r"|\bhow\s+(?:did\s+)?the\s+(?:moderator|chair|host)\s+(?:close[ds]?|end(?:ed|s)?|wrap(?:ped|s)?\s+up|sum(?:med|s)?\s+up|conclude[ds]?)\b",
    re.I,
)


# The words a question about the end of a session uses for the session itself: every closing turn says them.
SESSION_WORDS = frozenset("end session sessions panel workshop forum meeting town hall discussion debate moderator chair host speakers panelists participants".split())


def asks_part(question: str) -> bool:
    """"How many of the pilots were still running?": a part of a whole, said as "one of them", "17 out of 27"."""
    return re.search(r"\bhow\s+many\s+of\b", question, re.I) is not None


def which_instance(question: str) -> frozenset[str]:
    """"the second phase of the pilot", "the next session": the words picking one of several of a kind; an answer
    said of another of them ("this session", the pilot's first phase) is no answer."""
    return frozenset(m.group(1).lower() for m in _INSTANCE.finditer(question))


_INSTANCE = re.compile(r"\b(next|second|third|fourth|upcoming)\s+(?!year\b|time\b)[a-z]", re.I)


def asks_reason(question: str) -> bool:
    """"Why has the fund not financed any network?", "For what reason ...", "How come ...": the answer is a reason."""
    return re.search(r"^\s*(?:and\s+)?(?:why|how\s+come)\b|\b(?:what|which)\s+(?:\w+\s+){0,3}reasons?\b|\bfor\s+what\s+reason\b", question, re.I) is not None


_AUDIENCE_PERSON = re.compile(r"\b(?:audience\s+member|member\s+of\s+the\s+audience|participant|questioner)\b", re.I)


def asks_origin(question: str) -> bool:
    """"Which country was the audience member from who runs a village cooperative?": where someone in the audience,
    known by what they said, said they are from."""
    return _AUDIENCE_PERSON.search(question) is not None and re.search(r"\bfrom\b", question, re.I) is not None and answer_type(question, question_form(question)) in (PLACE, LOCALITY)


_ASKS_AGAINST = re.compile(r"\b(?:against|oppos\w*|disagree\w*|reject\w*|critici[sz]\w*|object\w*|sceptic\w*|skeptic\w*)\b", re.I)
_ASKS_FOR = re.compile(r"\b(?:support\w*|favou?r\w*|back(?:ed|s)?|endors\w*|agree[sd]?|welcom\w*)\b", re.I)


# "Who in the audience argued against ...": up to five words after "who".
_ASKER_PHRASE = re.compile(r"^\s*(?:who|which\s+(?:\w+\s+){0,2}?\w+)\s+((?:\w+\s+){0,5})", re.I)


def asked_side(question: str) -> str | None:
    """"for" or "against" (index.annotate's stance values) when a question asks who took that side ("Who argued
    against ...?", "Which panelists said they supported ...?"): the side's verb must come within the first words after
    "who", not in a later clause ("Who trained the coaches who supported ..." asks no side)."""
    head = _ASKER_PHRASE.match(question)
    if head is None:
        return None
    opening = re.split(r"\b(?:who|that|which|whose)\b", head.group(1), maxsplit=1, flags=re.I)[0]
    if _ASKS_AGAINST.search(opening):
        return "against"
    if _ASKS_FOR.search(opening):
        return "for"
    return None


def quoted_phrases(question: str) -> tuple[str, ...]:
    """The words a question quotes ("When Rizal said \"as Ana said\", ...", "Who said 'I fundamentally disagree'?"): of two
    words or more, as written."""
    found = re.findall(r"[\"“”]([^\"“”]{3,200})[\"“”]|(?<!\w)['‘]([^'‘’]{3,200}?)['’](?!\w)", question)
    return tuple(p.strip(" ,.?!") for pair in found for p in pair if p and len(p.split()) >= 2)


def asks_relayed(question: str) -> bool:
    """"Which questions did Tomas read out?", "What questions did the online moderator relay?": the questions a reader
    put to the panel, not who asked one."""
    return re.search(r"\b(?:which|what)\s+(?:\w+\s+)?questions\b.*\b(?:read\s+out|relay(?:ed)?|pass(?:ed)?\s+on|br(?:ing|ought)\s+in)\b", question, re.I) is not None


def in_audience(question: str) -> bool:
    """"Who in the audience argued against ...?": the answer is one of the audience."""
    return re.search(r"\b(?:in|from|of)\s+the\s+(?:audience|floor)\b|\baudience\s+members?\b", question, re.I) is not None


def asks_name(question: str) -> bool:
    """"What was the name of the participant from Nepal?": a name the person gave, not a description of them."""
    return _ASKS_NAME.search(question) is not None


_NAME_OF = re.compile(r"\bnames?\s+of\s+(?:the|a|an|its|their|his|her|this|that)?\s*((?:[\w\u2011'’-]+\s*){1,5})", re.I)


def named_noun(question: str) -> str | None:
    """"What is the name of the repair ship Indonesia plans ...": "ship", the noun the name stands by ("the repair
    ship, the Léon Thévenin"); None when the question asks the name of a person or of nothing said."""
    found = _NAME_OF.search(question)
    if not found:
        return None
    head = None
    for word in found.group(1).split():
        if word[0].isupper() and head is None:
            continue  # "Argentina's national strategy", "the Cloudflare programme": the owner, not the thing named
        if word[0].isupper() or word.lower() in STOPWORDS:
            break
        head = word.lower()
    return head


# Nouns whose name is a place's: "the name of the town", "the name of the port".
PLACE_NOUNS = frozenset("place city town village region province state county district country island port capital municipality".split())


def asks_country(question: str) -> bool:
    """"Which country charges ...?": a country by name, where "which city" wants a place that is not one."""
    return _ASKS_COUNTRY.search(question) is not None


def asks_relayer(question: str) -> bool:
    """"Who relayed the questions from online participants?": the person reading questions out, not their askers."""
    return _ASKS_RELAYER.search(question) is not None


def asks_asker(question: str) -> bool:
    # "What answer did Folake give to the question from Benin?" asks for the reply, not who asked.
    return _ASKS_ASKER.search(question) is not None and not _ASKS_REPLY_TO.search(question)


_ASKS_REPLY_TO = re.compile(r"\b(?:answer|answered|reply|replied|respond|responded|response|react|reacted|reaction)\b.*\bquestion\s+from\b", re.I)


def asks_corrector(question: str) -> bool:
    return _ASKS_CORRECTOR.search(question) is not None


def asks_correction(question: str) -> bool:
    return _ASKS_CORRECTION.search(question) is not None
