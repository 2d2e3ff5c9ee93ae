"""The class-name XPaths every layer builds with `html.with_class`: whole words, parts, the
element's own tests, and never the element searched from."""

from __future__ import annotations

import lxml.html

from lpscrape.extract.html import with_class, xpath

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
