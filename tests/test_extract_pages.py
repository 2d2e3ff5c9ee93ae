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


def _name(path: Path) -> str:
    return path.name.removesuffix(".expected.json")


# Classes of markup the extractor does not read yet, each shown by a fixture and expected to
# fail until it does (strict: a fix that makes one pass must remove it from this list).
_COLON_DATELINE = (
    "'NEW DELHI: …', a dateline with a colon: on real pages as often a label ('TOSS:') or a"
    " name as a place, so not read (null rather than wrong)"
)
KNOWN_GAPS = {
    ("theme4_blocktheme_in_staff", "dateline"): _COLON_DATELINE,
}


def _marks(name: str, field: str) -> list[pytest.MarkDecorator]:
    gap = KNOWN_GAPS.get((name, field))
    return [pytest.mark.xfail(strict=True, reason=gap)] if gap else []


# An article's fixture names every field (a missing one fails); a non-article only `is_article`.
CASES = [
    pytest.param(_name(p), field, id=f"{_name(p)}-{field}", marks=_marks(_name(p), field))
    for p in EXPECTED
    for field in (FIELDS if _expected(p)["is_article"] else ("is_article",))
]
ARTICLES = [_name(p) for p in EXPECTED if _expected(p)["is_article"]]


def test_enough_fixture_pages() -> None:
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize(("name", "field"), CASES)
def test_field(name: str, field: str) -> None:
    expected = _expected(PAGES / f"{name}.expected.json")
    assert field in expected, f"{name}.expected.json lacks the contract field {field}"
    assert extracted(name)[field] == expected[field]


@pytest.mark.parametrize("name", ARTICLES)
def test_theme_layer_used_for_articles(name: str) -> None:
    record = extracted(name)
    assert record["extraction"]["method"] == "theme"
    if _expected(PAGES / f"{name}.expected.json")["body_text"] is not None:
        assert record["extraction"]["sources"]["body_text"] == "theme"
    else:  # a password-protected post: its form is no body, and no fallback makes one
        assert "body_text" not in record["extraction"]["sources"]


def test_password_protected_post_says_why_it_has_no_body() -> None:
    warnings = extracted("theme3_password_protected")["extraction"]["warnings"]
    assert any("password-protected" in w for w in warnings)
    assert not any("fallback" in w for w in warnings)  # the form is not sent to trafilatura
