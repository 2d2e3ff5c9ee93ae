"""`extract_article(html, url)`: the layered, pure extraction of one page."""

from __future__ import annotations

from lxml.html import HtmlElement

from .body import body_paragraphs, fallback_paragraphs, find_container
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
_POST_XPATHS = (
    "//*[contains(concat(' ', @class, ' '), ' type-post ')]",
    "//article",
    "//main",
    "//body",
)


def _first(scope: HtmlElement, xpaths: tuple[str, ...]) -> str | None:
    for xpath in xpaths:
        for value in scope.xpath(xpath):
            text = value if isinstance(value, str) else text_of(value)
            if text.strip():
                return text.strip()
    return None


def _find_post(tree: HtmlElement) -> HtmlElement:
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
                break
    if record.modified_at and record.modified_at == record.published_at:
        record.modified_at = None  # Yoast prints dateModified even for never-edited posts


def extract_article(html: str | bytes, url: str, content_type: str | None = None) -> Article:
    """One page's record; `is_article` is false for listings, home, author and error pages."""
    text = decode(html, content_type)
    tree = parse(text)
    ld, meta = read_jsonld(tree), read_meta(tree)
    canonical = meta.canonical or meta.first("og:url") or url
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
        record.dateline = parse_dateline(paragraphs[0])
        found["dateline"] = "text-pattern"
    if record.weather:
        found["weather"] = "header-widget"
    for name in ("title", "authors", "published_at", "categories", "body_text", "weather"):
        if not getattr(record, name):
            record.extraction.warnings.append(f"{name}: not found")
    record.extraction.sources = {k: v for k, v in found.items() if v}
    return record
