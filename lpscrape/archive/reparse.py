"""Offline re-extraction: rebuild articles and versions from the stored captures alone."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from lpscrape.extract import Article, extract_article
from lpscrape.worker import api_taxonomy, extract_api

from . import payloads
from .changes import rebuild_changes
from .schema import resume_fts
from .store import Archive, capture_from_row, stored_extraction

# Below this many captures one process is faster than starting a pool.
POOL_MIN_CAPTURES = 200
CHUNK = 256  # captures read, extracted and applied per step


def _extractable(row: tuple[Any, ...]) -> bool:
    """An article page fetched whole: what extraction runs on (status 200, no failure)."""
    return row[7] == "article" and row[3] == 200 and not row[9]


# Compressed body (gzip, zstd, dictionary id), url, content type, found via.
Job = tuple[bytes | None, bytes | None, int | None, str, str | None, str | None]
# The archive's capture dictionaries, by id: read before the pool forks, so workers have them.
_DICTIONARIES: dict[int, bytes] = {}


def _extract(job: Job) -> Article:
    """Decompress one stored body and extract its record (runs in a worker process)."""
    gz, zst, dict_id, url, content_type, via = job
    body = payloads.decompress(gz, zst, _DICTIONARIES.get(dict_id) if zst else None)
    return extract_article(body, url, content_type=content_type, discovered=via)


def _extract_chunk(jobs: list[Job]) -> list[Article]:
    """Extract a list of stored bodies in order (in this process)."""
    return [_extract(job) for job in jobs]


def _job(row: tuple[Any, ...]) -> Job:
    capture = capture_from_row(row, body=False)
    return row[4], row[11], row[12], row[2], capture.header("Content-Type"), capture.discovered_via


def _records(
    archive: Archive, pool: Pool | None, workers: int = 1
) -> Iterator[tuple[tuple[Any, ...], Article | None]]:
    """Each capture row with its new record, in fetch order; with a pool, the next chunk is
    extracted on the other cores while the parent writes this one (one writer: SQLite)."""
    pending: tuple[list[tuple[Any, ...]], AsyncResult[list[Article]] | list[Article]] | None
    pending = None
    for rows in archive.capture_rows(chunk=CHUNK):
        jobs = [_job(row) for row in rows if _extractable(row)]
        if pool is not None:
            # Two tasks per worker: each task costs the parent's pool threads some CPU (with
            # 16 pages a task, 15% of the parent's time).
            size = max(1, len(jobs) // (2 * workers))
            submitted: AsyncResult[list[Article]] | list[Article]
            submitted = pool.map_async(_extract, jobs, chunksize=size)
        else:
            submitted = _extract_chunk(jobs)
        if pending is not None:
            yield from _pair(*pending)
        pending = (rows, submitted)
    if pending is not None:
        yield from _pair(*pending)


def _pair(
    rows: list[tuple[Any, ...]], done: AsyncResult[list[Article]] | list[Article]
) -> Iterator[tuple[tuple[Any, ...], Article | None]]:
    records = iter(done if isinstance(done, list) else done.get())
    for row in rows:
        yield row, next(records) if _extractable(row) else None


def reparse(
    archive: Archive, workers: int | None = None, pool_min: int = POOL_MIN_CAPTURES
) -> Counter[str]:
    """Re-extract every stored capture (on every core) and apply them in fetch order, in one
    transaction; returns outcomes. `workers`: extraction processes (default: one per core),
    used when the archive holds at least `pool_min` captures."""
    outcomes: Counter[str] = Counter()
    workers = workers or os.cpu_count() or 1
    count = archive.db.execute("SELECT count(*) FROM captures").fetchone()[0]
    _DICTIONARIES.clear()
    _DICTIONARIES.update(archive.dictionaries.load_all())
    pool = None
    if workers > 1 and count >= pool_min:
        pool = multiprocessing.get_context("fork").Pool(workers)
    accepted = _accepted_runs(archive)
    try:
        archive.clear_articles(index=False)
        for row, record in _records(archive, pool, workers):
            capture_id, run_id = row[0], row[1]
            capture = capture_from_row(row, record is None, _DICTIONARIES)
            if record is not None:
                capture.record = record
                archive.set_capture_extraction(capture_id, capture, stored_extraction(row))
            elif capture.kind == "api":
                capture.taxonomy = api_taxonomy(capture.url)
                extract_api(capture)
            # An accepted run's changes are the site's own (`lpscrape status --accept`): what
            # its captures say is stored, never held for review again.
            archive.hold = run_id not in accepted
            outcomes[archive.apply(capture, capture_id, run_id).kind] += 1
        rebuild_changes(archive.db)
        resume_fts(archive.db.conn)  # one pass over the new articles (per row: 10% slower)
    except BaseException:
        archive.rollback()  # all or nothing: a half-rebuilt archive is worse than the old one
        raise
    finally:
        archive.hold = True
        if pool is not None:
            pool.terminate()
            pool.join()
    archive.commit()
    return outcomes


def _accepted_runs(archive: Archive) -> set[int]:
    """The runs an archivist accepted as the site's own change (none in an archive that
    never judged a run)."""
    if not archive.db["run_health"].exists():
        return set()
    rows = archive.db.execute("SELECT run_id FROM run_health WHERE accepted_at IS NOT NULL")
    return {run_id for (run_id,) in rows}


def store_held(archive: Archive, run_id: int) -> int:
    """Store the new versions run `run_id` held for review, its change having been accepted
    as the site's own: each held capture extracted again and applied without the hold rules,
    unless a later capture of its article was stored since. Returns how many (no commit)."""
    rows = archive.held_capture_rows(run_id)
    _DICTIONARIES.update(archive.dictionaries.load_all())
    archive.begin()
    archive.hold = False
    try:
        for row in rows:
            capture = capture_from_row(row, True, _DICTIONARIES)
            capture.record = _extract(_job(row))
            archive.set_capture_extraction(row[0], capture)
            archive.apply(capture, row[0], row[1])
    finally:
        archive.hold = True
    return len(rows)
