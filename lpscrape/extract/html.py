"""Decoding and parsing pages, and the text helpers every layer shares."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

# huge_tree: libxml2 otherwise drops everything below 255 levels of nesting.
_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True
)
# Every element an HtmlElement, chosen in C: lxml.html's own lookup is a Python call per element
# (forms and inputs get no classes of their own, which nothing here uses).
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
# Control characters lxml refuses (NUL and the C0 set but tab, newline, carriage return).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode(html: str | bytes, content_type: str | None = None) -> str:
    """Page bytes as text, by HTTP header, BOM or `<meta charset>`, else UTF-8 or cp1252."""
    if isinstance(html, str):
        return html
    _, text = html_to_unicode(content_type, html)
    return text


def page_source(html: str | bytes, content_type: str | None = None) -> str:
    """The page's text as it is parsed: decoded, its XML declaration and control characters
    dropped."""
    return _CONTROL.sub("", _XML_DECL.sub("", decode(html, content_type), count=1))


def parse(html: str | bytes, content_type: str | None = None) -> HtmlElement:
    """The page's element tree (comments dropped)."""
    return parse_source(page_source(html, content_type))


def parse_source(text: str) -> HtmlElement:
    """The element tree of a `page_source` text."""
    return lxml.html.document_fromstring(text if text.strip() else "<html></html>", parser=_PARSER)


def parse_truncated() -> bool:
    """True when the last `parse` stopped early: nesting deeper than libxml2 reads (2048)."""
    return any("Excessive depth" in e.message for e in _PARSER.error_log)


# C0 and C1 control characters an entity can still spell (`&#27;`): never text, and an
# escape sequence in a terminal that prints it.
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)])


def clean(text: object) -> str:
    """Whitespace (including no-break spaces and newlines) collapsed and stripped, control
    characters dropped; "" for anything that is not a string (JSON-LD puts lists and
    objects where text is expected)."""
    if not isinstance(text, str):
        return ""
    # str.split() breaks on exactly what `\s` matches (str.isspace), 4x faster than re.sub.
    text = " ".join(text.split())
    return text if text.isprintable() else " ".join(text.translate(_CONTROLS).split())


def squashed(text: str) -> str:
    """Letters and digits only, casefolded: "La Stampa" and `lastampa`, "interscenar.io" and
    "Interscenario" compare equal."""
    return "".join(c for c in text.casefold() if c.isalnum())


def with_class(
    words: tuple[str, ...] = (), parts: tuple[str, ...] = (), where: str = "", exact: str = ""
) -> str:
    """XPath of the descendants whose class holds one of `words` as a whole word or one of
    `parts` anywhere (`exact`: another test of the class, `.`; `where`: of the element)."""
    # Testing the class attributes (`.//*/@class`), each by a plain substring first, is twice
    # as fast as `.//*[contains(concat(' ', @class, ' '), ' x ')]`, which builds a string for
    # every element of the page.
    cheap = " or ".join(f"contains(., '{w}')" for w in (*words, *parts))
    # normalize-space: tabs and newlines separate class names too.
    tests = [f"contains(concat(' ', normalize-space(.), ' '), ' {w} ')" for w in words]
    tests += [f"contains(., '{p}')" for p in parts] if words else []
    path = f".//*/@class[{cheap}]"
    path += f"[{' or '.join(tests)}]" if tests else ""
    path += f"[{exact}]" if exact else ""
    return path + (f"/parent::*[{where}]" if where else "/..")


# A hyphen or an underscore written as a character reference (XenForo writes class names'
# hyphens so): `entry&#45;content` in the source is `entry-content` in the tree.
_SPELLED_OUT = re.compile(r"&(?:#0*(?:45|95|x0*2d|x0*5f)|hyphen|dash|lowbar|underbar)\b", re.I)


class SourceNames:
    """Whether a page may use a markup, by a class name its source (a `page_source` text)
    holds: a substring search of the source (2 us) passes over an XPath over the tree (40 us)
    that cannot match."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self._literal: bool | None = None  # no name written with a character reference

    def may_hold(self, *names: str) -> bool:
        """False only when none of the names can be in any of the page's class names."""
        if self.source is None or any(name in self.source for name in names):
            return True
        if self._literal is None:
            self._literal = _SPELLED_OUT.search(self.source) is None
        return not self._literal


@lru_cache(maxsize=256)
def _compiled(path: str) -> etree.XPath:
    return etree.XPath(path)


def xpath(el: HtmlElement, path: str, **variables: Any) -> Any:
    """`el.xpath(path, **variables)` with the expression compiled once: lxml compiles it on
    every call, which costs as much as running it on a small subtree."""
    return _compiled(path)(el, **variables)


def page_body(tree: HtmlElement) -> HtmlElement:
    """The page's `<body>` (the whole tree without one): searching from it, not from the root,
    passes over the head's links, styles and scripts (a third faster on a theme's page)."""
    body = tree.find("body")
    return tree if body is None else body


def text_of(el: HtmlElement) -> str:
    """An element's visible text, whitespace collapsed."""
    return clean(el.text_content())


def classes(el: HtmlElement) -> list[str]:
    """An element's class tokens."""
    return (el.get("class") or "").split()


def unique(items: list[str]) -> list[str]:
    """Non-empty items, first occurrence kept, order preserved."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out
