"""What makes two fetches of an article the same version: a hash of its content, not its bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lpscrape.extract import Article

from .schema import CONTENT_COLUMNS


def content_row(record: Article) -> dict[str, Any]:
    """The record's versioned content as table columns (lists as JSON arrays)."""
    row: dict[str, Any] = {}
    for column in CONTENT_COLUMNS:
        value = getattr(record, column)
        row[column] = json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
    return row


def content_hash(row: dict[str, Any]) -> str:
    """SHA-256 of the content columns; the header's date and weather never enter it."""
    canonical = json.dumps({k: row.get(k) for k in CONTENT_COLUMNS}, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
