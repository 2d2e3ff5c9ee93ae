"""The `lordspress` spider: robots.txt → sitemaps, the feed, the REST API, listings as fallback."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from lpscrape.archive.known import known_for_crawl
from lpscrape.clock import utc_now
from lpscrape.extract.dates import utc_iso
from lpscrape.failures import NORMAL_STATUSES, exception_failure, response_failure
from lpscrape.items import REDIRECT, Capture, FetchFailure
from lpscrape.middlewares import EARLIER, ForbiddenByRobots, earlier_capture, response_headers
from lpscrape.urls import clean_url, explicit_port, publication_of, same_host

API_FIELDS = "id,link,date_gmt,modified_gmt,categories,tags"
API_TERMS = "wp-json/wp/v2/{taxonomy}?per_page=100&page={page}&_fields=id,name"
API_POSTS = "wp-json/wp/v2/posts?per_page=100&page={page}&_fields=" + API_FIELDS
GUESSED_SITEMAPS = ("sitemap_index.xml", "wp-sitemap.xml")
PERMALINK = re.compile(r"/\d{4}/\d{2}/\d{2}/[^/]+/?$")
# Posts' sitemaps in an index: Yoast's post-sitemap.xml, post-sitemap2.xml…; core's
# wp-sitemap-posts-post-1.xml (not its pages, terms or users).
POST_SITEMAP = re.compile(r"(?:^|/)(?:post-sitemap\d*|wp-sitemap-posts-post-\d+)\.xml(?:\.gz)?$")
LISTING_LINKS = (
    "article .entry-title a::attr(href), article h2 a::attr(href), "
    "article h3 a::attr(href), article h4 a::attr(href)"
)
NEXT_PAGE = "a.next::attr(href), a[rel=next]::attr(href), .nav-links a.page-numbers::attr(href)"
# Request priorities: discovery first, then posts named by the feed and the API (so a huge
# sitemap never starves them), then sitemap entries, newest first.
PRIORITY = {"robots": 100, "terms": 95, "api": 90, "feed": 80, "sitemap": 70, "listing": 60}
PRIORITY_NAMED_POST = 20
# Scrapy's exception class names (as its robots.txt stats give them) to failure reasons.
ROBOTS_ERRORS = (
    ("Timeout", "timeout"),
    ("CannotResolveHost", "dns"),
    ("Connection", "connection"),
    ("DownloadFailed", "connection"),
    ("DownloadCancelled", "too_large"),
)
PRIORITY_SITEMAP_POST = 10


class OneLine(logging.Filter):
    """Drops the traceback Scrapy's robots.txt middleware logs with a download error: the
    run counts that failure with its reason, and cron mails stderr, so one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the message, lose the traceback."""
        record.exc_info, record.exc_text = None, None
        return True


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _newest_first(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sitemap entries, `lastmod` made an aware UTC instant once, newest first; none last."""
    dated = [{**e, "lastmod": utc_iso(e.get("lastmod"))} for e in entries]
    return sorted(dated, key=lambda e: e["lastmod"] or "", reverse=True)


class LordsPressSpider(scrapy.Spider):
    """Discovers every article of the publication and asks only for what may have changed."""

    name = "lordspress"

    def __init__(
        self,
        start_url: str | None = None,
        full: Any = False,
        publication: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Each callback bound once: Scrapy caches "is this callback a generator with a return
        # value?" per callback object, weakly, so a method bound anew for every request was
        # parsed from source (ast) for every response: 4% of the crawl process's CPU.
        for name in dir(type(self)):
            if name.startswith("parse_") or name == "on_error":
                setattr(self, name, getattr(self, name))
        self._start_url = start_url
        self._publication = publication
        self.full = _truthy(full)
        self.frontier: Any = None  # the shared frontier (lpscrape.distributed), set when used
        self.known: dict[str, dict[str, str | None]] = {}
        self.validators: dict[str, dict[str, str | None]] = {}
        self.sources_before = 0  # discovery sources the last completed run read
        self.decided: set[str] = set()  # article URLs requested, or skipped, in this run
        self.in_sitemap: set[str] = set()
        self.named: dict[str, str] = {}  # posts named by the feed/API, until sitemaps are read
        self.sitemaps_requested: set[str] = set()
        self.sitemaps_pending: set[str] = set()  # requested, not answered yet
        self.sitemaps_listed = False  # robots.txt (or the guess) has named every sitemap
        self.sitemap_found = False  # a urlset was parsed
        self.discovery_done = False  # set when the scheduler first runs dry (spider_idle)
        self.listing_started = False
        self.sitemap_posts = 0  # article requests made from sitemap entries
        self.sitemap_deferred = 0  # sitemap entries left for a later run by the cap
        self._robots: asyncio.Future[Response | None] | None = None

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Scrapy's hook, before the settings are frozen: with LPSCRAPE_REDIS_URL set, the
        crawl becomes a crawler of the shared frontier (lpscrape.distributed)."""
        from lpscrape.distributed.switch import switch

        super().update_settings(settings)
        switch(settings)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> LordsPressSpider:
        """Bind the start URL (argument or setting), the hosts and the discovery signals."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        start = spider._start_url or crawler.settings.get("LPSCRAPE_DEFAULT_START_URL")
        spider.base = start if start.endswith("/") else start + "/"
        spider.publication = (
            spider._publication
            or crawler.settings.get("LPSCRAPE_PUBLICATION")
            or publication_of(spider.base)
        )
        host = urlsplit(spider.base).hostname or ""
        bare = host.removeprefix("www.")
        spider.hosts = {host, bare, f"www.{bare}"}
        spider.port = explicit_port(spider.base)
        spider.allowed_domains = sorted(spider.hosts)
        spider.sitemap_cap = crawler.settings.getint("LPSCRAPE_SITEMAP_MAX_URLS", 10_000)
        spider.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE", 0)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_response, signal=signals.response_received)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        robots_log = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
        if not any(isinstance(f, OneLine) for f in robots_log.filters):
            robots_log.addFilter(OneLine())
        return spider

    def on_site(self, url: str) -> bool:
        """True when the URL is the publication's (its hosts, and its port if it has one)."""
        return same_host(url, self.hosts, self.port)

    # -- start ---------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """The REST API and the feed, then robots.txt's sitemaps (robots.txt fetched once)."""
        stats = self.crawler.stats
        if stats.get_value("lpscrape/archive_error") or stats.get_value("lpscrape/archive_busy"):
            return  # the archive cannot take this run: not one request goes out
        self._load_known()
        if self.frontier is not None and not self.frontier.take_discovery():
            return  # another crawler discovers; this one takes articles from the shared queue
        for request in self.discovery_requests():
            yield request
        if not self.settings.getbool("ROBOTSTXT_OBEY"):
            yield self._request("robots.txt", self.parse_robots, "robots")
            return
        # Scrapy's RobotsTxtMiddleware fetches robots.txt before the first request above goes
        # out; its response (seen through `response_received`) is the one we read and keep.
        self._robots = asyncio.get_running_loop().create_future()
        response = await self._robots
        if response is None:  # robots.txt could not be fetched: WordPress's usual paths
            yield self.robots_failure()
            for path in GUESSED_SITEMAPS:
                for request in self.sitemap_request(urljoin(self.base, path), guessed=True):
                    yield request
            self.sitemaps_listed = True
            return
        response.meta["kind"] = "robots"
        response.meta["via"] = "robots"
        for out in self.parse_robots(response):
            yield out

    def discovery_requests(self) -> list[Request]:
        """The REST API's terms and posts, and the feed."""
        requests = []
        for taxonomy in ("categories", "tags"):
            path = API_TERMS.format(taxonomy=taxonomy, page=1)
            requests.append(
                self._request(path, self.parse_terms, "api", "terms", taxonomy=taxonomy)
            )
        requests.append(self._request(API_POSTS.format(page=1), self.parse_api, "api"))
        requests.append(self._request("feed/", self.parse_feed, "feed"))
        return requests

    def begin_discovery(self) -> list[Request]:
        """Discovery again from the start, in a running crawl (a distributed crawler taking
        over from a discoverer that died): robots.txt is asked for like any page."""
        self.sitemaps_requested.clear()
        self.sitemaps_pending.clear()
        self.sitemaps_listed = self.sitemap_found = self.discovery_done = False
        self.listing_started = False
        self._load_known()
        # robots.txt itself is never forbidden (its own rules could say `Disallow: /*.txt`).
        robots = self._request("robots.txt", self.parse_robots, "robots", dont_obey_robotstxt=True)
        return [r.replace(dont_filter=True) for r in (*self.discovery_requests(), robots)]

    def _robots_settled(self, response: Response | None) -> None:
        if self._robots is not None and not self._robots.done():
            self._robots.set_result(response)

    def on_response(self, response: Response, request: Request, spider: Any = None) -> None:
        """Catch the robots.txt Scrapy fetched; any other response means robots.txt is
        settled (the middleware holds every request of the host until it is)."""
        if self._robots is None or self._robots.done():
            return
        if request.callback is NO_CALLBACK and request.meta.get("dont_obey_robotstxt"):
            if urlsplit(request.url).path == "/robots.txt":
                self._robots_settled(response)
        elif self.on_site(response.url):
            self._robots_settled(None)

    def robots_failure(self) -> FetchFailure:
        """robots.txt that Scrapy could not fetch, with the reason its stats give."""
        prefix = "robotstxt/exception_count/"
        errors = [k for k in self.crawler.stats.get_stats() if k.startswith(prefix)]
        names = " ".join(errors)
        reason = next((r for hint, r in ROBOTS_ERRORS if hint in names), "error")
        return FetchFailure(
            url=urljoin(self.base, "robots.txt"),
            kind="robots",
            reason=reason,
            detail=names.replace(prefix, "")[:300],
            discovered_via="robots",
        )

    def on_dropped(self, request: Request, spider: Any = None) -> None:
        """A sitemap request dropped (as a duplicate) will never be answered: stop waiting."""
        if request.meta.get("sitemap"):
            for released in self.sitemap_answered(request.meta["sitemap"]):
                self.crawler.engine.crawl(released)

    def _load_known(self) -> None:
        if self.frontier is not None:  # a distributed crawler: what the writer published
            known = self.frontier.known()
            articles = known.get("articles", {}).items()
            self.known = {url: v for url, v in articles if self.on_site(url)}
            self.validators = {} if self.full else known.get("pages", {})
            return
        sample = self.settings.getint("LPSCRAPE_HEALTH_SAMPLE", 0)
        known = known_for_crawl(
            self.settings.get("ARCHIVE_DB"), self.publication, sample, self.full, self.base
        )
        # What this site's archive knows (an unusable archive: nothing, the pipeline stops it).
        self.known = {url: v for url, v in known.articles.items() if self.on_site(url)}
        self.validators = known.pages
        self.sources_before = known.sources_before

    def _conditional(self, known: dict[str, str | None] | None) -> dict[str, str]:
        """`If-None-Match` / `If-Modified-Since` from what the archive stored."""
        headers = {}
        if known and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def _request(
        self, path: str, callback: Any, kind: str, rank: str | None = None, **meta: Any
    ) -> Request:
        url = urljoin(self.base, path)
        conditional = kind in ("feed", "api")
        return Request(
            url,
            callback=callback,
            priority=PRIORITY[rank or kind],
            headers=self._conditional(self.validators.get(url)) if conditional else {},
            meta={"kind": kind, "via": kind, **self._statuses(kind), **meta},
            errback=self.on_error,
        )

    @staticmethod
    def _statuses(kind: str) -> dict[str, list[int]]:
        """Statuses that reach the callback; every other one reaches `on_error` as a failure."""
        return {"handle_httpstatus_list": sorted(NORMAL_STATUSES[kind])}

    # -- captures: every response the spider sees is kept as served ------------------------

    def earlier(self, response: Response) -> Iterator[Capture]:
        """The answers before this one that reached no callback, kept too: a response a retry
        replaced (the 503 before the 200, `retried`) and each redirect followed (`redirect`)."""
        for answer in response.meta.get(EARLIER, ()):
            here = (answer["url"], answer["status"]) == (response.url, response.status)
            if answer["kind"] == REDIRECT and here:
                continue  # a redirect that was not followed after all: this very response
            yield earlier_capture(answer, response.meta.get("via"), self.publication)

    def capture(self, response: Response, failure: str | None = None) -> Capture:
        """The response as a capture item, with why it failed when it did."""
        headers = response_headers(response)
        kind = response.meta.get("kind", "article")
        content_type = headers.get("Content-Type", [None])[0]
        if failure is None:
            expected = response.meta.get("handle_httpstatus_list", ())
            failure = response.meta.get("lpscrape_failure") or response_failure(
                kind,
                response.status,
                response.body,
                content_type,
                expected,
                error_pages=kind != "article",  # articles: checked where they are stored
            )
        never_archived = clean_url(response.url) not in self.known
        if failure is None and kind == "article" and response.status in (404, 410):
            failure = f"http_{response.status}" if never_archived else None  # known: gone
        return Capture(
            url=response.url,
            status=response.status,
            body=response.body,
            headers=headers,
            fetched_at=utc_now(),
            kind=kind,
            sitemap_lastmod=response.meta.get("lastmod"),
            failure=failure,
            discovered_via=response.meta.get("via"),
            requested_url=(response.meta.get("redirect_urls") or [None])[0],
            publication=self.publication,
            taxonomy=response.meta.get("taxonomy"),
        )

    # -- discovery: robots.txt and sitemaps (Scrapy's own parsing) ------------------------

    def parse_robots(self, response: Response) -> Iterator[Any]:
        """Follow the `Sitemap:` lines (relative ones too); guess WordPress's paths without."""
        yield from self.earlier(response)
        capture = self.capture(response)
        yield capture
        found: list[str] = []
        if response.status == 200 and capture.failure is None:
            found = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        urls = [u for u in found if self.on_site(u)]
        guessed = not urls
        for url in urls or [urljoin(self.base, p) for p in GUESSED_SITEMAPS]:
            yield from self.sitemap_request(url, guessed=guessed)
        self.sitemaps_listed = True
        yield from self.sitemap_answered(None)

    def sitemap_request(self, url: str, guessed: bool = False) -> Iterator[Request]:
        """A sitemap, once per run whoever names it (robots.txt, an index, both)."""
        url = clean_url(url)
        if url in self.sitemaps_requested:
            return
        self.sitemaps_requested.add(url)
        self.sitemaps_pending.add(url)
        # A guessed path may well not exist; a named one must.
        statuses = [404, 410] if guessed else []
        yield Request(
            url,
            callback=self.parse_sitemap,
            priority=PRIORITY["sitemap"],
            # Never conditional: a sitemap is what lets a resumed or failed run find what it
            # missed, and `lastmod` already spares every unchanged article.
            meta={
                "kind": "sitemap",
                "via": "sitemap",
                "sitemap": url,  # its key in `sitemaps_pending`, whatever redirects happen
                "handle_httpstatus_list": statuses,
            },
            errback=self.on_error,
        )

    def sitemap_body(self, response: Response) -> bytes | None:
        """The sitemap's XML, gunzipped within DOWNLOAD_MAXSIZE; None when it is no sitemap."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.max_size)
            except (OSError, EOFError, ValueError):  # ValueError: past the size limit
                return None
        return body if body.lstrip()[:1] == b"<" else None

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """As SitemapSpider's hook: the urlset entries worth requesting, newest first —
        on the publication's hosts, not already decided, `lastmod` moved since stored."""
        for entry in _newest_first(entries):
            url = clean_url(entry.get("loc", ""))
            if not self.on_site(url):
                self.crawler.stats.inc_value("lpscrape/offsite_ignored")
                continue
            self.in_sitemap.add(url)
            if url in self.decided:
                continue
            if self.unchanged(url, entry.get("lastmod")):
                self.decided.add(url)
                self.crawler.stats.inc_value("lpscrape/skipped")
                continue
            yield entry

    def unchanged(self, url: str, lastmod: str | None) -> bool:
        """True when the sitemap's `lastmod` has not moved since the archive stored `url`."""
        known = None if self.full else self.known.get(url)
        # `utc_iso` on the stored value: archives written before lastmod was normalised on
        # entry hold it exactly as the sitemap gave it (no offset, or a day alone).
        stored = utc_iso(known.get("sitemap_lastmod")) if known else None
        return bool(lastmod and stored and lastmod <= stored)

    def sitemap_answered(self, url: str | None) -> Iterator[Request]:
        """Note a sitemap answered (or dropped); once every sitemap is read, the posts the
        feed and the API named that no sitemap entry requested go out, ahead of the rest."""
        if url is not None:
            self.sitemaps_pending.discard(url)
        if not self.sitemaps_listed or self.sitemaps_pending:
            return
        named, self.named = self.named, {}
        for post, via in named.items():
            if post not in self.decided:
                yield self.article_request(post, via, priority=PRIORITY_NAMED_POST)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """A sitemap index (follow post sitemaps) or a urlset (request changed articles)."""
        yield from self.earlier(response)
        capture = self.capture(response)
        sitemap = None
        if response.status == 200 and capture.failure is None:
            body = self.sitemap_body(response)
            try:
                sitemap = Sitemap(body) if body else None
            except Exception:  # lxml raises several kinds on what is not XML
                sitemap = None
            if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
                capture.failure, sitemap = "not_sitemap", None
        yield capture
        if sitemap is not None and sitemap.type == "sitemapindex":
            children = _newest_first(e for e in sitemap if self.on_site(e.get("loc", "")))
            posts = [e for e in children if POST_SITEMAP.search(urlsplit(e["loc"]).path)]
            for entry in posts or children:
                yield from self.sitemap_request(entry["loc"])
        elif sitemap is not None:
            self.sitemap_found = True
            # Only a post sitemap vouches that its URLs are posts (a hint to the extractor).
            path = urlsplit(response.meta.get("sitemap") or response.url).path
            origin = "sitemap" if POST_SITEMAP.search(path) else "sitemap-other"
            for entry in self.sitemap_filter(sitemap):
                url = clean_url(entry["loc"])
                named = url in self.named  # the feed or the API named it: it goes first
                if not named and self.sitemap_posts >= self.sitemap_cap:
                    self.sitemap_deferred += 1
                    continue
                self.sitemap_posts += not named
                yield self.article_request(
                    url,
                    self.named.get(url, origin),
                    entry.get("lastmod"),
                    PRIORITY_NAMED_POST if named else PRIORITY_SITEMAP_POST,
                )
        yield from self.sitemap_answered(response.meta.get("sitemap"))

    def on_idle(self, spider: Any = None) -> None:
        """The scheduler ran dry for the first time: discovery is over (whatever was
        requested twice or never answered); what only its end can decide goes out now."""
        if self.discovery_done or (self.frontier is not None and not self.frontier.discovering):
            return
        requests = self.end_of_discovery()
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def end_of_discovery(self) -> list[Request]:
        """Known articles no sitemap listed (a 404 marks them gone), posts the feed and the
        API named that are still waiting, or the listings when there was no sitemap."""
        self.discovery_done = True
        requests: list[Request] = []
        if not self.sitemap_found:
            requests += self.start_listings()
        else:
            for url in sorted(set(self.known) - self.in_sitemap - self.decided):
                requests.append(self.article_request(url, "archive"))
        for url, via in self.named.items():  # a sitemap never answered: they go anyway
            if url not in self.decided:
                requests.append(self.article_request(url, via, priority=PRIORITY_NAMED_POST))
        self.named.clear()
        if self.sitemap_deferred:
            self.crawler.stats.set_value("lpscrape/sitemap_deferred", self.sitemap_deferred)
        return requests

    # -- discovery: the feed, the REST API, listings ---------------------------------------

    def discovered(self, url: str, via: str) -> Request | None:
        """A post named by the feed, the API or a listing: it waits only until the sitemaps
        are read (their `lastmod` may spare it, and is stored with it), then goes first."""
        url = clean_url(url)
        if not self.on_site(url):
            self.crawler.stats.inc_value("lpscrape/offsite_ignored")
            return None
        if url in self.decided:
            return None
        sitemaps_read = self.sitemaps_listed and not self.sitemaps_pending
        if sitemaps_read or self.discovery_done:
            return self.article_request(url, via, priority=PRIORITY_NAMED_POST)
        self.named.setdefault(url, via)
        return None

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """The RSS feed: what is new."""
        yield from self.earlier(response)
        capture = self.capture(response)
        links: list[str] = []
        if response.status == 200 and capture.failure is None:
            selector = scrapy.Selector(response, type="xml")
            if not selector.xpath("/rss | /*[local-name()='feed']"):
                capture.failure = "not_feed"
            links = selector.xpath("//item/link/text()").getall()
        yield capture
        for link in links:
            if request := self.discovered(link, "feed"):
                yield request

    def parse_api(self, response: Response) -> Iterator[Any]:
        """The REST API's posts (a second source); its absence is normal."""
        yield from self.earlier(response)
        capture = self.capture(response)
        posts: Any = []
        if response.status == 200 and capture.failure is None:
            try:
                posts = response.json()
            except (ValueError, AttributeError):
                capture.failure = "not_json"
        yield capture
        for post in posts if isinstance(posts, list) else []:
            link = post.get("link") if isinstance(post, dict) else None
            if isinstance(link, str) and (request := self.discovered(link, "api")):
                yield request
        page = int(response.meta.get("page", 1))
        if capture.failure is None and page < self._total_pages(response):
            path = API_POSTS.format(page=page + 1)
            yield self._request(path, self.parse_api, "api", page=page + 1)

    def parse_terms(self, response: Response) -> Iterator[Any]:
        """The REST API's categories or tags (names for the posts' term ids)."""
        yield from self.earlier(response)
        capture = self.capture(response)
        yield capture
        page = int(response.meta.get("page", 1))
        more = page < self._total_pages(response)
        if response.status == 200 and capture.failure is None and more:
            taxonomy = response.meta["taxonomy"]
            path = API_TERMS.format(taxonomy=taxonomy, page=page + 1)
            yield self._request(
                path, self.parse_terms, "api", "terms", taxonomy=taxonomy, page=page + 1
            )

    @staticmethod
    def _total_pages(response: Response) -> int:
        value = response.headers.get(b"X-WP-TotalPages", b"1") or b"1"
        return int(value) if value.isdigit() else 1

    def start_listings(self) -> list[Request]:
        """No sitemap: walk the home page and category pagination instead."""
        if self.listing_started:
            return []
        self.listing_started = True
        self.logger.info("no sitemap found: discovering articles through listing pages")
        return [self._request("", self.parse_listing, "listing")]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """Home, category and archive pages: their article links and further pages."""
        yield from self.earlier(response)
        capture = self.capture(response)
        yield capture
        if response.status != 200 or capture.failure or not isinstance(response, TextResponse):
            return
        for href in response.css(LISTING_LINKS).getall():
            if request := self.discovered(response.urljoin(href), "listing"):
                yield request
        pages = response.css(NEXT_PAGE).getall()
        pages += response.css("a[href*='/category/']::attr(href)").getall()
        for href in pages:
            url = clean_url(response.urljoin(href))
            if self.on_site(url) and not PERMALINK.search(urlsplit(url).path):
                yield Request(
                    url,
                    callback=self.parse_listing,
                    priority=PRIORITY["listing"],
                    meta={"kind": "listing", "via": "listing", **self._statuses("listing")},
                    errback=self.on_error,
                )

    # -- articles ------------------------------------------------------------------------

    def article_request(
        self,
        url: str,
        via: str,
        lastmod: str | None = None,
        priority: int = PRIORITY_SITEMAP_POST,
    ) -> Request:
        """A request for an article, conditional when the archive has it."""
        url = clean_url(url)
        self.decided.add(url)
        known = None if self.full else self.known.get(url)
        return Request(
            url,
            callback=self.parse_article,
            headers=self._conditional(known),
            priority=priority,
            meta={"kind": "article", "via": via, "lastmod": lastmod, **self._statuses("article")},
            errback=self.on_error,
        )

    def parse_article(self, response: Response) -> Iterator[Capture]:
        """An article page (or its 304 / 404): kept exactly as served."""
        yield from self.earlier(response)
        yield self.capture(response)

    def forbidden_source(self, request: Request) -> None:
        """A discovery source robots.txt forbids (the feed, the REST API, a sitemap, a
        listing): never asked for, and said in the run's log and stats — not a failure: a
        site may keep its feed or API from crawlers, and the other sources still find the
        articles."""
        kind = request.meta.get("kind", "")
        stats = self.crawler.stats
        stats.inc_value("lpscrape/forbidden_sources")
        stats.inc_value(f"lpscrape/forbidden_sources/{kind}")
        self.logger.info("robots.txt forbids %s (%s): not fetched", request.url, kind)

    def on_error(self, failure: Any) -> Iterator[Any]:
        """A request that failed after its retries: kept when there was a response, and
        counted with its reason either way — never silent."""
        self._robots_settled(None)
        request = failure.request
        if request.meta.get("sitemap"):
            yield from self.sitemap_answered(request.meta["sitemap"])
        if failure.check(HttpError):
            yield from self.earlier(failure.value.response)
            yield self.capture(failure.value.response)
            return
        exc = failure.value
        if isinstance(exc, IgnoreRequest) and not isinstance(exc.__cause__, ValueError):
            if not self.on_site(request.url):
                reason = "offsite_redirect"  # Scrapy's offsite check, should one slip past ours
            elif request.meta.get("kind") == "article" and clean_url(request.url) in self.known:
                reason = "robots_txt"  # an archived article the site now forbids: not refreshed
            else:
                self.crawler.stats.inc_value("lpscrape/ignored")  # robots.txt said no
                if request.meta.get("kind") == "article":
                    self.crawler.stats.inc_value("lpscrape/forbidden_articles")
                elif isinstance(exc, ForbiddenByRobots):
                    self.forbidden_source(request)
                return
        else:
            reason = exception_failure(exc)
        self.logger.info("failed: %s (%s: %s)", request.url, reason, failure.getErrorMessage())
        yield FetchFailure(
            url=(request.meta.get("redirect_urls") or [request.url])[0],
            kind=request.meta.get("kind", "article"),
            reason=reason,
            detail=failure.getErrorMessage()[:300],
            discovered_via=request.meta.get("via"),
        )
