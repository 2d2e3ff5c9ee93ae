"""The WordPress REST API's posts: an authoritative second source for ids, dates and terms."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from .dates import utc_iso


def posts_from_api(body: bytes | str) -> list[dict[str, Any]]:
    """`/wp-json/wp/v2/posts` as rows: id, link, UTC dates (`date_gmt` has no offset), term ids."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    rows = []
    for post in data if isinstance(data, list) else []:
        if not isinstance(post, dict) or "id" not in post or "link" not in post:
            continue
        rows.append(
            {
                "id": int(post["id"]),
                "link": post["link"],
                "published_at": utc_iso(post.get("date_gmt"), UTC),
                "modified_at": utc_iso(post.get("modified_gmt"), UTC),
                "categories": json.dumps(post.get("categories") or []),
                "tags": json.dumps(post.get("tags") or []),
            }
        )
    return rows


def terms_from_api(body: bytes | str) -> list[dict[str, Any]]:
    """`/wp-json/wp/v2/categories` or `/tags` as rows of id and display name."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    return [
        {"id": int(t["id"]), "name": t["name"]}
        for t in (data if isinstance(data, list) else [])
        if isinstance(t, dict) and "id" in t and isinstance(t.get("name"), str)
    ]
