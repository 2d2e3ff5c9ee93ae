"""The archive's tables (the contract names of ARCHITECTURE.md) and their indexes."""

from __future__ import annotations

from sqlite_utils import Database

from .changes import ensure_table as ensure_changes_table
from .changes import update_changes

SCHEMA_VERSION = 1
WEATHER_COLUMNS = {
    "weather_location": str,
    "weather_condition": str,
    "weather_temperature_c": float,
    "weather_humidity_pct": int,
    "weather_wind_kmh": float,
    "weather_observed_at": str,
}
# What one version of an article says; the content hash is taken over these.
CONTENT_COLUMNS = {
    "title": str,
    "byline": str,
    "dateline": str,
    "published_at": str,
    "modified_at": str,
    "body_text": str,
    "word_count": int,
    "authors": str,  # JSON array
    "categories": str,  # JSON array
    "tags": str,  # JSON array
}
FTS_COLUMNS = ("title", "body_text")
# Stemming (treaties finds treaty) over Unicode words with accents folded (Zurich finds ZÜRICH).
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"

TABLES: dict[str, tuple[dict[str, type], str, list[tuple[str, str, str]]]] = {
    "crawl_runs": (
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "outcome": str,  # running | completed | aborted | failed
            "start_url": str,
            "mode": str,  # incremental | full | reparse
            "requests": int,
            "bytes_downloaded": int,
            "fetched": int,
            "new": int,
            "changed": int,
            "unchanged": int,
            "not_modified": int,
            "skipped": int,
            "gone": int,
            "failed": int,
            "warning_count": int,
            "warnings": str,  # JSON object: warning -> count
            "alerts": str,  # JSON array: what the archivist must look at
        },
        "id",
        [],
    ),
    "captures": (
        {
            "id": int,
            "run_id": int,
            "url": str,
            "kind": str,  # article | listing | sitemap | feed | api | robots
            "fetched_at": str,
            "status": int,
            "content_type": str,
            "headers": str,  # JSON object of lists, as served
            "sha256": str,  # of the body exactly as received
            "size": int,
            "body_gzip": bytes,
            "article_url": str,
            "etag": str,
            "last_modified": str,
            "sitemap_lastmod": str,
            **WEATHER_COLUMNS,
        },
        "id",
        [("run_id", "crawl_runs", "id")],
    ),
    "articles": (
        {
            "url": str,
            "post_id": int,
            **CONTENT_COLUMNS,
            "published_at_raw": str,
            "modified_at_raw": str,
            "published_at_local": str,  # the same instant with the offset the page gave
            **WEATHER_COLUMNS,
            "first_seen_at": str,
            "last_seen_at": str,
            "version": int,
            "content_hash": str,
            "status": str,  # live | gone
            "gone_at": str,
            "fetch_url": str,
            "sitemap_lastmod": str,
            "etag": str,
            "last_modified": str,
            "first_capture_id": int,
            "latest_capture_id": int,
            "extraction_method": str,
            "extraction_warnings": str,  # JSON array
            "extraction_sources": str,  # JSON object
        },
        "url",
        [("first_capture_id", "captures", "id"), ("latest_capture_id", "captures", "id")],
    ),
    "article_versions": (
        {
            "id": int,
            "url": str,
            "version": int,
            "content_hash": str,
            **CONTENT_COLUMNS,
            "first_seen_at": str,
            "last_seen_at": str,
            "capture_id": int,
            "run_id": int,
        },
        "id",
        [("url", "articles", "url"), ("capture_id", "captures", "id")],
    ),
    "wp_terms": (
        {"taxonomy": str, "id": int, "name": str, "fetched_at": str},
        ("taxonomy", "id"),
        [],
    ),
    "wp_posts": (
        {
            "id": int,
            "link": str,
            "published_at": str,
            "modified_at": str,
            "categories": str,
            "tags": str,
            "fetched_at": str,
        },
        "id",
        [],
    ),
}
# authors, categories, tags and their link tables to articles.
TERMS = {
    "authors": ("article_authors", "author_id"),
    "categories": ("article_categories", "category_id"),
    "tags": ("article_tags", "tag_id"),
}

INDEXES = [
    ("captures", ["url"]),
    ("captures", ["article_url"]),
    ("captures", ["run_id"]),
    ("articles", ["published_at"]),
    ("articles", ["fetch_url"]),
    ("articles", ["dateline"]),
    ("articles", ["byline"]),
    ("wp_posts", ["link"]),
]

_FTS_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS articles_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, body_text) VALUES (new.rowid, new.title, new.body_text);
END;
CREATE TRIGGER IF NOT EXISTS articles_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body_text)
  VALUES ('delete', old.rowid, old.title, old.body_text);
END;
-- Only a change of indexed text re-indexes: touching last_seen_at must cost nothing.
CREATE TRIGGER IF NOT EXISTS articles_au AFTER UPDATE OF title, body_text ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body_text)
  VALUES ('delete', old.rowid, old.title, old.body_text);
  INSERT INTO articles_fts (rowid, title, body_text) VALUES (new.rowid, new.title, new.body_text);
END;
"""


def ensure_schema(db: Database) -> None:
    """Create whatever tables, indexes, full-text index and triggers are missing."""
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    for name, (columns, pk, fks) in TABLES.items():
        db[name].create(columns, pk=pk, foreign_keys=fks, if_not_exists=True)
    for table, (link, key) in TERMS.items():
        db[table].create({"id": int, "name": str}, pk="id", if_not_exists=True)
        db[table].create_index(["name"], unique=True, if_not_exists=True)
        db[link].create(
            {"article_url": str, key: int, "position": int},
            pk=("article_url", key),
            foreign_keys=[("article_url", "articles", "url"), (key, table, "id")],
            if_not_exists=True,
        )
    for table, cols in INDEXES:
        db[table].create_index(cols, if_not_exists=True)
    db["article_versions"].create_index(["url", "version"], unique=True, if_not_exists=True)
    fts = db["articles_fts"]
    if not fts.exists() or FTS_TOKENIZE not in (fts.schema or ""):
        # New, or built before stemming and accent folding: (re)build the index.
        db["articles"].enable_fts(
            list(FTS_COLUMNS),
            fts_version="FTS5",
            create_triggers=False,
            tokenize=FTS_TOKENIZE,
            replace=True,
        )
    db.executescript(_FTS_TRIGGERS)
    if ensure_changes_table(db):  # an archive from before the edit history: fill it in
        update_changes(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.conn.commit()
