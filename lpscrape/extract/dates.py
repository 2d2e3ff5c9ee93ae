"""Dates: every instant stored as ISO 8601 in UTC, local strings read as Europe/London."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

LONDON = ZoneInfo("Europe/London")
TZINFOS = {"GMT": UTC, "UTC": UTC, "Z": UTC, "BST": ZoneInfo("Europe/London")}
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def parse_instant(raw: str | None, default_tz: tzinfo = LONDON) -> datetime | None:
    """An aware datetime from an ISO or human date string; strings without an offset are local."""
    if not isinstance(raw, str) or not _YEAR.search(raw):
        return None  # dateutil would fill a missing year from today's date: never guess
    try:
        dt = datetime.fromisoformat(raw.strip())  # the common case, and 20x cheaper
    except ValueError:
        try:
            dt = dateparser.parse(raw, tzinfos=TZINFOS, fuzzy=True)
        except (ValueError, OverflowError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


def to_utc_iso(dt: datetime | None) -> str | None:
    """`2025-09-10T13:02:11+00:00` for an aware datetime."""
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def utc_iso(raw: str | None, default_tz: tzinfo = LONDON) -> str | None:
    """A date string as an ISO 8601 UTC instant, or None when it is not a date."""
    return to_utc_iso(parse_instant(raw, default_tz))
