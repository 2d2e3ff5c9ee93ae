"""Saved pages through the pure extractor: one assertion per field (tests/pages/*.html)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from lpscrape.extract import extract_article

PAGES = Path(__file__).parent / "pages"
EXPECTED = sorted(PAGES.glob("*.expected.json"))
FIELDS = (
    "canonical_url",
    "is_article",
    "title",
    "authors",
    "byline",
    "dateline",
    "published_at",
    "modified_at",
    "published_at_local",
    "categories",
    "tags",
    "body_text",
    "word_count",
    "weather",
)


def _expected(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def extracted(name: str) -> dict[str, Any]:
    """The record of one saved page, extracted once per test session."""
    expected = _expected(PAGES / f"{name}.expected.json")
    html = (PAGES / f"{name}.html").read_bytes()  # bytes: the page's own charset decides
    return extract_article(html, expected["url"]).to_dict()


CASES = [
    pytest.param(p.name.removesuffix(".expected.json"), field, id=f"{p.name[:-14]}-{field}")
    for p in EXPECTED
    for field in FIELDS
    if field in _expected(p)
]


def test_enough_fixture_pages() -> None:
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize(("name", "field"), CASES)
def test_field(name: str, field: str) -> None:
    expected = _expected(PAGES / f"{name}.expected.json")
    assert extracted(name)[field] == expected[field]


@pytest.mark.parametrize("name", [p.name.removesuffix(".expected.json") for p in EXPECTED])
def test_theme_layer_used_for_articles(name: str) -> None:
    record = extracted(name)
    if record["is_article"]:
        assert record["extraction"]["method"] == "theme"
        assert record["extraction"]["sources"]["body_text"] == "theme"
