"""Discovery rules of the spider, without a crawl: hosts, tracking parameters, skips."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from lpscrape.spiders.lordspress import LordsPressSpider
from lpscrape.urls import clean_url


@pytest.fixture
def spider() -> LordsPressSpider:
    crawler = get_crawler(LordsPressSpider)
    crawler.stats.open_spider()
    return LordsPressSpider.from_crawler(crawler, start_url="https://lordspress.example/")


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
    assert spider.article_request(url) is None
    assert spider.crawler.stats.get_value("lpscrape/offsite_ignored") == 1


def test_www_and_bare_host_are_the_publication(spider: LordsPressSpider) -> None:
    request = spider.article_request("https://www.lordspress.example/2025/09/10/story/")
    assert request is not None


def test_tracking_parameters_are_stripped() -> None:
    url = "https://lordspress.example/a/?utm_source=rss&utm_medium=x&fbclid=1&page=2#top"
    assert clean_url(url) == "https://lordspress.example/a/?page=2"


def test_unchanged_lastmod_is_skipped_and_known_pages_are_conditional(
    spider: LordsPressSpider,
) -> None:
    url = "https://lordspress.example/2025/09/10/story/"
    spider.known = {url: {"etag": '"v1"', "last_modified": None, "sitemap_lastmod": "2025-09-10"}}
    assert spider.article_request(url, "2025-09-10T00:00:00+01:00") is None
    assert spider.crawler.stats.get_value("lpscrape/skipped") == 1
    request = spider.article_request(url, "2025-09-12T08:00:00+01:00")
    assert request is not None and request.headers.get("If-None-Match") == b'"v1"'
    spider.full = True
    request = spider.article_request(url, "2025-09-10T00:00:00+01:00")
    assert request is not None and b"If-None-Match" not in request.headers
