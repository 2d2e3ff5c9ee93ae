"""The archive file: captures kept byte for byte, articles upserted by their URL, versions."""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from sqlite_utils import Database

from lpscrape.clock import utc_now
from lpscrape.extract import Article
from lpscrape.extract.dates import publication_day
from lpscrape.items import Capture
from lpscrape.urls import clean_url, publication_of

from . import payloads, unclosed
from .bodies import version_body_sql
from .changes import form_change, update_changes
from .readonly import readonly_connection
from .review import COLLAPSE_RATIO, collapse_reason, held_fields, lost_field_reason
from .rows import insert_row
from .schema import (
    CONTENT_COLUMNS,
    CORE_TABLES,
    SCHEMA_VERSION,
    TERMS,
    WEATHER_COLUMNS,
    Identity,
    ensure_schema,
    identify,
    suspend_fts,
)
from .versions import content_hash, content_row

# A REST API post as `wp_posts` keeps it (with its `fetched_at`).
WP_POST_COLUMNS = ("id", "link", "published_at", "modified_at", "categories", "tags")
RUN_COUNTERS = ("new", "changed", "unchanged", "not_modified", "skipped", "gone", "failed", "held")
# A run's outcome (`crawl_runs.outcome`) by Scrapy's close reason; any other reason failed.
RUN_OUTCOMES = {"finished": "completed", "shutdown": "aborted"}


def run_outcome(reason: str) -> str:
    """`crawl_runs.outcome` for a crawl Scrapy closed with `reason`."""
    return RUN_OUTCOMES.get(reason, "failed")


def run_mode(full: Any) -> str:
    """`crawl_runs.mode` of a crawl: `full` (every article asked for) or `incremental`."""
    return "full" if full else "incremental"


class ArchiveError(Exception):
    """The archive cannot be opened or written: a one-line reason a person can act on."""


class Outcome(NamedTuple):
    """What one capture meant for the archive."""

    kind: str  # new | changed | unchanged | not_modified | gone | held | failed | captured…
    article_url: str | None = None
    note: str | None = None  # why it failed or was held


def _connect(path: Path, readonly: bool = False, immutable: bool = False) -> sqlite3.Connection:
    try:
        if readonly:
            return readonly_connection(path, immutable, timeout=30)
        return sqlite3.connect(str(path), timeout=30)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc


def _settled_wal(path: Path) -> bool:
    """A WAL-mode database file with no write-ahead log beside it (all checkpointed). Reads
    the file outside SQLite: only before this process has a connection to it (closing any
    descriptor of the file drops the process's POSIX locks on it)."""
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return False
    wal_mode = header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02"
    return wal_mode and not Path(f"{path}-wal").exists()


def _check_identity(conn: sqlite3.Connection, path: Path) -> Identity:
    """What the file is, refusing (before anything is written) one this code cannot use."""
    try:
        found = identify(conn)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(
            f"{path} is not an SQLite archive ({exc}); refusing to touch it"
        ) from exc
    if found.empty:
        return found
    if not found.ours:
        tables = ", ".join(sorted(found.tables)[:5]) or "no tables"
        raise ArchiveError(
            f"{path} is an SQLite database of another program ({tables}), not an lpscrape "
            "archive; refusing to touch it (use another --db)"
        )
    if found.version > SCHEMA_VERSION:
        raise ArchiveError(
            f"{path} is an archive of schema version {found.version}, newer than this lpscrape "
            f"understands ({SCHEMA_VERSION}): upgrade lpscrape to use it"
        )
    return found


def _check_writable(path: Path) -> None:
    """Refuse a file that cannot be written (a read-only or immutable file, a read-only
    file system), without taking any lock: another connection may be writing."""
    if path.exists() and not os.access(path, os.W_OK):
        raise ArchiveError(f"cannot write archive {path}: the file is read-only")


def not_a_folder(path: Path) -> None:
    """Refuse a folder given where an archive file is meant, saying so."""
    if path.is_dir():
        raise ArchiveError(
            f"{path} is a folder, not an archive file: give --db a file, such as "
            f"{path / 'archive.db'}"
        )


def check_archive(path: str | Path) -> Identity | None:
    """What the file is (None: no file yet, or an empty one), refusing one this code cannot use."""
    # Reads it only; call it before anything else in the process opens the archive.
    path = Path(path)
    not_a_folder(path)
    if not path.exists() or not path.stat().st_size:
        return None
    # Read-only is not enough in WAL mode: SQLite would still create -wal and -shm files
    # beside another program's file. With no -wal file, the main file holds everything. (This
    # check runs first, before the process opens the archive any other way.)
    conn = _connect(path, readonly=True, immutable=_settled_wal(path))
    try:
        return _check_identity(conn, path)
    finally:
        conn.close()


def usable_archive(path: str | Path) -> bool:
    """True for an existing lpscrape archive of this schema version (read only: an older
    one is not migrated by a crawl that never started, a foreign or newer one never touched)."""
    path = Path(path)
    if not path.is_file() or not path.stat().st_size:
        return False
    try:
        found = check_archive(path)  # another program's, newer, not SQLite: refused, untouched
    except (sqlite3.Error, ArchiveError):
        return False
    return (
        found is not None
        and found.ours
        and found.version == SCHEMA_VERSION
        and found.tables >= CORE_TABLES
    )


def open_database(path: str | Path) -> Database:
    """The archive at `path`, created if missing, migrated if older; refuses anything else."""
    path = Path(path)
    not_a_folder(path)
    if not path.parent.exists():
        raise ArchiveError(f"cannot create archive {path}: folder {path.parent} does not exist")
    # Refused before SQLite opens it: reading a WAL file would make -wal and -shm beside it.
    _check_writable(path)
    # Never open the file outside SQLite: closing any other descriptor of it would drop this
    # process's POSIX locks, and a reader could then checkpoint away a live WAL.
    conn = _connect(path)
    try:
        _check_identity(conn, path)
        db = Database(conn)
        ensure_schema(db)
    except ArchiveError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(f"cannot write archive {path}: {exc}") from exc
    return db


def open_readonly(path: str | Path) -> Archive:
    """An existing archive opened for reading only (what the spider learns at start)."""
    path = Path(path)
    not_a_folder(path)
    if not path.exists():
        raise ArchiveError(f"no archive at {path}")
    conn = _connect(path, readonly=True)
    try:
        _check_identity(conn, path)
    except ArchiveError:
        conn.close()
        raise
    return Archive(Database(conn))


def same_article(canonical: str, fetched: str) -> bool:
    """True when a canonical URL names the page fetched itself: an http(s) URL of the same
    host (with or without www), same path (trailing slash aside), not the home page. Query
    and http/https aside."""
    a, b = urlsplit(canonical), urlsplit(fetched)
    if a.scheme not in ("http", "https"):
        return False  # `javascript://host/path` has the host and path of a page
    host = lambda p: (p.hostname or "").removeprefix("www.")  # noqa: E731
    path = a.path.rstrip("/")
    return bool(path) and host(a) == host(b) and path == b.path.rstrip("/")


def article_key(record: Article, fetch_url: str) -> str:
    """The article's key: the URL fetched, or its canonical URL when that names the same
    page — a canonical naming another article never makes one page overwrite another."""
    return _key(record.canonical_url, fetch_url)


@functools.lru_cache(maxsize=4096)  # asked for the capture row, then for the article row
def _key(canonical_url: str | None, fetch_url: str) -> str:
    fetched = clean_url(fetch_url)
    canonical = clean_url(canonical_url or fetch_url)
    return canonical if same_article(canonical, fetched) else fetched


def _weather_columns(record: Article | None) -> dict[str, Any]:
    weather = record.weather if record else None
    return {col: getattr(weather, col.removeprefix("weather_"), None) for col in WEATHER_COLUMNS}


def _as_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Values as table columns: lists as JSON arrays."""
    return {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
        for k, v in values.items()
    }


def _run_row(outcome: str, start_url: str, mode: str, publication: str | None) -> dict[str, Any]:
    """A new `crawl_runs` row, started now."""
    return {
        "started_at": utc_now(),
        "outcome": outcome,
        "start_url": start_url,
        "mode": mode,
        "publication": publication,
    }


# A killed run's counts, from what it stored before it died (its own tally died with it;
# SET expressions see the row as it was, hence the versions counted again for `unchanged`).
_ABORTED_COUNTS = ", ".join(
    f"{name} = (SELECT count(*) FROM {source} WHERE run_id = crawl_runs.id AND {where})"
    for name, source, where in (
        ("new", "article_versions", "version = 1"),
        ("changed", "article_versions", "version > 1"),
        ("held", "captures", "review IS NOT NULL"),
        ("not_modified", "captures", "kind = 'article' AND status = 304"),
        ("failed", "captures", "failure IS NOT NULL AND kind NOT IN ('retried', 'redirect')"),
    )
)
_ABORTED_COUNTS += (
    ", unchanged = max(0, (SELECT count(DISTINCT article_url) FROM captures WHERE run_id = "
    "crawl_runs.id AND kind = 'article' AND status = 200 AND failure IS NULL AND review IS "
    "NULL AND article_url IS NOT NULL) - (SELECT count(*) FROM article_versions WHERE "
    "run_id = crawl_runs.id))"
)

# A capture as `capture_from_row` reads it (a revisit's body from the capture it points to).
_CAPTURE_ROWS = (
    "SELECT c.id, c.run_id, c.url, c.status, coalesce(c.body_gzip, o.body_gzip), "
    "c.headers, c.fetched_at, c.kind, c.sitemap_lastmod, c.failure, "
    "c.discovered_via, coalesce(c.body_zstd, o.body_zstd), "
    "coalesce(c.zstd_dict_id, o.zstd_dict_id), "
    # What the capture's last extraction stored (`stored_extraction`): unchanged, not rewritten.
    f"c.article_url, c.review, {', '.join(f'c.{col}' for col in WEATHER_COLUMNS)} "
    "FROM captures c LEFT JOIN captures o ON o.id = c.revisit_of"
)
_STORED_EXTRACTION = 13  # where those columns start in a row


def stored_extraction(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The extraction columns a capture row holds (article, review, header weather)."""
    return row[_STORED_EXTRACTION:]


def capture_from_row(row: tuple[Any, ...], body: bool = True, dictionaries: Any = None) -> Capture:
    """A Capture from a row of `Archive.capture_rows` (its body left empty if not `body`);
    `dictionaries` maps a dictionary id to its bytes (a dict or `payloads.Dictionaries`)."""
    _id, _run, url, status, gz, headers, fetched_at, kind, lastmod, failure, via, zst, dict_id = (
        row[:_STORED_EXTRACTION]
    )
    dictionary = dictionaries.get(dict_id) if zst and dictionaries is not None else None
    return Capture(
        url=url,
        status=status,
        body=payloads.decompress(gz, zst, dictionary) if body else b"",
        headers=json.loads(headers or "{}"),
        fetched_at=fetched_at,
        kind=kind,
        sitemap_lastmod=lastmod,
        failure=failure,
        discovered_via=via,
    )


class Archive:
    """Writes captures and articles in short batched transactions (WAL: readers never wait)."""

    def __init__(
        self,
        db: Database,
        batch_size: int = 200,
        batch_seconds: float = 2.0,
        collapse_ratio: float = COLLAPSE_RATIO,
    ) -> None:
        self.db = db
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.collapse_ratio = collapse_ratio
        self.hold = True  # hold suspect new versions for review (off: storing accepted ones)
        self._accepted_losses: set[str] | None = None  # read when first needed
        self._pending = 0
        self._last_commit = time.monotonic()
        # Term table name -> id, for names known to be committed or in this batch.
        self._term_cache: dict[str, dict[str, int]] = {}
        self.dictionaries = payloads.Dictionaries(db.conn)
        # The dictionary new bodies are compressed with, once known; article pages stored
        # without one (None: not counted yet).
        self._dict_id: int | None = None
        self._untrained: int | None = None

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
        self._pending = 0
        self._term_cache.clear()  # terms added in the undone batch are gone
        self._dict_id = self._untrained = None  # so may a dictionary trained in it

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

    def abandon(self) -> None:
        """Roll back the unfinished batch and close the file (after a storage error)."""
        with contextlib.suppress(sqlite3.Error):  # SQLite undoes it on close regardless
            self.rollback()
        self.db.conn.close()

    # -- runs ---------------------------------------------------------------------------

    def start_run(
        self, start_url: str, mode: str, publication: str | None = None
    ) -> tuple[int, list[tuple[int, str, str | None]]]:
        """A new `crawl_runs` row, and the runs an earlier process left `running` (id, start,
        error), now closed: as `failed` with its error when that process noted why it could
        not close it (`unclosed`), else as `aborted` (killed); never a distributed run (its
        writer may simply be draining it)."""
        path = self.db.execute("PRAGMA database_list").fetchone()[2]
        noted = unclosed.read(path) if path else {}
        left = [
            (run_id, started, unclosed.noted_error(noted, run_id, started))
            for run_id, started in self.db.execute(
                "SELECT id, started_at FROM crawl_runs WHERE outcome = 'running' "
                "AND run_key IS NULL ORDER BY id"
            )
        ]
        row = _run_row("running", start_url, mode, publication or publication_of(start_url))
        run_id = insert_row(self.db, "crawl_runs", row)
        for left_id, _, error in left:
            if error:
                self.db.execute(
                    "UPDATE crawl_runs SET outcome = 'failed', error = ?, finished_at = ?, "
                    f"{_ABORTED_COUNTS} WHERE id = ?",
                    [error, noted[left_id].get("finished_at"), left_id],
                )
        self.db.execute(
            f"UPDATE crawl_runs SET outcome = 'aborted', error = coalesce(error, ?), "
            f"{_ABORTED_COUNTS} WHERE outcome = 'running' AND run_key IS NULL AND id != ?",
            [f"never closed (the process was killed or crashed); found by run {run_id}", run_id],
        )
        self.commit()
        if noted:
            unclosed.clear(path)
        return run_id, left

    def start_shared_run(
        self, start_url: str, mode: str, publication: str | None, run_key: str
    ) -> int:
        """A new `crawl_runs` row, not committed, for a shared frontier's run `run_key`."""
        row = _run_row("running", start_url, mode, publication)
        return insert_row(self.db, "crawl_runs", {**row, "run_key": run_key, "tally": "{}"})

    def record_refused_run(
        self, start_url: str, mode: str, publication: str | None, error: str, alert: str
    ) -> int:
        """A `crawl_runs` row, not committed, for a crawl refused before it fetched anything."""
        # Outcome `refused`, started and finished at once, its error and alert, every count 0.
        self.begin()  # committed with the run's health, or rolled back with it
        try:
            publication = publication or publication_of(start_url)
        except ValueError:  # the start URL itself was refused
            publication = None
        row: dict[str, Any] = {k: 0 for k in (*RUN_COUNTERS, "requests", "fetched")}
        row.update(_run_row("refused", start_url, mode, publication))
        row.update(
            finished_at=row["started_at"],
            bytes_downloaded=0,
            error=error,
            alerts=json.dumps([alert], ensure_ascii=False),
        )
        return insert_row(self.db, "crawl_runs", row)

    def finish_run(
        self, run_id: int, outcome: str, counts: dict[str, int], commit: bool = True, **extra: Any
    ) -> None:
        """Close a run with its outcome, counts, failures, warnings and alerts (committed,
        unless the caller commits it with more)."""
        row: dict[str, Any] = {k: counts.get(k, 0) for k in (*RUN_COUNTERS, "fetched", "requests")}
        row.update(bytes_downloaded=counts.get("bytes_downloaded", 0), **extra)
        row.update(finished_at=utc_now(), outcome=outcome)
        for key, value in row.items():
            if isinstance(value, dict | list):
                row[key] = json.dumps(value, ensure_ascii=False)
        self._update("crawl_runs", "id", run_id, row)
        update_changes(self.db)  # the edit history of what this run (or a killed one) found
        if commit:
            self.commit()

    # -- what the next crawl needs to be conditional ------------------------------------

    def known_articles(self) -> dict[str, dict[str, str | None]]:
        """Per fetch URL: the stored validators and sitemap lastmod of live articles."""
        rows = self.db.execute(
            "SELECT fetch_url, etag, last_modified, sitemap_lastmod FROM articles "
            "WHERE status = 'live' AND fetch_url IS NOT NULL"
        ).fetchall()
        return {r[0]: {"etag": r[1], "last_modified": r[2], "sitemap_lastmod": r[3]} for r in rows}

    def live_article_at(self, url: str) -> str | None:
        """The key of the live archived article at this URL (as fetched or as keyed)."""
        url = clean_url(url)
        row = self.db.execute(
            "SELECT url FROM articles WHERE (fetch_url = ? OR url = ?) AND status = 'live' LIMIT 1",
            [url, url],
        ).fetchone()
        return row[0] if row else None

    def known_pages(self) -> dict[str, dict[str, str | None]]:
        """Per URL: validators of its latest usable capture (feeds, API pages)."""
        rows = self.db.execute(
            "SELECT url, etag, last_modified FROM captures WHERE id IN "
            "(SELECT max(id) FROM captures WHERE status = 200 AND kind != 'article' "
            "AND failure IS NULL GROUP BY url)"
        ).fetchall()
        return {r[0]: {"etag": r[1], "last_modified": r[2]} for r in rows}

    # -- captures -----------------------------------------------------------------------

    def add(self, capture: Capture, run_id: int | None) -> Outcome:
        """Keep one response and apply it to the articles; returns what it meant."""
        self.begin()
        capture_id = self._insert_capture(capture, run_id)
        outcome = self.apply(capture, capture_id, run_id)
        self._wrote()
        return outcome

    def _insert_capture(self, capture: Capture, run_id: int | None) -> int:
        sha = hashlib.sha256(capture.body).hexdigest()
        # The same bytes fetched again are stored once; later captures point to the first,
        # as a WARC `revisit` record does.
        original = None
        if capture.body:
            original = self.db.execute(
                "SELECT id FROM captures WHERE sha256 = ? "
                "AND (body_gzip IS NOT NULL OR body_zstd IS NOT NULL) LIMIT 1",
                [sha],
            ).fetchone()
        gz = zst = dict_id = None
        if not original:
            dict_id = self._dictionary_id()
            gz, zst = payloads.compress(capture.body, self.dictionaries.get(dict_id))
            if dict_id is None and capture.kind == "article" and capture.status == 200:
                self._untrained = (self._untrained or 0) + 1
        row = {
            "run_id": run_id,
            "url": capture.url,
            "kind": capture.kind,
            "fetched_at": capture.fetched_at,
            "status": capture.status,
            "content_type": capture.header("Content-Type"),
            "headers": json.dumps(capture.headers, ensure_ascii=False),
            "sha256": sha,
            "size": len(capture.body),
            "body_gzip": gz,
            "body_zstd": zst,
            "zstd_dict_id": dict_id,
            "revisit_of": original[0] if original else None,
            "article_url": self._article_key(capture),
            "etag": capture.header("ETag"),
            "last_modified": capture.header("Last-Modified"),
            "sitemap_lastmod": capture.sitemap_lastmod,
            "failure": capture.failure,
            "discovered_via": capture.discovered_via,
            **_weather_columns(capture.record),
        }
        return insert_row(self.db, "captures", row)

    def _dictionary_id(self) -> int | None:
        """The dictionary to compress new bodies with: the archive's latest, or one trained
        now on the last article pages once `payloads.TRAIN_AFTER` are stored without one."""
        if self._dict_id is None and self._untrained is None:
            self._dict_id = self.db.execute(
                f"SELECT max(id) FROM {payloads.DICTS_TABLE}"
            ).fetchone()[0]
            if self._dict_id is None:
                self._untrained = self.db.execute(
                    "SELECT count(*) FROM captures WHERE kind = 'article' AND status = 200 "
                    "AND body_gzip IS NOT NULL"
                ).fetchone()[0]
        if self._dict_id is None and (self._untrained or 0) >= payloads.TRAIN_AFTER:
            self._dict_id = self._train_dictionary()
        return self._dict_id

    def _train_dictionary(self) -> int:
        samples = [
            gzip.decompress(gz)
            for (gz,) in self.db.execute(
                "SELECT body_gzip FROM captures WHERE kind = 'article' AND status = 200 "
                "AND body_gzip IS NOT NULL ORDER BY id DESC LIMIT ?",
                [payloads.TRAIN_AFTER],
            )
        ]
        row = {"trained_at": utc_now(), "samples": len(samples), "dict": payloads.train(samples)}
        return insert_row(self.db, payloads.DICTS_TABLE, row)

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

    def apply(self, capture: Capture, capture_id: int, run_id: int | None) -> Outcome:
        """Bring the articles up to date with one capture (no commit)."""
        if capture.failure:
            return Outcome("failed", self._article_key(capture), capture.failure)
        if capture.kind == "api" and capture.status == 200:
            self._store_api(capture)
            return Outcome("captured")
        if capture.kind != "article":
            return Outcome("captured")
        if capture.status == 304:
            return self._touch(capture, capture_id)
        if capture.status in (404, 410):
            return self._gone(capture)
        if capture.status != 200:
            return Outcome("failed", self._article_key(capture), f"http_{capture.status}")
        if capture.record is None or not capture.record.is_article:
            if capture.record is not None and capture.discovered_via == "archive":
                # Gone from the sitemaps and answering with another page (the home page a
                # deleted post is redirected to): removed, as a 404 would say.
                url = self.live_article_at(capture.requested_url or capture.url)
                if url:
                    return self._mark_gone(url, capture.fetched_at)
            return Outcome("not_article")
        return self._upsert(capture, capture.record, capture_id, run_id)

    def _store_api(self, capture: Capture) -> None:
        """The REST API rows the capture carries (parsed where it was extracted), kept."""
        rows = capture.api_rows or []
        if capture.taxonomy:
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO wp_terms (taxonomy, id, name, fetched_at) "
                "VALUES (?, ?, ?, ?)",
                [(capture.taxonomy, r.get("id"), r.get("name"), capture.fetched_at) for r in rows],
            )
            return
        self.db.conn.executemany(
            f"INSERT OR REPLACE INTO wp_posts ({', '.join(WP_POST_COLUMNS)}, fetched_at) "
            f"VALUES ({', '.join('?' * (len(WP_POST_COLUMNS) + 1))})",
            [[*(r.get(c) for c in WP_POST_COLUMNS), capture.fetched_at] for r in rows],
        )

    def _touch(self, capture: Capture, capture_id: int) -> Outcome:
        url = self._article_key(capture)
        if url is None:
            return Outcome("captured")
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
        return Outcome("not_modified", url)

    def _gone(self, capture: Capture) -> Outcome:
        url = self._article_key(capture)
        if url is None:
            return Outcome("captured")
        return self._mark_gone(url, capture.fetched_at)

    def _mark_gone(self, url: str, when: str) -> Outcome:
        self.db.execute(
            "UPDATE articles SET status = 'gone', gone_at = coalesce(gone_at, ?) WHERE url = ?",
            [when, url],
        )
        return Outcome("gone", url)

    def _upsert(
        self, capture: Capture, record: Article, capture_id: int, run_id: int | None
    ) -> Outcome:
        url = article_key(record, capture.url)
        # A version is what the page says, exactly as stored, and its hash covers exactly
        # that: REST API answers arriving later (or not at all) never make a new version.
        content = content_row(record)
        digest = content_hash(content)
        seen = {
            "last_seen_at": capture.fetched_at,
            "latest_capture_id": capture_id,
            "status": "live",
            "gone_at": None,
            "fetch_url": capture.url,
            "sitemap_lastmod": capture.sitemap_lastmod,
            "etag": capture.header("ETag"),
            "last_modified": capture.header("Last-Modified"),
            "publication": capture.publication or publication_of(url),
            "site_name": record.extraction.raw.get("site_name"),
        }
        existing = self.db.execute(
            "SELECT content_hash, version, sitemap_lastmod, word_count, extraction_sources "
            "FROM articles WHERE url = ?",
            [url],
        ).fetchone()
        if existing and existing[0] == digest:
            return self._mark_unchanged(url, seen, existing[1], existing[2])
        before = self._version_content(url, existing[1]) if existing else None
        if before and form_change(
            self.db,
            url,
            before,
            content,
            digest,
            capture_id=capture_id,
            run_id=run_id,
            detected_at=capture.fetched_at,
        ):
            # The same words in another form: the version stays, the change is on record.
            return self._mark_unchanged(url, seen, existing[1], existing[2])
        if existing and self.hold:
            layer = json.loads(existing[4] or "{}").get("body_text")
            reason = collapse_reason(existing[3], layer, record, self.collapse_ratio)
            day_only = ":" not in (record.extraction.raw.get("published_at") or ":")
            lost = lost_field_reason(before, content, day_only) if before and not reason else None
            fields = set(held_fields(lost or ""))
            if lost and not (fields and fields <= self.accepted_losses()):
                reason = lost  # (fields whose loss an archivist accepted are the site's change)
            if reason:  # kept as a capture, flagged, never promoted over the good version
                self._update("captures", "id", capture_id, {"review": reason})
                return Outcome("held", url, reason)

        # The articles row is the latest version, completed from the REST API where the
        # page lacks a value; the extracted record itself is never edited.
        fills, sources, notes, post_id = self._reconcile(url, record)
        canonical = clean_url(record.canonical_url or capture.url)
        if canonical != url and not same_article(canonical, url):
            notes.insert(0, f"canonical_url: {canonical} is not this page's; keyed by the URL")
        terms = {t: fills.get(t, getattr(record, t)) for t in TERMS}
        version = existing[1] + 1 if existing else 1
        extracted = {
            **content,
            **_as_columns(fills),
            "content_hash": digest,
            "version": version,
            "post_id": post_id,
            "published_at_raw": record.extraction.raw.get("published_at"),
            "modified_at_raw": record.extraction.raw.get("modified_at"),
            "published_at_local": record.published_at_local,
            "published_day": publication_day(
                fills.get("published_at", record.published_at),
                None if "published_at" in fills else record.published_at_local,
                url=url,
            ),
            "extraction_method": record.extraction.method,
            "extraction_warnings": json.dumps(
                [*record.extraction.warnings, *notes], ensure_ascii=False
            ),
            "extraction_sources": json.dumps({**record.extraction.sources, **sources}),
        }
        if existing:
            self._keep_previous_body(url, existing[1], record.body_text)
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
            insert_row(self.db, "articles", row)
        version_row = {
            "url": url,
            "version": version,
            "content_hash": digest,
            **content,
            # The current text is the article row's: stored once, there.
            "body_text": None,
            "body_shared": int(content["body_text"] is not None),
            "first_seen_at": capture.fetched_at,
            "last_seen_at": capture.fetched_at,
            "capture_id": capture_id,
            "run_id": run_id,
        }
        insert_row(self.db, "article_versions", version_row)
        self._link_terms(url, terms, fresh=not existing)
        return Outcome("changed" if existing else "new", url)

    def _mark_unchanged(
        self, url: str, seen: dict[str, Any], version: int, stored_lastmod: str | None
    ) -> Outcome:
        """Seen again as stored: the article row and its current version note this fetch."""
        seen = {**seen, "sitemap_lastmod": seen["sitemap_lastmod"] or stored_lastmod}
        self._update("articles", "url", url, seen)
        self.db.execute(
            "UPDATE article_versions SET last_seen_at = ? WHERE url = ? AND version = ?",
            [seen["last_seen_at"], url, version],
        )
        return Outcome("unchanged", url)

    def accepted_losses(self) -> set[str]:
        """The fields whose loss an archivist accepted as the site's own change (`lpscrape
        status --accept`): articles of a restyled section read after the accepted run lose
        them too, and are stored rather than held night after night."""
        if self._accepted_losses is None:
            tables = set(self.db.table_names())
            rows = (
                self.db.execute(
                    "SELECT DISTINCT f.field FROM run_field_health f JOIN run_health h "
                    "ON h.run_id = f.run_id WHERE h.accepted_at IS NOT NULL AND f.lost > 0"
                ).fetchall()
                if {"run_health", "run_field_health"} <= tables
                else []
            )
            self._accepted_losses = {field for (field,) in rows}
        return self._accepted_losses

    def _version_content(self, url: str, version: int) -> dict[str, Any] | None:
        """What one stored version says (its content columns, its body text included)."""
        columns = [
            c if c != "body_text" else f"{version_body_sql()} AS body_text" for c in CONTENT_COLUMNS
        ]
        cursor = self.db.execute(
            f"SELECT v.version, {', '.join(columns)} FROM article_versions v "
            "WHERE v.url = ? AND v.version = ?",
            [url, version],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def _keep_previous_body(self, url: str, version: int, body: str | None) -> None:
        """Before a new body replaces the article row's, store it in the version it was."""
        self.db.execute(
            "UPDATE article_versions SET body_text = (SELECT body_text FROM articles "
            "WHERE url = :url), body_shared = 0 WHERE url = :url AND version = :version "
            "AND body_shared AND (SELECT body_text FROM articles WHERE url = :url) IS NOT :body",
            {"url": url, "version": version, "body": body},
        )

    def _update(self, table: str, pk: str, key: Any, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"[{k}] = ?" for k in values)
        self.db.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = ?", [*values.values(), key])

    def _reconcile(
        self, url: str, record: Article
    ) -> tuple[dict[str, Any], dict[str, str], list[str], int | None]:
        """The page against the REST API: values the page lacks (with their source), notes
        on conflicts, and the post id. Reads the record, never changes it."""
        fills: dict[str, Any] = {}
        sources: dict[str, str] = {}
        notes: list[str] = []
        row = self.db.execute(
            "SELECT id, published_at, modified_at, categories, tags FROM wp_posts WHERE link = ?",
            [url],
        ).fetchone()
        if row is None:
            return fills, sources, notes, None
        post_id, published, modified, category_ids, tag_ids = row
        for field, api_value in (("published_at", published), ("modified_at", modified)):
            page_value = getattr(record, field)
            if field == "modified_at" and api_value == published:
                continue  # never edited: the record says null
            if page_value is None and api_value:
                fills[field], sources[field] = api_value, "rest-api"
                notes.append(f"{field}: from the REST API, not the page")
            elif page_value and api_value and page_value != api_value:
                notes.append(f"{field}: page says {page_value}, REST API says {api_value}")
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
                fills[taxonomy], sources[taxonomy] = names, "rest-api"
        return fills, sources, notes, int(post_id)

    def _term_ids(self, table: str, names: list[str]) -> list[int]:
        """The ids of names in a term table, adding the new ones (cached: names never move)."""
        cache = self._term_cache.setdefault(table, {})
        missing = [name for name in dict.fromkeys(names) if name not in cache]
        if missing:
            conn = self.db.conn
            conn.executemany(
                f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", [(n,) for n in missing]
            )
            marks = ", ".join("?" * len(missing))
            for term_id, name in conn.execute(
                f"SELECT id, name FROM {table} WHERE name IN ({marks})", missing
            ):
                cache[name] = term_id
        return [cache[name] for name in names]

    def _link_terms(self, url: str, terms: dict[str, list[str]], fresh: bool) -> None:
        """An article's authors, categories and tags: one prepared batch per link table
        (a new article has no links to delete)."""
        conn = self.db.conn
        for table, (link, key) in TERMS.items():
            if not fresh:
                conn.execute(f"DELETE FROM {link} WHERE article_url = ?", [url])
            ids = self._term_ids(table, terms[table])
            if ids:
                conn.executemany(
                    f"INSERT OR IGNORE INTO {link} (article_url, {key}, position) VALUES (?, ?, ?)",
                    [(url, term_id, position) for position, term_id in enumerate(ids)],
                )

    # -- offline re-extraction ----------------------------------------------------------

    def capture_rows(
        self, kinds: tuple[str, ...] = ("article", "api"), chunk: int = 256
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Stored captures as raw rows (body still compressed, a revisit's from the capture it
        points to), in fetch order, `chunk` rows at a time: never all at once."""
        marks = ", ".join("?" * len(kinds))
        last = -1
        while True:
            rows = self.db.conn.execute(
                f"{_CAPTURE_ROWS} WHERE c.kind IN ({marks}) AND c.id > ? ORDER BY c.id LIMIT ?",
                [*kinds, last, chunk],
            ).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def held_capture_rows(self, run_id: int) -> list[tuple[Any, ...]]:
        """The captures of one run whose new version was held for review, as raw rows, each
        only while no later capture of its article has been stored."""
        return self.db.conn.execute(
            f"{_CAPTURE_ROWS} JOIN articles a ON a.url = c.article_url "
            "WHERE c.run_id = ? AND c.review IS NOT NULL AND a.latest_capture_id < c.id "
            "ORDER BY c.id",
            [run_id],
        ).fetchall()

    def captures(
        self, kinds: tuple[str, ...] = ("article", "api")
    ) -> Iterator[tuple[int, int | None, Capture]]:
        """Stored captures with their ids and run ids, in fetch order, bodies decompressed."""
        for rows in self.capture_rows(kinds):
            for row in rows:
                yield row[0], row[1], capture_from_row(row, dictionaries=self.dictionaries)

    def set_capture_extraction(
        self, capture_id: int, capture: Capture, stored: tuple[Any, ...] | None = None
    ) -> None:
        """Refresh what a stored capture's extraction says (its article, header weather); a
        row whose `stored` values (`stored_extraction`) say the same is not rewritten."""
        values = {
            "article_url": self._article_key(capture),
            "review": None,
            **_weather_columns(capture.record),
        }
        if stored is None or tuple(values.values()) != stored:
            self._update("captures", "id", capture_id, values)

    def clear_articles(self, index: bool = True) -> None:
        """Drop every derived row (articles, versions, terms) before a rebuild from captures;
        `index=False` also stops the full-text index's per-row updates (`resume_fts` after)."""
        self.begin()
        if not index:
            suspend_fts(self.db.conn)
        self._term_cache.clear()
        for _, (link, _key) in TERMS.items():
            self.db.execute(f"DELETE FROM {link}")
        for table in ("article_changes", "article_versions", "articles", *TERMS):
            self.db.execute(f"DELETE FROM {table}")
