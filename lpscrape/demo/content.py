"""The sample site's content: fictional articles, authors and terms, built deterministically."""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
SEED = 20250912


@dataclass(frozen=True)
class Author:
    """A WordPress user who signs articles."""

    id: int
    slug: str
    name: str
    bio: str


@dataclass(frozen=True)
class Term:
    """A category or a tag."""

    id: int
    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Figure:
    """An image block placed after the body paragraph at index `after`."""

    after: int
    src_path: str
    alt: str
    caption: str


@dataclass(frozen=True)
class Article:
    """One post as published, with the plain-text truth an extractor should recover."""

    id: int
    slug: str
    title: str
    authors: tuple[Author, ...]
    categories: tuple[Term, ...]
    tags: tuple[Term, ...]
    dateline: str | None
    paragraphs: tuple[str, ...]
    published: datetime
    modified: datetime
    figure: Figure | None = None
    quote_index: int | None = None

    @property
    def path(self) -> str:
        """The pretty permalink path `/YYYY/MM/DD/slug/` (local publication date)."""
        return f"/{self.published:%Y/%m/%d}/{self.slug}/"

    @property
    def shortlink(self) -> str:
        """The `/?p=ID` shortlink path."""
        return f"/?p={self.id}"

    @property
    def author_names(self) -> list[str]:
        """Author display names in byline order."""
        return [a.name for a in self.authors]

    @property
    def byline(self) -> str:
        """The byline as displayed, without the leading "By"."""
        return " and ".join(self.author_names)

    @property
    def category_names(self) -> list[str]:
        """Category names, primary first."""
        return [c.name for c in self.categories]

    @property
    def tag_names(self) -> list[str]:
        """Tag names as WordPress stores them (the theme prints them with a leading #)."""
        return [t.name for t in self.tags]

    @property
    def body_blocks(self) -> list[str]:
        """Every text block of the body in page order: paragraphs, quote and figure caption."""
        blocks: list[str] = []
        for i, paragraph in enumerate(self.paragraphs):
            blocks.append(paragraph)
            if self.figure and self.figure.after == i:
                blocks.append(self.figure.caption)
        return blocks

    @property
    def body_text(self) -> str:
        """The body's text blocks separated by a blank line (the record's `body_text`)."""
        return "\n\n".join(self.body_blocks)

    @property
    def word_count(self) -> int:
        """Words in the body text, as the record counts them (whitespace-separated)."""
        return len(self.body_text.split())

    @property
    def version(self) -> str:
        """A hash of everything that makes up this version of the post."""
        parts = [
            self.title,
            *self.author_names,
            *self.category_names,
            *self.tag_names,
            self.modified.isoformat(),
            *self.body_blocks,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def expected_record(self, base_url: str) -> dict[str, object]:
        """The fields `lpscrape extract` should produce for this article's page."""
        url = base_url.rstrip("/") + self.path
        return {
            "url": url,
            "canonical_url": url,
            "title": self.title,
            "authors": self.author_names,
            "byline": self.byline,
            "dateline": self.dateline,
            "published_at": self.published.astimezone(UTC).isoformat(),
            # Never edited: Yoast prints dateModified == datePublished; the record says null.
            "modified_at": None
            if self.modified == self.published
            else self.modified.astimezone(UTC).isoformat(),
            "categories": self.category_names,
            "tags": self.tag_names,
            "body_text": self.body_text,
            "word_count": self.word_count,
        }


@dataclass(frozen=True)
class Page:
    """A WordPress page (not a post): about, privacy and the staff-only page."""

    path: str
    title: str
    paragraphs: tuple[str, ...]
    modified: datetime


def slugify(text: str) -> str:
    """WordPress-like slug: accents removed, lower case, runs of other characters as '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("'", "")).strip("-")


AUTHORS = (
    Author(
        2,
        "lp-staff-writers",
        "LP Staff Writers",
        "Articles signed by the staff writers are the work of several members of the newsroom, "
        "often drawing on reporting from more than one city. The desk covers ceremonies, "
        "appointments and the business of embassies with an eye for the record rather than "
        "for comment. Corrections are published at the foot of the article concerned.",
    ),
    Author(
        3,
        "eleanor-whitcombe",
        "Eleanor Whitcombe",
        "Eleanor Whitcombe is the diplomatic correspondent of Lord's Press. She spent a decade "
        "reporting from Brussels and Geneva before returning to London. She writes mostly about "
        "consular affairs and the quieter side of international negotiations.",
    ),
    Author(
        4,
        "margarethe-schon",
        "Margarethe Schön",
        "Margarethe Schön covers the titled families of central Europe from Munich. Trained as "
        "an archivist, she has catalogued estate papers in Bavaria and Austria. Her reporting "
        "relies on registers, deeds and letters rather than on gossip.",
    ),
    Author(
        5,
        "julien-delacroix-marceau",
        "Julien Delacroix-Marceau",
        "Julien Delacroix-Marceau writes on protocol and ceremonial. A former event planner for "
        "an international organisation, he explains the rules behind seating plans, flags and "
        "forms of address. He lives in Paris.",
    ),
    Author(
        6,
        "harriet-ashdown",
        "Harriet Ashdown",
        "Harriet Ashdown is a heraldry specialist and occasional herald painter. She contributes "
        "explainers on arms, seals and the work of heraldic authorities. Her own drawings "
        "sometimes illustrate her articles.",
    ),
    Author(
        7,
        "rafael-monteiro",
        "Rafael Monteiro",
        "Rafael Monteiro reports on trade, ports and international institutions. He has worked "
        "in Lisbon, São Paulo and Rotterdam. He is interested in how technical agreements change "
        "everyday work at borders.",
    ),
)
STAFF = AUTHORS[0]

CATEGORIES = (
    Term(3, "diplomacy", "Diplomacy", "Embassies, envoys, consular work and negotiations."),
    Term(4, "nobility", "Nobility", "Titled families, successions and their estates and papers."),
    Term(5, "protocol", "Protocol", "Ceremonial, precedence, flags and forms of address."),
    Term(6, "world-affairs", "World Affairs", "Trade, ports and international institutions."),
    Term(7, "heraldry", "Heraldry", "Arms, seals, grants and the people who design them."),
)
_TAG_NAMES = (
    "Belgium", "France", "Germany", "Brazil", "Japan", "United Nations", "Treaties",
    "Embassies", "State Visits", "Royal Households", "Succession", "Coats of Arms",
    "Ceremonies", "Ports", "Consular Affairs", "Archives",
)  # fmt: skip
TAGS = tuple(Term(11 + i, slugify(name), name) for i, name in enumerate(_TAG_NAMES))

# Each category's usual writer; the staff desk and a second author are mixed in at random.
_DESK = {"Diplomacy": 3, "Nobility": 4, "Protocol": 5, "Heraldry": 6, "World Affairs": 7}

# (title, categories, tags, dateline as printed or None, the lead sentence)
_STORIES: tuple[tuple[str, str, str, str | None, str], ...] = (
    (
        "Belgium and the Netherlands agree joint inspection rules for North Sea ports",
        "Diplomacy|World Affairs", "Belgium|Ports|Treaties", "ANTWERP",
        "Customs officers from Belgium and the Netherlands will be allowed to work side by side "
        "at each other's largest container terminals under a memorandum signed on Tuesday.",
    ),
    (
        "House of Arvenne names a regent after the death of its elderly head",
        "Nobility", "Succession|Archives", "BRUSSELS",
        "The House of Arvenne, one of the oldest titled families of the southern Low Countries, "
        "has appointed a regent to manage its affairs until the heir comes of age next spring.",
    ),
    (
        "Why the order of precedence still decides who sits where at state banquets",
        "Protocol", "Ceremonies|State Visits", None,
        "Seating plans at a state banquet are drawn up weeks in advance, and almost every "
        "decision on them follows a written order of precedence that few guests ever see.",
    ),
    (
        "München council approves restoration of its historic civic arms",
        "Heraldry", "Germany|Coats of Arms", "MÜNCHEN",
        "The city council voted by a wide margin to pay for the restoration of the painted civic "
        "arms that hang above the main staircase of the old town hall.",
    ),
    (
        "Geneva talks on consular access end with a draft text and a date for round two",
        "Diplomacy", "United Nations|Consular Affairs", "GENEVA",
        "Delegations from eleven countries left Geneva on Friday with a draft text on consular "
        "access to detained nationals and an agreement to meet again in the summer.",
    ),
    (
        "French foreign ministry publishes a revised guide to forms of address",
        "Protocol", "France|Ceremonies", "PARIS, France",
        "The French foreign ministry has published a revised guide to forms of address, the "
        "first full update of the document in nearly twenty years.",
    ),
    (
        "Japan and Portugal mark a long friendship with an exchange of archive copies",
        "Diplomacy|World Affairs", "Japan|Archives|Embassies", "TOKYO",
        "Japan and Portugal exchanged digital copies of early diplomatic correspondence at a "
        "ceremony in Tokyo, giving researchers in both countries access to each other's records.",
    ),
    (
        "Heralds’ college grants arms to a coastal town for the first time in forty years",
        "Heraldry", "Coats of Arms|Ceremonies", "EDINBURGH",
        "A small fishing town on the east coast has received a grant of arms, the first made to "
        "a town in the region in four decades.",
    ),
    (
        "A quiet succession: how the Velsberg title passed to a cousin in Argentina",
        "Nobility", "Succession|Archives", None,
        "When the last Count of Velsberg died without children last year, few expected the title "
        "to travel as far as a vineyard in the foothills of the Andes.",
    ),
    (
        "Brazil opens a consulate general in Munich to serve a growing community",
        "Diplomacy", "Brazil|Germany|Consular Affairs", "SÃO PAULO",
        "Brazil's foreign ministry announced on Monday that it will open a consulate general in "
        "Munich, citing a steady rise in the number of Brazilians living in southern Germany.",
    ),
    (
        "Vienna hosts annual gathering of chiefs of protocol from thirty countries",
        "Protocol|Diplomacy", "Ceremonies|State Visits", "VIENNA",
        "Chiefs of protocol from some thirty countries met in Vienna this week for their annual "
        "exchange of practical advice on visits, banquets and summits.",
    ),
    (
        "Port authorities weigh the cost of new scanners against longer queues",
        "World Affairs", "Ports|Belgium", "ANTWERP",
        "Port managers are weighing whether a new generation of container scanners is worth the "
        "delays that installing them would cause during the busiest months of the year.",
    ),
    (
        "Restored funeral hatchments return to a parish church in Suffolk",
        "Heraldry", "Coats of Arms|Archives", None,
        "Six painted funeral hatchments, the diamond-shaped boards once hung outside the homes of "
        "the recently dead, have been returned to a parish church after two years of restoration.",
    ),
    (
        "State visit to Stockholm follows a programme set out months in advance",
        "Protocol", "State Visits|Ceremonies", "STOCKHOLM",
        "The three-day state visit that ended in Stockholm on Thursday followed a programme that "
        "officials had agreed, minute by minute, well before the spring.",
    ),
    (
        "Ambassadors’ credentials ceremony moved indoors as storms sweep the capital",
        "Protocol|Diplomacy", "Embassies|Ceremonies", "MADRID",
        "Five newly arrived ambassadors presented their credentials indoors on Wednesday after "
        "heavy storms forced organisers to abandon the usual ceremony in the palace courtyard.",
    ),
    (
        "Genealogists trace a lost branch of the Marchetti family to a Lisbon archive",
        "Nobility", "Archives|Succession", "LISBON",
        "A team of genealogists says it has found the missing branch of the Marchetti family in "
        "the baptismal records of a Lisbon parish, ending a search that began in the 1970s.",
    ),
    (
        "United Nations committee adopts guidance on the immunity of visiting officials",
        "World Affairs|Diplomacy", "United Nations|Treaties", "NEW YORK",
        "A United Nations committee has adopted non-binding guidance on the immunities enjoyed "
        "by officials on short visits abroad, after three years of discussion.",
    ),
    (
        "Danish court rules on the use of a noble particle in a family name",
        "Nobility", "Succession", "KØBENHAVN",
        "A court in Copenhagen has ruled that a family may keep the noble particle in its "
        "surname, rejecting an objection lodged by distant relatives.",
    ),
    (
        "The grammar of a coat of arms, explained in five shields",
        "Heraldry", "Coats of Arms", None,
        "A coat of arms can look like a puzzle, but it is written in a small and very regular "
        "language that anyone can learn to read with a little practice.",
    ),
    (
        "Belgian and French mayors sign a twinning charter in Bruges",
        "Diplomacy", "Belgium|France|Ceremonies", "BRUGES, Belgium",
        "The mayors of Bruges and a town in Burgundy signed a twinning charter on Saturday, "
        "formalising links between schools and choirs that go back more than thirty years.",
    ),
    (
        "Trade envoys from Japan and Brazil agree to meet twice a year",
        "World Affairs", "Japan|Brazil|Treaties", "TOKYO",
        "Trade envoys from Japan and Brazil have agreed to hold regular meetings twice a year to "
        "deal with disputes over standards and paperwork before they escalate.",
    ),
    (
        "Monaco’s palace archive opens a reading room to visiting scholars",
        "Nobility|Heraldry", "Archives|Royal Households", "MONACO",
        "The palace archive in Monaco has opened a small reading room to visiting scholars, who "
        "can now consult catalogued papers by appointment.",
    ),
    (
        "Flags at half-mast: rules, exceptions & the ministries that decide",
        "Protocol", "Ceremonies", None,
        "Lowering flags to half-mast looks like a simple gesture, yet most governments keep "
        "detailed rules on who may order it, for how long and on which buildings.",
    ),
    (
        "Tribunal registry in The Hague moves to a new building after a decade of planning",
        "World Affairs", "United Nations", "THE HAGUE",
        "The registry of an international tribunal has moved into new offices in The Hague, ten "
        "years after the first plans for the building were drawn up.",
    ),
    (
        "Embassy reopens in Valletta after a two-year refurbishment",
        "Diplomacy", "Embassies", "VALLETTA",
        "An embassy in Valletta reopened its doors on Monday after a refurbishment that kept "
        "staff in temporary offices across the harbour for two years.",
    ),
    (
        "Countess of Harlowe sets out plans to open the family estate to the public",
        "Nobility", "Succession|Archives", None,
        "The Countess of Harlowe has announced that the family's house and gardens will open to "
        "paying visitors from next year, reversing a policy of privacy that lasted a century.",
    ),
    (
        "Heraldic artists gather in Zürich for a week of painting and debate",
        "Heraldry", "Coats of Arms|Ceremonies", "ZÜRICH",
        "More than sixty heraldic artists from across Europe spent a week in Zürich comparing "
        "techniques, from gold leaf on vellum to drawing arms for screens.",
    ),
    (
        "German and Brazilian ministers sign an agreement on cultural heritage loans",
        "Diplomacy|World Affairs", "Germany|Brazil|Treaties", "BERLIN",
        "Culture ministers from Germany and Brazil signed an agreement in Berlin that simplifies "
        "the loan of museum objects between the two countries.",
    ),
    (
        "How an embassy prepares for a national day reception",
        "Protocol", "Embassies|Ceremonies", None,
        "For most embassies the national day reception is the largest event of the year, and "
        "preparations usually begin as soon as the previous one is over.",
    ),
    (
        "Ports of Antwerp and Hamburg compare notes on security at a closed meeting",
        "World Affairs", "Ports|Belgium|Germany", "HAMBURG",
        "Security officials from the ports of Antwerp and Hamburg met behind closed doors on "
        "Thursday to compare how they screen containers and vet staff.",
    ),
    (
        "An old dispute over a baronial title returns to a Scottish court",
        "Nobility", "Succession|Archives", "EDINBURGH",
        "A dispute over who should hold a Scottish barony, first heard in the 1950s, has "
        "returned to court after new documents were found in a solicitor's archive.",
    ),
    (
        "Consular staff in São Paulo extend opening hours during the passport season",
        "Diplomacy", "Brazil|Consular Affairs", "SÃO PAULO",
        "Several European consulates in São Paulo are opening for longer hours this month to "
        "cope with the seasonal rush of passport and visa applications.",
    ),
    (
        "Rome conference on treaty archives calls for shared digital catalogues",
        "World Affairs", "Archives|Treaties", "ROME",
        "Archivists meeting in Rome have called on foreign ministries to publish shared digital "
        "catalogues of the treaties they hold, so that researchers can find texts more easily.",
    ),
    (
        "Arms of a newly created diocese unveiled at a cathedral service",
        "Heraldry", "Coats of Arms|Ceremonies", None,
        "The arms of a newly created diocese were unveiled during a cathedral service on Sunday, "
        "painted on a banner carried in the opening procession.",
    ),
    (
        "Oslo city hall rehearses the programme for a visiting head of state",
        "Protocol", "State Visits", "OSLO",
        "Staff at Oslo city hall held a full rehearsal on Tuesday for next week's visit by a "
        "foreign head of state, walking through every arrival and speech.",
    ),
    (
        "French and Belgian foreign ministers discuss a shared approach to consular crises",
        "Diplomacy", "France|Belgium|Consular Affairs", "PARIS, France",
        "The foreign ministers of France and Belgium discussed on Wednesday how their consular "
        "services could help each other's citizens during emergencies abroad.",
    ),
    (
        "Descendants of the Dukes of Orvieto meet for their first reunion in a century",
        "Nobility", "Archives|Succession", "ORVIETO",
        "About two hundred descendants of the Dukes of Orvieto gathered in the Umbrian hill town "
        "at the weekend, the first family reunion of its kind in a hundred years.",
    ),
    (
        "Japan’s new envoy to Brussels presents credentials in a short ceremony",
        "Diplomacy|Protocol", "Japan|Belgium|Embassies", "BRUSSELS",
        "Japan's new ambassador to Belgium presented her credentials on Thursday in a ceremony "
        "that lasted a little under twenty minutes.",
    ),
    (
        "Heraldry society publishes its roll of arms recorded in 2024",
        "Heraldry", "Coats of Arms|Archives", "LONDON",
        "A heraldry society has published its annual roll of the arms recorded by its members "
        "last year, including several designed for families with no earlier arms.",
    ),
    (
        "Warsaw meeting sets timetable for talks on shared river borders",
        "World Affairs|Diplomacy", "Treaties", "WARSAW",
        "Officials from three countries agreed in Warsaw on a timetable for talks on the "
        "management of rivers that form part of their common borders.",
    ),
    (
        "Which national anthem comes first? A guide to the rules at joint events",
        "Protocol", "Ceremonies|State Visits", None,
        "When two national anthems are played at the same event, the order is rarely left to "
        "chance, and the rules differ more than most people expect.",
    ),
    (
        "Family papers of the Barons of Keldholm donated to a county record office",
        "Nobility|Heraldry", "Archives", None,
        "Four centuries of papers belonging to the Barons of Keldholm have been given to a "
        "county record office, where they will be catalogued over the next two years.",
    ),
    (
        "Vienna meeting on consular cooperation ends with a joint declaration",
        "Diplomacy", "Consular Affairs|Treaties", "VIENNA",
        "A two-day meeting on consular cooperation ended in Vienna with a joint declaration "
        "on sharing information about citizens caught up in accidents abroad.",
    ),
    (
        "Brazil and Portugal review an old agreement on dual nationality",
        "World Affairs", "Brazil|Treaties", "LISBON",
        "Brazil and Portugal have begun a review of a long-standing agreement on the rights of "
        "people who hold the nationality of both countries.",
    ),
    (
        "A new tabard for the heralds, stitched by hand over eleven months",
        "Heraldry|Protocol", "Coats of Arms|Ceremonies", "LONDON",
        "A new tabard, the embroidered coat worn by heralds on state occasions, has been "
        "completed after eleven months of work by a team of four embroiderers.",
    ),
    (
        "Bavarian state archive returns seals to a noble family after a court ruling",
        "Nobility", "Germany|Archives", "MÜNCHEN",
        "A state archive in Bavaria has returned a set of wax seals and their matrices to the "
        "family that once owned them, following a ruling by an administrative court.",
    ),
    (
        "Embassies in The Hague adjust security after a review of shared entrances",
        "Diplomacy", "Embassies", "THE HAGUE",
        "Several embassies that share buildings in The Hague are changing how visitors are "
        "checked at the door, after a review found the arrangements confusing.",
    ),
    (
        "Staff college trains young diplomats in negotiation and protocol",
        "World Affairs|Protocol", "United Nations|Ceremonies", "GENEVA",
        "A staff college in Geneva has begun a new course that teaches junior diplomats the "
        "practical side of negotiation, from drafting a text to chairing a meeting.",
    ),
)  # fmt: skip

# Published only in edition 2 (late October and November, GMT).
_NEW_STORIES: tuple[tuple[str, str, str, str | None, str], ...] = (
    (
        "Belgium hosts talks on a shared register of port security incidents",
        "Diplomacy|World Affairs", "Belgium|Ports", "ANTWERP",
        "Port and customs officials from five countries met in Antwerp to discuss a shared "
        "register of security incidents at their terminals.",
    ),
    (
        "A winter investiture: the ceremony in detail, from robes to seating",
        "Protocol|Nobility", "Ceremonies", None,
        "An investiture looks effortless to the guests, but the order in which people walk, "
        "bow and sit has usually been fixed days before anyone puts on a robe.",
    ),
    (
        "Swiss canton approves a redrawn coat of arms after a public consultation",
        "Heraldry", "Coats of Arms", "ZÜRICH",
        "A Swiss canton has approved a redrawn version of its coat of arms after a consultation "
        "in which residents sent in more than two thousand comments.",
    ),
)  # fmt: skip

# Sentences that fit any story.
_GENERAL = (
    "A spokesperson declined to give a timetable, saying only that more details would follow "
    "before the end of the year.",
    "Local newspapers in {place} gave the news prominent coverage the following morning.",
    "Several people involved welcomed the move, describing it as overdue but sensible.",
    "Critics argued that the announcement offered little detail on costs or on who would bear "
    "them.",
    "Much of the preparatory work was carried out by a small team of lawyers and archivists.",
    "The decision follows a consultation that drew more than four hundred written submissions.",
    "Historians point out that similar questions were debated, and left unresolved, more than a "
    "century ago.",
    "Some details, including the exact division of costs, were left to be settled at a later "
    "stage.",
    "The statement made no mention of a budget, which is expected to be set separately.",
    "A written answer to a parliamentary question later confirmed the main points.",
)
# Sentences about meetings and negotiations, for Diplomacy and World Affairs stories.
_MEETINGS = (
    "Officials on both sides described the discussions as constructive, while cautioning that "
    "several points remain open.",
    "Observers in {place} noted that the tone of the meeting was markedly warmer than at the "
    "previous round.",
    "Neither side released the full text, though a short joint statement was circulated to "
    "journalists in the afternoon.",
    "The proceedings were closed to the public, and only a brief photo opportunity was allowed "
    "at the start.",
    "People familiar with the file said the compromise had taken shape over several informal "
    "dinners.",
    "The next session is expected to take place in the autumn, once the working groups have "
    "reported.",
    "Participants thanked their hosts in {place} for what one of them called an unusually "
    "well-run week.",
    "It is the first meeting of its kind since the current arrangements came into force.",
    "Representatives of local businesses attended as observers and were invited to send "
    "comments in writing.",
    "The full programme, including the list of participants, is due to be published online.",
)
_POOLS = {
    "Diplomacy": (
        "The agreement sets out how consular officers will notify each other when a citizen of "
        "either country is detained.",
        "Under the new terms, visa appointments can be booked online and processed at either "
        "embassy.",
        "The two foreign ministries will exchange liaison officers for a trial period of two "
        "years.",
        "Negotiators spent most of the final day on a single clause dealing with the sharing of "
        "records.",
        "The ambassador said the text reflected a long tradition of practical cooperation "
        "between the two capitals.",
        "Embassy staff have been told to expect a rise in applications once the changes take "
        "effect.",
        "A joint committee will meet twice a year to monitor how the arrangement works in "
        "practice.",
        "The memorandum is not a treaty and does not need the approval of either parliament.",
        "Envoys from neighbouring states attended the signing and are said to be considering "
        "similar arrangements.",
        "The foreign minister called the outcome a modest step that would nonetheless make life "
        "easier for travellers.",
        "Talks had stalled last year over the question of which courts would hear disputes.",
        "Officials said the new office would handle passports, notarial services and the "
        "registration of births.",
    ),
    "Nobility": (
        "The family has held its title since the early eighteenth century, when it was granted "
        "for service at court.",
        "Under the terms of the original letters patent, the title may pass only through the male "
        "line.",
        "Relatives gathered for a private service in the chapel before a lunch for tenants and "
        "neighbours.",
        "The estate, which covers several thousand acres of farmland and woodland, is managed by a "
        "family trust.",
        "A spokesman for the family asked for privacy and said no interviews would be given.",
        "Genealogists consulted parish registers, notarial deeds and a bundle of letters kept in "
        "the house's muniment room.",
        "The house was partly rebuilt after a fire in the 1920s and opens to visitors on summer "
        "weekends.",
        "Members of the family have served as diplomats, soldiers and local magistrates over "
        "several generations.",
        "The succession was confirmed after a review of the relevant birth and marriage records.",
        "Several portraits from the collection have been lent to a regional museum for a year.",
        "The new holder of the title said the estate's farms would stay with their current "
        "tenants.",
        "Court records show that a similar claim was made, and rejected, in the 1890s.",
    ),
    "Protocol": (
        "Precedence at such events is set out in a document that is revised only rarely and never "
        "published in full.",
        "Heads of state are received in order of the date on which they took office, not by the "
        "size of their countries.",
        "Guests were seated at round tables, which protocol officers favour because they avoid a "
        "single head of the table.",
        "Flags were arranged in the alphabetical order of the country names in the host's "
        "language.",
        "The dress code printed on the invitation called for lounge suits rather than evening "
        "dress.",
        "Protocol staff rehearsed the arrival sequence twice on the eve of the visit, timing each "
        "step.",
        "The order of speeches was agreed only the night before, after a long exchange between the "
        "two delegations.",
        "Ambassadors present their credentials in a short ceremony that has changed little in more "
        "than a century.",
        "Gifts exchanged between the delegations were modest, in line with the rules on official "
        "hospitality.",
        "A band played both national anthems, the visitor's first, as custom requires.",
        "Guests were asked to arrive an hour early so that security checks could be completed "
        "without delay.",
        "Forms of address remain a common source of confusion, even among experienced officials.",
        "The guidance says titles should be used in full at first mention and may be shortened "
        "afterwards.",
    ),
    "Heraldry": (
        "The shield is divided into four quarters, each recalling a part of the town's history.",
        "The design was approved after several drafts, one of which was rejected for using too "
        "many colours.",
        "Heraldic custom discourages placing a colour on a colour or a metal on a metal, a "
        "convention known as the rule of tincture.",
        "The grant was entered in the official register and sealed by the granting authority.",
        "A painter spent several weeks on the letters patent, using gold leaf and pigments bound "
        "with egg.",
        "The motto, in Latin, refers to the harbour that gave the town its early wealth.",
        "Conservators removed layers of varnish that had darkened the colours over two centuries.",
        "The arms will appear on the council's seal, its vehicles and the chain worn by the mayor.",
        "Supporters, the figures that stand on either side of a shield, are usually reserved for "
        "senior bodies.",
        "The blazon, the formal description of the arms, runs to a single sentence of about forty "
        "words.",
        "Specialists note that the crest had been drawn incorrectly for decades on official "
        "stationery.",
        "The register now lists several hundred arms recorded by private individuals.",
    ),
    "World Affairs": (
        "Trade between the two regions has grown steadily over the past decade, led by machinery "
        "and farm produce.",
        "Port operators say longer inspections have added about half a day to the time containers "
        "spend on the quay.",
        "Analysts expect the agreement to have a limited effect on prices in the short term.",
        "The committee's report drew on evidence from customs services, shipping lines and "
        "regional authorities.",
        "Several member states asked for more time to study the proposals before taking a "
        "position.",
        "Officials stressed that the measures were technical and did not signal a change of "
        "policy.",
        "The meeting took place against a background of rising freight costs and crowded shipping "
        "lanes.",
        "Independent researchers will be asked to evaluate the scheme after its first full year.",
        "The secretariat said it would publish a summary of the discussions within a month.",
        "Shipping companies welcomed the plans but asked for clearer guidance on timing.",
        "A pilot project will begin at two terminals before any wider roll-out is considered.",
        "Figures from the statistics office show a modest increase in cross-border traffic this "
        "year.",
    ),
}
# Per category: quotations for a blockquote, and the fictional people who say them.
_QUOTES = {
    "Diplomacy": (
        (
            "“We did not expect to settle everything in one week, and we did not,” said "
            "{official}. “But we now have a text to work from.”",
            "“This is practical work, and practical work rarely makes headlines,” said {official}.",
        ),
        (
            "Claire Dufresne, a senior adviser at the foreign ministry",
            "Tomás Ferreira, a retired ambassador",
        ),
    ),
    "Nobility": (
        (
            "“The records were there all along. It simply took patience to read them in the "
            "right order,” said {official}.",
            "“Families like ours are custodians rather than owners,” said {official}.",
        ),
        (
            "Cecily Hartwell, a trustee of the family foundation",
            "Anselm Krüger, an archivist who worked on the papers",
        ),
    ),
    "Protocol": (
        (
            "“Ceremony is a language of its own. When it is done well, nobody notices it,” said "
            "{official}.",
            "“Our task is to make sure that every guest knows where to stand and when to "
            "speak,” said {official}.",
        ),
        (
            "Margit Horváth, the city's chief of protocol",
            "Ingrid Solberg, who chaired the organising committee",
        ),
    ),
    "Heraldry": (
        (
            "“A coat of arms is meant to last for centuries, so we took our time over every "
            "detail,” said {official}.",
            "“Every line on a shield had a reason once, even if nobody remembers it now,” said "
            "{official}.",
        ),
        ("Hugo Ashcombe, a herald painter", "Anselm Krüger, an archivist and heraldist"),
    ),
    "World Affairs": (
        (
            "“The numbers are moving in the right direction, but slowly,” said {official}.",
            "“Every hour a container waits on the quay costs someone money,” said {official}.",
        ),
        (
            "Pieter Van Damme, who heads security at the port",
            "Ingrid Solberg, who chaired the working group",
        ),
    ),
}
_CAPTIONS = {
    "Diplomacy": "Delegates arrive for the signing in {place}.",
    "Nobility": "The east front of the family house, photographed in spring.",
    "Protocol": "Flags lined up in a courtyard in {place} ahead of the visit.",
    "Heraldry": "The arms after cleaning, photographed in natural light.",
    "World Affairs": "Delegates leave the morning session in {place}.",
}
_UNUSUAL_PLACES = {"MÜNCHEN": "München", "KØBENHAVN": "Copenhagen", "SÃO PAULO": "São Paulo"}

# Edition 2 edits these stories (index into _STORIES), each in its own way, and withdraws
# one; edition 3 brings the withdrawn story back. The kinds of edit a historian meets:
_EDITS = {
    "update": 6,  # a dated note appended at the foot
    "correction": 19,  # a figure corrected, with a correction notice
    "retitle": 37,  # a new headline and an added paragraph
    "whitespace": 13,  # one paragraph split in two, not a word changed
    "formatting": 11,  # a straight apostrophe made typographic
    "minor": 15,  # one word: a decade
    "rewrite": 22,  # the body written anew
    "byline": 10,  # a second author credited
    "terms": 3,  # a tag added
}
_SILENT = 17  # edited in edition 2 without the publisher's modified date moving
_REMOVED = 29
_EDIT_TIMES = {
    name: datetime(2025, 11, 3 + i // 4, 9 + 2 * (i % 4), 14 + i, 2 + 5 * i, tzinfo=LONDON)
    for i, name in enumerate(_EDITS)
}
_REWRITTEN = (
    "Lowering a flag to half-mast is one of the few gestures of mourning that a whole country "
    "can see at once, and it is governed by written rules more often than by custom.",
    "In most countries the order comes from the head of government or a named ministry, and "
    "it says which buildings are concerned, from what hour and for how many days.",
    "The flag is first raised to the top of the mast for a moment and then lowered to the "
    "half-way position; at sunset it is raised to the top again before it is taken down.",
    "Where a flag cannot be lowered, as on a wall-mounted staff, a black ribbon tied to the "
    "top of the staff is the usual substitute.",
    "Exceptions are common: a national day may suspend the mourning for a few hours, and "
    "flags on ships follow the rules of the sea rather than those of the land.",
)


def _place(dateline: str | None) -> str:
    """The dateline's city in ordinary case, for use inside sentences."""
    if dateline is None:
        return "the capital"
    city = dateline.split(",")[0]
    return _UNUSUAL_PLACES.get(city, city.title())


def _term(pool: tuple[Term, ...], name: str) -> Term:
    return next(t for t in pool if t.name == name)


def _make_article(
    rng: random.Random,
    post_id: int,
    story: tuple[str, str, str, str | None, str],
    published: datetime,
) -> Article:
    """One article from a story line, its body drawn from the sentence pools."""
    title, cats, tags, dateline, lead = story
    categories = tuple(_term(CATEGORIES, name) for name in cats.split("|"))
    place = _place(dateline)
    desk = next(a for a in AUTHORS if a.id == _DESK[categories[0].name])
    first = STAFF if rng.random() < 0.35 else desk
    authors: tuple[Author, ...] = (first,)
    if rng.random() < 0.18:
        authors += (rng.choice([a for a in AUTHORS if a is not first]),)

    sentences = [s for c in categories for s in _POOLS[c.name]] + list(_GENERAL)
    if {"Diplomacy", "World Affairs"} & set(cats.split("|")):
        sentences += _MEETINGS
    rng.shuffle(sentences)
    paragraphs = [f"{dateline} — {lead}" if dateline else lead]
    for _ in range(rng.randint(3, 10)):
        take = min(rng.randint(1, 3), len(sentences))
        if not take:
            break
        chosen, sentences = sentences[:take], sentences[take:]
        paragraphs.append(" ".join(s.format(place=place) for s in chosen))

    quote_index = None
    if len(paragraphs) >= 5 and rng.random() < 0.3:
        quote_index = rng.randint(2, len(paragraphs) - 1)
        quotes, officials = _QUOTES[categories[0].name]
        quote = rng.choice(quotes).format(official=rng.choice(officials))
        paragraphs.insert(quote_index, quote)
    figure = None
    if rng.random() < 0.3:
        caption = _CAPTIONS[categories[0].name].format(place=place)
        src = f"/wp-content/uploads/{published:%Y/%m}/{slugify(title)[:40].rstrip('-')}.png"
        figure = Figure(after=rng.choice((0, 1)), src_path=src, alt=caption[:-1], caption=caption)

    modified = published
    if rng.random() < 0.25:
        modified += timedelta(minutes=rng.randint(20, 3 * 24 * 60), seconds=rng.randint(0, 59))
    return Article(
        id=post_id,
        slug=slugify(title),
        title=title,
        authors=authors,
        categories=categories,
        tags=tuple(_term(TAGS, name) for name in tags.split("|")),
        dateline=dateline,
        paragraphs=tuple(paragraphs),
        published=published,
        modified=modified,
        figure=figure,
        quote_index=quote_index,
    )


def _published_at(rng: random.Random, day: datetime, late_night: bool) -> datetime:
    """A local publication time on `day`; `late_night` puts it just after midnight."""
    hour = 0 if late_night else rng.randint(7, 21)
    return day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))


@cache
def _editions() -> tuple[tuple[Article, ...], ...]:
    """The three editions, oldest article first, built from one seeded generator."""
    rng = random.Random(SEED)
    start = datetime(2025, 3, 10, tzinfo=LONDON)
    post_id = 1180
    first: list[Article] = []
    for i, story in enumerate(_STORIES):
        day = start + timedelta(days=int(i * 4.75) + rng.randint(0, 3))
        post_id += rng.randint(2, 41)
        # Two posts just after midnight BST: their UTC date is the day before the permalink's.
        published = _published_at(rng, day, late_night=i in (17, 27))
        first.append(_make_article(rng, post_id, story, published))

    second = list(first)
    second[6] = replace(
        first[6],
        paragraphs=(
            *first[6].paragraphs,
            "This article was updated on 3 November 2025 to add that the originals will remain "
            "in their present archives and will not travel.",
        ),
        modified=_EDIT_TIMES["update"],
    )
    paragraphs = list(first[19].paragraphs)
    paragraphs[1] = (
        "The charter was signed in front of about sixty guests, among them pupils from both "
        "towns. An earlier version of this article gave the number of guests as six hundred."
    )
    second[19] = replace(
        first[19],
        paragraphs=tuple(paragraphs),
        modified=_EDIT_TIMES["correction"],
    )
    paragraphs = list(first[37].paragraphs)
    paragraphs.insert(
        2,
        "She arrived at the palace in a horse-drawn carriage, a custom kept for new envoys, and "
        "was received in the main hall by the chief of protocol.",
    )
    quote_index = first[37].quote_index
    if quote_index is not None and quote_index >= 2:
        quote_index += 1  # the inserted paragraph pushes the quote down
    second[37] = replace(
        first[37],
        title="Japan’s new envoy to Brussels presents credentials at the royal palace",
        paragraphs=tuple(paragraphs),
        quote_index=quote_index,
        modified=_EDIT_TIMES["retitle"],
    )
    second[13] = _edit_paragraphs(first[13], "whitespace", _split_last_paragraph)
    second[11] = _edit_paragraphs(
        first[11], "formatting", lambda ps: [p.replace("committee's", "committee’s") for p in ps]
    )
    second[15] = _edit_paragraphs(
        first[15], "minor", lambda ps: [ps[0].replace("the 1970s", "the 1960s"), *ps[1:]]
    )
    second[22] = replace(
        first[22], paragraphs=_REWRITTEN, quote_index=None, modified=_EDIT_TIMES["rewrite"]
    )
    second[10] = replace(
        first[10],
        authors=(*first[10].authors, _author("julien-delacroix-marceau")),
        modified=_EDIT_TIMES["byline"],
    )
    second[3] = replace(
        first[3], tags=(*first[3].tags, _term(TAGS, "Ceremonies")), modified=_EDIT_TIMES["terms"]
    )
    # A silent edit: the text changes, the publisher's modified date (and so the sitemap's
    # lastmod) does not; only a full re-crawl sees it.
    second[_SILENT] = replace(
        first[_SILENT],
        paragraphs=(
            first[_SILENT].paragraphs[0].replace("by distant relatives", "by two distant cousins"),
            *first[_SILENT].paragraphs[1:],
        ),
    )
    del second[_REMOVED]
    new_days = (
        datetime(2025, 10, 28, tzinfo=LONDON),
        datetime(2025, 11, 3, tzinfo=LONDON),
        datetime(2025, 11, 5, tzinfo=LONDON),
    )
    for day, story in zip(new_days, _NEW_STORIES, strict=True):
        post_id += rng.randint(2, 41)
        second.append(_make_article(rng, post_id, story, _published_at(rng, day, False)))
    third = list(second)
    third.insert(_REMOVED, first[_REMOVED])  # the withdrawn article returns as it was
    return tuple(first), tuple(second), tuple(third)


def _author(slug: str) -> Author:
    return next(a for a in AUTHORS if a.slug == slug)


def _edit_paragraphs(
    article: Article, name: str, edit: Callable[[list[str]], list[str]]
) -> Article:
    """`article` with its paragraphs edited and its modified date moved to the edit's time."""
    return replace(
        article, paragraphs=tuple(edit(list(article.paragraphs))), modified=_EDIT_TIMES[name]
    )


def _split_last_paragraph(paragraphs: list[str]) -> list[str]:
    """The last paragraph cut in two after its first sentence: the words stay the same."""
    first, rest = paragraphs[-1].split(". ", 1)
    return [*paragraphs[:-1], first + ".", rest]


EDITIONS = (1, 2, 3)


def articles(edition: int = 1) -> tuple[Article, ...]:
    """The published articles of an edition (1, 2 or 3), oldest first."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}: use 1, 2 or 3")
    return _editions()[edition - 1]


EDITS_IN_2 = {name: articles(1)[i].id for name, i in _EDITS.items()}
EDITED_IN_2 = tuple(EDITS_IN_2.values())  # the publisher's modified date moved for these
# The same words in another form (spacing, typography): on record, but not new versions.
RESTYLED_IN_2 = (EDITS_IN_2["whitespace"], EDITS_IN_2["formatting"])
REVISED_IN_2 = tuple(i for i in EDITED_IN_2 if i not in RESTYLED_IN_2)  # new versions
SILENTLY_EDITED_IN_2 = (articles(1)[_SILENT].id,)
REMOVED_IN_2 = (articles(1)[_REMOVED].id,)
ADDED_IN_2 = tuple(a.id for a in articles(2)[-len(_NEW_STORIES) :])
RETURNED_IN_3 = REMOVED_IN_2

_SITE_SINCE = datetime(2025, 1, 14, 10, 0, tzinfo=LONDON)
PAGES = (
    Page(
        "/about/",
        "About Lord’s Press",
        (
            "Lord's Press is a journal of record for diplomacy, protocol, heraldry and the "
            "affairs of titled families.",
            "This copy of the site is a sample: every article, name and quotation on it is "
            "fictional and was written for testing the lpscrape archiver.",
        ),
        _SITE_SINCE,
    ),
    Page(
        "/privacy-policy/",
        "Privacy Policy",
        (
            "We keep only the cookies needed to remember your consent choices and to count "
            "visits in aggregate.",
            "Newsletter addresses are used for the newsletter alone and can be removed at any "
            "time on request.",
        ),
        _SITE_SINCE,
    ),
)
PRIVATE_PAGE = Page(
    "/private/staff-only/",
    "Staff noticeboard",
    (
        "This page is for the newsroom. It is reachable, but robots.txt asks crawlers to keep "
        "out, so an archiver that respects robots.txt never fetches it.",
    ),
    _SITE_SINCE,
)
