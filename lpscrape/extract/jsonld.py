"""JSON-LD (schema.org, as Yoast and others print it): the article node and its authors."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from .html import clean as _clean


def clean(value: Any) -> str:
    """Text with entities decoded (plugins print `&#8211;` inside JSON strings) and collapsed."""
    return _clean(html.unescape(value)) if isinstance(value, str) else ""


ORGANIZATION_TYPES = {"Organization", "NewsMediaOrganization", "WebSite", "Corporation"}
ARTICLE_TYPES = {
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "Report",
}


@dataclass
class JsonLd:
    """What the page's JSON-LD says about the article, if anything."""

    types: set[str] = field(default_factory=set)
    headline: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    authors: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    site_name: str | None = None

    @property
    def is_article(self) -> bool:
        """True when the page declares an Article-like node."""
        return bool(self.types & ARTICLE_TYPES)


def _nodes(data: Any) -> list[dict[str, Any]]:
    """Every node of a JSON-LD document, `@graph` flattened."""
    if isinstance(data, list):
        return [n for item in data for n in _nodes(item)]
    if not isinstance(data, dict):
        return []
    nodes = [data]
    if "@graph" in data:
        nodes.extend(_nodes(data["@graph"]))
    return nodes


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type", [])
    return {t} if isinstance(t, str) else {x for x in t if isinstance(x, str)}


def _strings(value: Any) -> list[str]:
    """A string, list of strings or comma-separated string as a clean list."""
    if isinstance(value, str):
        return [clean(v) for v in value.split(",") if clean(v)]
    if isinstance(value, list):
        return [clean(v) for v in value if isinstance(v, str) and clean(v)]
    return []


def _author_names(value: Any, by_id: dict[str, dict[str, Any]]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(clean(item))
        elif isinstance(item, dict):
            ref = item.get("@id")
            node = item if item.get("name") else by_id.get(ref if isinstance(ref, str) else "", {})
            if _types(node) & ORGANIZATION_TYPES and not _types(node) & {"Person"}:
                continue  # the publisher credited as author: no person's name
            names.append(clean(node.get("name")))
    return [n for n in names if n]


def _about(node: dict[str, Any]) -> set[str]:
    """The page URLs a node says it describes (`url`, `@id`, `mainEntityOfPage`)."""
    main = node.get("mainEntityOfPage")
    refs = [node.get("url"), node.get("@id"), main.get("@id") if isinstance(main, dict) else main]
    return {r.split("#")[0].rstrip("/") for r in refs if isinstance(r, str)}


def read_jsonld(tree: HtmlElement, page_url: str = "") -> JsonLd:
    """The article facts from the page's `application/ld+json` scripts.

    With several Article nodes (a related-posts block may print its own), the one that
    describes `page_url` wins; otherwise the first.
    """
    nodes: list[dict[str, Any]] = []
    for script in tree.iter("script"):  # (a third faster than an XPath)
        if script.get("type") != "application/ld+json":
            continue
        try:
            # strict=False: themes print post text with raw newlines into JSON strings.
            nodes.extend(_nodes(json.loads(script.text or "", strict=False)))
        except ValueError:
            continue
    out = JsonLd()
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    articles = []
    for node in nodes:
        types = _types(node)
        out.types |= types
        # A personal blog's publisher is its author ("@type": ["Person", "Organization"]).
        site = types & {"WebSite", "Organization", "NewsMediaOrganization"}
        if site and "Person" not in types and not out.site_name:
            out.site_name = clean(node.get("name")) or None
        if types & ARTICLE_TYPES:
            articles.append(node)
    page = page_url.split("#")[0].rstrip("/")
    if not articles:
        # No Article node: a WebPage (or any node) describing this page may still date it.
        dated = [n for n in nodes if isinstance(n.get("datePublished"), str)]
        node = next((n for n in dated if page and page in _about(n)), None)
        if node is None and len({clean(n["datePublished"]) for n in dated}) == 1:
            node = dated[0]
        if node is not None:
            out.date_published = clean(node.get("datePublished")) or None
            out.date_modified = clean(node.get("dateModified")) or None
            out.authors = _author_names(node.get("author"), by_id)
        return out
    node = next((n for n in articles if page and page in _about(n)), articles[0])
    out.headline = clean(node.get("headline") or node.get("name")) or None
    out.date_published = clean(node.get("datePublished")) or None
    out.date_modified = clean(node.get("dateModified")) or None
    out.authors = _author_names(node.get("author"), by_id)
    out.sections = _strings(node.get("articleSection"))
    out.keywords = _strings(node.get("keywords"))
    return out
