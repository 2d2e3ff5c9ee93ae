"""One log file per run, beside the archive, the oldest of the same archive's removed past a
count.

The console stays as quiet as `LOG_LEVEL` says (`lpscrape crawl` without `-v`: ERROR, one
line per record, its traceback only in the file); the file keeps `LPSCRAPE_LOG_FILE_LEVEL`
(INFO by default), so a run that went wrong can be read the morning after. Its path is kept
in the run's stats (`lpscrape/log_path`) and recorded with the run's health. Under scrapyd,
which writes one log per job itself (`LOG_FILE`), that file is the run's log.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def log_dir(settings: BaseSettings) -> Path:
    """Where run logs go: `LPSCRAPE_LOG_DIR`, else `logs/` beside the archive."""
    configured = settings.get("LPSCRAPE_LOG_DIR")
    if configured:
        return Path(configured)
    return Path(settings.get("ARCHIVE_DB", "archive.db")).resolve().parent / "logs"


def log_prefix(settings: BaseSettings) -> str:
    """The start of the names of one archive's run logs: `crawl-<file name>-<path hash>`, so
    that archives sharing a log folder keep (and rotate) their own."""
    archive = Path(settings.get("ARCHIVE_DB", "archive.db")).resolve()
    stem = re.sub(r"[^\w.-]", "_", archive.stem)
    return f"crawl-{stem}-{hashlib.sha1(str(archive).encode()).hexdigest()[:6]}"


def rotate(folder: Path, keep: int, prefix: str) -> list[Path]:
    """Remove all but the newest `keep` run logs named `prefix-…` in `folder`; returns what
    was removed."""
    logs = sorted(folder.glob(f"{glob.escape(prefix)}-*.log"))  # names sort by time
    old = logs[: max(len(logs) - keep, 0)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


class QuietFileHandler(logging.FileHandler):
    """A run log that, once it cannot be written (a full disk), says so in one line on stderr
    and stops, instead of a traceback for every record."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        """Give up on the file after its first failed write (a record that cannot be
        formatted gets Python's usual report, and the file goes on)."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        if self.failed:
            return
        self.failed = True
        reason = error.strerror or error
        sys.stderr.write(f"lpscrape: run log {self.baseFilename} not written: {reason}\n")
        logging.getLogger().removeHandler(self)

    def close(self) -> None:
        """Close the file; what a full disk kept from it is already reported."""
        try:
            super().close()
        except OSError:
            self.stream = None  # type: ignore[assignment]


class OneLineFormatter(logging.Formatter):
    """A console's formatter that writes each record on one line: the first line of what
    `inner` writes, without traceback or stack (the run's log file keeps them)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        """The record as `inner` formats it, cut to its first line; lpscrape's own as every
        other line of lpscrape's on stderr (`lpscrape: …`), for cron mail filters."""
        bare = logging.makeLogRecord(record.__dict__)  # the file's handler still gets it whole
        bare.exc_info, bare.exc_text, bare.stack_info = None, None, None
        if record.name.split(".")[0] == "lpscrape":
            text = bare.getMessage()
            text = text if text.startswith("lpscrape: ") else f"lpscrape: {text}"
        else:
            text = self.inner.format(bare)
        first, cut, _ = text.partition("\n")
        return f"{first} […]" if cut else first


def quiet_console() -> None:
    """Make Scrapy's console handler write one line per record when it shows only warnings
    or worse (cron mails it); with `-v` (INFO) it is left as it is."""
    from scrapy.utils.log import get_scrapy_root_handler

    console = get_scrapy_root_handler()
    if (
        isinstance(console, logging.StreamHandler)
        and not isinstance(console, logging.FileHandler)
        and console.level > logging.INFO
        and not isinstance(console.formatter, OneLineFormatter)
    ):
        console.setFormatter(OneLineFormatter(console.formatter or logging.Formatter()))


class RunLog:
    """Opens the run's log file when the crawler starts, closes it when the engine stops."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.handler: QuietFileHandler | None = None
        settings = crawler.settings
        quiet_console()
        if settings.get("LOG_FILE"):  # scrapyd (or the user) already keeps one file per run
            self.path: Path | None = Path(settings.get("LOG_FILE")).resolve()
            return
        keep = settings.getint("LPSCRAPE_LOG_KEEP", 30)
        self.path = None
        if keep <= 0:
            return
        folder = log_dir(settings)
        now = datetime.now(UTC)
        stamp = f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z"  # names sort by time
        prefix = log_prefix(settings)
        path = folder / f"{prefix}-{stamp}-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handler = QuietFileHandler(path, encoding="utf-8")
        except OSError as exc:
            logger.error("no run log: cannot write %s (%s)", path, exc.strerror or exc)
            return
        handler.setLevel(settings.get("LPSCRAPE_LOG_FILE_LEVEL", "INFO"))
        handler.setFormatter(
            logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT"))
        )
        root = logging.getLogger()
        root.addHandler(handler)
        self.handler, self.path = handler, path
        # Records no handler keeps (Scrapy's DEBUG line per response) are not even made: the
        # root logger passes only what its least strict handler takes.
        self.root_level = root.level
        root.setLevel(min(h.level for h in root.handlers))
        rotate(folder, keep, prefix)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunLog:
        """Start the file now: everything the crawl logs from here on goes into it."""
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self) -> None:
        """Publish the path for the run's health record."""
        if self.path:
            self.crawler.stats.set_value("lpscrape/log_path", str(self.path))

    def engine_stopped(self) -> None:
        """Close the file (alert deliveries at spider close are in it)."""
        if self.handler:
            root = logging.getLogger()
            root.removeHandler(self.handler)
            root.setLevel(self.root_level)
            self.handler.close()
            self.handler = None
