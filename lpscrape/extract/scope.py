"""The post's own scope: where its header and meta sit, and what belongs to other posts."""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from lxml.html import HtmlElement

from .html import classes, page_body, xpath

_POST_ID = re.compile(r"\bpostid-(\d+)\b")
_POST_CLASS = re.compile(r"^post-(\d+)$")
# Blocks that hold other posts, other people or the site's furniture, by the words of their
# class and id (`jp-relatedposts`, `widget_recent_entries`, `site-footer`).
_FOREIGN_WORDS = frozenset(
    [
        "related",
        "relatedposts",
        "widget",
        "sidebar",
        "comment",
        "comments",
        "respond",
        "recent",
        "popular",
        "trending",
        "youmissed",
        "readmore",
        "alsolike",
        "authorbox",
        "aboutauthor",
        "saboxplugin",
        "sabox",
        "newsletter",
        "share",
        "sharing",
        "sharedaddy",
        "social",
        "colophon",
        "breadcrumb",
        "breadcrumbs",
        "menu",
        "carousel",
        "slider",
        "ticker",
        "teaser",
        "promo",
        "masthead",
        "topbar",
        "weather",
        "navigation",
    ]
)
_FOREIGN_PAIRS = frozenset(
    [("you", "missed"), ("read", "more"), ("also", "like"), ("author", "box"),
     ("about", "author"), ("author", "bio"), ("more", "posts"), ("more", "stories"),
     ("more", "articles"), ("next", "post"), ("prev", "post"), ("post", "navigation"),
     ("nav", "links"), ("site", "footer"), ("site", "header"), ("top", "bar"),
     ("header", "top"), ("page", "footer")]
)  # fmt: skip
_SEPARATORS = str.maketrans("-_", "  ")
# The post's meta row that also holds its share buttons (MoreNews' `post-meta-share-wrapper`,
# `entry-meta-social`): the post's own byline and date, not furniture.
_META_WORDS = frozenset(["meta", "postmeta", "entrymeta"])
_SHARE_WORDS = frozenset(["share", "sharing", "social"])


# Names of a layout or a state, not of a block: a layout that has a sidebar (`right-sidebar`,
# Genesis's `content-sidebar-wrap`), a flag (`has-slider`, `no-share`,
# `av-blog-meta-comments-disabled`), Elementor's wrapper of every block
# (`elementor-widget-theme-post-title`, not a widget).
_LAYOUT = re.compile(
    r"(?<![a-z0-9])(?:has|with|no|left|right|content)[-_]+sidebar(?![a-z0-9])"
    r"|(?<![a-z0-9])sidebar[-_]+(?:left|right|content)(?![a-z0-9])"
    r"|(?<![a-z0-9])elementor-widget(?![a-z0-9])"
)
_STATE = re.compile(r"^(?:has|with|without|no|show|hide)[-_]|[-_](?:disabled|enabled|hidden)$")


@lru_cache(maxsize=4096)  # a page repeats a few class strings on hundreds of elements
def block_names(names: str) -> str:
    """Class and id names without those of a layout or a state."""
    tokens = [t for t in names.lower().split() if not _STATE.search(t)]
    return _LAYOUT.sub(" ", " ".join(tokens))


@lru_cache(maxsize=4096)
def foreign_names(names: str) -> bool:
    """True when class or id words name a block that holds other posts or furniture."""
    words = block_names(names).translate(_SEPARATORS).split()
    found = _FOREIGN_WORDS.intersection(words)
    if found and not (found <= _SHARE_WORDS and _META_WORDS.intersection(words)):
        return True
    return any(pair in _FOREIGN_PAIRS for pair in itertools.pairwise(words))


_FOREIGN_TAGS = {"aside", "nav", "form"}
_HAS_CLASS = ".//@class[contains(., $part)]/.."


def _lca(a: HtmlElement, b: HtmlElement) -> HtmlElement:
    ancestors = {id(a): a, **{id(x): x for x in a.iterancestors()}}
    for el in (b, *b.iterancestors()):
        if id(el) in ancestors:
            return el
    return b.getroottree().getroot()


def _contains(outer: HtmlElement, inner: HtmlElement) -> bool:
    return any(el is outer for el in (inner, *inner.iterancestors()))


def find_post(
    tree: HtmlElement, headline: HtmlElement | None, container: HtmlElement | None
) -> HtmlElement:
    """The smallest element that holds this post's headline, header, meta and content."""
    if post_id := own_post_id(tree):
        token = f"post-{post_id}"  # attributes walked, then the token checked: half the time
        found = [
            el for el in xpath(page_body(tree), _HAS_CLASS, part=token) if token in classes(el)
        ]
    else:
        found = xpath(tree, "//article") if headline is None else []
        found = found if len(found) == 1 else []
    own = found[0] if found else None
    parts = [p for p in (own, headline, container) if p is not None]
    if not parts:
        for path in ("//main", "//body"):
            if found := xpath(tree, path):
                return found[0]
        return tree
    scope = parts[0]
    for part in parts[1:]:
        if not _contains(scope, part):
            scope = _lca(scope, part)
    if scope is headline or scope.tag in ("h1", "h2"):
        scope = headline.getparent() if headline is not None else scope
    short = container is None and own is None and len(scope.text_content()) < 200
    if scope is not None and headline is not None and short:
        for parent in scope.iterancestors():  # a header block alone: widen to its post
            scope = parent
            if parent.tag in ("article", "main", "body") or len(parent.text_content()) > 600:
                break
    return scope if scope is not None else tree


def _foreign_node(node: HtmlElement, own_post: str | None) -> bool:
    """True for a block that holds another post, a widget, comments, an author box or the
    site's furniture (its own class and id, tag and post id; not its ancestors)."""
    if node.tag in _FOREIGN_TAGS:
        return True
    if node.tag == "footer" and not xpath(node, "ancestor::article"):
        return True  # the site's footer; an article's own footer holds its terms
    names = f"{node.get('class') or ''} {node.get('id') or ''}"
    if len(names) > 1 and foreign_names(names):
        return not (layout_words(names) and holds_post_title(node))
    return other_post(names, own_post)


# Words that name furniture in a sidebar but, on a block that holds the post's own title, a
# layout (Soledad's `penci_sidebar`, MoreNews' `af-cat-widget-carousel`, `social-after-title`).
LAYOUT_WORDS = frozenset(["sidebar", "widget", "carousel", "social", "slider"])
_POST_TITLE = (
    ".//h1[contains(@class, 'entry-title') or contains(@class, 'post-title')"
    " or contains(@class, 'single-post-title')]"
)


def layout_words(names: str) -> bool:
    """True when the only furniture words in these names are those a layout reuses."""
    words = set(block_names(names).translate(_SEPARATORS).split())
    return bool(words & LAYOUT_WORDS) and not (words & _FOREIGN_WORDS) - LAYOUT_WORDS


def holds_post_title(node: HtmlElement) -> bool:
    """True when the block holds the post's own headline (an h1 classed as a post title)."""
    return bool(xpath(node, _POST_TITLE))


def other_post(names: str, own_post: str | None, post_id: str | None = None) -> bool:
    """True when class names carry another post's `post-N` (a post listed inside this one),
    or its `data-post-id` is another post's (Newspack's blocks)."""
    if own_post and post_id:
        return post_id != own_post
    if own_post and "post-" in names:
        ids = [m[1] for c in names.split() if (m := _POST_CLASS.match(c))]
        return bool(ids) and own_post not in ids
    return False


def is_foreign(el: HtmlElement, scope: HtmlElement, own_post: str | None = None) -> bool:
    """True when `el` sits in a foreign block between itself and `scope`."""
    for node in (el, *el.iterancestors()):
        if node is scope or node.tag in ("body", "html"):
            return False
        if _foreign_node(node, own_post):
            return True
    return False


_ANOTHER_POST = ".//article | .//h1 | .//h2"
AFTER_POST_LEVELS = 2  # the post's own siblings, and its parent's


def after_post(
    scope: HtmlElement, own_post: str | None = None, preceding: bool = False
) -> list[HtmlElement]:
    """The blocks that follow the post, where themes print its terms ("Tags: …" under the
    content): the following siblings of the post and of its parent, up to the first that
    holds another post, a headline, comments or the site's furniture. With `preceding`, the
    blocks before it, nearest first (a title bar above the post: Hueman's)."""
    blocks: list[HtmlElement] = []
    node: HtmlElement | None = scope
    for _ in range(AFTER_POST_LEVELS):
        if node is None or node.tag in ("body", "html", "main"):
            break
        for sibling in node.itersiblings(preceding=preceding):
            if not isinstance(sibling.tag, str):
                continue
            if _foreign_node(sibling, own_post) or xpath(sibling, _ANOTHER_POST):
                return blocks
            blocks.append(sibling)
        node = node.getparent()
    return blocks


def own_post_id(tree: HtmlElement) -> str | None:
    """The post id the body declares (`postid-N`), if any."""
    body = tree.find("body")
    m = _POST_ID.search(body.get("class") or "") if body is not None else None
    return m[1] if m else None


def _distance(el: HtmlElement, anchors: dict[int, int]) -> int:
    for steps, node in enumerate((el, *el.iterancestors())):
        if id(node) in anchors:
            return steps + anchors[id(node)]
    return 10_000


_last: list = [None, None, set(), []]  # scope, own post, foreign ids, their elements
_BLOCK_TAGS = {"div", "section", "ul", "ol", "header", "footer", "article", "aside", "nav",
               "form", "p", "span", "figure", "table", "li", "dl"}  # fmt: skip


def foreign_ids(scope: HtmlElement, own_post: str | None) -> set[int]:
    """Ids of every element under `scope` that sits in a foreign block (one pass per page)."""
    if _last[0] is scope and _last[1] == own_post:
        return _last[2]
    keep: list[HtmlElement] = []
    it = scope.iterdescendants()
    for el in it:
        if el.tag in _BLOCK_TAGS and _foreign_node(el, own_post):
            keep.extend(el.iter())
            for _ in range(sum(1 for _ in el.iterdescendants())):
                next(it, None)  # its subtree is already foreign
    _last[:] = [scope, own_post, {id(el) for el in keep}, keep]
    return _last[2]


def near_headline(
    scope: HtmlElement,
    headline: HtmlElement | None,
    path: str,
    own_post: str | None = None,
    by_distance: bool = True,
) -> list[HtmlElement]:
    """Elements of this post matching the XPath `path`, closest to the headline first (or in page
    order)."""
    foreign = foreign_ids(scope, own_post)
    found = [
        el for el in xpath(scope, path) if isinstance(el, HtmlElement) and id(el) not in foreign
    ]
    if headline is None or len(found) < 2 or not by_distance:
        return found
    # The chain is held while ids are compared: lxml makes a new proxy object for an element
    # each time one is asked for and none is alive, and a freed proxy's id is reused.
    chain = [headline, *headline.iterancestors()]
    anchors = {id(a): i for i, a in enumerate(chain)}
    order = {id(el): i for i, el in enumerate(found)}
    return sorted(found, key=lambda el: (_distance(el, anchors), order[id(el)]))
