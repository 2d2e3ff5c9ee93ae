"""Broken, empty and odd input: a record with warnings, never an exception or a made-up value."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpscrape.extract import extract_article

PAGES = Path(__file__).parent / "pages"
URL = "https://lordspress.example/2025/09/03/x/"


@pytest.mark.parametrize(
    "html",
    [b"", b"   ", b"\x00\xff\xfe garbage \x89PNG", "<html><body><p>unclosed", "<<<>>>"],
    ids=["empty", "blank", "binary", "unclosed", "angle-soup"],
)
def test_odd_input_gives_a_record(html: bytes | str) -> None:
    record = extract_article(html, URL)
    assert record.url == URL
    assert record.published_at is None and record.title is None


def test_truncated_page_keeps_what_arrived() -> None:
    full = (PAGES / "lp_antwerp.html").read_bytes()
    body = full.index(b'<article class="small single">')
    record = extract_article(full[: body + 600], URL)  # the connection dropped mid-article
    assert record.is_article
    assert record.title == extract_article(full, URL).title
    assert record.body_text and record.body_text.startswith("ANTWERP —")


def test_missing_fields_are_warned_not_guessed() -> None:
    html = "<html><body class='single single-post'><article><h1>Only a title</h1></article>"
    html += "<div class='entry-content'><p>One line.</p></div>"
    record = extract_article(html, "https://lordspress.example/only-a-title/")
    assert record.published_at is None
    assert "published_at: not found" in record.extraction.warnings
    assert "authors: not found" in record.extraction.warnings


def test_permalink_day_is_the_last_layer_and_says_so() -> None:
    html = "<html><body class='single single-post'><article><h1>Only a title</h1></article>"
    record = extract_article(html + "<div class='entry-content'><p>One line.</p></div>", URL)
    assert record.published_at == "2025-09-02T23:00:00+00:00"  # 3 Sept, 00:00 BST
    assert record.extraction.sources["published_at"] == "permalink"
    assert any("day only (permalink)" in w for w in record.extraction.warnings)


def test_header_today_is_never_the_publication_date() -> None:
    html = (PAGES / "lp_antwerp.html").read_text(encoding="utf-8")
    for pattern in ('<script type="application/ld+json"', 'property="article:published_time"'):
        start = html.index(pattern)
        html = html[: html.rindex("<", 0, start + 1)] + html[html.index(">", start) + 1 :]
    record = extract_article(html, URL)
    # With the machine-readable dates gone, only the post's own visible day remains.
    assert record.extraction.sources["published_at"] == "visible-text"
    assert record.published_at and record.published_at[:10] != record.weather.observed_at[:10]
