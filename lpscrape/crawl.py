"""Running one crawl in this process and reading back what it did."""

from __future__ import annotations

import json
import socket
import sqlite3
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lpscrape import settings as project_settings
from lpscrape import worker
from lpscrape.archive import lock
from lpscrape.archive.lock import ArchiveBusy
from lpscrape.archive.store import ArchiveError, check_archive, open_database
from lpscrape.terminal import printable
from lpscrape.urls import BadURL
from lpscrape.urls import check_url as check_web_url

# Scrapy is imported where a crawl starts, after the store worker is forked from this process
# while it is still small (see `worker.StoreWorker`).
if TYPE_CHECKING:
    from scrapy.settings import Settings


class StorageError(Exception):
    """The archive could not be written during the run (disk full, I/O error…)."""


class StartRefused(ArchiveError):
    """The crawl was refused for its start URL (malformed, or the site unreachable), not for
    the archive: a usable archive records the refusal as a run (`monitor.alert_refused`)."""


def crawl_settings(db_path: str | Path, **overrides: Any) -> Settings:
    """The project's settings with the archive path and any overrides."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("lpscrape.settings", priority="project")
    settings.set("ARCHIVE_DB", str(db_path), priority="cmdline")
    # `lpscrape crawl` checks the start URL and alerts a refused crawl itself; under scrapyd
    # (or `scrapy crawl`) the pipeline does.
    settings.set("LPSCRAPE_CLI", True, priority="cmdline")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_distributed(
    start_url: str, redis_url: str, full: bool = False, **overrides: Any
) -> dict[str, Any]:
    """Crawl as one of the crawlers sharing the frontier at `redis_url`, until the run is over;
    returns this crawler's counts and the writer's verdict on the run (None when no writer
    gave it). Raises ArchiveError (RedisUnavailable) in one line."""
    from scrapy.crawler import CrawlerProcess

    from lpscrape.distributed.keys import connect
    from lpscrape.spiders.lordspress import LordsPressSpider

    # The spider's update_settings does the rest (lpscrape.distributed.switch; scrapyd too).
    settings = crawl_settings("", LPSCRAPE_REDIS_URL=redis_url, **overrides)
    check_url(start_url)
    connect(redis_url).close()  # one line, exit 2, when Redis cannot be reached
    check_start_url(start_url, proxies=settings.getbool("HTTPPROXY_ENABLED"))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(LordsPressSpider)
    publication = overrides.get("LPSCRAPE_PUBLICATION") or None
    process.crawl(crawler, start_url=start_url, full=full, publication=publication)
    process.start()
    stats = crawler.stats
    reason, token = stats.get_value("finish_reason"), stats.get_value("lpscrape/run_token")
    verdict = None
    if reason == "finished" and token:
        from lpscrape.distributed.handoff import run_verdict

        wait, poll = (
            settings.getfloat("LPSCRAPE_VERDICT_WAIT"),
            settings.getfloat("LPSCRAPE_REDIS_POLL"),
        )
        verdict = run_verdict(connect(redis_url), token, wait, poll)
    return {
        "requests": stats.get_value("downloader/request_count", 0),
        "handed_off": stats.get_value("lpscrape/handed_off", 0),
        "requeued": stats.get_value("lpscrape/requeued", 0),
        "reason": reason,
        "verdict": verdict,
    }


def check_url(url: str) -> None:
    """Fail early, in one line, when the start URL is not an http(s) URL (`urls.check_url`)."""
    try:
        check_web_url(url, "start URL")
    except BadURL as exc:
        raise StartRefused(str(exc)) from None


def _first_hop(url: str, proxies: bool = True) -> tuple[str, int]:
    """The host and port a request for `url` connects to: its proxy's where the environment
    names a usable one for it (as Scrapy's HttpProxyMiddleware reads it, when `proxies`),
    else the site's own."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme) if proxies else None
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        named = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        try:
            _ = named.port  # a port that is no number: no proxy Scrapy can use
        except ValueError:
            named = parts
        if named.hostname:  # nor is `http://:3128` or a socket path: it goes direct
            parts = named
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "", parts.port or default


def check_start_url(url: str, timeout: float = 15.0, proxies: bool = True) -> None:
    """Fail early, in one line, when the start URL is malformed or its host cannot be reached
    (`proxies`: HTTPPROXY_ENABLED, whether a proxy from the environment is the way there)."""
    check_url(url)
    # A connection, no request: the first request the host sees from us is the crawl's own
    # robots.txt, fetched once and obeyed before anything else goes out. A host that accepts
    # connections and then never answers is the crawl's to find out (timeouts, alerted).
    try:
        socket.create_connection(_first_hop(url, proxies), timeout=timeout).close()
    except (OSError, ValueError) as exc:
        raise StartRefused(f"cannot reach {url}: {exc}") from exc


def _enabled(value: Any) -> bool:
    """A boolean setting as Scrapy's `getbool` reads it (`--set NAME=False` is a string)."""
    return str(value).strip().lower() not in ("0", "false", "")


def setting_reader(overrides: dict[str, Any]) -> Callable[[str, Any], Any]:
    """`Settings.get` of a crawl with these overrides, without importing Scrapy (so that the
    store worker is forked from a small process)."""
    return lambda name, default=None: overrides.get(name, getattr(project_settings, name, default))


def wants_store_worker(overrides: dict[str, Any]) -> bool:
    """LPSCRAPE_STORE_WORKER as Scrapy's `getbool` reads it, read before Scrapy is imported."""
    return _enabled(setting_reader(overrides)("LPSCRAPE_STORE_WORKER", True))


def run_crawl(start_url: str, db_path: str | Path, full: bool = False, **overrides: Any) -> int:
    """Crawl the site into the archive in this process; returns the run id (0 if none).
    Raises ArchiveBusy when another process holds the archive, before any request."""
    check_url(start_url)
    check_archive(db_path)  # a foreign or newer file is refused before anything touches it
    lock.acquire(db_path)
    try:
        enabled = _enabled(setting_reader(overrides)("HTTPPROXY_ENABLED", True))
        check_start_url(start_url, proxies=enabled)
        open_database(db_path).conn.close()  # refuse a bad archive before any request goes out
        if wants_store_worker(overrides):
            worker.start_early()  # its start-up runs beside the engine's; the pipeline adopts it
        from scrapy.crawler import CrawlerProcess

        from lpscrape.spiders.lordspress import LordsPressSpider

        settings = crawl_settings(db_path, **overrides)
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(LordsPressSpider)
        process.crawl(crawler, start_url=start_url, full=full)
        process.start()
    finally:
        worker.discard_early()
        lock.release(db_path)
    stats = crawler.stats
    if busy := stats.get_value("lpscrape/archive_busy"):
        raise ArchiveBusy(busy)
    if error := stats.get_value("lpscrape/archive_error"):
        raise ArchiveError(error)
    if stats.get_value("lpscrape/run_unclosed"):
        raise StorageError(stats.get_value("lpscrape/storage_error"))
    return int(stats.get_value("lpscrape/run_id", 0))


def run_summary(db_path: str | Path, run_id: int) -> dict[str, Any]:
    """The `crawl_runs` row of one run, with warnings and alerts decoded."""
    conn = sqlite3.connect(str(db_path))
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    finally:
        conn.close()
    if row is None:
        return {}
    summary = dict(row)
    for key in ("warnings", "failures", "failure_examples"):
        summary[key] = json.loads(summary[key] or "{}")
    summary["alerts"] = json.loads(summary["alerts"] or "[]")
    return summary


def format_summary(s: dict[str, Any]) -> str:
    """A run's summary in a few readable lines."""
    top = ", ".join(f"{w} ×{n}" for w, n in list(s["warnings"].items())[:3]) or "none"
    lines = [
        f"run {s['id']} {s['outcome']} ({s['mode']}) {s['started_at']} → {s['finished_at']}",
        f"  requests {s['requests']}, fetched {s['fetched']}, "
        f"{(s['bytes_downloaded'] or 0) / 1024:.0f} KiB downloaded",
        f"  articles: new {s['new']}, changed {s['changed']}, unchanged {s['unchanged']}, "
        f"not modified {s['not_modified']}, skipped {s['skipped']}, gone {s['gone']}, "
        f"held {s['held'] or 0}; failed {s['failed']}",
        f"  extraction warnings {s['warning_count'] or 0} (top: {top})",
    ]
    if s["failures"]:
        reasons = ", ".join(f"{r} ×{n}" for r, n in s["failures"].items())
        lines.append(f"  failures by reason: {reasons}")
    lines += [f"  ALERT: {a}" for a in s["alerts"]]  # alerts quote URLs and titles
    return printable("\n".join(lines), keep="\n")
