"""Crawl progress: a line kept up to date on a terminal, a periodic log line otherwise (cron
mails whatever reaches stderr, so nothing routine goes there)."""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

logger = logging.getLogger(__name__)


class Progress:
    """Rewrites one stderr line when stderr is a terminal; logs the line (INFO) otherwise."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.stats = crawler.stats
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.tty = sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        """Wire the extension to the crawl's open and close signals."""
        ext = cls(crawler, crawler.settings.getfloat("LPSCRAPE_PROGRESS_INTERVAL", 2.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        """The current progress as one line."""
        get = self.stats.get_value
        elapsed = time.monotonic() - self.started
        fetched = get("response_received_count", 0)
        return (
            f"[{int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}] fetched {fetched}"
            f" | articles new {get('lpscrape/new', 0)} changed {get('lpscrape/changed', 0)}"
            f" unchanged {get('lpscrape/unchanged', 0)} not-modified "
            f"{get('lpscrape/not_modified', 0)} skipped {get('lpscrape/skipped', 0)}"
            f" held {get('lpscrape/held', 0)}"
            f" | failed {get('lpscrape/failed', 0)}"
            f" | {fetched / elapsed if elapsed else 0:.1f} pages/s"
        )

    def show(self, final: bool = False) -> None:
        """Print (terminal) or log (anything else) the progress line."""
        if self.tty:
            sys.stderr.write(self.line() + ("\n" if final else "\r"))
            sys.stderr.flush()
        else:
            logger.info("progress: %s", self.line())

    def opened(self) -> None:
        """Start reporting."""
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def closed(self) -> None:
        """Stop reporting, with a last line."""
        if self.loop and self.loop.running:
            self.loop.stop()
        self.show(final=True)
