"""The current instant as the archive writes it."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """The current instant as ISO 8601 UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds")
