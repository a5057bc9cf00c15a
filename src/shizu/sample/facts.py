"""Stable facts about the persona, for measuring recall: said early on, asked about at the end.

Mika states each fact (her cat's name, her job, her city, her comfort show, a trip with Priya) in
several sessions spread over the first :data:`STATEMENTS_UNTIL` of the sample's time span, in the
channels listed in :data:`STATED`; in the sessions of the last ``1 - QUESTIONS_FROM`` of the span
(held out by ``shizu build``, which keeps the latest 10% of conversations for evaluation) friends
ask about them (:data:`ASKED`), each question in a channel where the fact was said. What was
written goes to ``OUT_DIR/facts.json`` (:class:`FactLog`; schema in docs/sample-persona.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATEMENTS_UNTIL = 0.85  # statements lie in sessions planned in the first 85% of the span
QUESTIONS_FROM = 0.92  # questions lie in sessions planned in the last 8% of the span


@dataclass(frozen=True)
class Fact:
    """Something true about the persona; a correct answer contains one of ``keywords`` (any case)."""

    id: str
    keywords: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Exchange:
    """A session that brings a fact up: a friend asks (``asker``, ``question``: a neutral line the
    friend's style is applied to) or Mika volunteers it (``asker`` empty); her ``answer`` holds the
    keyword and opens her burst; the session goes on with ``topic``."""

    fact: str
    asker: str
    question: str
    answer: str
    topic: str


FACTS = (
    Fact("cat", ("mochi",), "Her cat is called Mochi."),
    Fact("job", ("bookshop", "bookstore"), "She works weekends at a bookshop."),
    Fact("city", ("osaka",), "She lives in Osaka."),
    Fact("show", ("gilmore",), "Her comfort show is Gilmore Girls."),
    Fact("trip", ("seoul",), "She and Priya are going to Seoul together in December."),
)

# Where each fact is said before the held-out period (channel key -> sessions, spread evenly over
# the channel's sessions in that order; a small sample keeps the first ones).
STATED: dict[str, tuple[Exchange, ...]] = {
    "general": (
        Exchange("city", "", "", "osaka is so humid today i am literally soup", "weather"),
        Exchange("job", "theo", "are you working this weekend?", "ya the bookshop needs me all saturday", "stress"),
        Exchange("cat", "juno", "wait what's your cat called again?", "her name is mochi and she runs this house", "pets"),
        Exchange("city", "theo", "is it raining where you are?", "its pouring in osaka rn", "weather"),
        Exchange("job", "", "", "someone at the bookshop asked for a book with a blue cover and nothing else", "stress"),
        Exchange("cat", "", "", "mochi stole my chair again and i let her", "pets"),
        Exchange("city", "priya", "how's the weather over there?", "osaka is freezing today send blankets", "weather"),
        Exchange("job", "juno", "where do you work again?", "the bookshop on weekends same as always", "stress"),
        Exchange("cat", "theo", "what's your cat up to today?", "mochi is judging me from the shelf", "pets"),
        Exchange("city", "juno", "where do you live again?", "osaka!! land of takoyaki", "weather"),
        Exchange("cat", "priya", "how's the cat?", "mochi knocked my plant over and felt nothing", "pets"),
        Exchange("job", "theo", "you working tomorrow?", "ya bookshop shift at 10 pray for me", "stress"),
    ),
    "group": (
        Exchange("trip", "juno", "what are you doing in december?", "me and priya are going to seoul", "plans"),
        Exchange("city", "", "", "when r u guys visiting me in osaka", "plans"),
        Exchange("cat", "juno", "how's your cat doing?", "mochi is thriving she ate a whole sock", "pets"),
        Exchange("trip", "", "", "countdown to seoul with priya has officially started", "plans"),
        Exchange("city", "juno", "is it snowing where you are?", "no snow in osaka just sad rain", "weather"),
        Exchange("cat", "", "", "mochi says hi to the gremlins", "pets"),
        Exchange("trip", "juno", "did you book the flights yet?", "yes we booked seoul last night", "plans"),
        Exchange("cat", "priya", "how's your cat today?", "mochi is asleep in the laundry basket", "pets"),
        Exchange("trip", "sam", "where are you two going again?", "seoul!! me and priya", "plans"),
        Exchange("city", "juno", "where are you again? i forgot", "osaka obviously", "weather"),
        Exchange("cat", "juno", "what's your cat called?", "mochi!! how do u not know", "pets"),
    ),
    "dm_priya": (
        Exchange("show", "priya", "what's your comfort show?", "gilmore girls forever i rewatch it every fall", "show"),
        Exchange("trip", "", "", "i found cheap flights to seoul for december", "plans"),
        Exchange("cat", "priya", "how's your cat doing?", "mochi is asleep on my hoodie again", "pets"),
        Exchange("show", "", "", "rewatching gilmore girls for the fifth time no regrets", "show"),
        Exchange("trip", "priya", "did you look at hotels yet?", "yes i found a cute one in seoul near the cafes", "plans"),
        Exchange("show", "priya", "what are you watching tonight?", "gilmore girls again obviously", "show"),
        Exchange("cat", "", "", "mochi sat on my laptop and almost sent u a voice note", "pets"),
        Exchange("show", "priya", "what are you watching these days?", "gilmore girls season 3 this time", "show"),
        Exchange("trip", "priya", "where are we going again? i keep forgetting", "seoul!! in december", "plans"),
        Exchange("cat", "priya", "how's the cat?", "mochi is fine she just wants attention", "pets"),
    ),
    "dm_theo": (
        Exchange("job", "theo", "how's work going?", "the bookshop was chaos today someone returned a book covered in soup",
                 "stress"),
        Exchange("job", "", "", "i got the bookshop to order the new manga volume for me", "stress"),
        Exchange("job", "theo", "are you still working weekends?", "ya still at the bookshop every saturday", "stress"),
        Exchange("city", "", "", "osaka trains are a nightmare today", "plans"),
        Exchange("job", "theo", "what are you up to this saturday?", "working at the bookshop sadly", "stress"),
        Exchange("city", "theo", "where are you based again?", "osaka still lol", "plans"),
        Exchange("job", "theo", "how was work today?", "the bookshop was packed all day", "stress"),
    ),
}

# What friends ask in the held-out period, per channel, most important first (one per session).
ASKED: dict[str, tuple[Exchange, ...]] = {
    "general": (
        Exchange("city", "kai", "where are you based, if you don't mind me asking?", "osaka!! come visit", "weather"),
        Exchange("job", "kai", "what do you do for work?", "i work at a little bookshop on weekends", "stress"),
        Exchange("cat", "kai", "what's your cat's name?", "mochi shes the best girl", "pets"),
        Exchange("job", "theo", "you working this weekend again?", "ya bookshop as always", "stress"),
        Exchange("cat", "juno", "how's your cat these days?", "mochi is thriving as usual", "pets"),
    ),
    "group": (
        Exchange("trip", "juno", "wait, where are you and priya going in december?", "seoul!! we already booked it", "plans"),
        Exchange("city", "juno", "what city are you in again? i want to send you a postcard", "osaka ill dm u my address",
                 "plans"),
        Exchange("cat", "priya", "what was your cat's name again? my sister wants to know", "mochi obviously", "pets"),
        Exchange("trip", "priya", "what city are we flying to again? i forgot lol", "seoul!! how did u forget", "plans"),
    ),
    "dm_priya": (
        Exchange("show", "priya", "what was your comfort show again? i need something cozy to watch",
                 "gilmore girls always", "show"),
        Exchange("trip", "priya", "remind me which city we booked, i'm filling in the form", "seoul!! the one with the cafes",
                 "plans"),
        Exchange("cat", "priya", "what's your cat's name again? my cousin wants to know", "mochi the queen herself", "pets"),
        Exchange("show", "priya", "what should i watch tonight?", "gilmore girls obviously", "show"),
    ),
    "dm_theo": (
        Exchange("job", "theo", "remind me, where are you working these days?", "still at the bookshop", "stress"),
        Exchange("city", "theo", "where do you live again? i want to mail you a book", "osaka! ill send u the address", "plans"),
    ),
}


@dataclass(frozen=True)
class Statement:
    """Mika saying a fact (``id``, her message), maybe answering a friend's ``question_id``."""

    id: str
    channel_id: str
    timestamp: str
    question_id: str | None


@dataclass(frozen=True)
class Question:
    """A friend asking about a fact in the held-out period, and Mika's burst answering it."""

    id: str
    channel_id: str
    author_id: str
    timestamp: str
    answer_ids: tuple[str, ...]  # the first one holds the keyword


@dataclass
class FactLog:
    """The fact exchanges a sample wrote, by fact id."""

    statements: dict[str, list[Statement]] = field(default_factory=lambda: {f.id: [] for f in FACTS})
    questions: dict[str, list[Question]] = field(default_factory=lambda: {f.id: [] for f in FACTS})

    def write(self, path: Path, persona_id: str, seed: int, questions_from: str) -> None:
        """``facts.json``: every fact with where it was said and asked, in time order (ids are snowflakes)."""
        facts = []
        for fact in FACTS:
            statements = sorted(self.statements[fact.id], key=lambda s: int(s.id))
            questions = sorted(self.questions[fact.id], key=lambda q: int(q.id))
            facts.append({
                "id": fact.id, "fact": fact.text, "keywords": list(fact.keywords),
                "channels": list(dict.fromkeys(s.channel_id for s in statements)),
                "statements": [asdict(s) for s in statements], "questions": [asdict(q) for q in questions],
            })
        doc = {"persona_id": persona_id, "seed": seed, "questions_from": questions_from, "facts": facts}
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="ascii")
