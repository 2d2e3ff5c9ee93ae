"""The generic fallback: a page whose theme the extractor does not know still yields its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpscrape.extract import extract_article

PAGE = Path(__file__).parent / "pages" / "fallback" / "other_cms.html"
URL = "https://coastal-courier.example/news/pilotage-fees"


@pytest.fixture(scope="module")
def record():
    return extract_article(PAGE.read_bytes(), URL)


def test_fallback_is_used_and_said(record) -> None:
    assert record.extraction.method == "fallback"
    assert record.extraction.sources["body_text"] == "fallback"
    assert any("fallback" in w for w in record.extraction.warnings)


def test_fallback_keeps_every_paragraph_in_order(record) -> None:
    paragraphs = record.body_text.split("\n\n")
    assert paragraphs[0].startswith("BERGEN — The harbour authority has opened")
    assert "Operators cautious" in paragraphs
    assert paragraphs[-1].startswith("Written responses can be submitted")
    assert len(paragraphs) == 6


@pytest.mark.parametrize(
    "boilerplate", ["cookies", "Share on Facebook", "More from News", "Copyright", "newsletter"]
)
def test_fallback_drops_boilerplate(record, boilerplate: str) -> None:
    assert boilerplate not in record.body_text


def test_metadata_layers_still_answer(record) -> None:
    assert (record.title, record.dateline, record.published_at) == (
        "Harbour authority opens consultation on new pilotage fees",
        "BERGEN",
        "2025-11-04T09:30:00+00:00",
    )
    assert record.authors == ["Marit Olsen"]
