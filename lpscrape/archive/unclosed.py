"""Runs that could not be closed in the archive itself (its file no longer writable: an I/O
error, a read-only or full disk): noted in a small file beside it, so that the next run closes
them as what they were (failed, with their error), not as killed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def note_path(db_path: str | Path) -> Path:
    """The note file beside the archive."""
    path = Path(db_path)
    return path.with_name(path.name + ".unclosed")


def read(db_path: str | Path) -> dict[int, dict[str, Any]]:
    """The noted runs by id (none when there is no readable note)."""
    try:
        data = json.loads(note_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {int(k): v for k, v in data.items() if k.isdigit() and isinstance(v, dict)}


def note(db_path: str | Path, run_id: int, error: str, finished_at: str) -> bool:
    """Add run `run_id`'s end to the note (atomically); False when it cannot be written
    either (the next run then closes it as killed)."""
    runs = {str(k): v for k, v in read(db_path).items()}
    runs[str(run_id)] = {"error": error, "finished_at": finished_at}
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
    """Forget the note (its runs are closed in the archive now)."""
    note_path(db_path).unlink(missing_ok=True)
