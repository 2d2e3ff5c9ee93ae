"""Runs that could not be closed in the archive itself (its file no longer writable: an I/O
error, a read-only or full disk): noted in a small file beside it, so that the next run closes
them as what they were (failed, with their error), not as killed."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from .readonly import readonly_connection


def note_path(db_path: str | Path) -> Path:
    """The note file beside the archive (the file itself, where a symlink leads to it: SQLite
    names it so to the next run)."""
    path = Path(os.path.realpath(db_path))
    return path.with_name(path.name + ".unclosed")


def read(db_path: str | Path) -> dict[int, dict[str, Any]]:
    """The noted runs by id (none when there is no readable note)."""
    try:
        data = json.loads(note_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    runs = data.items()
    return {int(k): v for k, v in runs if k.isascii() and k.isdigit() and isinstance(v, dict)}


def noted_error(notes: dict[int, dict[str, Any]], run_id: int, started_at: str) -> str | None:
    """The error the notes give for run `run_id` left open, when the note is this run's (its
    start matches, where the note knows it)."""
    note = notes.get(run_id)
    if not note or note.get("started_at") not in (None, started_at):
        return None
    error = note.get("error")
    return error if isinstance(error, str) and error else None


def note(
    db_path: str | Path, run_id: int, started_at: str | None, error: str, finished_at: str
) -> bool:
    """Add run `run_id`'s end to the note (atomically); False when it cannot be written
    either (the next run then closes it as killed). `started_at` tells this run from a
    run of the same id in another archive put at the same path since."""
    runs = {str(k): v for k, v in read(db_path).items()}
    runs[str(run_id)] = {"started_at": started_at, "error": error, "finished_at": finished_at}
    path = note_path(db_path)
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        partial.write_text(json.dumps(runs, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        return False
    return True


def clear(db_path: str | Path) -> None:
    """Forget the note (its runs are closed in the archive now; a note that cannot be
    removed is harmless: it names runs no longer running)."""
    with contextlib.suppress(OSError):
        note_path(db_path).unlink(missing_ok=True)


def run_started(db_path: str | Path, run_id: int) -> str | None:
    """When run `run_id` started, as the archive says (None when it cannot be read)."""
    try:
        conn = readonly_connection(db_path)
        try:
            sql = "SELECT started_at FROM crawl_runs WHERE id = ?"
            row = conn.execute(sql, [run_id]).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None
