"""The `lordspress` spider: robots.txt → sitemaps, the feed, the REST API, listings as fallback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from lpscrape.archive.runhealth import reread_sample
from lpscrape.archive.store import Archive, ArchiveError, utc_now
from lpscrape.extract.dates import utc_iso
from lpscrape.items import Capture
from lpscrape.urls import clean_url, same_host

API_FIELDS = "id,link,date_gmt,modified_gmt,categories,tags"
API_TERMS = "wp-json/wp/v2/{taxonomy}?per_page=100&page={page}&_fields=id,name"
API_POSTS = "wp-json/wp/v2/posts?per_page=100&page={page}&_fields=" + API_FIELDS
PERMALINK = re.compile(r"/\d{4}/\d{2}/\d{2}/[^/]+/?$")
LISTING_LINKS = (
    "article .entry-title a::attr(href), article h2 a::attr(href), "
    "article h3 a::attr(href), article h4 a::attr(href)"
)
NEXT_PAGE = "a.next::attr(href), a[rel=next]::attr(href), .nav-links a.page-numbers::attr(href)"


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


class LordsPressSpider(scrapy.Spider):
    """Discovers every article of the publication and asks only for what may have changed."""

    name = "lordspress"

    def __init__(self, start_url: str | None = None, full: Any = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._start_url = start_url
        self.full = _truthy(full)
        self.known: dict[str, dict[str, str | None]] = {}
        self.validators: dict[str, dict[str, str | None]] = {}
        self.sitemaps_pending = 1  # robots.txt itself, until its Sitemap lines are read
        self.sitemap_found = False  # a urlset parsed, or answered 304 (unchanged)
        self.in_sitemap: set[str] = set()
        self.deferred: list[str] = []  # feed/API/listing links, held until sitemaps are read
        self.listing_started = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> LordsPressSpider:
        """Bind the start URL (argument or setting) and the publication's hosts."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        start = spider._start_url or crawler.settings.get("LPSCRAPE_DEFAULT_START_URL")
        spider.base = start if start.endswith("/") else start + "/"
        host = urlsplit(spider.base).hostname or ""
        bare = host.removeprefix("www.")
        spider.hosts = {host, bare, f"www.{bare}"}
        spider.allowed_domains = sorted(spider.hosts)
        return spider

    # -- start ---------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """robots.txt (for its Sitemap lines), the REST API and the feed."""
        self._load_known()
        robots = self._request("robots.txt", self.parse_robots, "robots", priority=100)
        yield robots.replace(errback=self.on_sitemap_error)
        yield self._request(API_POSTS.format(page=1), self.parse_api, "api", priority=90)
        for taxonomy in ("categories", "tags"):
            path = API_TERMS.format(taxonomy=taxonomy, page=1)
            yield self._request(path, self.parse_terms, "api", priority=95, taxonomy=taxonomy)
        yield self._request("feed/", self.parse_feed, "feed", priority=80)

    def _load_known(self) -> None:
        try:
            archive = Archive.open(self.settings.get("ARCHIVE_DB"))
        except ArchiveError:
            return  # the pipeline reports an unusable archive and stops the crawl
        try:
            self.known = archive.known_articles()  # also finds articles gone from the sitemap
            if not self.full:
                self.validators = archive.known_pages()
                # Issue #9: a sample read in full, so every run measures the current theme.
                sample = self.settings.getint("LPSCRAPE_HEALTH_SAMPLE", 0)
                reread_sample(archive.db, self.known, sample)
        finally:
            archive.close()

    def _conditional(self, url: str, known: dict[str, str | None] | None) -> dict[str, str]:
        """`If-None-Match` / `If-Modified-Since` from what the archive stored for `url`."""
        headers = {}
        if known and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def _request(
        self, path: str, callback: Any, kind: str, priority: int = 0, **meta: Any
    ) -> scrapy.Request:
        url = urljoin(self.base, path)
        conditional = kind in ("feed", "api")
        return scrapy.Request(
            url,
            callback=callback,
            priority=priority,
            headers=self._conditional(url, self.validators.get(url)) if conditional else {},
            meta={"kind": kind, "handle_httpstatus_list": [304, 404, 403, 410], **meta},
            errback=self.on_error,
        )

    # -- captures: every response the spider sees is kept as served ------------------------

    def capture(self, response: Response, **extra: Any) -> Capture:
        """The response as a capture item."""
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }
        return Capture(
            url=response.url,
            status=response.status,
            body=response.body,
            headers=headers,
            fetched_at=utc_now(),
            kind=response.meta.get("kind", "article"),
            sitemap_lastmod=response.meta.get("lastmod"),
            **extra,
        )

    # -- discovery -----------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Any]:
        """Follow the `Sitemap:` lines; guess WordPress's sitemap paths when there are none."""
        yield self.capture(response)
        text = response.text if isinstance(response, TextResponse) else ""
        if response.status != 200:
            text = ""
        found = [
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.lower().startswith("sitemap:")
        ]
        urls = [u for u in found if same_host(u, self.hosts)]
        urls = urls or [urljoin(self.base, p) for p in ("sitemap_index.xml", "wp-sitemap.xml")]
        for url in urls:
            yield from self._sitemap_request(url)
        self.sitemaps_pending -= 1
        yield from self._sitemaps_settled()

    def _sitemap_request(self, url: str) -> Iterator[scrapy.Request]:
        self.sitemaps_pending += 1
        yield scrapy.Request(
            url,
            callback=self.parse_sitemap,
            priority=70,
            # Never conditional: a sitemap is what lets a resumed or failed run find what it
            # missed, and `lastmod` already spares every unchanged article.
            meta={"kind": "sitemap", "handle_httpstatus_list": [404, 403, 410]},
            errback=self.on_sitemap_error,
        )

    def _sitemaps_settled(self) -> Iterator[scrapy.Request]:
        """Once every sitemap is read: the held links, or listings when there is no sitemap."""
        if self.sitemaps_pending > 0:
            return
        if not self.sitemap_found:
            yield from self.start_listings()
        else:
            # Live in the archive but gone from the sitemap: ask once, a 404 marks it gone.
            for url in sorted(set(self.known) - self.in_sitemap):
                if request := self.article_request(url):
                    yield request
        held, self.deferred = self.deferred, []
        for url in held:
            if request := self.discovered(url):
                yield request

    def discovered(self, url: str) -> scrapy.Request | None:
        """A link from the feed, the API or a listing: the sitemap's decision comes first."""
        url = clean_url(url)
        if self.sitemaps_pending > 0:
            self.deferred.append(url)
            return None
        if url in self.in_sitemap:
            return None
        return self.article_request(url)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """A sitemap index (follow post sitemaps) or a urlset (request changed articles)."""
        self.sitemaps_pending -= 1
        yield self.capture(response)
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body)
        sitemap = None
        if response.status == 200:
            try:
                sitemap = Sitemap(body)
            except Exception:  # lxml raises several kinds on non-XML answers
                self.logger.warning("not a sitemap: %s", response.url)
        if sitemap is not None and sitemap.type == "sitemapindex":
            children = [e["loc"] for e in sitemap if same_host(e.get("loc", ""), self.hosts)]
            posts = [u for u in children if "post" in urlsplit(u).path] or children
            for url in posts:
                yield from self._sitemap_request(url)
        elif sitemap is not None and sitemap.type == "urlset":
            self.sitemap_found = True
            for entry in sitemap:
                url = clean_url(entry.get("loc", ""))
                self.in_sitemap.add(url)
                if request := self.article_request(url, entry.get("lastmod")):
                    yield request
        yield from self._sitemaps_settled()

    def on_sitemap_error(self, failure: Any) -> Iterator[Any]:
        """robots.txt or a sitemap could not be fetched; listings take over when none could."""
        self.sitemaps_pending -= 1
        yield from self.on_error(failure)
        yield from self._sitemaps_settled()

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """The RSS feed: what is new."""
        yield self.capture(response)
        if response.status != 200:
            return
        for link in scrapy.Selector(response, type="xml").xpath("//item/link/text()").getall():
            if request := self.discovered(link):
                yield request

    def parse_api(self, response: Response) -> Iterator[Any]:
        """The REST API's posts (a second source); its absence is normal."""
        yield self.capture(response)
        if response.status != 200:
            return
        try:
            posts = response.json()
        except ValueError:
            return
        for post in posts if isinstance(posts, list) else []:
            link = post.get("link") if isinstance(post, dict) else None
            if isinstance(link, str) and (request := self.discovered(link)):
                yield request
        page = int(response.meta.get("page", 1))
        total = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if page < total:
            yield self._request(
                API_POSTS.format(page=page + 1), self.parse_api, "api", priority=90, page=page + 1
            )

    def parse_terms(self, response: Response) -> Iterator[Any]:
        """The REST API's categories or tags (names for the posts' term ids)."""
        yield self.capture(response)
        page = int(response.meta.get("page", 1))
        total = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if response.status == 200 and page < total:
            taxonomy = response.meta["taxonomy"]
            path = API_TERMS.format(taxonomy=taxonomy, page=page + 1)
            yield self._request(
                path, self.parse_terms, "api", priority=95, taxonomy=taxonomy, page=page + 1
            )

    def start_listings(self) -> Iterator[scrapy.Request]:
        """No sitemap: walk the home page and category pagination instead."""
        if self.listing_started:
            return
        self.listing_started = True
        self.logger.info("no sitemap found: discovering articles through listing pages")
        yield self._request("", self.parse_listing, "listing", priority=60)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """Home, category and archive pages: their article links and further pages."""
        yield self.capture(response)
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        for href in response.css(LISTING_LINKS).getall():
            if request := self.discovered(response.urljoin(href)):
                yield request
        pages = response.css(NEXT_PAGE).getall()
        pages += response.css("a[href*='/category/']::attr(href)").getall()
        for href in pages:
            url = clean_url(response.urljoin(href))
            if same_host(url, self.hosts) and not PERMALINK.search(urlsplit(url).path):
                yield scrapy.Request(
                    url,
                    callback=self.parse_listing,
                    priority=60,
                    meta={"kind": "listing", "handle_httpstatus_list": [404, 410]},
                    errback=self.on_error,
                )

    # -- articles ------------------------------------------------------------------------

    def article_request(self, url: str, lastmod: str | None = None) -> scrapy.Request | None:
        """A request for an article, conditional when the archive has it; None to skip."""
        url = clean_url(url)
        if not same_host(url, self.hosts):
            self.crawler.stats.inc_value("lpscrape/offsite_ignored")
            return None
        known = None if self.full else self.known.get(url)
        stored = utc_iso(known.get("sitemap_lastmod")) if known else None
        if lastmod and stored and (utc_iso(lastmod) or "") <= stored:
            self.crawler.stats.inc_value("lpscrape/skipped")
            return None
        return scrapy.Request(
            url,
            callback=self.parse_article,
            headers=self._conditional(url, known),
            priority=10,
            meta={
                "kind": "article",
                "lastmod": lastmod,
                "handle_httpstatus_list": [304, 404, 410],
            },
            errback=self.on_error,
        )

    def parse_article(self, response: Response) -> Iterator[Capture]:
        """An article page (or its 304 / 404): kept exactly as served."""
        yield self.capture(response)

    def on_error(self, failure: Any) -> Iterator[Any]:
        """A request that failed after its retries: counted, never silent."""
        if not failure.check(HttpError) and failure.check(IgnoreRequest):  # robots, offsite
            self.crawler.stats.inc_value("lpscrape/ignored")
            return iter(())
        self.crawler.stats.inc_value("lpscrape/failed")
        self.logger.error("failed: %s (%s)", failure.request.url, failure.getErrorMessage())
        return iter(())
