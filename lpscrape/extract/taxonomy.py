"""Categories and tags, by display name: the post's visible lists first."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .html import text_of, unique
from .jsonld import JsonLd
from .meta import Meta
from .scope import near_headline

Found = tuple[list[str], str | None]

_CATEGORY_LINKS = (
    ".//a[contains(concat(' ', @rel, ' '), ' category ')]"
    " | .//*[contains(@class, 'taxonomy-category')]//a"
    " | .//*[contains(@class, 'cat-links') or contains(@class, 'post-categories')"
    " or contains(@class, 'entry-categories') or contains(@class, 'meta-category')]//a"
)
# Block themes print category links with rel="tag" too: those are not tags.
_TAG_LINKS = (
    ".//a[contains(concat(' ', @rel, ' '), ' tag ')"
    " and not(contains(concat(' ', @rel, ' '), ' category '))"
    " and not(ancestor::*[contains(@class, 'taxonomy-category') or contains(@class, 'cat-links')])]"
    " | .//*[contains(@class, 'taxonomy-post_tag') or contains(@class, 'tags-links')"
    " or contains(@class, 'post-tags') or contains(@class, 'entry-tags')]//a"
)
# Sections that themes and SEO plugins print in `articleSection` to place a post on the
# home page: not categories a reader sees.
THEME_SECTIONS = {
    "slider", "featured", "feature", "featured posts", "top", "top stories", "trending",
    "homepage", "home", "hero", "carousel", "editors pick", "editor's pick", "main",
    "headline", "headlines", "spotlight", "sticky", "highlight", "highlights",
}  # fmt: skip


def _link_names(
    scope: HtmlElement, xpath: str, headline: HtmlElement | None, own_post: str | None
) -> list[str]:
    links = near_headline(scope, headline, xpath, own_post, by_distance=False)
    return unique([text_of(a).lstrip("#").strip() for a in links])


def _post_class_names(scope: HtmlElement, prefix: str) -> list[str]:
    """Names guessed from post classes (`category-world-affairs` → `World Affairs`)."""
    names = []
    for token in (scope.get("class") or "").split():
        if (m := re.fullmatch(rf"{prefix}-([a-z0-9-]+)", token)) and not m[1].isdigit():
            names.append(m[1].replace("-", " ").title())
    return unique(names)


def _not_theme(names: list[str]) -> list[str]:
    return [n for n in names if n.casefold() not in THEME_SECTIONS]


def find_categories(
    scope: HtmlElement,
    ld: JsonLd,
    meta: Meta,
    headline: HtmlElement | None = None,
    own_post: str | None = None,
) -> Found:
    """The post's categories and the layer they came from."""
    if names := _link_names(scope, _CATEGORY_LINKS, headline, own_post):
        return names, "theme"
    if sections := _not_theme(ld.sections):
        return unique(sections), "jsonld"
    if sections := _not_theme(meta.all("article:section")):
        return unique(sections), "meta"
    if names := _post_class_names(scope, "category"):
        return names, "post-class"
    return [], None


def find_tags(
    scope: HtmlElement,
    ld: JsonLd,
    meta: Meta,
    headline: HtmlElement | None = None,
    own_post: str | None = None,
) -> Found:
    """The post's tags and the layer they came from."""
    if names := _link_names(scope, _TAG_LINKS, headline, own_post):
        return names, "theme"
    if ld.keywords:
        return unique(ld.keywords), "jsonld"
    if tags := meta.all("article:tag"):
        return unique(tags), "meta"
    if names := _post_class_names(scope, "tag"):
        return names, "post-class"
    return [], None
