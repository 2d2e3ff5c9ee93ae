"""What kind of page this is: a single article, or a listing, home, author or error page.

The decision weighs evidence that holds across themes and says which evidence decided, so a
wrong call can be diagnosed from the record alone.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from lxml.html import HtmlElement

from .jsonld import JsonLd
from .meta import Meta

# WordPress `body_class()` of the templates that list posts or report an error.
LISTING_BODY_CLASSES = {
    "home", "blog", "archive", "category", "tag", "author", "search", "search-results",
    "search-no-results", "error404", "date", "paged", "post-type-archive", "tax",
    "attachment",
}  # fmt: skip
SINGLE_BODY_CLASSES = {"single-post", "single", "single-format-standard"}
_POSTID = re.compile(r"^postid-\d+$")
NOT_ARTICLE_LD_TYPES = {"CollectionPage", "ProfilePage", "SearchResultsPage"}
# Permalink shapes of WordPress listings (default bases; date archives without a slug).
_LISTING_PATHS = re.compile(
    r"""^/(?:
        (?:[\w-]+/)?(?:category|tag|author)/[^/]+(?:/.*)?                  # term, author
      | (?:.*/)?page/\d+/?                                                # pagination
      | (?:.*/)?feed/?                                                    # feeds
      | search(?:/.*)?                                                    # search
      | \d{4}(?:/\d{2}(?:/\d{2})?)?/?                                     # date archives
    )?$""",
    re.VERBOSE,
)
# Discovery sources that only ever name posts.
POST_SOURCES = {"sitemap", "feed", "api"}
_NOT_FOUND_TITLE = re.compile(
    r"\b(?:page not found|nothing (?:was )?found|error 404|404 (?:error|not found))\b|^\s*404\b",
    re.I,
)
MIN_BODY_WORDS = 60


def _body_classes(tree: HtmlElement) -> set[str]:
    body = tree.find("body")
    return set((body.get("class") or "").split()) if body is not None else set()


def _listing_url(url: str) -> bool:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if "p" in query or "page_id" in query:  # WordPress's plain permalinks: one post
        return False
    if "s" in query or "paged" in query:
        return True
    return bool(_LISTING_PATHS.match(parts.path or "/"))


# Chinese, Japanese and Korean write without spaces between words: a word is about two
# characters (Han ideographs, kana, Hangul syllables).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _words(text: str | None) -> int:
    """Words in a text, those written without spaces (CJK) counted too."""
    if not text:
        return 0
    return len(text.split()) + len(_CJK.findall(text)) // 2


def _text_words(tree: HtmlElement) -> int:
    """Words of running text: paragraphs, and text written straight into `<div>`s with
    `<br>`s (teasers are short; articles have a body)."""
    words = sum(_words(p.text_content()) for p in tree.iter("p"))
    for div in tree.iter("div"):
        words += _words(div.text)
        words += sum(_words(child.tail) for child in div if child.tag == "br")
    return words


def classify_page(
    tree: HtmlElement, ld: JsonLd, meta: Meta, url: str, discovered: str | None = None
) -> tuple[bool, str]:
    """(is this a single article?, the evidence that decided)."""
    body = _body_classes(tree)
    if attachment := sorted(body & {"attachment", "single-attachment"}):
        return False, f"body class {' '.join(attachment)}"  # a media file's page, also `single`
    single = body & SINGLE_BODY_CLASSES or any(_POSTID.match(c) for c in body)
    if (listing := sorted(body & LISTING_BODY_CLASSES)) and not single:
        return False, f"body class {' '.join(listing)}"
    if single:
        return True, "body class single post"
    title = tree.find(".//title")
    not_found = title is not None and _NOT_FOUND_TITLE.search(title.text_content() or "")
    if not_found and not ld.is_article and discovered not in POST_SOURCES:
        return False, "title says not found"
    if ld.types & NOT_ARTICLE_LD_TYPES and not ld.is_article:
        return False, f"JSON-LD {' '.join(sorted(ld.types & NOT_ARTICLE_LD_TYPES))}"
    if discovered in POST_SOURCES:
        return True, f"discovered in the {discovered}"
    if _listing_url(url):
        return False, "listing permalink"
    if ld.is_article:
        return True, "JSON-LD article"
    if (meta.first("og:type") or "").lower() == "article":
        return True, "og:type article"
    words = _text_words(tree)
    if words >= MIN_BODY_WORDS and (tree.find(".//h1") is not None or title is not None):
        return True, f"a headline and {words} words of text"
    return False, f"no article evidence ({words} words of text)"
