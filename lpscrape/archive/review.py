"""When a new version is held for review: a collapsed body, or fields the markup lost."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lpscrape.extract import Article

# A new version with fewer words than this share of the previous one is held for review.
COLLAPSE_RATIO = 0.5
# Fields a theme or SEO-plugin update loses while the article's words stay the same.
KEPT_FIELDS = ("authors", "byline", "dateline", "published_at", "modified_at")
_WORD = re.compile(r"\w+")
_DAY = 36 * 3600  # a day-only date within this of the exact one is the same day, unprecise
_TIME_LOST = " (its time of day)"
_LOST = " gone, with"


def collapse_reason(
    previous_words: int | None,
    previous_layer: str | None,
    record: Article,
    ratio: float = COLLAPSE_RATIO,
) -> str | None:
    """Why a new version's body looks collapsed against the version before, or None."""
    layer = record.extraction.sources.get("body_text")
    words = record.word_count or 0
    if previous_words and words < previous_words * ratio:
        return f"body collapsed from {previous_words} to {words} words"
    if previous_layer and layer != previous_layer:
        return f"body found by {layer or 'no layer'}, the versions before by {previous_layer}"
    return None


def _same_words(before: str | None, after: str | None) -> bool:
    return _WORD.findall((before or "").casefold()) == _WORD.findall((after or "").casefold())


def _time_of_day_lost(before: str | None, after: str | None, day_only: bool) -> bool:
    """The exact publication time replaced by the same day without one (the page lost its
    machine-readable date and only the permalink's or the text's day is left)."""
    if not (day_only and before and after) or before == after:
        return False
    try:
        gap = abs(datetime.fromisoformat(after) - datetime.fromisoformat(before))
    except ValueError:
        return False
    return gap.total_seconds() < _DAY


def lost_field_reason(
    before: dict[str, Any], content: dict[str, Any], day_only: bool = False
) -> str | None:
    """Why a new version looks like the page's markup changed, not the article (None if it
    does not): a field the version before had is gone, or the publication time became a day
    (`day_only`: the new date has no time), the headline's and the body's words unchanged —
    a publisher who edits a byline away edits nothing else only by rare chance, a theme or
    SEO plugin update always does."""
    if not _same_words(before.get("title"), content.get("title")):
        return None
    if not _same_words(before.get("body_text"), content.get("body_text")):
        return None
    empty = (None, "", "[]")
    lost = [f for f in KEPT_FIELDS if before.get(f) not in empty and content.get(f) in empty]
    if _time_of_day_lost(before.get("published_at"), content.get("published_at"), day_only):
        lost.insert(0, f"published_at{_TIME_LOST}")
    if not lost:
        return None
    return f"{', '.join(lost)}{_LOST} the headline's and the body's words unchanged"


def held_fields(review: str) -> list[str]:
    """The fields a held version lost, read back from its `captures.review` reason."""
    if review.startswith("body collapsed"):  # `collapse_reason` (a layer change is no loss)
        return ["body_text"]
    head, found, _ = review.partition(_LOST)
    names = [f.removesuffix(_TIME_LOST) for f in head.split(", ")]
    return [f for f in names if f in KEPT_FIELDS] if found else []
