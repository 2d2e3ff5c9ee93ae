"""`lpscrape demo`: serve the sample site, crawl its three editions into an archive, summarise."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lpscrape.archive.readonly import readonly_connection
from lpscrape.archive.schema import DEMO_APPLICATION_ID
from lpscrape.archive.store import ArchiveError

from .content import (
    ADDED_IN_2,
    EDITED_IN_2,
    REMOVED_IN_2,
    RETURNED_IN_3,
    SILENTLY_EDITED_IN_2,
)
from .server import serve
from .site import DemoSite


# A demo archive carries DEMO_APPLICATION_ID ("LPDE") in its SQLite header: the demo
# replaces only such a file, never the archive of a real site or a mirror.
def _is_demo_archive(db: Path) -> bool:
    """True when `db` was made by `lpscrape demo`."""
    try:
        conn = readonly_connection(db)
        try:
            return conn.execute("PRAGMA application_id").fetchone()[0] == DEMO_APPLICATION_ID
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _files(db: Path) -> tuple[Path, Path, Path]:
    return db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")


def prepare(db: Path) -> Path:
    """Where to build the new demo archive: `db` itself when it is new, else a scratch file
    beside it (an archive at `db` is replaced only if a previous demo made it)."""
    if not db.exists():
        return db
    if not _is_demo_archive(db):
        raise ArchiveError(
            f"{db} is not a demo archive; the demo will not overwrite it (use another --db)"
        )
    scratch = db.with_name(db.name + ".building")
    for path in _files(scratch):
        path.unlink(missing_ok=True)
    return scratch


def publish(built: Path, db: Path) -> None:
    """Put the archive built at `built` in place at `db`, in the same file: a Datasette serving
    `db` (read-only, WAL) sees the new archive at its next query instead of losing its file."""
    if built == db:
        return
    source, target = sqlite3.connect(built), sqlite3.connect(db, timeout=30)
    try:
        source.backup(target)  # page by page, under SQLite's own locks
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        source.close()
        target.close()
    for path in _files(built):
        path.unlink(missing_ok=True)


def _crawl(base_url: str, db: Path, *extra: str) -> None:
    """A real crawl, in its own process, as `lpscrape crawl` runs it."""
    args = ["crawl", "--start-url", base_url + "/", "--db", str(db), "--delay", "0", *extra]
    result = subprocess.run([sys.executable, "-m", "lpscrape", *args], check=False)
    if result.returncode not in (0, 3):
        raise ArchiveError(f"the demo crawl failed (exit status {result.returncode})")


def summary(db: Path) -> dict[str, Any]:
    """What the archive holds after the demo."""
    conn = sqlite3.connect(db)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "articles": one("SELECT count(*) FROM articles"),
            "live": one("SELECT count(*) FROM articles WHERE status = 'live'"),
            "gone": one("SELECT count(*) FROM articles WHERE status = 'gone'"),
            "versions": one("SELECT count(*) FROM article_versions"),
            "edited": one("SELECT count(*) FROM articles WHERE version > 1"),
            "captures": one("SELECT count(*) FROM captures"),
            "runs": one("SELECT count(*) FROM crawl_runs"),
            "warnings": one("SELECT coalesce(sum(warning_count), 0) FROM crawl_runs"),
        }
    finally:
        conn.close()


def run_demo(db: Path) -> dict[str, Any]:
    """Serve the sample site on 127.0.0.1, crawl its three editions in turn; return the summary."""
    final, db = db, prepare(db)
    started = time.monotonic()
    with serve(DemoSite()) as server:
        print(f"Serving the Lord's Press sample site at {server.base_url}/ (edition 1)", flush=True)
        _crawl(server.base_url, db)
        conn = sqlite3.connect(db)
        conn.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
        conn.close()
        server.site.edition = 2
        print(
            f"\nThe site publishes its second edition: {len(EDITED_IN_2)} articles edited, "
            f"{len(SILENTLY_EDITED_IN_2)} edited silently (its date unchanged), "
            f"{len(REMOVED_IN_2)} removed, {len(ADDED_IN_2)} new. Crawling again (incremental)…",
            flush=True,
        )
        _crawl(server.base_url, db)
        server.site.edition = 3
        print(
            f"\nThe site publishes its third edition: {len(RETURNED_IN_3)} removed article "
            "returns. Crawling everything again (--full)…",
            flush=True,
        )
        _crawl(server.base_url, db, "--full")
    publish(db, final)
    result = summary(final)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def format_summary(db: Path, s: dict[str, Any]) -> str:
    """The demo's closing lines."""
    return (
        f"\nDemo archive {db}: {s['articles']} articles ({s['live']} live, {s['gone']} gone), "
        f"{s['versions']} versions ({s['edited']} articles edited after publication), "
        f"{s['captures']} captures over {s['runs']} crawls, {s['warnings']} extraction warnings; "
        f"{s['seconds']} s in all.\n"
        f"Explore it: {serve_command(db)}"
    )


def serve_command(db: Path) -> str:
    """The command that serves `db` from a fresh shell in any folder: absolute paths (the
    `lpscrape` script lives in the virtualenv, which a fresh shell has not activated)."""
    script = Path(sys.executable).absolute().with_name("lpscrape")
    program = shlex.quote(str(script)) if script.exists() else None
    if program is None:
        program = f"{shlex.quote(str(Path(sys.executable).absolute()))} -m lpscrape"
    return f"{program} serve --db {shlex.quote(str(db.absolute()))}"
