"""Downloader middlewares: retries that pause the whole host, and redirects that stay sane."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message
from w3lib.url import safe_url_string

from lpscrape.items import REDIRECT, RETRIED
from lpscrape.urls import clean_url, explicit_port, same_host

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
GATE = "lpscrape_gate"  # request meta: the slot whose place the request holds
# Sent with `request` and `seconds` when a host is paused, for whoever shares the pause with
# other processes (lpscrape.distributed.politeness).
HOST_PAUSED = object()


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


EARLIER = "lpscrape_earlier"  # request meta: the answers before this one (items.EARLIER_KINDS)


def response_headers(response: Response) -> dict[str, list[str]]:
    """A response's headers as text, every value of each kept."""
    return {
        k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()
    }


def keep_earlier(request: Request, response: Response, kind: str) -> None:
    """Carry an answer that will not reach the spider on the request that replaces it, as
    plain values (a shared frontier keeps requests as JSON), with the time it came."""
    answer = {
        "kind": kind,
        "url": response.url,
        "status": response.status,
        "headers": response_headers(response),
        "body": response.body,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    request.meta[EARLIER] = [*request.meta.get(EARLIER, ()), answer]


class HostGate:
    """At most `limit` requests of one host between this middleware and the site: the rest
    wait here, where a pause can hold them (past it they would sit in Scrapy's slot queue)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.inside = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> None:
        """Wait for a place."""
        while self.inside >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter
        self.inside += 1

    def leave(self) -> None:
        """Give a place back and wake the next waiter."""
        self.inside -= 1
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, where a wait (`Retry-After`, or base × 2ⁿ) pauses the request's whole
    download slot (its host), not just the retried request; timeouts and lost connections
    back off too. Public Scrapy API only: `get_retry_request`, `get_slot_key` and the
    downloader's `request_left_downloader` signal."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        self.paused_until: dict[str, float] = {}  # slot key -> time.monotonic() deadline
        self.gates: dict[str, HostGate] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        """Give each request's place back when it leaves the downloader."""
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.release, signal=signals.request_left_downloader)
        return middleware

    def slot_key(self, request: Request) -> str:
        """The download slot a request goes through (by default its host)."""
        return self.crawler.engine.downloader.get_slot_key(request)

    def pause(self, request: Request, seconds: float) -> None:
        """Hold every request of this request's slot for `seconds` from now."""
        if seconds <= 0:
            return
        self.crawler.signals.send_catch_log(HOST_PAUSED, request=request, seconds=seconds)
        key = self.slot_key(request)
        until = time.monotonic() + seconds
        if until > self.paused_until.get(key, 0.0):
            self.paused_until[key] = until
            self.crawler.stats.inc_value("lpscrape/backoff_pauses")
            self.crawler.stats.inc_value("lpscrape/backoff_seconds", seconds)

    async def process_request(self, request: Request) -> None:
        """Wait for the host's turn, then while the host is paused."""
        key = self.slot_key(request)
        gate = self.gates.setdefault(key, HostGate(self.per_host))
        await gate.enter()
        request.meta[GATE] = key
        while (wait := self.paused_until.get(key, 0.0) - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    def release(self, request: Request, spider: object = None) -> None:
        """The request is done with the site (answered, failed, or never sent)."""
        key = request.meta.pop(GATE, None)
        if key is not None:
            self.gates[key].leave()

    def backoff(self, request: Request) -> float:
        """base × 2ⁿ for the n-th retry of this request, at most the cap."""
        return min(self.cap, self.base * 2 ** request.meta.get("retry_times", 0))

    def retry(self, request: Request, reason: str | Exception) -> Request | None:
        """The retry of `request`, or None once its retries are spent (public Scrapy API)."""
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=self.give_up_log_level,
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """A retryable status pauses the host for `Retry-After` or the backoff, then retries."""
        self.release(request)  # a response made before the downloader (a cache) included
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None)
        self.pause(request, min(self.cap, asked if asked is not None else self.backoff(request)))
        retry = self.retry(request, response_status_message(response.status))
        if retry is None:
            return response  # the last answer: kept by the spider as the failed fetch
        keep_earlier(retry, response, RETRIED)
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        """A timeout or a lost connection pauses the host for the backoff, then retries."""
        self.release(request)  # an error before the downloader included
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        self.pause(request, self.backoff(request))
        return self.retry(request, exception)


class RedirectGuardMiddleware:
    """Stops a redirect that loops or leaves the publication's hosts, so the 3xx reaches the
    spider as a failure with its reason (Scrapy would drop both silently)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        """Read `REDIRECT_MAX_TIMES`."""
        return cls(crawler)

    def on_site(self, url: str) -> bool:
        """True when the URL is the publication's, as the spider knows it (any URL when the
        spider names no hosts)."""
        spider: Any = self.crawler.spider
        if hasattr(spider, "on_site"):
            return spider.on_site(url)
        hosts = set(getattr(spider, "allowed_domains", None) or ())
        return not hosts or same_host(url, hosts, explicit_port(url))

    def process_response(self, request: Request, response: Response) -> Response:
        """Mark a looping or off-host redirect as failed and keep RedirectMiddleware off it."""
        location = response.headers.get(b"Location")
        if (
            response.status not in REDIRECT_STATUSES
            or not location
            or request.meta.get("dont_redirect")
        ):
            return response
        target = clean_url(urljoin(request.url, safe_url_string(location)))
        visited = {clean_url(u) for u in [*request.meta.get("redirect_urls", []), request.url]}
        reason = None
        if not self.on_site(target):
            reason = "offsite_redirect"
        elif target in visited or len(visited) >= self.max_times:
            reason = "redirect_loop"
        if reason:
            request.meta["lpscrape_failure"] = reason
            request.meta["dont_redirect"] = True
        else:  # followed: RedirectMiddleware copies this meta into the next request
            keep_earlier(request, response, REDIRECT)
        return response
