"""Authors and the byline as displayed; the author box's bio is never the article's."""

from __future__ import annotations

import copy
import re

from lxml.html import HtmlElement

from .dates import MONTH_NAMES
from .html import SourceNames, squashed, text_of, unique, with_class, xpath
from .jsonld import JsonLd
from .meta import Meta
from .scope import near_headline

# Where themes print the byline, most specific first (classic, block, news-magazine).
# Each with the names one of which the page's source must hold for it to match.
BYLINE_XPATHS = (
    (("byline", "posted-by"), with_class(("byline", "posted-by"))),  # Astra, Kadence
    (("wp-block-post-author__name",), with_class(parts=("wp-block-post-author__name",))),
    (
        ("mg-info-author-block",),
        with_class(parts=("mg-info-author-block",)) + "/" + with_class(parts=("media-heading",)),
    ),
    (("vcard",), with_class(parts=("author",), exact="contains(., 'vcard')")),
    (("author",), ".//*/@itemprop[. = 'author']/.."),
    (
        ("author",),
        with_class(
            ("author",), ("author-name", "post-author", "entry-author", "meta-author", "by-author")
        ),
    ),
    # BEM names (`article__author`, `header_author`, `contributors--author`,
    # `article__author__name`), but not a photo's credit.
    (
        ("_author", "--author"),
        with_class(
            parts=("_author", "--author"),
            exact="(contains(concat(., ' '), '_author ') or contains(concat(., ' '), '--author ')"
            " or contains(., '_author__name')) and not(contains(., 'image')"
            " or contains(., 'photo') or contains(., 'img') or contains(., 'thumb')"
            " or contains(., 'caption') or contains(., 'media'))",
        ),
    ),
    (("author",), ".//a[@rel='author'] | .//a[contains(@href, '/author/')]"),
)
# Inside a byline, each author is usually a link (or an hCard name): one name each.
_NAME_LINKS = (
    f".//a[@rel='author'] | {with_class(parts=('fn',))} | .//a[contains(@href, '/author/')]"
    " | .//*/@itemprop[. = 'name']/.."
)
_PREFIX = re.compile(
    r"^(?:(?:written|posted|published|text|words|story|reporting)\s+by|by|von|par|door|di|por|"
    r"av|af|autor(?:in)?|author|από|автор|yazar|بقلم)(?:\s*:\s*|\s+)",
    re.I,
)
# "ByJane Doe": a label and a name in two elements the theme's CSS spaces apart.
_GLUED_PREFIX = re.compile(r"^(?:By|Von|Par|Por)(?=[A-ZÀ-Þ][a-zà-ÿ])")
# "March 3, 2020 · By Jane Doe · in News": the byline proper starts at its "By".
_LATER_PREFIX = re.compile(
    r"[|•·–—]\s*(?=(?:(?:written|posted|published)\s+by|by|von|par|door|por)\s+\S)", re.I
)
# "Share Comments By Jane Doe": after other shown words, a capital "By" opens the byline.
_LATER_BY = re.compile(r"\s(?=(?:By|Von|Par|Por|Door)\s+\S)")
_SPLIT = re.compile(
    r"\s*,\s*(?:and\s+|und\s+|et\s+)?|\s+(?:and|und|et|y|e|en|AND|UND|ET)\s+|\s*&\s*"
)
# Weekdays written out, in the byline languages the extractor reads.
_WEEKDAY_NAMES = (
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|montag|dienstag|mittwoch|donnerstag|freitag"
    r"|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes"
    r"|miércoles|jueves|viernes|sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì"
    r"|sabato|domenica|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
)
# What follows a name in a byline: a date, a time, "on …", "| Updated …", "il y a 2 heures".
# A weekday's short form that is also a surname only in a date's company: "Sam Do", "Wei Sun".
_TAIL = re.compile(
    r"\s*(?:[|•·–—]\s*|\s-\s|\b(?:on|am)\s+|\b(?:published|updated|posted)\b|"
    r"\b(?:il y a|vor|hace|há)\s+\d|"
    r"\b(?:" + _WEEKDAY_NAMES + r")\b,?\s+\d|"
    r"\b(?:mon|tues?|wed)[.,]?\s*\d|\b(?:thu|thurs?|fri|sat)[.,]\s*\d|\bsun\.\s*\d|"  # "Le Thu"
    r"\b(?:mo|di|mi|do|fr|sa|so)[.,]\s*\d{1,2}\.\s*(?:\d|[^\W\d])"  # "Fr, 18. Oktober"
    r").*$",
    re.I,
)
# A number standing alone in a byline starts a date, a time or a count ("3 Feb 2020", "2 hours
# ago", "12 Comments") and ends the name, unless it is a word of a desk's name: a capitalised
# word before it and one after it that is no month or count ("Channel 4 News", "Fox 2 St. Louis").
_NUMBER = re.compile(r"(?<!\w)\d")
_MONTH_SHORT = re.compile(
    r"(?:jan|janv|feb|febr|févr|mar|mrt|apr|avr|abr|jun|jul|juil|lug|aug|ago|sep|sept|set|oct"
    r"|okt|ott|nov|dec|dez|déc|dic|ene|mei|mag|giu)\.?,?$",
    re.I,
)
_COUNT = re.compile(
    r"(?:comments?|kommentare?|commentaires?|comentarios|responses?|replies|antworten|views?"
    r"|shares?|likes?|photos?|fotos?|bilder|min|mins|minutes?|minuten|hrs?|hours?|std|stunden"
    r"|secs?|seconds?|days?|tage|tagen|weeks?|months?|years?|heures|horas|minutos)\.?,?$",
    re.I,
)
# A weekday before the date ("Tuesday, March 3"), cut with it.
_SHORT_DAYS = "mon|tue|tues|wed|thu|thurs|fri|sat|mo|fr|lun|mar|mer|jeu|ven|sam|dim"
_WEEKDAY = re.compile(r"(?:" + _WEEKDAY_NAMES + "|" + _SHORT_DAYS + r")\.?,?$", re.I)
# After a name, a number that starts a day-first date ("3 March") leaves the word before it
# alone ("Theresa May 3 March"); a day alone after its month ("May 3, 2020") takes it along.
_DAY_FIRST = re.compile(r"\d{1,2}(?:st|nd|rd|th)?\.?\s+[^\W\d]{3,}")
_DAY_ONLY = re.compile(r"\d{1,2}(?:st|nd|rd|th)?\.?(?:,|\s|$)")
_NUMERIC_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]")
_BARE_NUMBER = re.compile(r"\d+\W*")
_UPDATED = re.compile(r"(?:updated|modified)\b", re.I)
_WEEKDAY_SHORT = re.compile(r"(?:" + _SHORT_DAYS + r")\.?,?$", re.I)
# Words between a name and its date ("le 3 mars", "el 3 de marzo", "op 3 maart", "at 10:30").
_DATE_PARTICLES = frozenset({
    "le", "la", "el", "il", "op", "at", "am", "on", "de", "du", "del", "à", "a", "em", "mis",
    "jour", "ma", "di", "wo", "do", "vr", "za", "zo",  # (Dutch weekdays: "di 3 mrt")
})  # fmt: skip
# The second word of a desk's name after its number ("Action News 5 Staff").
_DESK_WORDS = frozenset({"staff", "news", "newsroom", "team", "desk", "digital", "online"})
# Digits a name never holds: a date's.
_DATE_DIGITS = re.compile(r"\d[./:-]\d|(?<!\d)(?:1[89]|20)\d\d(?!\d)")
NOT_NAMES = {
    "admin", "administrator", "editor", "redaktion admin", "root", "webmaster", "wpadmin",
    "author", "guest", "user", "staff", "no author", "unknown",
    "last", "dernière mise à jour", "última actualización",  # "Last updated: …" cut at its date
}  # fmt: skip
# A date's label where a theme's "author" block holds the timestamp ("Zuletzt geändert am:").
_DATE_LABEL = re.compile(
    r"\b(?:zuletzt|geändert|aktualisiert|veröffentlicht|updated|modified|published|posted"
    r"|publié|actualizado|publicado|aggiornato|pubblicato)\b",
    re.I,
)
# A role or a place after a name ("Jane Doe, Diplomatic Correspondent, in London") is no
# author (alone, a desk's name: "Staff Reporter").
_ROLE = re.compile(
    r"(?<![\w-])(?:(?:diplomatic|foreign|political|royal|senior|chief|staff|special|high"
    r"|contributing|managing|deputy|associate)\s+)?"
    r"(?:editor-in-chief|editor-at-large|ambassadors?|envoys?"
    r"|ministers?|secretary|representatives?|spokes(?:person|man|woman)"
    r"|correspondents?|reporters?|writers?|editors?|columnists?"
    r"|contributors?|journalists?|photographers?|analysts?|producers?|bureau chief"
    r"|korrespondent(?:in|en)?|redakteur(?:in|e)?|reporterin|correspondante?s?|rédact(?:eur|rice)s?"
    r"|journalistes?|envoyée? spéciale?|corresponsal(?:es)?|redactora?s?|periodistas?|inviat[oa]"
    r"|corrispondente|giornalista|redattore|verslaggever|redacteur)(?![\w-])",
    re.I,
)
# Letters after a name, its own part once split ("Sir John Smith, KCMG", "Jane Doe, OBE"): honours
# and degrees, never an author.
_POST_NOMINALS = re.compile(
    r"^(?:(?:OBE|MBE|CBE|KBE|DBE|GBE|CMG|KCMG|GCMG|CVO|LVO|MVO|KCVO|GCVO|CB|KCB|GCB|KG|KT|PC|QC"
    r"|KC|MP|MEP|MSP|FRS|FRSA|PhD|DPhil|MD|Jr|Sr|Esq)\.?\s*)+$"
)
_PLACE = re.compile(r"^(?:in|at|from|for|with|en|à|au|aux|aus|für|bei|dans|desde|em|nel|nella)\s")
_ROLE_PLACE = re.compile(  # ", corresponsal en Madrid": taken out whole (" en " also splits)
    r",\s*(?:" + _ROLE.pattern + r")(?:\s+(?:in|en|à|a|aus|nel|at|to|for|from)\s+[^,]+)?", re.I
)
_LETTERS = re.compile(r"[^\W\d_]{2}")  # "e.V." leaves ".V.": no name
_AT = re.compile(r"[\[(]\s*at\s*[\])]|\sat\s.*\.\w{2,}$")


# Labels for screen readers ("Post author", "Posted by"): in the markup, not on the screen.
_HIDDEN = with_class(parts=("screen-reader-text", "sr-only", "visually-hidden"))


def _shown_text(el: HtmlElement) -> str:
    """An element's text as a reader sees it, without screen-reader labels."""
    if not xpath(el, _HIDDEN):
        return text_of(el)
    shown = copy.deepcopy(el)
    for hidden in xpath(shown, _HIDDEN):
        hidden.drop_tree()
    return text_of(shown)


def _clean_name(name: str) -> str:
    if later := _LATER_PREFIX.search(name) or _LATER_BY.search(name):
        name = name[later.end() :]
    name = _GLUED_PREFIX.sub("", _PREFIX.sub("", name.strip()))
    whole = name
    name = _TAIL.sub("", name)
    for number in _NUMBER.finditer(name):
        if not _word_of_a_name(name[: number.start()].split(), name[number.start() :].split()):
            name = name[: number.start()]
            break
    if name != whole:
        name = _without_date_words(name, whole[len(name) :])
    return name.strip(" ,;:|-–—")


def _without_date_words(name: str, rest: str) -> str:
    """A name cut before its date (`rest`, what was cut) without the date's first words:
    "Jane Doe Tuesday, March" of "… Tuesday, March 3, 2020", "Jean Dupont le" of "… le 3
    mars"; never a word a name may end with ("Theresa May 3 March", "Elizabeth Day 3 March")."""
    words, rest = name.split(), rest.strip()
    if not rest[:1].isdigit():  # cut at "|", "on", "Updated": the name ended there
        if len(words) > 1 and words[-1].casefold() == "last" and _UPDATED.match(rest):
            words.pop()  # "Last updated"
        return " ".join(words)
    if len(words) > 1 and _COUNT.match(words[-1]) and _BARE_NUMBER.fullmatch(rest):
        return " ".join(words[:-1])  # "Comments 12"
    numeric = _NUMERIC_DATE.match(rest) is not None
    month_first = _DAY_ONLY.match(rest) is not None and not _DAY_FIRST.match(rest)
    month = len(words) > 1 and month_first and _is_month(words[-1])
    if month:
        words.pop()
    day = len(words) > 1 and _WEEKDAY.match(words[-1]) is not None
    if day and (month or numeric or words[-1][-1] in ".," or not _WEEKDAY_SHORT.match(words[-1])):
        words.pop()  # "Monday", "Fr." but not "Timothy Mo 3 March"
    while len(words) > 1 and words[-1] in _DATE_PARTICLES:  # as written: "Nguyen Van A"
        words.pop()
    return " ".join(words)


def _is_month(word: str) -> bool:
    return word.casefold().strip(".,") in MONTH_NAMES or _MONTH_SHORT.match(word) is not None


def _word_of_a_name(before: list[str], after: list[str]) -> bool:
    """The number starting `after` is a word of a desk's name ("Channel 4 News", "Action News
    5 Staff"; "Studio 54" too, kept whole for `_plausible` to refuse rather than cut)."""
    return (
        0 < len(before) <= 3
        and all(word[:1].isupper() for word in before)
        and after[0].isdigit()
        and (
            len(after) == 1 == len(before)
            or (
                len(after) > 1
                and (len(before) == 1 or after[1].casefold() in _DESK_WORDS)
                and after[1][:1].isupper()
                and not _is_month(after[1])
                and not _COUNT.match(after[1])
            )
        )
    )


def split_names(byline: str) -> list[str]:
    """`"By A, B and C"` → `["A", "B", "C"]`."""
    names: list[str] = []
    for part in _SPLIT.split(_ROLE_PLACE.sub("", _clean_name(byline))):
        name = _clean_name(part)
        if names and (_ROLE.match(name) or _PLACE.match(name) or _POST_NOMINALS.match(name)):
            continue  # "Jane Doe, Political Editor, in London, and John Roe"
        names.append(name)
    return unique([n for n in names if n])


def _plausible(name: str, site: set[str], spelled: set[str]) -> bool:
    """A person's (or desk's) name, not the site (`site`: its names casefolded, `spelled`:
    squashed), an account, a URL or a sentence."""
    key = name.casefold()
    return (
        0 < len(name) <= 60
        and len(name.split()) <= 5
        and key not in NOT_NAMES
        and key not in MONTH_NAMES  # left where a date was glued on
        and key not in site
        and squashed(name.split("/")[0]) not in spelled  # "IT Finanzmagazin/pp": + initials
        and "@" not in name
        and "_" not in name  # a login ("gabor_munier"), never a name as shown
        and not _AT.search(key)  # "cipha[at]cipha.net": an address, written to fool spammers
        and "http" not in key
        and _LETTERS.search(name) is not None
        and not _DATE_LABEL.search(key)
        and _digits_fit_a_name(name)
    )


def _digits_fit_a_name(name: str) -> bool:
    """No digits, or digits as a word of a desk's name ("News24 Staff", "Channel 4 News"),
    never an account's ("freeman1984") nor a date's."""
    if not any(c.isdigit() for c in name):
        return True
    words = name.split()
    return (
        len(words) > 1
        and not words[0][:1].isdigit()
        and not words[-1].isdigit()
        and not _DATE_DIGITS.search(name)
    )


def _as_shown(name: str, shown: list[str]) -> str:
    """A JSON-LD name run together like an account's (`arianschlichenmayer`) as the byline
    shows it (`Arian Schlichenmayer`); any other name as JSON-LD gives it."""
    if " " in name:
        return name
    return next((s for s in shown if " " in s and squashed(s) == squashed(name)), name)


def find_byline(
    scope: HtmlElement,
    headline: HtmlElement | None = None,
    own_post: str | None = None,
    source: SourceNames | None = None,
) -> tuple[str | None, list[str]]:
    """The byline as the page displays it (without a leading "By"), and its linked names
    (`source`: the page's class names, to pass over the markups it never names)."""
    for names, path in BYLINE_XPATHS:
        if source is not None and not source.may_hold(*names):
            continue
        for el in near_headline(scope, headline, path, own_post):
            text = _clean_name(_shown_text(el))
            if text and len(text) < 120:
                linked = unique([_clean_name(text_of(a)) for a in xpath(el, _NAME_LINKS)])
                if el.tag == "a":
                    linked = [text]
                return text, [n for n in linked if n]
    return None, []


def find_authors(
    scope: HtmlElement,
    ld: JsonLd,
    meta: Meta,
    headline: HtmlElement | None = None,
    own_post: str | None = None,
    site_names: list[str] | None = None,
    source: SourceNames | None = None,
) -> tuple[list[str], str | None, str | None]:
    """Author names, the displayed byline, and the layer the names came from (`source`: the
    page's class names)."""
    site = {n.casefold() for n in site_names or []}
    # Also compared without spaces and punctuation ("interscenar.io" is "Interscenario"), but
    # not a host's label: `henrysteinhau.com`'s, `stefan-niggemeier.de`'s author is the man.
    spelled = {squashed(n) for n in site_names or [] if not n.replace("-", "").isalnum()} - {""}

    def keep(names: list[str]) -> list[str]:
        return unique([n for n in names if _plausible(n, site, spelled)])

    byline, linked = find_byline(scope, headline, own_post, source)
    if names := keep(ld.authors):
        shown = keep(linked) or keep(split_names(byline or ""))
        names = [_as_shown(name, shown) for name in names]
        return names, byline or " and ".join(names), "jsonld"
    if names := keep(linked):  # "By <a>Jane Doe</a>, Diplomatic Correspondent"
        return names, byline, "theme"
    if byline and (names := keep(split_names(byline))):
        return names, byline, "theme"
    for name in meta.all("author") + meta.all("article:author") + meta.all("dc.creator"):
        if names := keep(split_names(name)):
            return names, name, "meta"
    return [], None, None
