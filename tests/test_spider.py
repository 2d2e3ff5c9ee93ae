"""The spider's callbacks on saved responses (tests/files/), without a server or a crawl:
robots.txt, the sitemap index, a post sitemap, the feed; discovery's rules and its end."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scrapy.http import Request, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from lpscrape.items import Capture
from lpscrape.spiders.lordspress import (
    PRIORITY_NAMED_POST,
    PRIORITY_SITEMAP_POST,
    LordsPressSpider,
)
from lpscrape.urls import clean_url

FILES = Path(__file__).parent / "files"
BASE = "https://lordspress.example"


@pytest.fixture
def spider() -> LordsPressSpider:
    crawler = get_crawler(LordsPressSpider, {"LPSCRAPE_SITEMAP_MAX_URLS": 10_000})
    crawler.stats.open_spider()
    return LordsPressSpider.from_crawler(crawler, start_url=BASE + "/")


def saved(name: str, url: str, kind: str, cls: type[Response] = XmlResponse, **meta) -> Response:
    """A saved file as the response to the spider's request for `url`."""
    request = Request(url, meta={"kind": kind, "via": kind, **meta})
    return cls(url, body=(FILES / name).read_bytes(), request=request)


def requests_of(out: list) -> list[Request]:
    return [r for r in out if isinstance(r, Request)]


def captures_of(out: list) -> list[Capture]:
    return [c for c in out if isinstance(c, Capture)]


def test_robots_sitemap_lines_absolute_and_relative_once_each_on_the_host(
    spider: LordsPressSpider,
) -> None:
    response = saved("robots.txt", f"{BASE}/robots.txt", "robots", TextResponse)
    out = list(spider.parse_robots(response))
    assert [(c.kind, c.status, c.failure) for c in captures_of(out)] == [("robots", 200, None)]
    assert [r.url for r in requests_of(out)] == [
        f"{BASE}/sitemap_index.xml",
        f"{BASE}/news-sitemap.xml",  # the relative `Sitemap: /news-sitemap.xml`
    ]
    assert spider.sitemaps_listed and spider.sitemaps_pending == {
        f"{BASE}/sitemap_index.xml",
        f"{BASE}/news-sitemap.xml",
    }


def test_robots_without_sitemap_lines_guesses_wordpress_paths(spider: LordsPressSpider) -> None:
    request = Request(f"{BASE}/robots.txt", meta={"kind": "robots"})
    response = TextResponse(request.url, body=b"User-agent: *\nDisallow:\n", request=request)
    urls = [r.url for r in requests_of(list(spider.parse_robots(response)))]
    assert urls == [f"{BASE}/sitemap_index.xml", f"{BASE}/wp-sitemap.xml"]


def test_a_guessed_sitemap_may_be_missing_a_named_one_may_not(spider: LordsPressSpider) -> None:
    guessed = next(spider.sitemap_request(f"{BASE}/wp-sitemap.xml", guessed=True))
    named = next(spider.sitemap_request(f"{BASE}/news-sitemap.xml"))
    failures = [
        captures_of(list(spider.parse_sitemap(TextResponse(r.url, status=404, request=r))))
        for r in (guessed, named)
    ]
    assert [[c.failure for c in f] for f in failures] == [[None], ["http_404"]]


def test_sitemap_index_follows_post_sitemaps_only(spider: LordsPressSpider) -> None:
    url = f"{BASE}/sitemap_index.xml"
    out = list(spider.parse_sitemap(saved("sitemap_index.xml", url, "sitemap", sitemap=url)))
    assert [c.failure for c in captures_of(out)] == [None]
    assert [r.url for r in requests_of(out)] == [f"{BASE}/post-sitemap.xml"]


def test_core_sitemap_index_follows_posts_not_pages_terms_or_users(
    spider: LordsPressSpider,
) -> None:
    names = ("posts-post-1", "posts-page-1", "taxonomies-post_tag-1", "users-1", "posts-post-2")
    entries = "".join(f"<sitemap><loc>{BASE}/wp-sitemap-{n}.xml</loc></sitemap>" for n in names)
    body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
    url = f"{BASE}/wp-sitemap.xml"
    request = Request(url, meta={"kind": "sitemap", "sitemap": url})
    response = XmlResponse(url, body=(body + "</sitemapindex>").encode(), request=request)
    urls = [r.url for r in requests_of(list(spider.parse_sitemap(response)))]
    assert urls == [f"{BASE}/wp-sitemap-posts-post-1.xml", f"{BASE}/wp-sitemap-posts-post-2.xml"]


def post_sitemap(spider: LordsPressSpider, gzipped: bool = False) -> list:
    url = f"{BASE}/post-sitemap.xml" + (".gz" if gzipped else "")
    spider.sitemaps_listed = True
    spider.sitemaps_pending.add(url)
    response = saved("post-sitemap.xml", url, "sitemap", sitemap=url)
    if gzipped:
        response = response.replace(body=gzip.compress(response.body))
    return list(spider.parse_sitemap(response))


def test_post_sitemap_asks_for_articles_newest_first_with_their_lastmod(
    spider: LordsPressSpider,
) -> None:
    requests = requests_of(post_sitemap(spider))
    assert len(requests) == 48
    lastmods = [r.meta["lastmod"] for r in requests]
    assert lastmods == sorted(lastmods, reverse=True) and all(lastmods)
    assert {r.priority for r in requests} == {PRIORITY_SITEMAP_POST}
    assert {r.meta["via"] for r in requests} == {"sitemap"}
    assert (
        requests[0].url
        == f"{BASE}/2025/10/20/staff-college-trains-young-diplomats-in-negotiation-and-protocol/"
    )


def test_a_gzipped_sitemap_is_read(spider: LordsPressSpider) -> None:
    assert len(requests_of(post_sitemap(spider, gzipped=True))) == 48


def test_a_gzip_bomb_in_place_of_a_sitemap_is_not_a_sitemap(spider: LordsPressSpider) -> None:
    spider.max_size = 1_000_000
    url = f"{BASE}/post-sitemap.xml.gz"
    request = Request(url, meta={"kind": "sitemap", "sitemap": url})
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000)
    out = list(spider.parse_sitemap(XmlResponse(url, body=bomb, request=request)))
    assert [c.failure for c in captures_of(out)] == ["not_sitemap"]
    assert requests_of(out) == []


def test_unchanged_lastmod_is_skipped_and_changed_is_conditional(spider: LordsPressSpider) -> None:
    old = f"{BASE}/2025/10/20/staff-college-trains-young-diplomats-in-negotiation-and-protocol/"
    moved = f"{BASE}/2025/10/15/embassies-in-the-hague-adjust-security-after-a-review-of-shared-"
    moved += "entrances/"
    spider.known = {
        old: {"etag": '"v1"', "last_modified": None, "sitemap_lastmod": "2025-10-20T06:24:11Z"},
        moved: {"etag": '"v2"', "last_modified": None, "sitemap_lastmod": "2025-01-01"},
    }
    requests = {r.url: r for r in requests_of(post_sitemap(spider))}
    assert old not in requests and old in spider.in_sitemap
    assert spider.crawler.stats.get_value("lpscrape/skipped") == 1
    assert requests[moved].headers.get("If-None-Match") == b'"v2"'


def test_the_sitemap_cap_defers_the_oldest_and_says_so(spider: LordsPressSpider) -> None:
    spider.sitemap_cap = 5
    requests = requests_of(post_sitemap(spider))
    assert len(requests) == 5 and requests[0].meta["lastmod"] >= "2025-10-20"
    assert spider.sitemap_deferred == 43
    spider.end_of_discovery()
    assert spider.crawler.stats.get_value("lpscrape/sitemap_deferred") == 43


def test_feed_posts_wait_for_the_sitemaps_then_go_first(spider: LordsPressSpider) -> None:
    feed = saved("feed.xml", f"{BASE}/feed/", "feed")
    out = list(spider.parse_feed(feed))
    assert [c.failure for c in captures_of(out)] == [None]
    assert requests_of(out) == []  # robots.txt has not named the sitemaps yet
    assert len(spider.named) == 10 and all("utm_" not in u for u in spider.named)
    newest = next(iter(spider.named))
    requests = requests_of(post_sitemap(spider))  # the last sitemap is read
    by_url = {r.url: r for r in requests}
    assert by_url[newest].priority == PRIORITY_NAMED_POST and by_url[newest].meta["via"] == "feed"
    assert by_url[newest].meta["lastmod"]  # its lastmod comes with it
    assert sum(r.priority == PRIORITY_NAMED_POST for r in requests) == 10


def test_feed_answering_an_error_page_is_a_failure(spider: LordsPressSpider) -> None:
    body = b"<html><body><h1>Error establishing a database connection</h1></body></html>"
    request = Request(f"{BASE}/feed/", meta={"kind": "feed"})
    response = TextResponse(request.url, body=body, request=request)
    out = list(spider.parse_feed(response))
    assert [c.failure for c in captures_of(out)] == ["error_page"]
    assert requests_of(out) == [] and spider.named == {}


def test_end_of_discovery_asks_once_for_known_articles_no_sitemap_listed(
    spider: LordsPressSpider,
) -> None:
    removed = f"{BASE}/2024/01/02/withdrawn-story/"
    spider.known = {removed: {"etag": None, "last_modified": None, "sitemap_lastmod": None}}
    post_sitemap(spider)
    requests = spider.end_of_discovery()
    assert [(r.url, r.meta["via"]) for r in requests] == [(removed, "archive")]
    assert spider.end_of_discovery() == []  # asked once


def test_without_any_sitemap_the_end_of_discovery_walks_the_listings(
    spider: LordsPressSpider,
) -> None:
    assert [r.url for r in spider.end_of_discovery()] == [f"{BASE}/"]


def test_a_404_of_a_url_never_archived_is_a_failure_of_a_known_one_is_gone(
    spider: LordsPressSpider,
) -> None:
    known = f"{BASE}/2025/01/01/old/"
    spider.known = {known: {"etag": None, "last_modified": None, "sitemap_lastmod": None}}
    for url, failure in ((known, None), (f"{BASE}/2025/01/02/never/", "http_404")):
        request = Request(url, meta={"kind": "article"})
        assert spider.capture(TextResponse(url, status=404, request=request)).failure == failure


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/2025/09/10/story/",
        "https://lordspress.example.evil.example/2025/09/10/story/",
        "mailto:desk@lordspress.example",
        "ftp://lordspress.example/file",
    ],
)
def test_other_hosts_and_schemes_are_never_requested(spider: LordsPressSpider, url: str) -> None:
    spider.sitemaps_listed = True
    assert spider.discovered(url, "feed") is None
    assert spider.crawler.stats.get_value("lpscrape/offsite_ignored") == 1


def test_www_and_bare_host_are_the_publication(spider: LordsPressSpider) -> None:
    spider.sitemaps_listed = True
    assert spider.discovered("https://www.lordspress.example/2025/09/10/story/", "feed")


def test_tracking_parameters_are_stripped() -> None:
    url = "https://lordspress.example/a/?utm_source=rss&utm_medium=x&fbclid=1&page=2#top"
    assert clean_url(url) == "https://lordspress.example/a/?page=2"


@pytest.mark.parametrize(
    ("url", "cleaned"),
    [
        ("https://lordspress.example/2025/09/10/story/", "https://lordspress.example/2025/09/10/story/"),
        ("HTTPS://LordsPress.example/A/", "https://lordspress.example/A/"),
        ("https://lordspress.example/a/#comments", "https://lordspress.example/a/"),
        ("https://lordspress.example/a/?", "https://lordspress.example/a/"),
        (" https://lordspress.example/a/\n", "https://lordspress.example/a/"),
        ("https://lordspress.example/a[1]/", "https://lordspress.example/a[1]/"),
        ("http://127.0.0.1:8080/?p=123", "http://127.0.0.1:8080/?p=123"),
    ],
)  # fmt: skip
def test_a_url_is_cleaned_to_one_form_whichever_way_it_came(url: str, cleaned: str) -> None:
    assert clean_url(url) == cleaned


def test_a_url_python_cannot_take_apart_is_still_an_error() -> None:
    with pytest.raises(ValueError):
        clean_url("http://[lordspress.example/a/")


def test_callbacks_stay_one_object_so_scrapys_per_callback_check_is_cached() -> None:
    """Scrapy inspects each callback's source (ast) once per callback object, weakly cached:
    a method bound anew per request was parsed again for every response."""
    from scrapy.utils.misc import _generator_callbacks_cache, is_generator_with_return_value

    from lpscrape.spiders.lordspress import LordsPressSpider

    spider = LordsPressSpider(start_url="http://127.0.0.1:9/")
    for name in ("parse_article", "parse_sitemap", "parse_listing", "on_error"):
        callback = getattr(spider, name)
        assert callback is getattr(spider, name)
        is_generator_with_return_value(callback)
        del callback
        assert getattr(spider, name) in _generator_callbacks_cache


def test_a_terms_answer_carries_the_taxonomy_the_spider_asked_for(
    spider: LordsPressSpider,
) -> None:
    url = f"{BASE}/wp-json/wp/v2/tags?per_page=100&page=1&_fields=id,name"
    request = Request(url, meta={"kind": "api", "via": "api", "taxonomy": "tags"})
    response = TextResponse(url, body=b'[{"id": 3, "name": "Treaties"}]', request=request)
    [capture] = captures_of(list(spider.parse_terms(response)))
    assert (capture.kind, capture.taxonomy) == ("api", "tags")
