"""The headline: the post's visible `<h1>`, else metadata without the site-name suffix."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from .html import page_body, squashed, text_of, unique, with_class, xpath
from .jsonld import JsonLd
from .meta import Meta
from .scope import LAYOUT_WORDS, block_names, holds_post_title

# Theme headline classes, most specific first (classic, block, news-magazine themes).
THEME_H1 = (
    ".//h1[contains(concat(' ', @class, ' '), ' entry-title ')"
    " or contains(@class, 'wp-block-post-title') or contains(@class, 'post-title')"
    " or contains(@class, 'article-title') or contains(@class, 'single-title')"
    " or contains(@class, 'td-page-title') or contains(@class, 'tdb-title-text')"
    " or contains(@class, 'jeg_post_title') or contains(@class, 'headline')"
    " or @itemprop='headline']"
)
# A post title some themes print as an h2 under a page header's h1 ("Blog").
THEME_H2 = (
    ".//h2[contains(concat(' ', @class, ' '), ' entry-title ')"
    " or contains(@class, 'single-post-title') or @itemprop='headline']"
)
# A post title's element inside a `<header>`: the post's own header.
_TITLE_INSIDE = with_class(parts=("entry-title", "post-title"))
# Where a site's logo or a widget heading sits, never the post's headline.
_NOT_HEADLINE = re.compile(
    r"site-title|site-name|logo|brand|branding|masthead|widget|sidebar|footer|menu|nav|modal"
    r"|popup|cookie|newsletter|related|comment",
    re.I,
)
# The post's own header (`entry-header` since `_s`), whatever else its classes say
# (Twenty Twenty's is also `header-footer-group`).
_OWN_HEADER = re.compile(r"(?:^|\s)(?:entry|post|article|single)-header(?:\s|$)")
_SEPARATORS = "–—|·»›:/-"
_WORD = re.compile(r"\w+")
_BETWEEN_PARTS = re.compile(rf"\s+[{re.escape(_SEPARATORS)}]+\s+")  # "Headline | Site"
_LEADING_SEPARATORS = re.compile(rf"^[{re.escape(_SEPARATORS)}\s]*[{re.escape(_SEPARATORS)}]\s+")
DEFAULT_SITE_NAMES = ("Lord's Press", "Lord’s Press")
# Hosts where each blog is a subdomain named after its owner's account (`creeny.wordpress.com`):
# there the first label names the blogger, not a publication.
_BLOG_PLATFORM = re.compile(
    r"^([^.]+)\.(?:wordpress\.com|blogspot\.[a-z.]+|tumblr\.com|substack\.com|livejournal\.com)$"
)


def strip_site_name(title: str, site_names: list[str]) -> str:
    """`"Headline – Lord's Press"` → `"Headline"` (also ` | Site`, ` › site`, a prefix,
    `Headline | Site | Tagline`)."""
    # "Headline | Site | Tagline": what comes before the part that is the site's name.
    # Compared without spaces and punctuation: "La Stampa" is the site at `lastampa.it`.
    keys = {squashed(n) for n in site_names} - {""}
    cuts = list(_BETWEEN_PARTS.finditer(title))
    ends = [c.start() for c in cuts[1:]] + [len(title)] if cuts else []
    for cut, end in zip(cuts, ends, strict=True):
        head = title[: cut.start()].strip()
        if head and squashed(title[cut.end() : end]) in keys:
            return head
    for pattern in _affixes(tuple(site_names)):
        stripped = pattern.sub("", title)
        if stripped != title and stripped.strip():
            return _LEADING_SEPARATORS.sub("", stripped.strip())
    return title


@lru_cache(maxsize=256)
def _affixes(site_names: tuple[str, ...]) -> list[re.Pattern[str]]:
    """Each name as a suffix (` – Name`) then as a prefix (`Name | `), compiled once."""
    seps = re.escape(_SEPARATORS)
    return [
        re.compile(pattern, re.I)
        for name in site_names
        for pattern in (
            rf"\s+[{seps}]+\s*{re.escape(name)}\s*$",
            rf"^\s*{re.escape(name)}\s*[{seps}]+\s+",
        )
    ]


def site_names(url: str, ld: JsonLd, meta: Meta) -> list[str]:
    """Every name the site goes by: og:site_name, JSON-LD's, its host name."""
    names = [n for n in (meta.first("og:site_name"), ld.site_name) if n]
    host = urlsplit(url).hostname or ""
    host = host.removeprefix("www.")
    names += [host, host.split(".")[0]] if host else []
    return [*names, *DEFAULT_SITE_NAMES]


def blog_owner(url: str) -> str | None:
    """The account a blog on a shared blog host is named after (`creeny` for
    `creeny.wordpress.com`): a person, whom a byline may name."""
    found = _BLOG_PLATFORM.match((urlsplit(url).hostname or "").removeprefix("www."))
    return found[1] if found else None


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def _similar(a: str, b: str) -> bool:
    """Two titles that share most of their words (a headline and its `og:title`): a site's
    one-word name is not similar to "Headline | Name"."""
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / max(len(wa), len(wb)) >= 0.5


def _is_furniture(h1: HtmlElement) -> bool:
    for el in (h1, *h1.iterancestors()):
        if el.tag in ("body", "html"):
            return False
        if _OWN_HEADER.search(el.get("class") or ""):
            continue
        if el.tag in ("header", "nav", "aside", "footer") and el.getparent() is not None:
            if el.tag != "header" or _NOT_HEADLINE.search(block_names(el.get("class") or "")):
                return True
            if xpath(el, "ancestor::article"):  # an article's own <header> holds its title
                continue
            if xpath(el, _TITLE_INSIDE):
                continue
            if el.getparent().tag == "body" or "site" in (el.get("class") or ""):
                return True
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if found := _NOT_HEADLINE.search(block_names(names)):
            if found[0].lower() in LAYOUT_WORDS and holds_post_title(el):
                continue  # a layout's wrapper of the post (`penci_sidebar`), not a sidebar
            return True
    return False


def _title_parts(html_title: str, names: list[str]) -> list[str]:
    """The `<title>` without the site's name, and its first and longest parts between
    separators ("Headline | Site | Tagline")."""
    stripped = strip_site_name(html_title, names)
    parts = _BETWEEN_PARTS.split(stripped)
    return unique([stripped, parts[0], max(parts, key=len)]) if stripped else []


def find_headline(tree: HtmlElement, meta_titles: list[str]) -> HtmlElement | None:
    """The post's visible headline element, if the page has one."""
    body = page_body(tree)
    for h1 in xpath(body, THEME_H1):
        if text_of(h1) and not _is_furniture(h1):
            if meta_titles and not any(_similar(text_of(h1), t) for t in meta_titles):
                # A page header's h1 ("Blog") above the post's own title in an h2.
                for h2 in xpath(body, THEME_H2):
                    similar = any(_similar(text_of(h2), t) for t in meta_titles)
                    if similar and not _is_furniture(h2):
                        return h2
            return h1
    candidates = [h for h in tree.iter("h1") if text_of(h) and not _is_furniture(h)]
    for h1 in candidates:
        if any(_similar(text_of(h1), t) for t in meta_titles):
            return h1
    if len(candidates) == 1 and not meta_titles:
        return candidates[0]
    return None


# The label WordPress puts before a password-protected or private post's title.
_WP_LABEL = re.compile(
    r"^(?:Protected|Private|Geschützt|Privat|Protégé|Privé|Protegido|Privado|Protetto|Privato)"
    r"\s?:\s+"
)
_EMPHASIS = {"b", "strong", "i", "em", "u"}  # a word stressed, not a kicker
_QUOTES = str.maketrans("‘’‚“”„«»", '\'\'\'"""""')


def _comparable(title: str) -> str:
    return " ".join(title.translate(_QUOTES).split()).casefold()


def _without_kicker(h1: HtmlElement, meta_titles: list[str]) -> str:
    """The headline without a kicker or subtitle printed inside its `<h1>` ("Local News |
    Headline"), when the page's own titles name the headline without it."""
    text = text_of(h1)
    known = [_comparable(t) for t in meta_titles]
    if any(_comparable(text) in t for t in known):
        return text
    if _WP_LABEL.match(text):  # the page's own titles name the post without the label
        return _WP_LABEL.sub("", text, count=1)
    for el in h1.iterdescendants():
        part = text_of(el) if el.tag not in _EMPHASIS else ""
        if not part or part == text:
            continue
        if text.startswith(part):  # a kicker
            rest = text[len(part) :]
        elif text.endswith(part):  # a subtitle (`entry-subtitle`)
            rest = text[: -len(part)]
        else:
            continue
        rest = rest.strip(" " + _SEPARATORS)
        if len(rest.split()) >= 2 and any(_comparable(rest) in t for t in known):
            return rest
    return text


def find_title(
    tree: HtmlElement, ld: JsonLd, meta: Meta, url: str = ""
) -> tuple[str | None, str | None, HtmlElement | None]:
    """The headline, the layer it came from, and its element when it is visible."""
    names = site_names(url, ld, meta)
    title_el = tree.find(".//title")
    html_title = text_of(title_el) if title_el is not None else ""
    meta_titles = [strip_site_name(t, names) for t in (ld.headline, meta.first("og:title")) if t]
    meta_titles += _title_parts(html_title, names)
    meta_titles = [t for t in meta_titles if t]
    if (h1 := find_headline(tree, meta_titles)) is not None:
        return _without_kicker(h1, meta_titles), "theme", h1
    if ld.headline:
        return strip_site_name(ld.headline, names), "jsonld", None
    if og := meta.first("og:title"):
        return strip_site_name(og, names), "meta", None
    if html_title:
        return strip_site_name(html_title, names), "html-title", None
    return None, None, None
