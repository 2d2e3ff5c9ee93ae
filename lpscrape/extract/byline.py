"""Authors and the byline as displayed; the author box's bio is never the article's."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .html import text_of, unique
from .jsonld import JsonLd
from .meta import Meta

# Where themes print the byline, most specific first (classic, block, news-magazine);
# never inside comments or related posts, whose authors are not the article's.
_OWN = "[not(ancestor::*[contains(@class, 'comment') or contains(@class, 'related')])]"
BYLINE_XPATHS = tuple(
    xpath + _OWN
    for xpath in (
        ".//*[contains(concat(' ', @class, ' '), ' byline ')]",
        ".//*[contains(@class, 'wp-block-post-author__name')]",
        ".//*[contains(@class, 'mg-info-author-block')]//*[contains(@class, 'media-heading')]",
        ".//*[contains(@class, 'author') and contains(@class, 'vcard')]",
        ".//a[@rel='author']",
    )
)
# Inside a byline, each author is usually a link (or an hCard name): one name each.
_NAME_LINKS = (
    ".//a[@rel='author'] | .//*[contains(@class, 'fn')] | .//a[contains(@href, '/author/')]"
)
_PREFIX = re.compile(r"^(?:written\s+by|posted\s+by|by)\s*:?\s+", re.I)
_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")


def split_names(byline: str) -> list[str]:
    """`"By A, B and C"` → `["A", "B", "C"]`."""
    return unique([n.strip() for n in _SPLIT.split(_PREFIX.sub("", byline)) if n.strip()])


def find_byline(scope: HtmlElement) -> tuple[str | None, list[str]]:
    """The byline as the page displays it (without a leading "By"), and its linked names."""
    for xpath in BYLINE_XPATHS:
        for el in scope.xpath(xpath):
            text = _PREFIX.sub("", text_of(el))
            if text and len(text) < 200:
                linked = unique([text_of(a) for a in el.xpath(_NAME_LINKS)])
                return text, [n for n in linked if n]
    return None, []


def find_authors(
    scope: HtmlElement, ld: JsonLd, meta: Meta
) -> tuple[list[str], str | None, str | None]:
    """Author names, the displayed byline, and the layer the names came from."""
    byline, linked = find_byline(scope)
    if ld.authors:
        return unique(ld.authors), byline or " and ".join(ld.authors), "jsonld"
    if linked:  # "By <a>Jane Doe</a>, Diplomatic Correspondent": the link is the name
        return linked, byline, "theme"
    if byline:
        return split_names(byline), byline, "theme"
    if name := meta.first("author"):
        return split_names(name), name, "meta"
    return [], None, None
