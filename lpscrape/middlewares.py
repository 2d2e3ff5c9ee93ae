"""Downloader middlewares: robots.txt obeyed by every request, retries that pause the whole
host, and redirects (3xx and meta refresh) that stay on the publication's hosts and sane."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirect
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxt
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

from lpscrape.clock import utc_now
from lpscrape.items import REDIRECT, RETRIED, Capture, FetchFailure
from lpscrape.urls import clean_url, explicit_port, same_host

logger = logging.getLogger(__name__)

GATE = "lpscrape_gate"  # request meta: the slot whose place the request holds
# Sent with `request` and `seconds` when a host is paused, for whoever shares the pause with
# other processes (lpscrape.distributed.politeness).
HOST_PAUSED = object()
# Sent (no arguments) by whoever closes the spider for a reason of its own (a storage error):
# no request is sent any more and every wait for a place or a pause ends at once.
STOP_SENDING = object()
# Sent by the archive pipeline when the run ends; the retry middleware answers with the
# captures of the answers that requests never sent again were carrying (a `429` whose retry
# the end of the run left in the scheduler), so that they are kept and counted.
UNSENT_ANSWERS = object()
# How often a request waiting for a place or for the end of a pause looks whether the crawl
# is stopping or its host was given up.
TICK = 0.25  # seconds
RETRY_AFTER_FAILURE = "retry_after"  # the reason of requests not sent to a host given up
TOO_LARGE = "too_large"  # a body past DOWNLOAD_MAXSIZE: the answer is kept without it


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
        "at": utc_now(),
    }
    request.meta[EARLIER] = [*request.meta.get(EARLIER, ()), answer]


def earlier_capture(answer: dict[str, Any], via: str | None, publication: str | None) -> Capture:
    """One answer a request carried (`EARLIER`) as the capture kept beside its page: a
    retried one (`retried`) failed with its status, a redirect followed (`redirect`)."""
    return Capture(
        url=answer["url"],
        status=answer["status"],
        body=answer["body"],
        headers=answer["headers"],
        fetched_at=answer["at"],
        kind=answer["kind"],
        failure=f"http_{answer['status']}" if answer["kind"] == RETRIED else None,
        discovered_via=via,
        publication=publication,
    )


def answer_captures(meta: dict[str, Any], publication: str | None) -> list[Capture]:
    """The answers a request carried, as captures, for a request that will not be sent
    again: a retried answer that is the last one is the request's own final answer (its
    kind, failed with its status, as the spider keeps a failed fetch)."""
    answers = list(meta.get(EARLIER, ()))
    captures = [earlier_capture(answer, meta.get("via"), publication) for answer in answers]
    if answers and answers[-1]["kind"] == RETRIED:
        captures[-1] = dataclasses.replace(
            captures[-1],
            kind=meta.get("kind", "article"),
            sitemap_lastmod=meta.get("lastmod"),
            requested_url=(meta.get("redirect_urls") or [None])[0],
        )
    return captures


class NotSent(IgnoreRequest):
    """A request this middleware did not send (the crawl is stopping, or its host asked for a
    pause longer than the crawl waits). Its errback is replaced first (`not_sent`, `GivenUp`),
    so the spider does not take it for a request robots.txt forbade."""


def not_sent(failure: Any) -> list[Any]:
    """The errback of a request left unsent because the crawl stops: nothing to report (it
    was never sent, like the requests still in the scheduler); the answers it carried are kept
    through `UNSENT_ANSWERS`."""
    return []


@dataclass
class HostGivenUp:
    """A host that asked for a longer pause than the crawl waits: nothing more is sent to it."""

    host: str  # as the URLs name it (host:port)
    seconds: float  # the pause it asked for
    status: int  # the status that asked for it
    url: str  # the URL answered so
    not_sent: int = 0  # requests not sent to it since


class GivenUp:
    """The errback of a request not sent to a host given up: its failure, counted under
    `retry_after` (or, when it was carrying a retried answer, that answer kept as its final,
    failed one, as if the retry had never been planned)."""

    def __init__(self, meta: dict[str, Any], detail: str, publication: str | None) -> None:
        self.meta = meta
        self.detail = detail
        self.publication = publication

    def __call__(self, failure: Any) -> list[Capture | FetchFailure]:
        captures = answer_captures(self.meta, self.publication)
        if captures and captures[-1].kind not in (RETRIED, REDIRECT):
            return list(captures)  # the last answer is the request's failed fetch
        meta = self.meta
        return [
            *captures,
            FetchFailure(
                url=(meta.get("redirect_urls") or [failure.request.url])[0],
                kind=meta.get("kind", "article"),
                reason=RETRY_AFTER_FAILURE,
                detail=self.detail[:300],
                discovered_via=meta.get("via"),
            ),
        ]


class HostGate:
    """At most `limit` requests of one host between this middleware and the site: the rest
    wait here, where a pause can hold them (past it they would sit in Scrapy's slot queue)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.inside = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self, check: Callable[[], None]) -> None:
        """Wait for a place; `check` (which raises to give up waiting) is called at least
        every `TICK`."""
        while True:
            check()
            if self.inside < self.limit:
                break
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, TICK)
            except TimeoutError:
                pass
            finally:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(waiter)
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
    back off too. A host that asks (`Retry-After`) for a longer pause than `RETRY_AFTER_MAX`
    is given up for the run: nothing more is sent to it, and each request it would have had
    fails as `retry_after`. When the crawl stops (SIGTERM, SIGINT, a storage error) every
    wait ends at once, nothing more is sent, and no retry is planned: an answer in hand is
    the request's last. Public Scrapy API only: `get_retry_request`, `get_slot_key`,
    `Crawler.crawling`, a request's `errback` (replaced on a request not sent) and the
    downloader's `response_downloaded` and `request_left_downloader` signals."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", self.cap)
        self.per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        self.paused_until: dict[str, float] = {}  # slot key -> time.monotonic() deadline
        self.gates: dict[str, HostGate] = {}
        self.given_up: dict[str, HostGivenUp] = {}  # slot key -> why
        self.stopped = False  # STOP_SENDING received
        # Retries planned and not sent yet, each carrying the answer it replaces: if the crawl
        # stops first, those answers are kept through UNSENT_ANSWERS.
        self.unsent: dict[int, Request] = {}
        self.judged: set[int] = set()  # requests whose retryable answer paused the host

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        """Give each request's place back when it leaves the downloader."""
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.release, signal=signals.request_left_downloader)
        crawler.signals.connect(middleware.downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(middleware.stop, signal=STOP_SENDING)
        crawler.signals.connect(middleware.unsent_answers, signal=UNSENT_ANSWERS)
        crawler.stats.set_value("lpscrape/given_up", {})
        return middleware

    def slot_key(self, request: Request) -> str:
        """The download slot a request goes through (by default its host)."""
        return self.crawler.engine.downloader.get_slot_key(request)

    def stop(self) -> None:
        """Send nothing more (the spider is being closed for a reason of its own)."""
        self.stopped = True

    def stopping(self) -> bool:
        """True once the crawl is being stopped: a signal (Scrapy's handler stops the crawler
        first thing), or STOP_SENDING."""
        return self.stopped or not self.crawler.crawling

    def publication(self) -> str | None:
        """The spider's publication, for the captures this middleware makes."""
        return getattr(self.crawler.spider, "publication", None)

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

    def give_up(self, request: Request, response: Response, seconds: float) -> None:
        """The host asked for a pause longer than the crawl waits: send it nothing more."""
        key = self.slot_key(request)
        if key in self.given_up:
            return
        host = urlsplit(response.url).netloc or key
        self.given_up[key] = HostGivenUp(host, seconds, response.status, response.url)
        self.crawler.stats.get_value("lpscrape/given_up")[host] = self.given_up[key]
        logger.info(
            "%s answered %s with Retry-After %.0f s, longer than RETRY_AFTER_MAX (%.0f s): "
            "nothing more is sent to %s in this run",
            response.url,
            response.status,
            seconds,
            self.max_wait,
            host,
        )

    def refuse(self, request: Request, key: str) -> None:
        """Raise NotSent when the request must not go out: the crawl is stopping (the request
        ends silently, the answers it carried kept through UNSENT_ANSWERS), or its host was
        given up (the request fails as `retry_after`)."""
        if self.stopping():
            if request.meta.get(EARLIER):
                self.unsent[id(request)] = request
            request.errback = not_sent
            self.crawler.stats.inc_value("lpscrape/not_sent_stopping")
            raise NotSent("not sent: the crawl is stopping")
        given_up = self.given_up.get(key)
        if given_up is not None:
            self.unsent.pop(id(request), None)
            given_up.not_sent += 1
            detail = (
                f"not sent: {given_up.host} asked for a pause of {given_up.seconds:.0f} s "
                f"(Retry-After), longer than RETRY_AFTER_MAX ({self.max_wait:.0f} s)"
            )
            request.errback = GivenUp(dict(request.meta), detail, self.publication())
            raise NotSent(detail)

    async def process_request(self, request: Request) -> None:
        """Wait for the host's turn, then while the host is paused; refuse the request when
        the crawl is stopping or its host was given up, however long it has waited."""
        key = self.slot_key(request)
        gate = self.gates.setdefault(key, HostGate(self.per_host))
        await gate.enter(lambda: self.refuse(request, key))
        request.meta[GATE] = key
        while (wait := self.paused_until.get(key, 0.0) - time.monotonic()) > 0:
            self.refuse(request, key)  # process_exception gives the place back
            await asyncio.sleep(min(wait, TICK))
        self.refuse(request, key)
        self.unsent.pop(id(request), None)  # on its way

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

    def retryable(self, request: Request, response: Response) -> bool:
        """True for an answer this middleware retries (a status of RETRY_HTTP_CODES)."""
        return not request.meta.get("dont_retry") and response.status in self.retry_http_codes

    def judge(self, request: Request, response: Response) -> None:
        """A retryable answer pauses the host for `Retry-After` (or the backoff); a
        `Retry-After` past `RETRY_AFTER_MAX` gives the host up instead."""
        if self.stopping() or self.slot_key(request) in self.given_up:
            return
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None)
        if asked is not None and asked > self.max_wait:
            self.give_up(request, response, asked)
        else:
            self.pause(request, asked if asked is not None else self.backoff(request))

    def downloaded(self, response: Response, request: Request, spider: object = None) -> None:
        """Judge a retryable answer the moment it arrives (`response_downloaded`), before the
        request gives its place back: no request waiting for that place can go out in
        between, as it would before the answer reaches `process_response`."""
        if self.retryable(request, response):
            self.judged.add(id(request))
            self.judge(request, response)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """A retryable status retries, after the pause it asked for (`judge`); from a host
        given up, or in a stopping crawl, it is the request's last answer, kept by the spider
        as the failed fetch."""
        self.release(request)  # a response made before the downloader (a cache) included
        if not self.retryable(request, response):
            return response
        if id(request) in self.judged:
            self.judged.discard(id(request))
        else:  # not from the downloader
            self.judge(request, response)
        if self.stopping() or self.slot_key(request) in self.given_up:
            return response
        retry = self.retry(request, response_status_message(response.status))
        if retry is None:
            return response  # the last answer: kept by the spider as the failed fetch
        keep_earlier(retry, response, RETRIED)
        self.unsent[id(retry)] = retry
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        """A timeout or a lost connection pauses the host for the backoff, then retries
        (unless the crawl is stopping or the host was given up)."""
        self.release(request)  # an error before the downloader included
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        if self.stopping() or self.slot_key(request) in self.given_up:
            return None
        self.pause(request, self.backoff(request))
        retry = self.retry(request, exception)
        if retry is not None and retry.meta.get(EARLIER):
            self.unsent[id(retry)] = retry
        return retry

    def unsent_answers(self) -> list[Capture]:
        """The answers carried by retries that were never sent (the crawl stopped while they
        waited here or in the scheduler), as captures to keep; each such request's last
        answer is its failed fetch."""
        requests, self.unsent = list(self.unsent.values()), {}
        publication = self.publication()
        return [c for r in requests for c in answer_captures(r.meta, publication)]


class RedirectGuard:
    """Refuses a redirect that leaves the publication's hosts or loops, so the answer that
    asked for it reaches the spider as a failure with its reason (Scrapy would follow the
    first and drop the second silently). Mixed into both of Scrapy's redirect middlewares
    (below), after Scrapy has built the request it would follow: the URL judged is the URL
    that would be fetched, computed by Scrapy's own code (`Location: ///host/…` is
    `http://host/…` to Scrapy, a path on this site to `urljoin`), whatever the way (a 3xx, a
    meta refresh). Scrapy's offsite filter is no guard here: it ignores ports and lets
    subdomains through."""

    crawler: Crawler

    def on_site(self, url: str) -> bool:
        """True when the URL is the publication's, as the spider knows it (any URL when the
        spider names no hosts)."""
        spider: Any = self.crawler.spider
        if hasattr(spider, "on_site"):
            return spider.on_site(url)
        hosts = set(getattr(spider, "allowed_domains", None) or ())
        return not hosts or same_host(url, hosts, explicit_port(url))

    def guarded(
        self,
        request: Request,
        response: Response,
        follow: Callable[[], Request | Response],
        refresh: bool = False,
    ) -> Request | Response:
        """Scrapy's answer (`follow`: the request it would send next, or the response when
        it follows nothing), unless that request leaves the publication or loops: then the
        response, marked failed. A meta refresh (`refresh`) to the page itself is a reload,
        not a redirect: the page is the answer."""
        try:
            redirected = follow()
        except IgnoreRequest:  # Scrapy's own limit: more than REDIRECT_MAX_TIMES redirects
            limit = self.crawler.settings.getint("REDIRECT_MAX_TIMES")
            return self.refuse(request, response, "redirect_loop", f"more than {limit} redirects")
        if not isinstance(redirected, Request):
            return redirected  # nothing to follow (or `dont_redirect`: a refused answer)
        target = clean_url(redirected.url)
        visited = {clean_url(u) for u in [*request.meta.get("redirect_urls", []), request.url]}
        if not self.on_site(redirected.url):
            return self.refuse(request, response, "offsite_redirect", f"to {redirected.url}")
        if refresh and target == clean_url(response.url):
            return response  # a reload of this very page
        if target in visited:
            return self.refuse(request, response, "redirect_loop", f"to {redirected.url}")
        keep_earlier(redirected, response, REDIRECT)  # the answer followed, kept beside the page
        return redirected

    def refuse(self, request: Request, response: Response, reason: str, detail: str) -> Response:
        """The response, marked failed with `reason`; no redirect middleware follows it."""
        request.meta["lpscrape_failure"] = reason
        request.meta["dont_redirect"] = True
        logger.info(
            "%s (%s): redirect not followed, %s (%s)", response.url, response.status, detail, reason
        )
        return response


class RedirectMiddleware(RedirectGuard, ScrapyRedirect):
    """Scrapy's 3xx redirects, guarded (`RedirectGuard`). Installed in place of Scrapy's in
    `lpscrape.settings`."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """Scrapy's redirect, unless it leaves the publication or loops."""
        return self.guarded(
            request,
            response,
            lambda: super(RedirectMiddleware, self).process_response(request, response),
        )


class MetaRefreshMiddleware(RedirectGuard, ScrapyMetaRefresh):
    """Scrapy's `<meta http-equiv="refresh">` redirects, guarded (`RedirectGuard`): a page
    refreshing to another host or port is kept as served and fails as `offsite_redirect`,
    as an off-host 3xx does; one refreshing to another page of the site is followed (and
    kept, as a `redirect`). Installed in place of Scrapy's in `lpscrape.settings`."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """Scrapy's meta refresh, unless it leaves the publication or loops."""
        return self.guarded(
            request,
            response,
            lambda: super(MetaRefreshMiddleware, self).process_response(request, response),
            refresh=True,
        )


class ForbiddenByRobots(IgnoreRequest):
    """A request robots.txt forbids for our user agent: it was never sent."""


class RobotsTxtMiddleware(ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, where every request waiting for a host's robots.txt is
    checked against it. Scrapy's own (2.13 and later, with the asyncio reactor) hands the
    parser to the first request waiting for robots.txt only: the others waiting with it are
    given none and go out unchecked — the feed and the REST API's posts, asked for together
    at the start of every crawl. Installed in place of Scrapy's in `lpscrape.settings`; a
    refusal is a `ForbiddenByRobots`."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The host's parsed robots.txt (None when it could not be fetched), once settled."""
        parser = await super().robot_parser(request)
        if parser is None:
            # Settled by now: the middleware keeps the parser (or None after a download error)
            # under the host before it wakes the requests waiting for it.
            kept = self._parsers.get(urlparse_cached(request).netloc)
            parser = None if isinstance(kept, Deferred) else kept
        return parser

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        """Refuse what robots.txt forbids, as a `ForbiddenByRobots` (an IgnoreRequest)."""
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise ForbiddenByRobots(*exc.args) from None


class SizeLimit:
    """A body past DOWNLOAD_MAXSIZE: the download is stopped (Scrapy's public `StopDownload`)
    rather than cancelled, so the response — its status and headers, without the body — is
    kept as a `too_large` failure like any other failed answer. Scrapy's own cancellation
    stays behind it for whatever this misses."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeLimit:
        """Listen to the downloader's headers and body chunks."""
        limit = cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        crawler.signals.connect(limit.headers_received, signal=signals.headers_received)
        crawler.signals.connect(limit.bytes_received, signal=signals.bytes_received)
        return limit

    def _stop(self, request: Request) -> None:
        request.meta["lpscrape_failure"] = TOO_LARGE
        raise StopDownload(fail=False)

    def headers_received(self, headers: Any, body_length: int, request: Request, **_: Any) -> None:
        """Stop before the body when its declared length is past the limit."""
        # A new answer: a retry or a redirect carries the meta of the attempt before it.
        request.meta.pop("lpscrape_bytes", None)
        if request.meta.get("lpscrape_failure") == TOO_LARGE:
            del request.meta["lpscrape_failure"]
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if maxsize and isinstance(body_length, int) and body_length > maxsize:
            self._stop(request)

    def bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        """Stop a body of undeclared length as soon as it passes the limit."""
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if not maxsize:
            return
        received = request.meta.get("lpscrape_bytes", 0) + len(data)
        request.meta["lpscrape_bytes"] = received
        if received > maxsize:
            self._stop(request)


class StoppedBodyMiddleware:
    """The part of a body received before `SizeLimit` stopped it is no page: dropped before
    Scrapy's decompression (which would read a compressed part past the limit as a bomb),
    so the answer is kept as `too_large` whatever its encoding."""

    def process_response(self, request: Request, response: Response) -> Response:
        """The stopped answer without its body or its body's encoding."""
        if request.meta.get("lpscrape_failure") != TOO_LARGE:
            return response
        headers = response.headers.copy()
        headers.pop(b"Content-Encoding", None)
        return response.replace(body=b"", headers=headers)
