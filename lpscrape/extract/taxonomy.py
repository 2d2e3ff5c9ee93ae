"""Categories and tags, by display name."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .html import text_of, unique
from .jsonld import JsonLd
from .meta import Meta

Found = tuple[list[str], str | None]

# Links inside related-post blocks belong to other posts.
_OWN = "[not(ancestor::*[contains(@class, 'related')])]"
_CATEGORY_LINKS = (
    f".//a[contains(concat(' ', @rel, ' '), ' category ')]{_OWN}"
    f" | .//*[contains(@class, 'taxonomy-category')]//a{_OWN}"
)
# Block themes print category links with rel="tag" too: those are not tags.
_TAG_LINKS = (
    ".//a[contains(concat(' ', @rel, ' '), ' tag ')"
    " and not(contains(concat(' ', @rel, ' '), ' category '))"
    f" and not(ancestor::*[contains(@class, 'taxonomy-category')])]{_OWN}"
    f" | .//*[contains(@class, 'taxonomy-post_tag')]//a{_OWN}"
)


def _link_names(scope: HtmlElement, xpath: str) -> list[str]:
    return unique([text_of(a).lstrip("#").strip() for a in scope.xpath(xpath)])


def _post_class_names(scope: HtmlElement, prefix: str) -> list[str]:
    """Names guessed from post classes (`category-world-affairs` → `World Affairs`)."""
    names = []
    for token in (scope.get("class") or "").split():
        if (m := re.fullmatch(rf"{prefix}-([a-z0-9-]+)", token)) and not m[1].isdigit():
            names.append(m[1].replace("-", " ").title())
    return unique(names)


def find_categories(scope: HtmlElement, ld: JsonLd, meta: Meta) -> Found:
    """The post's categories and the layer they came from."""
    if ld.sections:
        return unique(ld.sections), "jsonld"
    if sections := meta.all("article:section"):
        return unique(sections), "meta"
    if names := _link_names(scope, _CATEGORY_LINKS):
        return names, "theme"
    if names := _post_class_names(scope, "category"):
        return names, "post-class"
    return [], None


def find_tags(scope: HtmlElement, ld: JsonLd, meta: Meta) -> Found:
    """The post's tags and the layer they came from."""
    if ld.keywords:
        return unique(ld.keywords), "jsonld"
    if tags := meta.all("article:tag"):
        return unique(tags), "meta"
    if names := _link_names(scope, _TAG_LINKS):
        return names, "theme"
    if names := _post_class_names(scope, "tag"):
        return names, "post-class"
    return [], None
