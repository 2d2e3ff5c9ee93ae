"""A progress line every few seconds: pages fetched, what they meant, errors, speed."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task


class Progress:
    """Prints crawl progress to stderr (overwriting one line on a terminal)."""

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
            f" | errors {get('lpscrape/failed', 0) + get('log_count/ERROR', 0)}"
            f" | {fetched / elapsed if elapsed else 0:.1f} pages/s"
        )

    def show(self) -> None:
        """Print the progress line."""
        end = "\r" if self.tty else "\n"
        sys.stderr.write(self.line() + end)
        sys.stderr.flush()

    def opened(self) -> None:
        """Start printing."""
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def closed(self) -> None:
        """Stop printing, with a last line."""
        if self.loop and self.loop.running:
            self.loop.stop()
        sys.stderr.write(self.line() + "\n")
