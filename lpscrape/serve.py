"""Datasette over the archive, read-only, with the project's metadata, configuration and plugin.

`lpscrape/datasette/` keeps two files apart, as Datasette 1.0 does:

- `metadata.json`: what things *are* (title, description, source, licence, every table's and
  column's description);
- `datasette.json`: how they are *served* (settings, facets, sort orders, full-text search,
  canned queries), laid out like 1.0's `datasette.yaml`.

The database key `"*"` in both stands for the archive, whatever its file is called. Datasette
0.65 reads table options and canned queries from its metadata, so `datasette_metadata()` merges
the two for the database actually served; on 1.0 the files map one-to-one onto
`--metadata` / `--config`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.database import Database as DatasetteDatabase
from datasette.inspect import inspect_hash
from sqlite_utils import Database

from lpscrape.archive.readonly import frozen, readonly_connection
from lpscrape.archive.schema import FTS_TOKENIZE, SCHEMA_VERSION, VERSION_TEXTS
from lpscrape.archive.store import ArchiveError, open_database

DATASETTE_DIR = Path(__file__).resolve().parent / "datasette"
METADATA_FILE = DATASETTE_DIR / "metadata.json"
CONFIG_FILE = DATASETTE_DIR / "datasette.json"
TEMPLATES_DIR = DATASETTE_DIR / "templates"
PLUGINS_DIR = DATASETTE_DIR / "plugins"
CITE_MODULE = Path(__file__).resolve().parent / "cite.py"
BODIES_MODULE = Path(__file__).resolve().parent / "archive" / "bodies.py"
PAYLOADS_MODULE = Path(__file__).resolve().parent / "archive" / "payloads.py"
JSONCOLS_MODULE = Path(__file__).resolve().parent / "archive" / "jsoncols.py"
ANY_DATABASE = "*"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8001


class ServeError(ArchiveError):
    """The archive cannot be served as asked: one line a person can act on."""


# The archive's name in every URL Datasette serves it at (`/archive/article/…`), whatever its
# file is called: a permalink given in a citation outlives a renamed or moved file.
ARCHIVE_NAME = "archive"


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` updated with `extra`, nested dictionaries merged rather than replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def settings(**overrides: Any) -> dict[str, Any]:
    """Datasette settings from `datasette.json`, with `overrides` on top."""
    return {**_load_json(CONFIG_FILE).get("settings", {}), **overrides}


def datasette_metadata(name: str, base_url: str = "/") -> dict[str, Any]:
    """Datasette 0.65 metadata for the archive served as `name`: descriptions + configuration."""
    metadata = _load_json(METADATA_FILE)
    config = _load_json(CONFIG_FILE)
    databases = _deep_merge(metadata.get("databases", {}), config.get("databases", {}))
    if ANY_DATABASE in databases:
        databases[name] = _deep_merge(databases.pop(ANY_DATABASE), databases.get(name, {}))
    metadata["databases"] = databases
    if config.get("plugins"):
        metadata["plugins"] = _named_database(config["plugins"], name)
    for key in ("about_url", "license_url"):
        if isinstance(metadata.get(key), str) and metadata[key].startswith("/"):
            metadata[key] = base_url.rstrip("/") + metadata[key]
    return metadata


def _named_database(tree: Any, name: str) -> Any:
    """Plugin configuration with every `"db": "*"` naming the database served."""
    if isinstance(tree, dict):
        return {
            k: name if k == "db" and v == ANY_DATABASE else _named_database(v, name)
            for k, v in tree.items()
        }
    if isinstance(tree, list):
        return [_named_database(v, name) for v in tree]
    return tree


def servable_archive(db_path: str | Path) -> Path:
    """The archive file to serve, cite or copy, checked: it exists, is SQLite and has the
    archive's tables."""
    path = Path(db_path)
    if not path.exists():
        raise ServeError(
            f"no archive at {path}: create it with `lpscrape crawl --db {path}` "
            f"(or `lpscrape demo --db {path}`), or pass --db"
        )
    if not path.is_file():
        raise ServeError(f"{path} is not a file")
    if any(c in str(path) for c in "?#%"):
        raise ServeError(f"Datasette cannot open {path}: rename it without ?, # or %")
    # Read through SQLite only: a plain open() and close() of the file would drop this
    # process's POSIX locks on it (see lpscrape.archive.store.open_database).
    try:
        conn = readonly_connection(path)
        try:
            tables = set(Database(conn).table_names())
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"{path} is not an SQLite archive ({exc})") from exc
    if "articles" not in tables:
        raise ServeError(f"{path} is not an lpscrape archive (it has no articles table)")
    return path


def _outdated(path: Path) -> bool:
    """True when the archive predates this version's tables, search index or version bodies."""
    db = Database(readonly_connection(path))
    try:
        tables = db.table_names()
        sql = {t: db[t].schema for t in ("articles_fts", "article_versions") if t in tables}
        views = db.view_names()
        version = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.conn.close()
    return (
        version < SCHEMA_VERSION
        or "article_changes" not in tables
        or FTS_TOKENIZE not in (sql.get("articles_fts") or "")
        or "body_shared" not in (sql.get("article_versions") or "")
        # The view is a convenience: added where the file can be written, else served without.
        or (VERSION_TEXTS not in views and os.access(path, os.W_OK))
    )


def bring_up_to_date(path: Path) -> None:
    """Add what an older archive lacks (edit history, search index) before serving it: the
    one write `serve` makes, and only to an archive that needs it."""
    if not _outdated(path):
        return
    try:
        open_database(path).conn.close()
    except (ArchiveError, sqlite3.Error) as exc:
        raise ServeError(
            f"{path} was made by an older lpscrape and cannot be updated here ({exc}): "
            f"run `lpscrape reparse --db {path}` where it can be written"
        ) from exc


def make_datasette(
    db_path: str | Path,
    *,
    immutable: bool = False,
    settings_overrides: dict[str, Any] | None = None,
    archive_url: str | None = None,
) -> Datasette:
    """A Datasette serving the archive read-only with the project's metadata and templates.

    Mutable (the default) reads through `mode=ro` connections and sees a crawl's commits as
    they land (WAL); `immutable=True` is for a snapshot nothing writes to any more.
    `archive_url`: the public address citations name (else the address each request used).
    """
    path = servable_archive(db_path)
    immutable = immutable or frozen(path)  # a folder nobody can write: a snapshot
    if not immutable:
        bring_up_to_date(path)
    chosen = settings(**(settings_overrides or {}))
    metadata = datasette_metadata(ARCHIVE_NAME, chosen.get("base_url", "/"))
    if archive_url:
        metadata.setdefault("plugins", {})["lpscrape"] = {"archive_url": archive_url}
    datasette = Datasette(
        files=[],
        metadata=metadata,
        settings=chosen,
        template_dir=str(TEMPLATES_DIR),
        plugins_dir=str(PLUGINS_DIR),
        version_note="lpscrape",
    )
    # Added under its fixed name rather than as a file (named after the file); Datasette then
    # adds an in-memory database it would not have beside a file: taken out again.
    datasette.remove_database("_memory")
    archive = DatasetteDatabase(datasette, path=str(path), is_mutable=not immutable)
    datasette.add_database(archive, name=ARCHIVE_NAME)
    return datasette


def _check_port(host: str, port: int) -> None:
    """Fail early, in one line, when the address is taken."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OverflowError as exc:  # a port past 65535 (the command line refuses it first)
        raise ServeError(f"cannot listen on {host}:{port}: not a port (1 to 65535)") from exc
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve(
    db_path: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    immutable: bool = False,
    archive_url: str | None = None,
) -> None:
    """Run Datasette over the archive until interrupted (works while a crawl writes)."""
    import uvicorn

    ds = make_datasette(db_path, immutable=immutable, archive_url=archive_url)
    _check_port(host, port)
    asyncio.run(ds.invoke_startup())
    print(
        f"lpscrape: serving {db_path} read-only at http://{host}:{port}/ (Ctrl+C to stop)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


def _table_counts(path: Path) -> dict[str, int]:
    """Rows per table, as `datasette inspect` records them."""
    db = Database(readonly_connection(path))
    try:
        return {name: db[name].count for name in db.table_names()}
    finally:
        db.conn.close()


def write_datasette_dir(db_path: str | Path, out_dir: str | Path) -> Path:
    """A self-contained, read-only copy for the public: a Datasette configuration directory.

    `out_dir` receives a consistent snapshot of the archive (taken with `VACUUM INTO`, safe
    while a crawl writes), `metadata.json` (descriptions and configuration merged for 0.65),
    `settings.json`, `templates/`, `plugins/` and `inspect-data.json`. `datasette OUT_DIR`
    then serves it immutable, with row counts precomputed; see the README for
    `datasette publish`.
    """
    source = servable_archive(db_path)
    bring_up_to_date(source)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{ARCHIVE_NAME}.db"
    if target.exists():
        raise ServeError(f"{target} already exists: remove it or choose another folder")
    conn = readonly_connection(source)
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"cannot copy {source} to {target}: {exc}") from exc
    finally:
        conn.close()
    snapshot = sqlite3.connect(target)
    snapshot.execute("PRAGMA journal_mode = DELETE")  # a read-only copy needs no -wal/-shm
    snapshot.close()
    metadata = datasette_metadata(ARCHIVE_NAME)
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    (out / "settings.json").write_text(json.dumps(settings(), indent=2) + "\n")
    for folder in (TEMPLATES_DIR, PLUGINS_DIR):
        shutil.copytree(
            folder,
            out / folder.name,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    # The citation formats, where version bodies are kept, how captures are compressed and
    # how JSON array columns read, for a Datasette that serves the copy without lpscrape
    # installed (in a subfolder: Datasette would load a plugins/*.py file as a plugin).
    (out / PLUGINS_DIR.name / "lpscrape_lib").mkdir(exist_ok=True)
    for module in (CITE_MODULE, BODIES_MODULE, PAYLOADS_MODULE, JSONCOLS_MODULE):
        shutil.copyfile(module, out / PLUGINS_DIR.name / "lpscrape_lib" / module.name)
    inspect = {
        ARCHIVE_NAME: {
            "hash": inspect_hash(target),
            "size": target.stat().st_size,
            "file": target.name,
            "tables": {table: {"count": count} for table, count in _table_counts(target).items()},
        }
    }
    (out / "inspect-data.json").write_text(json.dumps(inspect, indent=2) + "\n")
    return target
