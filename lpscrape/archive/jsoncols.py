"""The archive's JSON array columns (authors, categories, tags, classes, fields) read back."""

from __future__ import annotations

import json
from typing import Any


def json_list(value: Any) -> list[str]:
    """A JSON array (as stored, or already a list) as a list of strings; [] otherwise."""
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []
