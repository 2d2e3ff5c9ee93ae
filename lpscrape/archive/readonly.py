"""How to open an archive for reading only, also where its folder cannot be written."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def frozen(path: str | Path) -> bool:
    """True when nothing can be writing the archive and SQLite could not open it read-only
    in WAL mode: its folder cannot be written (so no -wal or -shm file can be made) and none
    is there (a crawl writing it would have made them)."""
    path = Path(path).resolve()
    if os.access(path.parent, os.W_OK):
        return False
    return not any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))


def readonly_uri(path: str | Path, immutable: bool = False) -> str:
    """The SQLite URI that reads the archive without writing anything beside it: `mode=ro`,
    and `immutable=1` when asked or when it is `frozen` (else SQLite fails with 'unable to
    open database file' on a WAL archive in a folder it cannot write)."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    return f"{uri}&immutable=1" if immutable or frozen(path) else uri


def readonly_connection(
    path: str | Path, immutable: bool = False, timeout: float = 5.0
) -> sqlite3.Connection:
    """A connection that reads the SQLite file at `path` and writes nothing beside it."""
    # Nothing is read yet: a file that is not SQLite fails on the first statement.
    return sqlite3.connect(readonly_uri(path, immutable), uri=True, timeout=timeout)
