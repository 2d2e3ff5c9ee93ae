"""One writer per archive: an exclusive lock on `ARCHIVE.lock`, released by the kernel when
its process dies, so a lock left by a killed run is simply taken over (and named). The file
exists only while a run holds it, or after one was killed."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
from pathlib import Path

from lpscrape.clock import utc_now

from .store import ArchiveError

logger = logging.getLogger(__name__)
# Locks this process holds, by lock file: taking one again (the CLI, then the pipeline) nests.
_HELD: dict[str, tuple[int, int]] = {}


class ArchiveBusy(Exception):
    """Another process is writing this archive; try again when it has finished."""


def lock_path(db_path: str | Path) -> Path:
    """The lock file beside the archive."""
    path = Path(db_path)
    return path.with_name(path.name + ".lock")


def _holder(fd: int) -> dict[str, object]:
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        data = json.loads(os.read(fd, 4096) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _open_locked(path: Path) -> int:
    """A descriptor of the lock file, locked; raises BlockingIOError when another holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # released and removed while we opened it: take the new one


def acquire(db_path: str | Path, purpose: str = "crawl") -> None:
    """Take the archive's lock, or raise ArchiveBusy naming the process that holds it."""
    path = lock_path(db_path)
    key = str(path.resolve())
    if key in _HELD:
        fd, count = _HELD[key]
        _HELD[key] = (fd, count + 1)
        return
    try:
        fd = _open_locked(path)
    except BlockingIOError:
        holder = _holder_of(path)
        theirs = holder.get("purpose", "crawl")
        who = f"pid {holder.get('pid', '?')}, a {theirs} since {holder.get('since', '?')}"
        refused = f"a second {purpose}" if purpose == theirs else f"the {purpose}"
        raise ArchiveBusy(
            f"{db_path} is being written by another process ({who}); "
            f"not starting {refused} — try again when it has finished"
        ) from None
    except OSError as exc:
        raise ArchiveError(f"cannot lock archive {db_path}: {exc.strerror or exc}") from exc
    stale = _holder(fd)
    if stale.get("pid"):  # a holder that never released it: killed
        line = (
            f"took over the lock of {db_path} left by pid {stale.get('pid')} "
            f"({stale.get('purpose', 'crawl')} since {stale.get('since', '?')}), which is no "
            "longer running"
        )
        logger.info(line)  # the run's log; on stderr as lpscrape's other lines, before logging
        print(f"lpscrape: {line}", file=sys.stderr)  # is set up (the lock comes first)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps({"pid": os.getpid(), "purpose": purpose, "since": utc_now()}).encode())
    _HELD[key] = (fd, 1)


def _holder_of(path: Path) -> dict[str, object]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return {}
    try:
        return _holder(fd)
    finally:
        os.close(fd)


def holder(db_path: str | Path) -> dict[str, object] | None:
    """Who holds the archive's lock now (pid, purpose, since), or None: nobody is writing it."""
    try:
        fd = os.open(lock_path(db_path), os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(fd) or {"pid": "?"}
        fcntl.flock(fd, fcntl.LOCK_UN)  # free: left by a killed run, if anything
        return None
    finally:
        os.close(fd)


def release(db_path: str | Path) -> None:
    """Give the lock back (the last of nested holds removes the file, then unlocks it)."""
    path = lock_path(db_path)
    key = str(path.resolve())
    if key not in _HELD:
        return
    fd, count = _HELD.pop(key)
    if count > 1:
        _HELD[key] = (fd, count - 1)
        return
    # Removed while still locked: whoever opened the old file sees it is gone and retries.
    path.unlink(missing_ok=True)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def forget_inherited() -> None:
    """In a forked child: close the lock descriptors inherited from the parent (the lock
    stays the parent's; only the parent releases it)."""
    for fd, _count in _HELD.values():
        os.close(fd)
    _HELD.clear()
