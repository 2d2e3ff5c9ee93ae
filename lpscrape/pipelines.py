"""Thin glue from the spider's captures to the pure extractor and the archive."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from lpscrape.archive.store import RUN_COUNTERS, Archive, ArchiveError
from lpscrape.extract import extract_article
from lpscrape.items import Capture

KEY_FIELDS = ("title", "published_at", "body_text", "authors")
logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Runs the pure extractor over HTML captures; a crash there never costs the capture."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Keep the crawler for its stats."""
        return cls(crawler)

    def process_item(self, item: Capture) -> Capture:
        """Attach the extracted record to an article or listing page."""
        if item.kind in ("article", "listing") and item.status == 200 and item.body:
            try:
                item.record = extract_article(item.body, item.url, item.header("Content-Type"))
            except Exception:  # kept for `lpscrape reparse` once the extractor is fixed
                logger.exception("extraction failed on %s; the capture is kept", item.url)
                self.crawler.stats.inc_value("lpscrape/extract_errors")
        return item


class ArchivePipeline:
    """Stores every capture, upserts articles, and keeps the run's row in `crawl_runs`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.warnings: Counter[str] = Counter()
        self.degraded = 0
        self.articles = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        """Read the storage settings; finish the run when the spider closes."""
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the archive and start this run's row."""
        try:
            self.archive = Archive.open(
                self.settings.get("ARCHIVE_DB"),
                batch_size=self.settings.getint("ARCHIVE_BATCH_SIZE", 200),
                batch_seconds=self.settings.getfloat("ARCHIVE_BATCH_SECONDS", 2.0),
            )
        except ArchiveError as exc:
            self.crawler.stats.set_value("lpscrape/archive_error", str(exc))
            raise CloseSpider(str(exc)) from exc
        spider = self.crawler.spider
        mode = "full" if getattr(spider, "full", False) else "incremental"
        self.run_id = self.archive.start_run(getattr(spider, "base", ""), mode)
        self.crawler.stats.set_value("lpscrape/run_id", self.run_id)

    def process_item(self, item: Capture) -> Capture:
        """Keep the capture and count what it meant."""
        if self.archive is None:
            return item
        outcome = self.archive.add(item, self.run_id)
        self.crawler.stats.inc_value(f"lpscrape/{outcome}")
        record = item.record
        if outcome in ("new", "changed", "unchanged") and record is not None:
            self.articles += 1
            self.warnings.update(record.extraction.warnings)
            missing = any(not getattr(record, f) for f in KEY_FIELDS)
            self.degraded += missing or record.extraction.method != "theme"
        return item

    def alerts(self) -> list[str]:
        """What the archivist must look at: failures, and extraction that quietly degraded."""
        out = []
        share = self.degraded / self.articles if self.articles else 0.0
        enough = self.articles >= self.settings.getint("LPSCRAPE_DRIFT_MIN_ARTICLES", 10)
        if enough and share >= self.settings.getfloat("LPSCRAPE_ALERT_SHARE", 0.2):
            out.append(
                f"extraction degraded on {self.degraded} of {self.articles} articles "
                f"({share:.0%}): the site's theme may have changed"
            )
        failed = self.crawler.stats.get_value("lpscrape/failed", 0)
        if failed:
            out.append(f"{failed} requests failed after retries")
        crashed = self.crawler.stats.get_value("lpscrape/extract_errors", 0)
        if crashed:
            out.append(f"extraction crashed on {crashed} pages (captures kept; see the log)")
        return out

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Close the run with its outcome, counts, warnings and alerts."""
        if self.archive is None or self.run_id is None:
            return
        stats = self.crawler.stats
        counts = {k: stats.get_value(f"lpscrape/{k}", 0) for k in RUN_COUNTERS}
        counts["fetched"] = stats.get_value("response_received_count", 0)
        counts["requests"] = stats.get_value("downloader/request_count", 0)
        counts["bytes_downloaded"] = stats.get_value("downloader/response_bytes", 0)
        outcome = {"finished": "completed", "shutdown": "aborted"}.get(reason, "failed")
        alerts = self.alerts()
        stats.set_value("lpscrape/alerts", alerts)
        self.archive.finish_run(
            self.run_id,
            outcome,
            counts,
            warnings=dict(self.warnings.most_common()),
            warning_count=sum(self.warnings.values()),
            alerts=alerts,
        )
        self.archive.close()
        self.archive = None
