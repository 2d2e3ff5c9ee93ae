"""`extract_article(html, url)`: the layered, pure extraction of one page."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from .body import caption_texts, find_body, find_container
from .byline import find_authors
from .dateline import parse_dateline
from .html import SourceNames, clean, page_source, parse_source, parse_truncated
from .jsonld import read_jsonld
from .meta import read_meta
from .page import classify_page
from .published import Found, find_dates
from .record import Article
from .scope import find_post, own_post_id
from .taxonomy import find_categories, find_tags, post_class_slugs
from .title import blog_owner, find_title, site_names
from .weather import weather_from_header


def _set_date(record: Article, name: str, found: Found | None) -> None:
    if found is None:
        return
    setattr(record, name, found.utc)
    record.extraction.sources[name] = found.layer
    record.extraction.raw[name] = found.raw
    if name == "published_at":
        record.published_at_local = found.local
        if found.day_only:
            record.extraction.warnings.append(
                f"{name}: the page gives the day only ({found.layer}); stored as 00:00 "
                "Europe/London"
            )
        elif found.local is None:
            record.extraction.warnings.append(f"{name}: no time zone given; read as Europe/London")


def extract_article(
    html: str | bytes,
    url: str,
    content_type: str | None = None,
    discovered: str | None = None,
) -> Article:
    """One page's record; `is_article` is false for listings, home, author and error pages.

    `discovered` is how the crawl found the URL (`sitemap`, `feed`, `api`, `listing`…):
    a URL only post sources name is a post, whatever its theme says.
    """
    text = page_source(html, content_type)
    tree = parse_source(text)
    truncated = parse_truncated()
    meta = read_meta(tree)
    canonical = urljoin(url, meta.canonical or meta.first("og:url") or url)
    refused = urlsplit(canonical).scheme not in ("http", "https")  # `javascript:` and the like
    canonical = url if refused else canonical
    ld = read_jsonld(tree, canonical)
    record = Article(url=url, canonical_url=canonical)
    if refused:
        record.extraction.warnings.append("canonical_url: not an http(s) URL, ignored")
    record.weather, raw_time = weather_from_header(tree, text)
    if raw_time:
        record.extraction.raw["weather_observed_at"] = raw_time
    is_article, why = classify_page(tree, ld, meta, url, discovered)
    record.extraction.page_kind = why
    record.extraction.sources["page"] = why  # stored with the article: why it is one
    if not is_article:
        record.is_article = False
        record.extraction.method = "not-article"
        return record

    found = record.extraction.sources
    names = site_names(canonical, ld, meta)
    if own_name := clean(meta.first("og:site_name")) or ld.site_name:
        record.extraction.raw["site_name"] = own_name  # the publication's name, for citations
    record.title, found["title"], headline = find_title(tree, ld, meta, canonical)
    source = SourceNames(text)
    container = find_container(tree, headline, source)
    post = find_post(tree, headline, container)
    own = own_post_id(tree)
    owner = blog_owner(canonical)  # a blogger's byline may be the blog's own name
    record.authors, record.byline, found["authors"] = find_authors(
        post, ld, meta, headline, own, [n for n in names if n != owner], source
    )
    record.categories, found["categories"] = find_categories(post, ld, meta, headline, own)
    record.tags, found["tags"] = find_tags(post, ld, meta, headline, own)
    for name, prefix in (("categories", "category"), ("tags", "tag")):
        if not getattr(record, name) and (slugs := post_class_slugs(post, prefix)):
            record.extraction.warnings.append(
                f"{name}: the post's classes name {', '.join(slugs)}, "
                "but the page gives no name for them"
            )
    published, modified, notes = find_dates(tree, post, headline, ld, meta, url, text, own)
    record.extraction.warnings += notes
    _set_date(record, "published_at", published)
    _set_date(record, "modified_at", modified)

    body = find_body(tree, container, text, url, record.title, truncated)
    record.extraction.warnings += body.warnings
    if body.paragraphs:
        found["body_text"] = body.layer
        if body.layer == "fallback":
            record.extraction.method = "fallback"
        record.body_text = "\n\n".join(body.paragraphs)
        record.word_count = len(record.body_text.split())
        captions = caption_texts(container)
        first = next((p for p in body.paragraphs if p not in captions), None)
        record.dateline = parse_dateline(first)
        found["dateline"] = "text-pattern"
    if record.weather:
        found["weather"] = "header-widget"
    for name in ("title", "authors", "published_at", "categories", "body_text", "weather"):
        if not getattr(record, name):
            record.extraction.warnings.append(f"{name}: not found")
    record.extraction.sources = {k: v for k, v in found.items() if v}
    return record
