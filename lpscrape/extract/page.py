"""What kind of page this is: a single article, or a listing, home, author or error page."""

from __future__ import annotations

from lxml.html import HtmlElement

from .jsonld import JsonLd
from .meta import Meta

NOT_ARTICLE_BODY_CLASSES = {
    "home",
    "blog",
    "archive",
    "category",
    "tag",
    "author",
    "search",
    "error404",
    "page",
    "attachment",
}
ARTICLE_BODY_CLASSES = {"single-post", "single"}
NOT_ARTICLE_LD_TYPES = {"CollectionPage", "ProfilePage", "SearchResultsPage"}


def is_article_page(tree: HtmlElement, ld: JsonLd, meta: Meta) -> bool:
    """True for a single post; listings, home, author, search and 404 pages are not articles."""
    body = tree.find("body")
    body_classes = set((body.get("class") or "").split()) if body is not None else set()
    if body_classes & NOT_ARTICLE_BODY_CLASSES and not body_classes & ARTICLE_BODY_CLASSES:
        return False
    if ld.types & NOT_ARTICLE_LD_TYPES and not ld.is_article:
        return False
    if body_classes & ARTICLE_BODY_CLASSES or ld.is_article:
        return True
    if (meta.first("og:type") or "").lower() == "article":
        return True
    # No declared kind: one <article> with a heading and a content block is a post.
    return len(tree.xpath("//article")) == 1 and bool(
        tree.xpath("//article//h1") and tree.xpath("//article//p")
    )
