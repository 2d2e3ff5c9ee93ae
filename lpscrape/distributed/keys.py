"""Redis connections and the names of every key lpscrape keeps there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lpscrape.archive.store import ArchiveError
from lpscrape.urls import REDIS, BadURL, check_url, publication_of

__all__ = ["publication_of"]

PREFIX = "lpscrape"
STREAM = f"{PREFIX}:captures"  # every crawler's captures, for the one writer
REJECTED = f"{PREFIX}:rejected"  # messages nobody wrote as lpscrape does, kept aside, never run
GROUP = "archive"  # the writer's consumer group on STREAM
KNOWN = f"{PREFIX}:known"  # what the archive knows (validators, lastmod), set by the writer
WRITER = f"{PREFIX}:writer"  # the writer's heartbeat (expires when it stops)
ALIVE = f"{PREFIX}:alive:"  # + a crawler process's id: its heartbeat, whatever the site


def result_key(token: str) -> str:
    """Where the writer leaves its verdict on a run it closed, for the run's crawlers."""
    return f"{PREFIX}:result:{token}"


class RedisUnavailable(ArchiveError):
    """Redis cannot be reached or is not installed: one line, exit status 2."""


def check_redis_url(url: str) -> str:
    """The --redis URL, checked as every URL the command line takes (`urls.check_url`):
    RedisUnavailable in one line when it is not a redis://HOST:PORT/DB URL."""
    try:
        return check_url(url, "--redis", REDIS, "a redis://HOST:PORT/DB")
    except BadURL as exc:
        raise RedisUnavailable(str(exc)) from None


def connect(url: str) -> Any:
    """A client for `url` that answered PING; raises RedisUnavailable in one line."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - redis is one of lpscrape's dependencies
        raise RedisUnavailable(
            "the redis package is missing: reinstall lpscrape (pip install -e .)"
        ) from exc
    check_redis_url(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {exc}") from exc
    return client


@dataclass(frozen=True)
class SiteKeys:
    """The keys of one publication's frontier (one run at a time per publication)."""

    site: str

    def key(self, name: str) -> str:
        """`lpscrape:<site>:<name>`."""
        return f"{PREFIX}:{self.site}:{name}"

    @property
    def run(self) -> str:
        """The token of the run in progress (absent between runs)."""
        return self.key("run")

    @property
    def queue(self) -> str:
        """scrapy-redis's priority queue of article requests."""
        return self.key("requests")

    @property
    def dupefilter(self) -> str:
        """scrapy-redis's fingerprints of every article request of the run."""
        return self.key("dupefilter")

    @property
    def crawlers(self) -> str:
        """The ids of the crawlers that joined the run."""
        return self.key("crawlers")

    def alive(self, crawler: str) -> str:
        """A crawler's heartbeat (expires when it stops beating)."""
        return self.key(f"alive:{crawler}")

    def inflight(self, crawler: str) -> str:
        """Requests a crawler took from the queue and has not finished."""
        return self.key(f"inflight:{crawler}")

    @property
    def discoverer(self) -> str:
        """Which crawler reads robots.txt, sitemaps, feed and API (expires with it)."""
        return self.key("discoverer")

    @property
    def discovered(self) -> str:
        """Set once discovery has ended: every article request is in the queue."""
        return self.key("discovered")

    @property
    def stats(self) -> str:
        """The crawlers' request counts, summed as each one closes, and the crawlers lost."""
        return self.key("stats")

    @property
    def finished(self) -> str:
        """Set by the one crawler that reports the run's end to the writer."""
        return self.key("finished")

    def run_keys(self) -> list[str]:
        """Every key of a run's frontier (cleared when a new run begins)."""
        return [
            self.queue,
            self.dupefilter,
            self.crawlers,
            self.discoverer,
            self.discovered,
            self.stats,
            self.finished,
        ]
