"""The extracted record: what one page says about one article."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Weather:
    """The header weather widget as served: it describes the capture, not the article."""

    location: str | None = None
    condition: str | None = None
    temperature_c: float | None = None
    humidity_pct: int | None = None
    wind_kmh: float | None = None
    observed_at: str | None = None


@dataclass
class Extraction:
    """How the record was produced: the layer behind each field and what was missing."""

    method: str = "theme"
    page_kind: str = ""  # the evidence that decided article or not
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class Article:
    """One page's record (the `lpscrape extract` contract)."""

    url: str
    canonical_url: str
    is_article: bool = True
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    byline: str | None = None
    dateline: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    published_at_local: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    body_text: str | None = None
    word_count: int = 0
    weather: Weather | None = None
    extraction: Extraction = field(default_factory=Extraction)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready data."""
        return asdict(self)
