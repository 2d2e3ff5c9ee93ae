"""The crawler's side of the hand-off: each capture (with its extracted record) goes to the
writer through a Redis stream, in the same transaction that releases its request.

A message is a capture or a failed fetch, as JSON (lpscrape/distributed/wire.py: no pickle
crosses Redis), with the run's token, its publication, start URL and mode, so the writer can
open the run's row from any message; or the run's end, with the crawlers' summed request
counts.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from scrapy.crawler import Crawler

from lpscrape.archive.store import run_mode
from lpscrape.distributed.keys import REJECTED, STREAM, WRITER, SiteKeys, connect, result_key
from lpscrape.distributed.wire import RunInfo, end_fields, item_fields
from lpscrape.items import EARLIER_KINDS, Capture, FetchFailure
from lpscrape.worker import extract

logger = logging.getLogger(__name__)
REJECTED_MAX = 10_000  # messages kept aside at most (the oldest go first)


def set_aside(server: Any, fields: dict[Any, Any], reason: str, **where: str) -> str:
    """Keep a message nobody wrote as lpscrape does, as it came, in REJECTED (never run);
    returns how to find it again."""
    notes = {f"lpscrape:{k}": v for k, v in where.items()}
    kept = {**fields, **notes, "lpscrape:reason": reason}
    msg_id = server.xadd(REJECTED, kept, maxlen=REJECTED_MAX, approximate=True)
    return f"{msg_id.decode()} in {REJECTED}: {reason}"


def run_info(token: str, spider: Any) -> RunInfo:
    """What every message says about its run."""
    mode = run_mode(getattr(spider, "full", False))
    return RunInfo(token, spider.publication, spider.base, mode)


def report_run_end(server: Any, keys: SiteKeys, run: RunInfo) -> None:
    """Tell the writer the run is over (with the crawlers' counts), and free the frontier for
    the next run."""
    stats = {k.decode(): int(v) for k, v in server.hgetall(keys.stats).items()}
    server.xadd(STREAM, end_fields(run, stats))  # type: ignore[arg-type]
    server.delete(keys.run)
    logger.info("run %s of %s is over: reported to the writer", run.token, keys.site)


def hand_off(server: Any, run: RunInfo, item: Capture | FetchFailure, crashed: bool) -> None:
    """One item to the writer's stream, outside the in-flight bookkeeping (a request the
    crawler could not read, see `SharedFrontier.next_request`)."""
    server.xadd(STREAM, item_fields(run, item, crashed))


def run_verdict(server: Any, token: str, wait: float, poll: float) -> dict[str, Any] | None:
    """The writer's verdict on run `token` (`run_id`, `outcome`, `alerts`), waited for while a
    writer runs, `wait` seconds at most; None when no writer gave it."""
    deadline = time.monotonic() + wait
    while True:
        raw = server.get(result_key(token))
        if raw is not None:
            return read_verdict(raw)
        if time.monotonic() >= deadline or not server.exists(WRITER):
            return None
        time.sleep(poll)


def read_verdict(raw: bytes) -> dict[str, Any] | None:
    """A verdict as the writer wrote it; None (and a warning) for anything else."""
    try:
        verdict = json.loads(raw)
        run_id, outcome, alerts = verdict["run_id"], verdict["outcome"], verdict["alerts"]
    except (ValueError, TypeError, KeyError):
        verdict = run_id = outcome = alerts = None
    if (
        isinstance(run_id, int)
        and isinstance(outcome, str)
        and isinstance(alerts, list)
        and all(isinstance(a, str) for a in alerts)
    ):
        return {"run_id": run_id, "outcome": outcome, "alerts": alerts}
    logger.warning("the writer's verdict on the run is unreadable: %r", raw[:200])
    return None


class HandoffPipeline:
    """Extracts each capture here (on the crawler's cores) and hands it to the writer."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.server: Any = None
        self.extract = crawler.settings.getbool("LPSCRAPE_EXTRACT_ON_CRAWLER", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandoffPipeline:
        """Keep the crawler for its spider's frontier and its stats."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Connect to the writer's stream."""
        self.server = connect(self.crawler.settings.get("LPSCRAPE_REDIS_URL"))

    def process_item(self, item: Capture | FetchFailure) -> Capture | FetchFailure:
        """One capture or failed fetch to the stream; its request leaves the in-flight hash in
        the same transaction."""
        spider = self.crawler.spider
        frontier = spider.frontier  # type: ignore[union-attr]
        crashed = False
        if isinstance(item, Capture) and self.extract:
            crashed = extract(item)
            if crashed:
                self.crawler.stats.inc_value("lpscrape/extract_errors")
        fields = item_fields(run_info(frontier.token, spider), item, crashed)
        pipe = self.server.pipeline(transaction=True)
        pipe.xadd(STREAM, fields)
        if not (isinstance(item, Capture) and item.kind in EARLIER_KINDS):
            # The request is done with its own answer (an earlier one comes first, not alone).
            url = item.requested_url or item.url if isinstance(item, Capture) else item.url
            frontier.done_with(url, pipe)
        pipe.execute()
        self.crawler.stats.inc_value("lpscrape/handed_off")
        return item
