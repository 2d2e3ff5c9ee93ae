"""The article body: the post's own blocks in order, boilerplate removed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from .html import SourceNames, clean, page_body, with_class, xpath
from .scope import block_names, is_foreign, other_post, own_post_id

# The theme's content container, most specific first (news-magazine, classic/block, generic),
# searched from the page's body; each with a name the page's source must hold for it to match.
CONTAINER_XPATHS = (
    ("small", ".//article[contains(@class, 'single')][contains(@class, 'small')]"),
    ("entry-content", with_class(("entry-content",))),
    ("wp-block-post-content", with_class(parts=("wp-block-post-content",))),
    ("articleBody", ".//*/@itemprop[. = 'articleBody']/.."),
    ("post-content", with_class(("post-content",))),
    ("article-content", with_class(("article-content",))),
    ("td-post-content", with_class(("td-post-content",))),  # Newspaper (tagDiv)
    ("amp-wp-article-content", with_class(("amp-wp-article-content",))),  # AMP plugin
    ("entry-inner", with_class(("entry-inner",))),  # Hueman
    (
        "elementor-widget-theme-post-content",
        with_class(parts=("elementor-widget-theme-post-content",)),
    ),  # Elementor Pro
    ("cm-entry-summary", with_class(("cm-entry-summary",))),  # ColorMag 3
)
# Older themes' (Kubrick's, Sahifa's) `div.entry`, taken only when the page has one: a page
# that lists posts has one per post.
_LONE_CONTAINER = with_class(("entry",), where="self::div")
# WordPress's form in place of a password-protected post's text (the_content() prints it).
_PASSWORD_FORM = ".//form[contains(@action, 'action=postpass')]"
DROP_TAGS = {
    "script", "style", "noscript", "template", "form", "iframe", "nav", "aside", "footer",
    "button", "svg", "ins", "select", "input", "textarea", "label", "header",
}  # fmt: skip
# Class tokens that mark plugin and theme furniture inside the content container.
_BOILERPLATE = re.compile(
    r"(?:^|[-_])(?:share|sharing|sharedaddy|social|related|relatedposts|newsletter|subscribe|"
    r"tnp|author|bio|navigation|tags|tag-links|cat-links|ad|ads|advert|advertisement|sponsor|"
    r"sponsored|cookie|cky|comments?|addtoany|meta|breadcrumbs?|widget|likes?|sd-like|"
    r"saboxplugin|sabox|mailpoet|optin|signup|views?|post-views|jp-relatedposts|promo|cta|"
    r"paywall|page-links|post-page-numbers|pagination|wpml)"
    r"(?:[-_]|$)"
)
# Tokens that carry a value, not a block's name (`category-social`, `tag-share`, Liveblog's
# `liveblog-entry-class-author-jdoe`).
_VALUE_TOKEN = re.compile(r"^(?:category|tag|post_tag|format|type|status)-|-class-")
# Plugin lines that arrive as bare paragraphs, with no class to tell them by.
BOILERPLATE_LINES = {
    "share this:", "share:", "like this:", "like loading...", "loading...", "related",
    "related posts", "you may also like", "sign up for our newsletter", "subscribe now!",
    "advertisement", "anzeige", "werbung", "publicité", "publicidad",
    "pubblicità", "this live blog is archived.", "show new entries",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LEAF_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "pre", "dt", "dd"}
CONTAINERS = {
    "div", "section", "article", "main", "blockquote", "figure", "ul", "ol", "dl", "table",
    "thead", "tbody", "tfoot", "tr", "td", "th", "center", "details", "body",
}  # fmt: skip


def find_container(
    tree: HtmlElement, headline: HtmlElement | None = None, source: SourceNames | None = None
) -> HtmlElement | None:
    """The theme's element that holds the post's content, never a related post's (`source`:
    the page's class names, to pass over the kinds of container it never names)."""
    own = own_post_id(tree)
    body = page_body(tree)
    for name, path in CONTAINER_XPATHS:
        if source is not None and not source.may_hold(name):
            continue
        for el in xpath(body, path):
            if not is_foreign(el, tree, own):
                return el
    if headline is None:  # nothing to tell the post's `div.entry` from a teaser's
        return None
    lone = [el for el in xpath(body, _LONE_CONTAINER) if not is_foreign(el, tree, own)]
    return lone[0] if len(lone) == 1 else None


def _other_post(el: HtmlElement, own: str | None, depth: int = 2) -> bool:
    """Another post printed inside this one's content (a page builder's blog module, a row of
    shop products: each with its own `post-N`), or a block of them under a heading."""
    if other_post(el.get("class") or "", own, el.get("data-post-id")):
        return True
    if depth == 0:
        return False
    kids = [c for c in el if isinstance(c.tag, str)]
    posts = [c for c in kids if _other_post(c, own, depth - 1)]
    return bool(posts) and all(
        c in posts or c.tag in _HEADINGS or not c.text_content().strip() for c in kids
    )


def _is_boilerplate(el: HtmlElement) -> bool:
    if el.tag == "cite" and el.getparent() is not None and el.getparent().tag == "blockquote":
        return True  # the quote's attribution, not the article's text
    if el.tag in DROP_TAGS:
        return True
    # Layout and state names aside (`elementor-widget-…` wraps the post's text too).
    names = block_names(f"{el.get('class') or ''} {el.get('id') or ''}").split()
    return any(_BOILERPLATE.search(n) for n in names if not _VALUE_TOKEN.search(n))


def _has_blocks(el: HtmlElement) -> bool:
    return any(
        child.tag in LEAF_BLOCKS or child.tag in CONTAINERS for child in el.iterdescendants()
    )


def _blocks(el: HtmlElement, own: str | None) -> Iterator[str]:
    """Each paragraph-like block's text, in document order; loose inline text as its own."""
    inline: list[str] = [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str) or _is_boilerplate(child) or _other_post(child, own):
            inline.append(child.tail or "")
            continue
        if child.tag in LEAF_BLOCKS and not (child.tag == "li" and _has_blocks(child)):
            yield clean("".join(inline))
            inline = []
            yield clean(child.text_content())
        elif child.tag in CONTAINERS or child.tag == "li":
            yield clean("".join(inline))
            inline = []
            yield from _blocks(child, own)
        else:
            inline.append(child.text_content())
        inline.append(child.tail or "")
    yield clean("".join(inline))


def body_paragraphs(container: HtmlElement) -> list[str]:
    """The container's paragraphs with boilerplate elements skipped."""
    for br in container.iter("br"):  # a line break separates words
        br.tail = "\n" + (br.tail or "")
    own = own_post_id(container.getroottree().getroot())
    return [
        p
        for p in _blocks(container, own)
        if p and p.casefold().strip(" -–—") not in BOILERPLATE_LINES
    ]


# Below this share of the page's paragraph text, a body is suspiciously short.
SHORT_BODY_SHARE = 0.25
SHORT_BODY_CHECK = 400  # words: a longer body is never called short


@dataclass
class Body:
    """The body's paragraphs, the layer that found them (theme, fallback) and warnings."""

    paragraphs: list[str] = field(default_factory=list)
    layer: str | None = None
    warnings: list[str] = field(default_factory=list)


def find_body(
    tree: HtmlElement,
    container: HtmlElement | None,
    text: str,
    url: str,
    title: str | None,
    truncated: bool,
) -> Body:
    """The theme container's paragraphs, else the generic extractor's, without the headline;
    a warning when none could be read or the body is far shorter than the page's text."""
    body = Body()
    if container is not None and (paragraphs := body_paragraphs(container)):
        body.paragraphs, body.layer = paragraphs, "theme"
    elif container is not None and xpath(container, _PASSWORD_FORM):
        body.warnings.append("body_text: the post is password-protected; its text is not served")
    elif truncated:  # a generic extractor would read the same cut-off tree: header only
        body.warnings.append(
            "body_text: the page nests deeper than 2048 levels and could not be read whole"
        )
    elif paragraphs := fallback_paragraphs(text, url):
        body.paragraphs, body.layer = paragraphs, "fallback"
        body.warnings.append("body_text: theme container not found, used fallback")
    if body.paragraphs and title and body.paragraphs[0] == title:
        body.paragraphs = body.paragraphs[1:]  # generic extractors keep the headline
    words = sum(len(p.split()) for p in body.paragraphs)
    if body.paragraphs and words < SHORT_BODY_CHECK:
        page_words = sum(len(p.text_content().split()) for p in tree.iter("p"))
        if page_words >= 200 and words < SHORT_BODY_SHARE * page_words:
            body.warnings.append(
                f"body_text: {words} words of the page's {page_words}; the body may be incomplete"
            )
    return body


def caption_texts(container: HtmlElement | None) -> set[str]:
    """The image captions in the container (a figure may come before the lead paragraph)."""
    if container is None:
        return set()
    return {clean(c.text_content()) for c in container.iter("figcaption")}


def fallback_paragraphs(html: str, url: str) -> list[str]:
    """Paragraphs from trafilatura's generic main-content extraction."""
    import trafilatura  # imported late: ~9 MB a crawl whose pages the theme layer reads never needs

    text = trafilatura.extract(
        html,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
    )
    return [clean(line) for line in (text or "").splitlines() if clean(line)]
