"""Categories and tags, by display name: the post's visible lists first."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .html import text_of, unique
from .jsonld import JsonLd
from .meta import Meta
from .scope import after_post, foreign_ids

Found = tuple[list[str], str | None]

# Lists of the post's terms by their class; links with rel="category tag" are categories
# (block themes print category links with rel="tag" too).
_CATEGORY_LISTS = ("taxonomy-category", "cat-links", "category-links", "post-categories",
                   "entry-categories", "meta-category", "meta-categories", "post-cat-wrap",
                   "blog-categories", "blog-category")  # fmt: skip
_TAG_LISTS = ("taxonomy-post_tag", "tags-links", "post-tags", "entry-tags", "-tags")


_CATEGORY_LIST = re.compile("|".join(map(re.escape, _CATEGORY_LISTS)))
_TAG_LIST = re.compile("|".join(map(re.escape, _TAG_LISTS)))


def _list_kind(link: HtmlElement, scope: HtmlElement) -> str | None:
    for node in link.iterancestors():
        if names := node.get("class"):
            if _CATEGORY_LIST.search(names):
                return "category"
            if _TAG_LIST.search(names):
                return "tag"
        if node is scope:
            break
    return None


def term_links(
    scope: HtmlElement, headline: HtmlElement | None, own_post: str | None
) -> tuple[list[str], list[str]]:
    """The post's category and tag link names, in page order, in one pass over its links."""
    if _last[0] is scope and _last[1] == own_post:
        return _last[2]
    foreign = foreign_ids(scope, own_post)
    categories, tags = _links(scope, foreign)
    if not (categories and tags):  # printed after the post's element: its "Tags: …" line
        for block in after_post(scope, own_post):
            more = _links(block, foreign_ids(block, own_post))
            categories, tags = categories or more[0], tags or more[1]
    if not categories:  # or above it, in a title bar of its own
        for block in after_post(scope, own_post, preceding=True):
            categories = categories or _links(block, foreign_ids(block, own_post))[0]
    _last[:] = [scope, own_post, (unique(categories), unique(tags))]
    return _last[2]


def _links(block: HtmlElement, foreign: set[int]) -> tuple[list[str], list[str]]:
    """Category and tag link names in one block, in page order, foreign blocks aside."""
    categories, tags = [], []
    for a in block.iter("a"):
        if id(a) in foreign:
            continue
        rel = (a.get("rel") or "").split()
        kind = "category" if "category" in rel else None
        kind = kind or _list_kind(a, block) or ("tag" if "tag" in rel else None)
        if kind:
            (categories if kind == "category" else tags).append(text_of(a).lstrip("#").strip())
    return categories, tags


_last: list = [None, None, ([], [])]  # the last scope's terms: categories and tags share it


# Sections that themes and SEO plugins print in `articleSection` to place a post on the
# home page: not categories a reader sees.
THEME_SECTIONS = {
    "slider", "featured", "feature", "featured posts", "top", "top stories", "trending",
    "homepage", "home", "hero", "carousel", "editors pick", "editor's pick", "main",
    "headline", "headlines", "spotlight", "sticky", "highlight", "highlights",
}  # fmt: skip


def post_class_slugs(scope: HtmlElement, prefix: str) -> list[str]:
    """The term slugs a post's classes name (`category-world-affairs` → `world-affairs`)."""
    slugs = []
    for token in (scope.get("class") or "").split():
        if (m := re.fullmatch(rf"{prefix}-([a-z0-9-]+)", token)) and not m[1].isdigit():
            slugs.append(m[1])
    return unique(slugs)


def _post_class_names(scope: HtmlElement, prefix: str) -> list[str]:
    """The names of the post's class slugs, read from the page's links to their archives
    (`/category/…/world-affairs/`). A slug is not a name (`laender` is "Länder", `software-apps`
    "Software & Apps"): when any slug has no link to name it, none are given."""
    slugs = post_class_slugs(scope, prefix)
    if not slugs:
        return []
    wanted = set(slugs)
    named: dict[str, str] = {}
    root = scope.getroottree().getroot()
    for link in root.iter("a"):
        path = (link.get("href") or "").split("?")[0].split("#")[0].rstrip("/")
        parts = path.split("/")
        if len(parts) < 2 or parts[-1] not in wanted or parts[-1] in named:
            continue
        if prefix not in parts[:-1]:  # WordPress's /category/… and /tag/… archives
            continue
        text = text_of(link)
        if text and len(text) <= 80:
            named[parts[-1]] = text
    if len(named) < len(slugs):
        return []
    return unique([named[slug] for slug in slugs])


# A piece a comma in one term leaves: an abbreviation ("Washington, D.C.", "Austin, TX") or
# a list's last item ("Arts, Culture & Entertainment").
_ONE_TERM = re.compile(r"^(?:[A-Z]{2,3}|(?:\w\.){2,})$|\s(?:&|and|und|et)\s")


def _listed(values: list[str]) -> list[str]:
    """One term per meta, as Open Graph has it; a single meta listing several ("Politik,
    Eindrücke, Inland", as some SEO plugins write it) split at its commas, unless the commas
    are one term's own."""
    if len(values) == 1 and "," in values[0]:
        pieces = [v for v in (v.strip() for v in values[0].split(",")) if v]
        if not any(_ONE_TERM.search(piece) for piece in pieces[1:]):
            return pieces
    return values


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
    if names := term_links(scope, headline, own_post)[0]:
        return names, "theme"
    if sections := _not_theme(ld.sections):
        return unique(sections), "jsonld"
    if sections := _not_theme(_listed(meta.all("article:section"))):
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
    if names := term_links(scope, headline, own_post)[1]:
        return names, "theme"
    # `article:tag` names the post's tags; JSON-LD `keywords` may hold an SEO plugin's focus
    # keywords instead (Rank Math's).
    if tags := _listed(meta.all("article:tag")):
        return unique(tags), "meta"
    if ld.keywords:
        return unique(ld.keywords), "jsonld"
    if names := _post_class_names(scope, "tag"):
        return names, "post-class"
    return [], None
