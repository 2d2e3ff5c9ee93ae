"""The extract+store worker: a capture in, a stored outcome out, through bounded queues.

The crawl process fetches and captures; this process extracts and writes the archive, so the
two run on two cores. The inbox is bounded: when the worker falls behind, the crawl process
waits (back-pressure), and memory stays flat. The archive records only what it stored: if the
crawl process is killed, the worker rolls back its unfinished batch and exits, and the next
run fetches those pages again.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import sys
import threading
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from traceback import format_exc
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from lpscrape.archive import lock
from lpscrape.archive.store import Archive, ArchiveError, Outcome
from lpscrape.extract import Article, extract_article
from lpscrape.extract.wpapi import posts_from_api, terms_from_api
from lpscrape.failures import error_page_failure
from lpscrape.items import Capture
from lpscrape.urls import clean_url

logger = logging.getLogger(__name__)
# Sent by the archive pipeline for each article page stored, with `record` and `url`.
ARTICLE_STORED = object()
SEND_BATCH = 16  # captures per message to the worker (8: 2-3% slower crawls; 32: no faster)
BATCH_SECONDS = 0.5  # the longest a capture waits in a part-filled batch
INBOX_SIZE = 4  # batches waiting for the worker at most
POLL_SECONDS = 1.0  # how often an idle worker checks that the crawl process still lives


class Stored(NamedTuple):
    """What one capture meant for the archive, as the crawl process counts it."""

    outcome: Outcome
    url: str
    requested_url: str | None
    kind: str
    status: int
    failure: str | None
    record: Article | None  # an article page's record (for the run's counts and health)
    extract_error: bool


def extract(capture: Capture) -> bool:
    """Attach the extracted record to a usable article or listing page; True if it crashed
    (the capture is kept for `lpscrape reparse` once the extractor is fixed). A capture that
    arrives with its record (extracted on a distributed crawler) is not extracted again."""
    if capture.kind == "api":
        return extract_api(capture)
    if capture.record is not None:
        return False
    if capture.failure or capture.kind not in ("article", "listing"):
        return False
    if capture.status != 200 or not capture.body:
        return False
    try:
        capture.record = extract_article(
            capture.body, capture.url, capture.header("Content-Type"), capture.discovered_via
        )
    except Exception:
        logger.exception("extraction failed on %s; the capture is kept", capture.url)
        return True
    return False


def extract_api(capture: Capture) -> bool:
    """A REST API answer's rows (terms of `capture.taxonomy`, else posts); True if it crashed."""
    if capture.api_rows is not None or capture.failure or capture.status != 200:
        return False
    try:
        if capture.taxonomy:
            rows = terms_from_api(capture.body)
        else:
            rows = [{**row, "link": clean_url(row["link"])} for row in posts_from_api(capture.body)]
    except Exception:
        logger.exception("the REST API answer %s could not be read; it is kept", capture.url)
        return True
    capture.api_rows = rows
    return False


def api_taxonomy(url: str) -> str | None:
    """A stored terms answer's taxonomy by its URL (`…/wp/v2/tags`): read back, meta is gone."""
    path = urlsplit(url).path.rstrip("/")
    return {"categories": "categories", "tags": "tags"}.get(path.rsplit("/", 1)[-1])


def no_longer_article(archive: Archive, capture: Capture) -> bool:
    """Whether a live archived article's URL, still listed by the site (not only remembered by
    the archive), answered 200 with a page that is not an article (a theme's "not found" page,
    the home page it was redirected to): a failure, not news. One the sitemaps dropped is
    marked gone instead (`Archive.apply`)."""
    record = capture.record
    if capture.status != 200 or record is None or record.is_article:
        return False
    if capture.discovered_via == "archive":
        return False
    return archive.live_article_at(capture.requested_url or capture.url) is not None


def measured_record(stored: Stored) -> Article | None:
    """The record a run's health measures: an article page served in full and extracted."""
    record = stored.record
    if stored.failure or stored.kind != "article" or stored.status != 200:
        return None
    return record if record is not None and record.is_article else None


def store(archive: Archive, capture: Capture, run_id: int | None) -> Stored:
    """Extract, check and keep one capture in the archive (committed in the archive's
    batches). An article page's error-page check is made here, off the crawl's core."""
    crashed = extract(capture)
    if capture.failure is None and capture.kind == "article":
        # After extraction: a body longer than any error page's text spares the page scan.
        body = (capture.record.body_text or "") if capture.record is not None else ""
        if failure := error_page_failure(capture.status, capture.body, len(body)):
            capture.failure, capture.record, crashed = failure, None, False
        elif no_longer_article(archive, capture):
            capture.failure = "not_article"  # kept, counted: the article was not refreshed
    outcome = archive.add(capture, run_id)
    record = capture.record if capture.kind == "article" else None
    return Stored(
        outcome,
        capture.url,
        capture.requested_url,
        capture.kind,
        capture.status,
        capture.failure,
        record,
        crashed,
    )


def serve(inbox: Queue[Any], outbox: Queue[Any], parent: int) -> None:
    """The worker's loop: wait for `open` (the archive), then answer each message until
    `finish`. The process starts before it knows its archive: its imports overlap the crawl's
    start-up."""
    # Ctrl+C (SIGINT to the terminal's process group) and a service stop (systemd sends
    # SIGTERM to every process of the unit) are the crawl process's to handle: it stops the
    # crawl, has this worker store what was fetched and close the run, then ends it. Killed
    # here instead, the worker would lose its batch and the run would end `failed`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    archive: Archive | None = None
    failed: str | None = None
    while True:
        try:
            op, arg = inbox.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:  # the crawl process died (kill -9): store nothing more
                if archive is not None:
                    archive.abandon()
                return
            continue
        if archive is None:
            if op != "open":  # `quit`: started early and not needed
                return
            db_path, options = arg
            try:
                archive = Archive.open(db_path, **options)
            except (ArchiveError, sqlite3.Error) as exc:
                outbox.put(("error", str(exc)))
                return
            outbox.put(("ready", None))
            continue
        try:
            if op == "captures":
                if not failed:
                    outbox.put(("stored", [store(archive, *capture) for capture in arg]))
            elif op == "start_run":
                try:
                    outbox.put(("run", archive.start_run(*arg)))
                except sqlite3.Error as exc:
                    archive.abandon()
                    outbox.put(("error", str(exc)))
                    return
            elif op == "flush":
                outbox.put(("flushed", None))
            elif op == "finish":
                run_id, outcome, counts, extra = arg
                archive.finish_run(run_id, outcome, counts, **extra)
                archive.close()
                outbox.put(("closed", None))
                return
        except Exception as exc:  # SQLite's errors, and any bug: the crawl stops and says so
            if not isinstance(exc, sqlite3.Error):  # its traceback goes to the run's log file
                outbox.put(("log", f"the store worker failed on {op!r}:\n{format_exc()}"))
                exc = RuntimeError(f"the store worker failed: {type(exc).__name__}: {exc}")
            if op == "finish":
                archive.abandon()
                outbox.put(("closed", str(exc)))
                return
            failed = str(exc)
            archive.rollback()
            outbox.put(("storage_error", failed))


def start_method() -> str:
    """How to start the worker: a fork of this process while it is small and runs one thread
    (`lpscrape crawl` starts it before importing Scrapy: no copy of Scrapy's memory, no
    interpreter start-up, no multiprocessing helper process); else a new interpreter (inside
    a running Scrapy, as under scrapyd: another thread may hold a lock a fork would copy)."""
    if threading.active_count() == 1 and "scrapy" not in sys.modules:
        return "fork"
    return "spawn"


def serve_forked(inbox: Queue[Any], outbox: Queue[Any], parent: int) -> None:
    """`serve` in a fork of the crawl process: without the archive lock's descriptor, which
    would keep the lock held after the crawl process ends."""
    lock.forget_inherited()
    serve(inbox, outbox, parent)


_early: StoreWorker | None = None


def start_early() -> None:
    """Start the worker now, before Scrapy's engine starts, so that the worker's start-up (a
    new interpreter importing the extractor and the archive: about half a second) runs beside
    the engine's on the other core; the archive pipeline adopts it. (Called once the crawl's
    checks have passed: a refused crawl never starts a process.)"""
    global _early
    if _early is None:
        _early = StoreWorker()


def discard_early() -> None:
    """End a worker `start_early` started that no pipeline adopted."""
    global _early
    worker, _early = _early, None
    if worker is not None:
        with contextlib.suppress(queue.Full):
            worker.inbox.put(("quit", None), timeout=POLL_SECONDS)
        worker.join()


class WorkerGone(Exception):
    """The worker process ended without answering."""


class StoreWorker:
    """The crawl process's end of the worker: start it, send captures, read outcomes."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context(start_method())
        self.inbox: Queue[Any] = ctx.Queue(INBOX_SIZE)
        # Never wait at exit to deliver to a worker that is gone: what it did not store is
        # fetched again by the next run.
        self.inbox.cancel_join_thread()
        self.outbox: Queue[Any] = ctx.Queue()
        self.process: BaseProcess = ctx.Process(
            target=serve_forked if ctx.get_start_method() == "fork" else serve,
            args=(self.inbox, self.outbox, os.getpid()),
            name="lpscrape-store",
            daemon=True,
        )
        self.process.start()
        self.sent = 0  # captures sent (or waiting in `batch`)
        self.answered = 0  # their outcomes received
        self.pending: list[tuple[str, Any]] = []  # answers read while waiting for another
        self.batch: list[tuple[Capture, int | None]] = []  # captures not sent yet

    @classmethod
    def adopt(cls) -> StoreWorker:
        """The worker `start_early` started, if it still runs, else a new one."""
        global _early
        worker, _early = _early, None
        if worker is not None and worker.process.is_alive():
            return worker
        return cls()

    def open(self, db_path: str, options: dict[str, Any]) -> None:
        """Have the worker open the archive (`Archive.open` options); raises ArchiveError if
        it cannot."""
        self._put("open", (db_path, options))
        self.expect("ready")

    def send_capture(self, capture: Capture, run_id: int | None) -> None:
        """Add one capture to the batch; a full batch is sent (waiting if the inbox is)."""
        self.batch.append((capture, run_id))
        self.sent += 1
        if len(self.batch) >= SEND_BATCH:
            self.send_batch()

    def send_batch(self) -> None:
        """Send the captures batched so far, if any."""
        if self.batch:
            batch, self.batch = self.batch, []
            self._put("captures", batch)

    def send(self, op: str, arg: Any = None) -> None:
        """Queue one message after the batched captures, waiting while the inbox is full."""
        self.send_batch()
        self._put(op, arg)

    def _put(self, op: str, arg: Any) -> None:
        """Queue one message, waiting while the inbox is full (back-pressure)."""
        while True:
            try:
                self.inbox.put((op, arg), timeout=POLL_SECONDS)
                break
            except queue.Full:
                if not self.process.is_alive():
                    raise WorkerGone("the store worker ended") from None

    def receive(self, block: bool = True) -> tuple[str, Any] | None:
        """The next answer; None when not blocking and nothing is there."""
        while True:
            try:
                message: tuple[str, Any] = self.outbox.get(block=block, timeout=POLL_SECONDS)
            except queue.Empty:
                if not block:
                    return None
                if not self.process.is_alive():
                    raise WorkerGone("the store worker ended") from None
                continue
            if message[0] == "stored":
                self.answered += len(message[1])
            return message

    def expect(self, kind: str) -> Any:
        """Wait for one answer of this kind (outcomes in between go to `pending`); an
        `error` answer (the archive cannot be opened or its run started) raises."""
        while True:
            message = self.receive()
            assert message is not None
            if message[0] == kind:
                return message[1]
            if message[0] == "error":
                raise ArchiveError(message[1])
            self.pending.append(message)

    def join(self) -> None:
        """Wait for the process to end (it ends after `finish`)."""
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
