"""`<meta>` and `<link>` tags: OpenGraph, `article:*`, canonical URL."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from .html import clean


@dataclass
class Meta:
    """The head's machine-readable tags."""

    props: dict[str, list[str]] = field(default_factory=dict)
    canonical: str | None = None

    def first(self, name: str) -> str | None:
        """The first value of a property or name, if any."""
        values = self.props.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        """Every value of a property or name, in order."""
        return self.props.get(name, [])


def read_meta(tree: HtmlElement) -> Meta:
    """Every `<meta property|name content>` and the canonical link."""
    meta = Meta()
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        value = clean(html.unescape(el.get("content") or ""))
        if key and value:
            meta.props.setdefault(key, []).append(value)
    for el in tree.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            meta.canonical = el.get("href").strip()
            break
    return meta
