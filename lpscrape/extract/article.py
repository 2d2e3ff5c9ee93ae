"""`extract_article(html, url)`: the layered, pure extraction of one page."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml.html import HtmlElement

from .body import body_paragraphs, caption_texts, fallback_paragraphs, find_container
from .byline import find_authors
from .dateline import parse_dateline
from .dates import utc_iso
from .html import decode, parse, text_of
from .jsonld import JsonLd, read_jsonld
from .meta import Meta, read_meta
from .page import is_article_page
from .record import Article
from .taxonomy import find_categories, find_tags
from .title import find_title
from .weather import weather_from_header

# The post's own visible date, never the header's "today" line nor related posts' dates.
_PUBLISHED_XPATHS = (
    ".//time[contains(@class, 'published')]/@datetime",
    ".//*[contains(@class, 'wp-block-post-date')]//time/@datetime",
    ".//time[@itemprop='datePublished']/@datetime",
    ".//*[@itemprop='datePublished']/@content",
    ".//time[contains(@class, 'entry-date')]/@datetime",
)
_MODIFIED_XPATHS = (
    ".//time[contains(@class, 'updated')]/@datetime",
    ".//*[@itemprop='dateModified']/@content",
    ".//*[contains(@class, 'wp-block-post-date__modified-date')]//time/@datetime",
)
_VISIBLE_DATE_XPATHS = (
    ".//*[contains(@class, 'mg-header')]//*[contains(@class, 'mg-blog-date')]",
    ".//*[contains(@class, 'entry-meta')]//*[contains(@class, 'posted-on')]",
    ".//*[contains(@class, 'posted-on')]",
)
# The element that holds one post with its header and meta (WordPress `post_class()`).
_POST_ID = re.compile(r"\bpostid-(\d+)\b")
_ONLY_ONE_XPATHS = ("//*[contains(concat(' ', @class, ' '), ' type-post ')]", "//article")
_POST_XPATHS = ("//main", "//body")


def _first(scope: HtmlElement, xpaths: tuple[str, ...]) -> str | None:
    for xpath in xpaths:
        for value in scope.xpath(xpath):
            text = value if isinstance(value, str) else text_of(value)
            if text.strip():
                return text.strip()
    return None


def _find_post(tree: HtmlElement) -> HtmlElement:
    """The element of *this* post (`post-N` for the body's `postid-N`), never a related one."""
    body = tree.find("body")
    m = _POST_ID.search(body.get("class") or "") if body is not None else None
    own = f"//*[contains(concat(' ', @class, ' '), ' post-{m[1]} ')]" if m else None
    if own and (found := tree.xpath(own)):
        return found[0]
    for xpath in _ONLY_ONE_XPATHS:  # one post on the page: it is this one
        if len(found := tree.xpath(xpath)) == 1:
            return found[0]
    for xpath in _POST_XPATHS:
        if found := tree.xpath(xpath):
            return found[0]
    return tree


def _dates(post: HtmlElement, ld: JsonLd, meta: Meta, record: Article) -> None:
    """Publication and modification instants with the raw string and layer of each."""
    layers = {
        "published_at": (
            ("jsonld", ld.date_published),
            ("meta", meta.first("article:published_time")),
            ("theme", _first(post, _PUBLISHED_XPATHS)),
            ("visible-text", _first(post, _VISIBLE_DATE_XPATHS)),
        ),
        "modified_at": (
            ("jsonld", ld.date_modified),
            ("meta", meta.first("article:modified_time")),
            ("theme", _first(post, _MODIFIED_XPATHS)),
        ),
    }
    for name, candidates in layers.items():
        for layer, raw in candidates:
            if value := utc_iso(raw):
                setattr(record, name, value)
                record.extraction.sources[name] = layer
                record.extraction.raw[name] = raw
                if layer == "visible-text" and ":" not in raw:
                    record.extraction.warnings.append(
                        f"{name}: the page gives the day only; stored as 00:00 Europe/London"
                    )
                break
    if record.modified_at and record.modified_at == record.published_at:
        record.modified_at = None  # Yoast prints dateModified even for never-edited posts


def extract_article(html: str | bytes, url: str, content_type: str | None = None) -> Article:
    """One page's record; `is_article` is false for listings, home, author and error pages."""
    text = decode(html, content_type)
    tree = parse(text)
    meta = read_meta(tree)
    canonical = urljoin(url, meta.canonical or meta.first("og:url") or url)
    ld = read_jsonld(tree, canonical)
    record = Article(url=url, canonical_url=canonical)
    record.weather, raw_time = weather_from_header(tree)
    if raw_time:
        record.extraction.raw["weather_observed_at"] = raw_time
    if not is_article_page(tree, ld, meta):
        record.is_article = False
        record.extraction.method = "not-article"
        return record

    found = record.extraction.sources
    post = _find_post(tree)
    record.title, found["title"] = find_title(tree, ld, meta)
    record.authors, record.byline, found["authors"] = find_authors(post, ld, meta)
    record.categories, found["categories"] = find_categories(post, ld, meta)
    record.tags, found["tags"] = find_tags(post, ld, meta)
    _dates(post, ld, meta, record)

    container = find_container(tree)
    paragraphs = body_paragraphs(container) if container is not None else []
    if paragraphs:
        found["body_text"] = "theme"
    elif paragraphs := fallback_paragraphs(text, url):
        found["body_text"] = "fallback"
        record.extraction.method = "fallback"
        record.extraction.warnings.append("body_text: theme container not found, used fallback")
    if paragraphs and record.title and paragraphs[0] == record.title:
        paragraphs = paragraphs[1:]  # generic extractors keep the headline; it is `title`
    if paragraphs:
        record.body_text = "\n\n".join(paragraphs)
        record.word_count = len(record.body_text.split())
        captions = caption_texts(container)
        record.dateline = parse_dateline(next((p for p in paragraphs if p not in captions), None))
        found["dateline"] = "text-pattern"
    if record.weather:
        found["weather"] = "header-widget"
    for name in ("title", "authors", "published_at", "categories", "body_text", "weather"):
        if not getattr(record, name):
            record.extraction.warnings.append(f"{name}: not found")
    record.extraction.sources = {k: v for k, v in found.items() if v}
    return record
