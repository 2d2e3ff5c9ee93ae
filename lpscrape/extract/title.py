"""The headline, without the site name that `<title>` and `og:title` append."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .html import text_of
from .jsonld import JsonLd
from .meta import Meta

H1_XPATH = (
    "//h1[contains(@class, 'entry-title') or contains(@class, 'wp-block-post-title')"
    " or contains(@class, 'single') or contains(@class, 'post-title')"
    " or contains(@class, 'article-title')]"
)
_SEPARATORS = "–—-|·»:"
DEFAULT_SITE_NAMES = ("Lord's Press", "Lord’s Press")


def strip_site_name(title: str, site_names: list[str]) -> str:
    """`"Headline – Lord's Press"` → `"Headline"`."""
    for name in site_names:
        pattern = rf"\s*[{re.escape(_SEPARATORS)}]\s*{re.escape(name)}\s*$"
        stripped = re.sub(pattern, "", title, flags=re.I)
        if stripped != title and stripped:
            return stripped
    return title


def find_title(tree: HtmlElement, ld: JsonLd, meta: Meta) -> tuple[str | None, str | None]:
    """The headline and the layer it came from."""
    site_names = [n for n in (meta.first("og:site_name"), ld.site_name) if n]
    site_names += DEFAULT_SITE_NAMES
    if ld.headline:
        return strip_site_name(ld.headline, site_names), "jsonld"
    if og := meta.first("og:title"):
        return strip_site_name(og, site_names), "meta"
    for h1 in tree.xpath(H1_XPATH) or tree.xpath("//article//h1") or tree.xpath("//h1"):
        if text := text_of(h1):
            return text, "theme"
    title = tree.find(".//title")
    if title is not None and (text := text_of(title)):
        return strip_site_name(text, site_names), "html-title"
    return None, None
