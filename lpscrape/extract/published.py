"""The post's publication and modification dates: machine-readable sources first, then
visible text near the headline, the permalink, and htmldate as a day-only layer."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache

from lxml.html import HtmlElement

from .dates import LONDON, PERMALINK_DAY, day_start, parse_instant, to_utc_iso, zone_names
from .html import text_of, with_class, xpath
from .jsonld import JsonLd
from .meta import Meta
from .scope import near_headline

PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "datepublished", "date", "pubdate", "publishdate", "publish_date", "publish-date",
    "dc.date.issued", "dc.date.created", "dc.date", "dcterms.issued", "dcterms.created",
    "dcterms.date", "sailthru.date", "parsely-pub-date", "article.published",
    "published_time", "article_date_original", "originalpublicationdate", "displaydate",
    "cxenseparse:recs:publishtime", "dc.date.published",
)  # fmt: skip
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "dc.date.modified", "last-modified", "article.updated",
)  # fmt: skip
# Microdata anywhere in the post; `<time>` of the post's own header.
_MICRODATA_PUBLISHED = ".//*/@itemprop[. = 'datePublished']/.."
_MICRODATA_MODIFIED = ".//*/@itemprop[. = 'dateModified']/.."
_TIME_PUBLISHED = (
    ".//time[@datetime][contains(@class, 'published') or contains(@class, 'entry-date')"
    " or contains(@class, 'post-date') or @pubdate or not(contains(@class, 'updated'))]"
)
_TIME_MODIFIED = ".//time[@datetime][contains(@class, 'updated') or contains(@class, 'modified')]"
# Visible dates by the theme's class names (no machine-readable value).
_NOT_TIME = "not(self::time) and not(self::html) and not(self::body)"
_VISIBLE_DATE = with_class(
    # post-date, entry-date, mg-blog-date, posts-date, date-published, meta-date,
    # dateline-date and the word "date"; post-meta, entry-meta and the word "meta".
    parts=("date", "meta", "posted-on", "timestamp", "publish", "byline"),
    exact="(contains(., 'post-date') or contains(., 'entry-date')"
    " or contains(., 'posted-on') or contains(., 'mg-blog-date')"
    " or contains(., 'posts-date') or contains(., 'timestamp')"
    " or contains(., 'publish') or contains(., 'date-published')"
    " or contains(., 'meta-date') or contains(concat(' ', ., ' '), ' date ')"
    " or contains(., 'post-meta') or contains(., 'entry-meta')"
    " or contains(., 'byline') or contains(., 'dateline-date')"
    " or (contains(., 'meta')"  # the word "meta" in any name: a meta row
    " and contains(concat(' ', translate(., '-_', '  '), ' '), ' meta ')))"
    " and not(contains(., 'updated') or contains(., 'modified'))",
    where=_NOT_TIME,
)
# A visible "Updated …" / "Last modified …" / "Aktualizacja: …" line, by its class.
_VISIBLE_MODIFIED = with_class(parts=("updated", "modified"), where=_NOT_TIME)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# A date relative to the moment the page was read, in the languages of MONTH_NAMES.
_RELATIVE = re.compile(
    r"\b(?:\d+|an?|one)\s+(?:second|minute|min|hour|hr|day|week|month|year)s?\s+ago\b"
    r"|^(?:just now|yesterday|today)$|\bvor\s+\d+\s+(?:Sekunden|Minuten|Stunden|Tagen|Wochen)"
    r"|\bil y a\s+\d+\s+(?:secondes?|minutes?|heures?|jours?|semaines?)"
    r"|\bhace\s+\d+\s+(?:segundos?|minutos?|horas?|días?|semanas?)"
    r"|\bhá\s+\d+\s+(?:segundos?|minutos?|horas?|dias?|semanas?)"
    r"|\b\d+\s+(?:secondi|minuti|ore|giorni|settimane)\s+fa\b"
    r"|\b\d+\s+(?:seconden|minuten|uur|dagen|weken)\s+geleden\b",
    re.I,
)
_HAS_DAY = re.compile(r"\d")
# A time of day the theme prints apart from the date (Elementor's post info: "9:40 am").
_TIME_ITEMS = ".//time[not(@datetime)] | " + with_class(
    parts=("type-time", "post-time", "entry-time")
)
_TIME_OF_DAY = re.compile(r"^\d{1,2}[:.]\d{2}(?:\s*[ap]\.?\s?m\.?|\s*uhr|\s*h)?$", re.I)


@dataclass
class Found:
    """One date as found: the UTC instant, the page's own offset, raw text and its layer."""

    utc: str
    local: str | None
    raw: str
    layer: str
    day_only: bool = False


_REGION = re.compile(r"^[a-z]{2,3}[-_]([a-z]{2})\b", re.I)


def page_region(tree: HtmlElement, meta: Meta) -> str | None:
    """The page's country, from its language tag (`en-IN`) or `og:locale` (`en_IN`)."""
    for tag in (tree.get("lang"), meta.first("og:locale")):
        if tag and (m := _REGION.match(tag.strip())):
            return m[1].upper()
    return None


def _instant(raw: str | None, layer: str, zones: dict[str, tzinfo] | None = None) -> Found | None:
    if not raw or not _HAS_DAY.search(raw):
        return None
    dt = parse_instant(raw, None, zones)
    if dt is None:
        return None
    local = dt.isoformat(timespec="seconds") if dt.tzinfo else None
    day_only = dt.tzinfo is None and (dt.hour, dt.minute, dt.second) == (0, 0, 0) and ":" not in raw
    aware = dt if dt.tzinfo else dt.replace(tzinfo=LONDON)
    return Found(to_utc_iso(aware) or "", local, raw, layer, day_only)


def _values(elements: list[HtmlElement]) -> list[str]:
    out = []
    for el in elements:
        for value in (el.get("datetime"), el.get("content"), text_of(el)):
            if value and value.strip():
                out.append(value.strip())
                break
    return out


def _items(elements: list[HtmlElement]) -> Iterator[str]:
    """Each element's value, then its items' texts (a meta row of author, date and comment count
    reads as no date as a whole), never a headline's (a title may hold a date)."""
    for el in elements:  # lazily: the first that reads as a date ends the search
        if next(el.iterdescendants(*_HEADINGS), None) is None:
            yield from (t for t in _values([el]) if len(t) <= _DATE_LINE)
        for child in el:
            if child.tag not in _HEADINGS and 0 < len(text := text_of(child)) <= _DATE_LINE:
                yield text


# A block with more text than this is no date line (a "meta" wrapper around the whole post):
# never handed to the date parser whole.
_DATE_LINE = 200


def _day(year: str, month: str, day: str, raw: str, layer: str) -> Found | None:
    dt = day_start(f"{year}-{month}-{day}")
    return Found(to_utc_iso(dt) or "", None, raw, layer, True) if dt else None


def _htmldate(html: str, url: str) -> Found | None:
    """htmldate's original-date search, a day only."""
    import htmldate  # imported late: pages with machine-readable dates never need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            day = htmldate.find_date(html, original_date=True, url=url or None)
        except Exception:  # a library's crash must never cost the record
            return None
    return _day(*day.split("-"), day, "htmldate") if day else None


def find_dates(
    tree: HtmlElement,
    post: HtmlElement,
    headline: HtmlElement | None,
    ld: JsonLd,
    meta: Meta,
    url: str,
    html: str,
    own_post: str | None = None,
) -> tuple[Found | None, Found | None, list[str]]:
    """(published, modified, warnings to record), each date from the first layer that gives one."""

    def near(path: str) -> list[str]:
        return _values(near_headline(post, headline, path, own_post))

    @cache  # read by the visible-text layer, and again for a date relative to the reading
    def shown() -> list[HtmlElement]:
        return near_headline(post, headline, _VISIBLE_DATE, own_post)

    published_layers = (
        ("jsonld", lambda: [ld.date_published]),
        ("meta", lambda: [v for name in PUBLISHED_META for v in meta.all(name)]),
        ("microdata", lambda: near(_MICRODATA_PUBLISHED)),
        ("theme", lambda: near(_TIME_PUBLISHED)),
        ("visible-text", lambda: _items(shown())),
    )
    modified_layers = (
        ("jsonld", lambda: [ld.date_modified]),
        ("meta", lambda: [v for name in MODIFIED_META for v in meta.all(name)]),
        ("microdata", lambda: near(_MICRODATA_MODIFIED)),
        ("theme", lambda: near(_TIME_MODIFIED)),
        ("visible-text", lambda: near(_VISIBLE_MODIFIED)),
    )
    zones = zone_names(page_region(tree, meta))
    published = _first(published_layers, zones)
    if published and published.day_only and published.layer in ("microdata", "visible-text"):
        published = _with_time_of_day(published, near(_TIME_ITEMS), zones)
    if published is None and (m := PERMALINK_DAY.search(url)):
        published = _day(m[1], m[2], m[3], m[0], "permalink")
    notes: list[str] = []
    if published is None and (relative := _relative(_items(shown()))):
        # The post's own date is relative to a moment the page does not give; htmldate would
        # take another post's or the header's date instead.
        notes.append(f"published_at: the page shows only '{relative}', no date")
    elif published is None:
        published = _htmldate(html, url)
    if published and published.local and published.local.endswith("+00:00"):
        published = _with_publisher_offset(published, tree)
    modified = _first(modified_layers, zones)
    if modified and published and modified.utc <= published.utc:
        modified = None  # Yoast prints dateModified even for never-edited posts
    return published, modified, notes


def _relative(shown: Iterator[str]) -> str | None:
    """The first date the post shows relative to the moment it was read ("2 hours ago")."""
    return next((text for text in shown if len(text) <= 40 and _RELATIVE.search(text)), None)


def _with_time_of_day(found: Found, shown: list[str], zones: dict[str, tzinfo]) -> Found:
    """A day the theme shows with its time of day in an item of its own, as one instant."""
    for raw in shown:
        if not _TIME_OF_DAY.match(raw):
            continue
        if joined := _instant(f"{found.raw} {raw}", found.layer, zones):
            return joined
    return found


def _with_publisher_offset(found: Found, tree: HtmlElement) -> Found:
    """A UTC instant (WordPress prints GMT in its metadata) with the offset the page shows
    for the same instant elsewhere (`<time datetime="…-08:00">`), if it shows one."""
    for raw in xpath(tree, "//time/@datetime | //meta/@content"):
        if "+00:00" in raw or not raw[:4].isdigit() or len(raw) < 20:
            continue
        dt = parse_instant(raw, None)
        if dt is not None and dt.tzinfo is not None and to_utc_iso(dt) == found.utc:
            found.local = dt.isoformat(timespec="seconds")
            break
    return found


def _first(layers: tuple, zones: dict[str, tzinfo]) -> Found | None:
    tried: set[str] = set()  # a meta row and the blocks around it often hold the same text
    for layer, values in layers:
        for raw in values():
            if not raw or raw in tried:
                continue
            if found := _instant(raw, layer, zones):
                return found
            tried.add(raw)
    return None
