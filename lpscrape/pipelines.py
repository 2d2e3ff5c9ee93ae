"""Thin glue from the spider's captures to the pure extractor and the archive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.utils.reactor import CallLaterOnce

from lpscrape.alerts import AlertConfig, AlertConfigError
from lpscrape.archive import lock, unclosed
from lpscrape.archive.lock import ArchiveBusy
from lpscrape.archive.review import COLLAPSE_RATIO
from lpscrape.archive.store import (
    RUN_COUNTERS,
    Archive,
    ArchiveError,
    run_mode,
    run_outcome,
)
from lpscrape.clock import utc_now
from lpscrape.items import EARLIER_KINDS, Capture, FetchFailure
from lpscrape.middlewares import STOP_SENDING, UNSENT_ANSWERS
from lpscrape.run_alerts import EXAMPLES_PER_REASON, RunTotals, alert_lines, limits, stopped_line
from lpscrape.tally import Tally
from lpscrape.worker import (
    ARTICLE_STORED,
    BATCH_SECONDS,
    Stored,
    StoreWorker,
    WorkerGone,
    extract,
    store,
)

logger = logging.getLogger(__name__)
# Where the site lists its posts: a run that reads none of them finds articles only through
# listing pages.
DISCOVERY_KINDS = ("sitemap", "feed", "api")


class ArchivePipeline:
    """Stores every capture, upserts articles, counts every failure by reason, and keeps the
    run's row in `crawl_runs`. Holds the archive's lock for the whole run. Extraction and
    storage run in a worker process (`lpscrape.worker`) unless LPSCRAPE_STORE_WORKER is off."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.db_path = self.settings.get("ARCHIVE_DB")
        self.archive: Archive | None = None
        self.worker: StoreWorker | None = None
        self.locked = False
        self.run_id: int | None = None
        self.left_open: list[tuple[int, str, str | None]] = []  # runs earlier crawls left open
        self.storage_error: str | None = None
        self.closing: asyncio.Future[None] | None = None
        self.finishing = False  # the run is being closed (spider_closed)
        self.tally = Tally()
        # Archived articles the site still lists (not only the archive remembers) that
        # answered 404 or 410: marked gone, a contradiction the run alerts on.
        self.listed_missing: set[str] = set()
        self.listed_gone: list[str] = []
        # Captures the worker may have unanswered before this process extracts them itself.
        self.balance_backlog = self.settings.getint("LPSCRAPE_BALANCE_BACKLOG", 40)
        # Sends a part-filled batch of captures to the worker (scheduled once at a time).
        self.batch_timer = CallLaterOnce(self.send_batch)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        """Read the storage settings; finish the run when the spider closes."""
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Check the alerts can be sent, take the archive's lock, open it, start the run."""
        stats = self.crawler.stats
        try:  # checked by `lpscrape crawl` already; this is for scrapyd and `scrapy crawl`
            AlertConfig.from_settings(self.settings.get)
        except AlertConfigError as exc:
            reason = f"crawl refused: {exc}; no alert could be sent"
            stats.set_value("lpscrape/archive_error", reason)
            if not self.settings.getbool("LPSCRAPE_CLI"):
                logger.error("lpscrape: %s", reason)  # the job's log: nowhere else to say it
            raise CloseSpider("alerts_unusable") from exc
        if not self.settings.getbool("LPSCRAPE_CLI"):
            self._check_start()
        try:
            lock.acquire(self.db_path)
        except ArchiveBusy as exc:
            stats.set_value("lpscrape/archive_busy", str(exc))
            self._refused(f"{exc}; this crawl was skipped")
            raise CloseSpider("archive_busy") from exc
        except ArchiveError as exc:
            stats.set_value("lpscrape/archive_error", str(exc))
            self._refused(str(exc))
            raise CloseSpider("archive_error") from exc
        self.locked = True
        options = {
            "batch_size": self.settings.getint("ARCHIVE_BATCH_SIZE", 200),
            "batch_seconds": self.settings.getfloat("ARCHIVE_BATCH_SECONDS", 2.0),
            "collapse_ratio": self.settings.getfloat("LPSCRAPE_COLLAPSE_RATIO", COLLAPSE_RATIO),
        }
        spider = self.crawler.spider
        mode = run_mode(getattr(spider, "full", False))
        base = getattr(spider, "base", "")
        publication = getattr(spider, "publication", None)
        try:
            if self.settings.getbool("LPSCRAPE_STORE_WORKER", True):
                self.worker = StoreWorker.adopt()
                self.worker.open(self.db_path, options)
                self.worker.send("start_run", (base, mode, publication))
                self.run_id, self.left_open = self.worker.expect("run")
            else:
                self.archive = Archive.open(self.db_path, **options)
                self.run_id, self.left_open = self.archive.start_run(base, mode, publication)
        except (ArchiveError, sqlite3.Error, WorkerGone) as exc:
            stats.set_value("lpscrape/archive_error", str(exc))
            if self.archive is not None:
                self.archive.abandon()
                self.archive = None
            if self.worker is not None:
                self.worker.join()
                self.worker = None
            self._refused(str(exc))
            raise CloseSpider("archive_error") from exc
        stats.set_value("lpscrape/run_id", self.run_id)

    def _check_start(self) -> None:
        """Under scrapyd: a site that cannot be reached is refused at once, as `lpscrape
        crawl` refuses it (not retried for minutes while the job queue waits)."""
        from lpscrape.crawl import StartRefused, check_start_url

        spider = self.crawler.spider
        try:
            check_start_url(spider.base, proxies=self.settings.getbool("HTTPPROXY_ENABLED"))
        except StartRefused as exc:
            self.crawler.stats.set_value("lpscrape/archive_error", str(exc))
            self._refused(str(exc), record=True)
            raise CloseSpider("start_refused") from exc

    def _refused(self, reason: str, record: bool = False) -> None:
        """A crawl that could not start, under scrapyd or `scrapy crawl` (`lpscrape crawl`
        says it itself): one line in the job's log and the alert to every action; `record`
        keeps it as a refused run of the archive."""
        from lpscrape.monitor import alert_refused

        if self.settings.getbool("LPSCRAPE_CLI"):
            return
        logger.error("lpscrape: the crawl could not start: %s", reason)
        spider = self.crawler.spider
        full = getattr(spider, "full", False)
        alert_refused(
            self.db_path, spider.base, reason, {}, record=record, full=full, settings=self.settings
        )

    def process_item(self, item: Capture | FetchFailure) -> Capture | FetchFailure:
        """Keep the capture, and count what it meant; a failed fetch is counted by reason."""
        if self.run_id is None or self.storage_error:
            return item
        if isinstance(item, FetchFailure):
            self.tally.fetch_failed(item)
            self.crawler.stats.inc_value("lpscrape/failed")
            return item
        if (
            item.kind == "article"
            and item.status in (404, 410)
            and item.failure is None
            and item.discovered_via not in (None, "archive")
        ):
            self.listed_missing.add(item.requested_url or item.url)
        if item.kind in DISCOVERY_KINDS and item.status in (200, 304) and item.failure is None:
            self.crawler.stats.inc_value("lpscrape/sources_read")
        if self.worker is not None:
            if self.worker.sent - self.worker.answered >= self.balance_backlog:
                # The worker is behind (its inbox is full): rather than wait, this process
                # extracts the page itself and the worker stores it as it arrives (a crash
                # here leaves the record unset: the worker tries again and counts it).
                extract(item)
                if item.record is not None:
                    self.crawler.stats.inc_value("lpscrape/extracted_in_crawl_process")
            try:
                self.worker.send_capture(item, self.run_id)
                if self.worker.batch:
                    self.batch_timer.schedule(BATCH_SECONDS)
                self.drain(block=False)
            except WorkerGone as exc:
                self.stop_on_storage_error(exc)
            return item
        assert self.archive is not None
        try:
            stored = store(self.archive, item, self.run_id)
        except sqlite3.Error as exc:
            self.stop_on_storage_error(exc)
            return item
        self.count(stored)
        return item

    def send_batch(self) -> None:
        """Send a part-filled batch that waited `BATCH_SECONDS` (a crawl between pages)."""
        if self.worker is None:
            return
        try:
            self.worker.send_batch()
            self.drain(block=False)
        except WorkerGone as exc:
            self.stop_on_storage_error(exc)

    def drain(self, block: bool, until: str | None = None) -> None:
        """Count the worker's answers so far (blocking: every one, up to `until`)."""
        assert self.worker is not None
        while True:
            if self.worker.pending:
                message: tuple[str, Any] | None = self.worker.pending.pop(0)
            else:
                message = self.worker.receive(block=block)
            if message is None:
                return
            kind, value = message
            if kind == "stored":
                for stored in value:
                    self.count(stored)
            elif kind == "log":  # the worker's traceback: the run's log file, not the terminal
                logger.info("%s", value)
            elif kind == "storage_error":
                self.stop_on_storage_error(value, stop=until is None)
            if kind == until:
                return

    def count(self, stored: Stored) -> None:
        """Count what one stored capture meant (and show it to the run's health)."""
        stats = self.crawler.stats
        measured = self.tally.stored(stored)
        if stored.extract_error:
            stats.inc_value("lpscrape/extract_errors")
        if stored.kind not in EARLIER_KINDS:  # an earlier answer is no fetch of its own
            failed = stored.failure
            stats.inc_value("lpscrape/failed" if failed else f"lpscrape/{stored.outcome.kind}")
        requested = stored.requested_url or stored.url
        if stored.outcome.kind == "gone" and requested in self.listed_missing:
            self.listed_missing.discard(requested)
            self.listed_gone.append(stored.outcome.article_url or requested)
        if measured:
            self.crawler.signals.send_catch_log(ARTICLE_STORED, record=measured, url=stored.url)

    def stop_on_storage_error(self, exc: Exception | str, stop: bool = True) -> None:
        """Disk full, I/O error, read-only file: undo the batch and stop the crawl cleanly."""
        if self.storage_error:
            return
        remedy = (
            "the run's log says why (report it if it is a bug)"
            if str(exc).startswith("the store worker")
            else "free some space or fix the file"
        )
        self.storage_error = (
            f"storage error: {exc}; the unfinished batch was rolled back — {remedy}, "
            "and the next run fetches what this one could not store"
        )
        self.crawler.stats.set_value("lpscrape/storage_error", self.storage_error)
        logger.info("%s; the unfinished batch is rolled back and the crawl stops", exc)
        if self.archive is not None:  # the worker rolls its own batch back
            with contextlib.suppress(sqlite3.Error):  # SQLite undoes it on close regardless
                self.archive.rollback()
        if stop and not self.finishing:
            self.crawler.signals.send_catch_log(STOP_SENDING)  # no request waits for a pause
            engine = self.crawler.engine
            self.closing = asyncio.ensure_future(engine.close_spider_async(reason="storage_error"))

    def totals(self, outcome: str) -> RunTotals:
        """The run's totals that can raise an alert."""
        stats = self.crawler.stats
        tally = self.tally
        given_up = stats.get_value("lpscrape/given_up") or {}
        return RunTotals(
            failures=tally.failures,
            examples=tally.examples,
            attempts=tally.extra["attempts"],
            forbidden=stats.get_value("lpscrape/forbidden_articles", 0),
            refreshed=tally.extra["refreshed"],
            held=tally.held,
            articles=tally.extra["articles"],
            degraded=tally.extra["degraded"],
            crashed=stats.get_value("lpscrape/extract_errors", 0),
            deferred=stats.get_value("lpscrape/sitemap_deferred", 0),
            left_open=self.left_open,
            skipped=stats.get_value("lpscrape/skipped", 0),
            forbidden_sources=stats.get_value("lpscrape/forbidden_sources", 0),
            stopped=outcome == "aborted",
            requests=stats.get_value("downloader/request_count", 0),
            given_up=[(h.host, h.seconds, h.not_sent) for h in given_up.values()],
            gone=tally.counts["gone"],
            live_before=len(getattr(self.crawler.spider, "known", None) or ()),
            sources_read=stats.get_value("lpscrape/sources_read", 0),
            sources_before=getattr(self.crawler.spider, "sources_before", 0),
            listed_gone=len(self.listed_gone),
            listed_gone_examples=self.listed_gone[:EXAMPLES_PER_REASON],
        )

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Close the run with its outcome, counts, failures, warnings and alerts."""
        try:
            self._finish(reason)
        finally:
            if self.locked:
                lock.release(self.db_path)
                self.locked = False

    def _finish(self, reason: str) -> None:
        self.finishing = True  # the spider is closed: a storage error stops nothing more
        if self.run_id is None or (self.archive is None and self.worker is None):
            self.batch_timer.cancel()
            return
        stats = self.crawler.stats
        # The answers retries were carrying when the end of the run left them unsent (a
        # stopped crawl): kept and counted like any other (each its request's failed fetch).
        for _, captures in self.crawler.signals.send_catch_log(UNSENT_ANSWERS):
            for capture in captures if isinstance(captures, list) else ():
                self.process_item(capture)
        self.batch_timer.cancel()
        if self.worker is not None:
            try:  # every capture sent is counted before the run is closed
                self.worker.send("flush")
                self.drain(block=True, until="flushed")
            except WorkerGone as exc:
                self.stop_on_storage_error(exc, stop=False)
        counts = {k: stats.get_value(f"lpscrape/{k}", 0) for k in RUN_COUNTERS}
        counts["failed"] = sum(self.tally.failures.values())
        counts["fetched"] = stats.get_value("response_received_count", 0)
        counts["requests"] = stats.get_value("downloader/request_count", 0)
        counts["bytes_downloaded"] = stats.get_value("downloader/response_bytes", 0)
        outcome = run_outcome(reason)
        if self.storage_error:
            outcome = "failed"
        # What the archivist must look at: failures, articles expected and not stored, held
        # versions, degraded extraction, a stopped run, a host given up, articles gone.
        totals = self.totals(outcome)
        alerts = alert_lines(totals, **limits(self.settings))
        stats.set_value("lpscrape/alerts", alerts)
        extra = {
            "warnings": dict(self.tally.warnings.most_common()),
            "warning_count": sum(self.tally.warnings.values()),
            "alerts": alerts,
            "failures": dict(self.tally.failures.most_common()),
            "failure_examples": self.tally.examples,
            "sitemap_deferred": stats.get_value("lpscrape/sitemap_deferred", 0),
            "error": self.storage_error
            or {"failed": reason, "aborted": stopped_line(totals)}.get(outcome),
        }
        error: str | None = None
        if self.worker is not None:
            gone = False
            try:
                self.worker.send("finish", (self.run_id, outcome, counts, extra))
                error = self.worker.expect("closed")
            except (WorkerGone, ArchiveError) as exc:
                error, gone = str(exc), isinstance(exc, WorkerGone)
            self.worker.join()
            self.worker = None
            if gone:  # killed or crashed: SQLite undid its open batch; close the run from here
                try:
                    self.archive, error = Archive.open(self.db_path), None
                except (ArchiveError, sqlite3.Error) as exc:
                    error = str(exc)
        if self.archive is not None:
            try:
                self.archive.finish_run(self.run_id, outcome, counts, **extra)
                self.archive.close()
            except sqlite3.Error as exc:
                error = str(exc)
                self.archive.abandon()
            self.archive = None
        if error:
            message = self.storage_error or f"storage error: {error}"
            # The archive cannot say it: a note beside it does, for the next run to close it.
            started = unclosed.run_started(self.db_path, self.run_id)
            noted = unclosed.note(self.db_path, self.run_id, started, message, utc_now())
            left = "closed as failed by the next run" if noted else "left open"
            stats.set_value("lpscrape/storage_error", f"{message} (run {self.run_id} {left})")
            stats.set_value("lpscrape/run_unclosed", True)
