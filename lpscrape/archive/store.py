"""The archive file: captures kept byte for byte, articles upserted by canonical URL, versions."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from lpscrape.extract import Article
from lpscrape.extract.wpapi import posts_from_api, terms_from_api
from lpscrape.items import Capture
from lpscrape.urls import clean_url

from .changes import update_changes
from .schema import TERMS, WEATHER_COLUMNS, ensure_schema
from .versions import content_hash, content_row

RUN_COUNTERS = ("new", "changed", "unchanged", "not_modified", "skipped", "gone", "failed")


class ArchiveError(Exception):
    """The archive cannot be opened or written: a one-line reason a person can act on."""


def utc_now() -> str:
    """The current instant as ISO 8601 UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_database(path: str | Path) -> Database:
    """The archive at `path`, created if missing; refuses what is not an SQLite archive."""
    path = Path(path)
    if not path.parent.exists():
        raise ArchiveError(f"cannot create archive {path}: folder {path.parent} does not exist")
    # Never open the file outside SQLite: closing any other descriptor of it would drop this
    # process's POSIX locks, and a reader could then checkpoint away a live WAL.
    try:
        conn = sqlite3.connect(str(path), timeout=30)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header, writes nothing
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(
            f"{path} is not an SQLite archive ({exc}); refusing to touch it"
        ) from exc
    try:
        db = Database(conn)
        ensure_schema(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(f"cannot write archive {path}: {exc}") from exc
    return db


def article_key(record: Article, fetch_url: str) -> str:
    """The canonical URL, when it names this page on the same host; else the fetched URL."""
    canonical, fetched = clean_url(record.canonical_url or fetch_url), clean_url(fetch_url)
    parts = urlsplit(canonical)
    if parts.netloc == urlsplit(fetched).netloc and parts.path not in ("", "/"):
        return canonical
    warning = f"canonical_url: {canonical} is not this page's; keyed by the fetched URL"
    if warning not in record.extraction.warnings:
        record.extraction.warnings.append(warning)
    return fetched


def _weather_columns(record: Article | None) -> dict[str, Any]:
    weather = record.weather if record else None
    return {col: getattr(weather, col.removeprefix("weather_"), None) for col in WEATHER_COLUMNS}


class Archive:
    """Writes captures and articles in short batched transactions (WAL: readers never wait)."""

    def __init__(self, db: Database, batch_size: int = 200, batch_seconds: float = 2.0) -> None:
        self.db = db
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self._pending = 0
        self._last_commit = time.monotonic()

    @classmethod
    def open(cls, path: str | Path, **kwargs: Any) -> Archive:
        """Open (or create) the archive file at `path`."""
        return cls(open_database(path), **kwargs)

    # -- transactions -------------------------------------------------------------------

    def begin(self) -> None:
        """Open the batch's transaction (sqlite-utils would otherwise commit every write)."""
        if not self.db.conn.in_transaction:
            self.db.execute("BEGIN")

    def _wrote(self) -> None:
        self._pending += 1
        due = time.monotonic() - self._last_commit >= self.batch_seconds
        if self._pending >= self.batch_size or due:
            self.commit()

    def rollback(self) -> None:
        """Undo everything written since the last commit."""
        if self.db.conn.in_transaction:
            self.db.execute("ROLLBACK")

    def commit(self) -> None:
        """Make everything written so far durable."""
        if self.db.conn.in_transaction:
            self.db.execute("COMMIT")
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        """Commit and close the file."""
        self.commit()
        self.db.conn.close()

    # -- runs ---------------------------------------------------------------------------

    def start_run(self, start_url: str, mode: str) -> int:
        """A new `crawl_runs` row; runs left `running` by a killed process become `aborted`."""
        self.db.execute(
            "UPDATE crawl_runs SET outcome = 'aborted' WHERE outcome = 'running'",
        )
        cursor = self.db.execute(
            "INSERT INTO crawl_runs (started_at, outcome, start_url, mode) VALUES (?, ?, ?, ?)",
            [utc_now(), "running", start_url, mode],
        )
        self.commit()
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, outcome: str, counts: dict[str, int], **extra: Any) -> None:
        """Close a run with its outcome, counts, warnings and alerts."""
        row = {k: counts.get(k, 0) for k in (*RUN_COUNTERS, "fetched", "requests")}
        row.update(bytes_downloaded=counts.get("bytes_downloaded", 0), **extra)
        row.update(finished_at=utc_now(), outcome=outcome)
        for key in ("warnings", "alerts"):
            if key in row and not isinstance(row[key], str):
                row[key] = json.dumps(row[key], ensure_ascii=False)
        assignments = ", ".join(f"[{k}] = ?" for k in row)
        self.db.execute(
            f"UPDATE crawl_runs SET {assignments} WHERE id = ?", [*row.values(), run_id]
        )
        update_changes(self.db)  # the edit history of what this run (or a killed one) found
        self.commit()

    # -- what the next crawl needs to be conditional ------------------------------------

    def known_articles(self) -> dict[str, dict[str, str | None]]:
        """Per fetch URL: the stored validators and sitemap lastmod of live articles."""
        rows = self.db.execute(
            "SELECT fetch_url, etag, last_modified, sitemap_lastmod FROM articles "
            "WHERE status = 'live' AND fetch_url IS NOT NULL"
        ).fetchall()
        return {r[0]: {"etag": r[1], "last_modified": r[2], "sitemap_lastmod": r[3]} for r in rows}

    def known_pages(self) -> dict[str, dict[str, str | None]]:
        """Per URL: validators of its latest complete capture (feeds, sitemaps, API pages)."""
        rows = self.db.execute(
            "SELECT url, etag, last_modified FROM captures WHERE id IN "
            "(SELECT max(id) FROM captures WHERE status = 200 AND kind != 'article' GROUP BY url)"
        ).fetchall()
        return {r[0]: {"etag": r[1], "last_modified": r[2]} for r in rows}

    # -- captures -----------------------------------------------------------------------

    def add(self, capture: Capture, run_id: int | None) -> str:
        """Keep one response and apply it to the articles; returns what it meant."""
        self.begin()
        capture_id = self._insert_capture(capture, run_id)
        outcome = self.apply(capture, capture_id, run_id)
        self._wrote()
        return outcome

    def _insert_capture(self, capture: Capture, run_id: int | None) -> int:
        row = {
            "run_id": run_id,
            "url": capture.url,
            "kind": capture.kind,
            "fetched_at": capture.fetched_at,
            "status": capture.status,
            "content_type": capture.header("Content-Type"),
            "headers": json.dumps(capture.headers, ensure_ascii=False),
            "sha256": hashlib.sha256(capture.body).hexdigest(),
            "size": len(capture.body),
            "body_gzip": gzip.compress(capture.body, compresslevel=6),
            "article_url": self._article_key(capture),
            "etag": capture.header("ETag"),
            "last_modified": capture.header("Last-Modified"),
            "sitemap_lastmod": capture.sitemap_lastmod,
            **_weather_columns(capture.record),
        }
        cursor = self.db.execute(
            f"INSERT INTO captures ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        return int(cursor.lastrowid)

    def _article_key(self, capture: Capture) -> str | None:
        record = capture.record
        if record is not None and record.is_article:
            return article_key(record, capture.url)
        if capture.kind == "article":
            row = self.db.execute(
                "SELECT url FROM articles WHERE fetch_url = ?", [capture.url]
            ).fetchone()
            return row[0] if row else None
        return None

    def apply(self, capture: Capture, capture_id: int, run_id: int | None) -> str:
        """Bring the articles up to date with one capture (no commit)."""
        if capture.kind == "api" and capture.status == 200:
            self._store_api(capture)
            return "captured"
        if capture.kind != "article":
            return "captured"
        if capture.status == 304:
            return self._touch(capture, capture_id)
        if capture.status in (404, 410):
            return self._gone(capture)
        if capture.status != 200:
            return "failed"
        if capture.record is None or not capture.record.is_article:
            return "not_article"
        return self._upsert(capture, capture.record, capture_id, run_id)

    def _store_api(self, capture: Capture) -> None:
        path = urlsplit(capture.url).path.rstrip("/")
        taxonomy = {"/categories": "categories", "/tags": "tags"}.get(path[path.rfind("/") :])
        if taxonomy:
            for row in terms_from_api(capture.body):
                self.db.execute(
                    "INSERT OR REPLACE INTO wp_terms (taxonomy, id, name, fetched_at) "
                    "VALUES (?, ?, ?, ?)",
                    [taxonomy, row["id"], row["name"], capture.fetched_at],
                )
            return
        for row in posts_from_api(capture.body):
            row["link"] = clean_url(row["link"])
            row["fetched_at"] = capture.fetched_at
            cols = ", ".join(row)
            self.db.execute(
                f"INSERT OR REPLACE INTO wp_posts ({cols}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )

    def _touch(self, capture: Capture, capture_id: int) -> str:
        url = self._article_key(capture)
        if url is None:
            return "failed"
        self.db.execute(
            "UPDATE articles SET last_seen_at = ?, latest_capture_id = ?, "
            "sitemap_lastmod = coalesce(?, sitemap_lastmod) WHERE url = ?",
            [capture.fetched_at, capture_id, capture.sitemap_lastmod, url],
        )
        self.db.execute(
            "UPDATE article_versions SET last_seen_at = ? WHERE url = ? AND version = "
            "(SELECT version FROM articles WHERE url = ?)",
            [capture.fetched_at, url, url],
        )
        return "not_modified"

    def _gone(self, capture: Capture) -> str:
        url = self._article_key(capture)
        if url is None:
            return "failed"
        self.db.execute(
            "UPDATE articles SET status = 'gone', gone_at = coalesce(gone_at, ?) WHERE url = ?",
            [capture.fetched_at, url],
        )
        return "gone"

    def _upsert(
        self, capture: Capture, record: Article, capture_id: int, run_id: int | None
    ) -> str:
        url = article_key(record, capture.url)
        # The hash is of what the page says: REST API answers arriving later (or not at all)
        # must not make a new version of an unchanged page.
        digest = content_hash(content_row(record))
        post_id = self._reconcile(url, record)
        content = content_row(record)
        seen = {
            "last_seen_at": capture.fetched_at,
            "latest_capture_id": capture_id,
            "status": "live",
            "gone_at": None,
            "fetch_url": capture.url,
            "sitemap_lastmod": capture.sitemap_lastmod,
            "etag": capture.header("ETag"),
            "last_modified": capture.header("Last-Modified"),
        }
        existing = self.db.execute(
            "SELECT content_hash, version, sitemap_lastmod FROM articles WHERE url = ?", [url]
        ).fetchone()
        if existing and existing[0] == digest:
            seen["sitemap_lastmod"] = capture.sitemap_lastmod or existing[2]
            self._update("articles", "url", url, seen)
            self.db.execute(
                "UPDATE article_versions SET last_seen_at = ? WHERE url = ? AND version = ?",
                [capture.fetched_at, url, existing[1]],
            )
            return "unchanged"

        version = existing[1] + 1 if existing else 1
        extracted = {
            **content,
            "content_hash": digest,
            "version": version,
            "post_id": post_id,
            "published_at_raw": record.extraction.raw.get("published_at"),
            "modified_at_raw": record.extraction.raw.get("modified_at"),
            "published_at_local": record.published_at_local,
            "extraction_method": record.extraction.method,
            "extraction_warnings": json.dumps(record.extraction.warnings, ensure_ascii=False),
            "extraction_sources": json.dumps(record.extraction.sources),
        }
        if existing:
            self._update("articles", "url", url, {**seen, **extracted})
        else:
            row = {
                "url": url,
                **seen,
                **extracted,
                **_weather_columns(record),
                "first_seen_at": capture.fetched_at,
                "first_capture_id": capture_id,
            }
            self.db.execute(
                f"INSERT INTO articles ({', '.join(f'[{k}]' for k in row)}) "
                f"VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        version_row = {
            "url": url,
            "version": version,
            "content_hash": digest,
            **content,
            "first_seen_at": capture.fetched_at,
            "last_seen_at": capture.fetched_at,
            "capture_id": capture_id,
            "run_id": run_id,
        }
        self.db.execute(
            f"INSERT INTO article_versions ({', '.join(version_row)}) "
            f"VALUES ({', '.join('?' * len(version_row))})",
            list(version_row.values()),
        )
        self._link_terms(url, record)
        return "changed" if existing else "new"

    def _update(self, table: str, pk: str, key: str, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"[{k}] = ?" for k in values)
        self.db.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = ?", [*values.values(), key])

    def _reconcile(self, url: str, record: Article) -> int | None:
        """Check the page against the REST API: fill what the page lacks, warn on conflicts."""
        row = self.db.execute(
            "SELECT id, published_at, modified_at, categories, tags FROM wp_posts WHERE link = ?",
            [url],
        ).fetchone()
        if row is None:
            return None
        post_id, published, modified, category_ids, tag_ids = row
        for field, api_value in (("published_at", published), ("modified_at", modified)):
            page_value = getattr(record, field)
            if field == "modified_at" and api_value == published:
                continue  # never edited: the record says null
            if page_value is None and api_value:
                setattr(record, field, api_value)
                record.extraction.sources[field] = "rest-api"
                record.extraction.warnings.append(f"{field}: from the REST API, not the page")
            elif page_value and api_value and page_value != api_value:
                record.extraction.warnings.append(
                    f"{field}: page says {page_value}, REST API says {api_value}"
                )
        for taxonomy, ids in (("categories", category_ids), ("tags", tag_ids)):
            if getattr(record, taxonomy) or not ids or ids == "[]":
                continue
            names = [
                name
                for term_id in json.loads(ids)
                for (name,) in self.db.execute(
                    "SELECT name FROM wp_terms WHERE taxonomy = ? AND id = ?", [taxonomy, term_id]
                )
            ]
            if names:
                setattr(record, taxonomy, names)
                record.extraction.sources[taxonomy] = "rest-api"
        return int(post_id)

    def _link_terms(self, url: str, record: Article) -> None:
        for table, (link, key) in TERMS.items():
            self.db.execute(f"DELETE FROM {link} WHERE article_url = ?", [url])
            for position, name in enumerate(getattr(record, table)):
                self.db.execute(f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", [name])
                self.db.execute(
                    f"INSERT OR IGNORE INTO {link} (article_url, {key}, position) "
                    f"SELECT ?, id, ? FROM {table} WHERE name = ?",
                    [url, position, name],
                )

    # -- offline re-extraction ----------------------------------------------------------

    def captures(
        self, kinds: tuple[str, ...] = ("article", "api")
    ) -> Iterator[tuple[int, int | None, Capture]]:
        """Stored captures with their ids and run ids, in fetch order, bodies decompressed."""
        marks = ", ".join("?" * len(kinds))
        cursor = self.db.conn.execute(
            "SELECT id, run_id, url, status, body_gzip, headers, fetched_at, kind, sitemap_lastmod "
            f"FROM captures WHERE kind IN ({marks}) ORDER BY id",
            kinds,
        )
        rows = cursor.fetchall()
        for capture_id, run_id, url, status, body, headers, fetched_at, kind, lastmod in rows:
            yield (
                capture_id,
                run_id,
                Capture(
                    url=url,
                    status=status,
                    body=gzip.decompress(body) if body else b"",
                    headers=json.loads(headers or "{}"),
                    fetched_at=fetched_at,
                    kind=kind,
                    sitemap_lastmod=lastmod,
                ),
            )

    def set_capture_extraction(self, capture_id: int, capture: Capture) -> None:
        """Refresh what a stored capture's extraction says (its article and header weather)."""
        values = {"article_url": self._article_key(capture), **_weather_columns(capture.record)}
        self._update("captures", "id", capture_id, values)

    def clear_articles(self) -> None:
        """Drop every derived row (articles, versions, terms) before a rebuild from captures."""
        self.begin()
        for _, (link, _key) in TERMS.items():
            self.db.execute(f"DELETE FROM {link}")
        for table in ("article_changes", "article_versions", "articles", *TERMS):
            self.db.execute(f"DELETE FROM {table}")
