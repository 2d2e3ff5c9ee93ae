"""The archive's tables (the contract names of ARCHITECTURE.md), their indexes and versions."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from sqlite_utils import Database

from .bodies import SHARE_BODIES, version_body_sql
from .changes import ensure_table as ensure_changes_table
from .changes import update_changes
from .payloads import DICTS_COLUMNS, DICTS_TABLE

# Version 1: the first archives (later ones of version 1 also grew the edit history and a
# stemming search index). Version 2: failures by reason and held versions in `crawl_runs`;
# failure, discovery, payload revisits and review flags in `captures`. Version 3: a version's
# body text is stored once (`article_versions.body_shared`, see `bodies.version_body_sql`);
# captures compressed with zstd and a dictionary trained on the site's pages (`payloads`).
# Version 4: several publications (`articles.publication`, `crawl_runs.publication`) and the
# distributed writer's bookkeeping (`crawl_runs.run_key` and `tally`, `handoff_state`).
# Version 5: `articles.published_day`. Version 6: `articles.site_name`, the name the site's
# pages give themselves (citations name the publication by it). Version 7: the article-to-term
# link tables `WITHOUT ROWID`.
SCHEMA_VERSION = 7
PAGE_SIZE = 8192  # of a new archive (an older one keeps its own until a VACUUM)
# `PRAGMA application_id` in the SQLite header: "LPSC" for an archive, "LPDE" for a demo's.
APPLICATION_ID = 0x4C505343
DEMO_APPLICATION_ID = 0x4C504445
OUR_APPLICATION_IDS = {APPLICATION_ID, DEMO_APPLICATION_ID}
# Version 1 archives carried no application id; these tables tell them apart.
CORE_TABLES = {"articles", "article_versions", "captures", "crawl_runs"}
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
            "outcome": str,  # running | completed | aborted | failed | refused
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
            "failures": str,  # JSON object: reason -> count (see lpscrape.failures.REASONS)
            "failure_examples": str,  # JSON object: reason -> up to 5 URLs
            "held": int,  # new versions held for review (collapsed bodies), not promoted
            "sitemap_deferred": int,  # sitemap URLs left for a later run by the per-run cap
            "error": str,  # why a failed run failed (a storage error…)
            "publication": str,  # the publication crawled (its host, or the sites file's name)
            "run_key": str,  # a distributed run's token in Redis (NULL for a local run)
            "tally": str,  # JSON: a distributed run's running totals kept by the writer
        },
        "id",
        [],
    ),
    DICTS_TABLE: (DICTS_COLUMNS, "id", []),
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
            "body_zstd": bytes,  # or the body zstd-compressed with this dictionary:
            "zstd_dict_id": int,
            "article_url": str,
            "etag": str,
            "last_modified": str,
            "sitemap_lastmod": str,
            **WEATHER_COLUMNS,
            "failure": str,  # why this fetch failed (error_page, http_503…); NULL when usable
            # robots | sitemap (a post sitemap) | sitemap-other | feed | api | listing | archive
            "discovered_via": str,
            "revisit_of": int,  # same bytes as this earlier capture: body_gzip is NULL here
            "review": str,  # why this capture's new version was held for review, not promoted
        },
        "id",
        [
            ("run_id", "crawl_runs", "id"),
            ("revisit_of", "captures", "id"),
            ("zstd_dict_id", DICTS_TABLE, "id"),
        ],
    ),
    "articles": (
        {
            "url": str,
            "publication": str,  # which publication the article belongs to (facet)
            "site_name": str,  # the publication's name as its pages give it (og:site_name)
            "post_id": int,
            **CONTENT_COLUMNS,
            "published_at_raw": str,
            "modified_at_raw": str,
            "published_at_local": str,  # the same instant with the offset the page gave
            "published_day": str,  # YYYY-MM-DD in the publisher's zone (ranges, months)
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
            # 1: body_text is NULL here, the same text being stored once in the next version
            # that keeps one, else in the article row (the current text).
            "body_shared": int,
        },
        "id",
        [("url", "articles", "url"), ("capture_id", "captures", "id")],
    ),
    # The distributed writer: the last stream message committed to this archive.
    "handoff_state": ({"stream": str, "last_id": str}, "stream", []),
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
# An article's section: its primary category (over a row of `articles a`).
SECTION_SQL = "CASE WHEN json_valid(a.categories) THEN json_extract(a.categories, '$[0]') END"
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
    ("captures", ["sha256"]),
    ("articles", ["published_at"]),
    ("articles", ["published_day"]),
    ("articles", ["fetch_url"]),
    ("articles", ["dateline"]),
    ("articles", ["byline"]),
    ("articles", ["publication"]),
    ("wp_posts", ["link"]),
]

# Each trigger by name (a rebuild drops them and creates them again inside its transaction,
# where `executescript` cannot run: it commits first).
_FTS_TRIGGERS = {
    "articles_ai": """
CREATE TRIGGER IF NOT EXISTS articles_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, body_text) VALUES (new.rowid, new.title, new.body_text);
END""",
    "articles_ad": """
CREATE TRIGGER IF NOT EXISTS articles_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body_text)
  VALUES ('delete', old.rowid, old.title, old.body_text);
END""",
    # Only a change of indexed text re-indexes: touching last_seen_at must cost nothing.
    "articles_au": """
CREATE TRIGGER IF NOT EXISTS articles_au AFTER UPDATE OF title, body_text ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body_text)
  VALUES ('delete', old.rowid, old.title, old.body_text);
  INSERT INTO articles_fts (rowid, title, body_text) VALUES (new.rowid, new.title, new.body_text);
END""",
}


def suspend_fts(conn: sqlite3.Connection) -> None:
    """Stop indexing articles row by row and empty the index (inside a transaction: a rebuild
    of every article indexes them once, at the end, with `resume_fts`)."""
    for name in _FTS_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")


def resume_fts(conn: sqlite3.Connection) -> None:
    """Index every article in one pass and index row by row again."""
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    _create_fts_triggers(conn)


def _create_fts_triggers(conn: sqlite3.Connection) -> None:
    for sql in _FTS_TRIGGERS.values():
        conn.execute(sql)


class Identity(NamedTuple):
    """What an SQLite file says about itself, read without writing anything."""

    application_id: int
    version: int
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        """A new or empty file: no tables, no id."""
        return not self.tables and not self.application_id

    @property
    def ours(self) -> bool:
        """An lpscrape archive (a version 1 archive by its tables, later ones by their id)."""
        if self.application_id in OUR_APPLICATION_IDS:
            return True
        return not self.application_id and self.version == 1 and self.tables >= CORE_TABLES


def identify(conn: sqlite3.Connection) -> Identity:
    """Read the file's application id, schema version and tables (raises on a non-SQLite file)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return Identity(app_id, version, frozenset(Database(conn).table_names()))


def ensure_schema(db: Database) -> int:
    """Create a new archive, or migrate an older one to SCHEMA_VERSION; returns the version
    the file had (0 for a new one). The caller has checked the file is ours (`identify`)."""
    found = identify(db.conn)
    if found.empty:
        # Set before the file has a page: rows of about 2.5 KB (an article, a capture) fit one
        # to a 4 KB page; 8 KB pages hold three (measured: the archive 11% smaller).
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    if found.version == SCHEMA_VERSION and found.tables >= CORE_TABLES:
        _search_and_history(db)  # cheap when current; restores either if it went missing
    elif found.tables:
        _migrate(db, found.version)
    else:
        _create(db)
    _version_texts(db)
    return found.version


# Every version with its whole text, for reading and exporting: in `article_versions` a text
# kept once elsewhere is NULL (`body_shared`).
VERSION_TEXTS = "version_texts"


def _version_texts(db: Database) -> None:
    """The `version_texts` view, if missing (no schema version: a view holds no data)."""
    if db.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?", [VERSION_TEXTS]
    ).fetchone():
        return
    columns = [
        f"{version_body_sql()} AS body_text" if c == "body_text" else f"v.[{c}]"
        for c in TABLES["article_versions"][0]
        if c != "body_shared"
    ]
    db.execute(
        f"CREATE VIEW {VERSION_TEXTS} AS SELECT {', '.join(columns)} FROM article_versions v"
    )
    db.conn.commit()


def _create(db: Database) -> None:
    _create_tables(db)
    _search_and_history(db)
    _stamp(db)


def _create_tables(db: Database, indexes: bool = True) -> None:
    """Whatever tables (and indexes) are missing (no commit)."""
    for name, (columns, pk, fks) in TABLES.items():
        db[name].create(columns, pk=pk, foreign_keys=fks, if_not_exists=True)
    for table, (link, key) in TERMS.items():
        db[table].create({"id": int, "name": str}, pk="id", if_not_exists=True)
        db[table].create_index(["name"], unique=True, if_not_exists=True)
        db.execute(_link_table_sql(link, key, table))
    if indexes:
        _create_indexes(db)


def _link_table_sql(link: str, key: str, table: str, name: str | None = None) -> str:
    """An article-to-term link table, clustered on its key (`WITHOUT ROWID`: the key is the
    table, not a second copy of it in an index; 0.5 KB an article less, since version 7)."""
    return (
        f"CREATE TABLE IF NOT EXISTS [{name or link}] ("
        "[article_url] TEXT REFERENCES [articles]([url]), "
        f"[{key}] INTEGER REFERENCES [{table}]([id]), [position] INTEGER, "
        f"PRIMARY KEY ([article_url], [{key}])) WITHOUT ROWID"
    )


def _cluster_link_tables(conn: sqlite3.Connection) -> None:
    """Archives from before version 7: each link table rewritten `WITHOUT ROWID`."""
    for table, (link, key) in TERMS.items():
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [link]
        ).fetchone()
        if "WITHOUT ROWID" in sql.upper():
            continue
        conn.execute(_link_table_sql(link, key, table, name=f"{link}_v7"))
        conn.execute(f"INSERT INTO [{link}_v7] SELECT article_url, {key}, position FROM [{link}]")
        conn.execute(f"DROP TABLE [{link}]")
        conn.execute(f"ALTER TABLE [{link}_v7] RENAME TO [{link}]")


def _create_indexes(db: Database) -> None:
    """Whatever indexes are missing (after any missing column: SQLite would index a column
    that does not exist yet as a constant string)."""
    for table, cols in INDEXES:
        db[table].create_index(cols, if_not_exists=True)
    db["article_versions"].create_index(["url", "version"], unique=True, if_not_exists=True)


def _search_and_history(db: Database) -> None:
    """The full-text index (rebuilt if older than stemming) and the edit history (filled in
    for an archive from before it), committed."""
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
    _create_fts_triggers(db.conn)
    if ensure_changes_table(db):  # an archive from before the edit history: fill it in
        update_changes(db)
    db.conn.commit()


def _stamp(db: Database) -> None:
    """Write the schema version and the archive's id: the last step of a migration, so an
    interrupted one runs again (every step before is idempotent)."""
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    if db.execute("PRAGMA application_id").fetchone()[0] not in OUR_APPLICATION_IDS:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.conn.commit()


_SQL_TYPES = {int: "INTEGER", str: "TEXT", float: "FLOAT", bytes: "BLOB"}


def _migrate(db: Database, found_version: int) -> None:
    """Bring an older archive forward: missing tables and columns and the data steps in one
    transaction, then the search index and edit history, then the version."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        _create_tables(db, indexes=False)
        for name, (columns, _pk, _fks) in TABLES.items():
            have = {r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")}
            for column, kind in columns.items():
                if column not in have:
                    conn.execute(f"ALTER TABLE [{name}] ADD COLUMN [{column}] {_SQL_TYPES[kind]}")
        _create_indexes(db)
        if found_version < 3:
            for statement in SHARE_BODIES:
                conn.execute(statement)
        _backfill_publication(conn)
        _backfill_published_day(conn)
        _cluster_link_tables(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    _search_and_history(db)
    _stamp(db)


def _backfill_published_day(conn: sqlite3.Connection) -> None:
    """Archives from before version 5: each article's publication day in its publisher's zone."""
    from lpscrape.extract.dates import publication_day

    rows = conn.execute(
        "SELECT url, published_at, published_at_local FROM articles "
        "WHERE published_day IS NULL AND published_at IS NOT NULL"
    ).fetchall()
    conn.executemany(
        "UPDATE articles SET published_day = ? WHERE url = ?",
        [(publication_day(at, local), url) for url, at, local in rows],
    )


def _backfill_publication(conn: sqlite3.Connection) -> None:
    """Archives from before version 3 held one publication: name it by each article's host."""
    from lpscrape.urls import publication_of

    rows = conn.execute("SELECT url FROM articles WHERE publication IS NULL").fetchall()
    conn.executemany(
        "UPDATE articles SET publication = ? WHERE url = ?",
        [(publication_of(url), url) for (url,) in rows],
    )
