"""The class-name XPaths every layer builds with `html.with_class`: whole words, parts, the
element's own tests, and never the element searched from."""

from __future__ import annotations

import lxml.html
import pytest

from lpscrape.extract import extract_article
from lpscrape.extract.html import SourceNames, page_source, with_class, xpath

DOC = lxml.html.fromstring(
    '<div class="entry post-entry" id="root">'
    '<p class="entry" id="a">one</p>'
    '<p class="entry-content" id="b">two</p>'
    '<span class="x  entry\ty" id="c">three</span>'
    '<time class="entry-date" id="d">four</time>'
    '<p class="byline" id="e">five</p>'
    "</div>"
)


def ids(path: str) -> list[str]:
    return [el.get("id") for el in xpath(DOC, path)]


def test_a_word_is_matched_whole_and_between_any_spaces() -> None:
    assert ids(with_class(("entry",))) == ["a", "c"]


def test_a_part_is_matched_anywhere_in_the_class() -> None:
    assert ids(with_class(parts=("entry-",))) == ["b", "d"]


def test_words_and_parts_together_in_document_order() -> None:
    assert ids(with_class(("byline",), ("content",))) == ["b", "e"]


def test_the_element_test_applies_to_the_element() -> None:
    assert ids(with_class(parts=("entry",), where="not(self::time)")) == ["a", "b", "c"]


def test_the_class_test_applies_to_the_class() -> None:
    assert ids(with_class(parts=("entry",), exact="not(contains(., 'content'))")) == [
        "a",
        "c",
        "d",
    ]


def test_the_element_searched_from_is_never_among_the_results() -> None:
    assert "root" not in ids(with_class(("entry",)))


def test_a_page_never_naming_a_markup_is_passed_over_it() -> None:
    source = SourceNames('<div class="entry-content post">')
    assert source.may_hold("entry-content") and source.may_hold("x", "post")
    assert not source.may_hold("td-post-content", "byline")


@pytest.mark.parametrize(
    "written", ["entry&#45;content", "entry&#x2d;content", "entry-con\x01tent"]
)
def test_a_class_written_otherwise_than_it_reads_is_still_found(written: str) -> None:
    # XenForo writes hyphens as `&#45;`; a control character is dropped before parsing.
    assert SourceNames(page_source(f'<div class="{written}">')).may_hold("entry-content")
    text = " ".join(["The envoys met at the palace to agree the order of the flags."] * 20)
    page = (
        '<html><body><h1 class="entry-title">Flags</h1><div class="sidebar"><p>Other news'
        f'</p></div><div class="{written}"><p>{text}</p></div></body></html>'
    )
    record = extract_article(page, "https://site.example/2025/09/03/flags/")
    assert record.extraction.sources["body_text"] == "theme"
    assert record.body_text == text
