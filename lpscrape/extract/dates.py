"""Dates: every instant stored as ISO 8601 in UTC, local strings read as Europe/London."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

LONDON = ZoneInfo("Europe/London")
TZINFOS = {"GMT": UTC, "UTC": UTC, "Z": UTC, "BST": ZoneInfo("Europe/London")}
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_YEAR_FIRST = re.compile(r"\s*\d{4}[-/.]")
_GMT_OFFSET = re.compile(r"\s*\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2001, 2, 2)


def parse_instant(raw: str | None, default_tz: tzinfo = LONDON) -> datetime | None:
    """An aware datetime from an ISO or human date string; strings without an offset are local."""
    if not isinstance(raw, str) or not _YEAR.search(raw):
        return None  # dateutil would fill a missing year from today's date: never guess
    try:
        dt = datetime.fromisoformat(raw.strip())  # the common case, and 20x cheaper
    except ValueError:
        dt = _parse_human(raw)
        if dt is None:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


def _parse_human(raw: str) -> datetime | None:
    """A written date; British day-first order; None when the day itself is missing."""
    # "GMT+1" means UTC+1 to a reader; dateutil follows POSIX and would invert the sign.
    raw = _GMT_OFFSET.sub(lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", raw)
    dayfirst = not _YEAR_FIRST.match(raw)  # 2025-09-03 stays year-month-day
    try:
        # Parsed against two different defaults: a field dateutil had to fill in differs.
        a = dateparser.parse(
            raw, tzinfos=TZINFOS, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT_A
        )
        b = dateparser.parse(
            raw, tzinfos=TZINFOS, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT_B
        )
    except (ValueError, OverflowError):
        return None
    return a if (a.year, a.month, a.day) == (b.year, b.month, b.day) else None


def to_utc_iso(dt: datetime | None) -> str | None:
    """`2025-09-10T13:02:11+00:00` for an aware datetime."""
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def utc_iso(raw: str | None, default_tz: tzinfo = LONDON) -> str | None:
    """A date string as an ISO 8601 UTC instant, or None when it is not a date."""
    return to_utc_iso(parse_instant(raw, default_tz))
