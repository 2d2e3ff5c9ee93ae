"""A publication's pages that send the crawler elsewhere by ways the 3xx check did not see: a
`<meta http-equiv="refresh">` to another port of the same host (Scrapy's MetaRefreshMiddleware
follows it, and Scrapy's offsite filter ignores ports), and a `Location: ///host:port/…`
(Scrapy's RedirectMiddleware reads it as `http://host:port/…`, where `urljoin` reads a path
on the same site). A real crawl of the hostile site on 127.0.0.1, and a second site on another
port of 127.0.0.1 as "another host": it must see no request, and each page that pointed
there fails as `offsite_redirect`, counted and alerted as an off-host 3xx is. RELIABILITY.md
lists the cases."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import crawl, last_run, query
from faultsite import FaultSite, html, redirect
from scrapy import Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirect
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from lpscrape.archive.payloads import capture_body
from lpscrape.demo import DemoServer, serve
from lpscrape.middlewares import RedirectMiddleware
from lpscrape.urls import same_host

# Short waits, as in tests/test_reliability.py.
FAST = (
    "--set", "RETRY_BACKOFF_BASE=0.05", "--set", "RETRY_BACKOFF_MAX=1",
    "--set", "RETRY_TIMES=1", "--set", "DOWNLOAD_TIMEOUT=2",
)  # fmt: skip


def refresh(target: str, seconds: int = 0) -> bytes:
    """A meta refresh tag sending the browser (and Scrapy) to `target`."""
    return f'<meta http-equiv="refresh" content="{seconds};url={target}">'.encode()


def with_head(tag: bytes) -> Callable[[bytes], bytes]:
    """A rewrite of a page that puts `tag` first in its `<head>`."""
    return lambda body: body.replace(b"<head>", b"<head>\n" + tag, 1)


class Crawl(NamedTuple):
    """One crawl of a site whose pages point elsewhere, each its own way."""

    result: subprocess.CompletedProcess
    db: Path
    base: str  # the publication
    other: DemoServer  # another site: 127.0.0.1, another port
    path: dict[str, str]  # case -> the article path that has it
    run: dict[str, object]


@pytest.fixture(scope="module")
def pointed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """A seven-article site: five articles point to another site (meta refresh to another
    port, `///` and `////` redirects), one meta-refreshes to another page of its own site,
    one reloads itself; and the feed redirects to `///` the other site. One crawl."""
    with serve(FaultSite(size=7)) as server, serve(FaultSite(size=3)) as other:
        site, base = server.site, server.base_url
        # The other site's newest article, a real WordPress page the crawl could take for ours.
        stolen = other.base_url + other.site.articles[-1].path
        stolen_host_port = stolen.removeprefix("http://")  # 127.0.0.1:PORT/…
        names = ("refresh_port", "refresh_late", "triple", "quad", "refresh_here", "reload")
        path = {name: site.articles[i].path for i, name in enumerate(names)}
        site.rewrites[path["refresh_port"]] = with_head(refresh(stolen))
        # Not at once: Scrapy follows a refresh shorter than METAREFRESH_MAXDELAY (100 s).
        site.rewrites[path["refresh_late"]] = with_head(refresh(stolen, 5))
        site.answer(path["triple"], redirect("///" + stolen_host_port, 302))
        site.answer(path["quad"], redirect("////" + stolen_host_port))
        site.answer("/feed/", redirect("///" + other.base_url.removeprefix("http://") + "/feed/"))
        # A page of the site refreshing to another of its pages (a moved post): followed.
        moved = site.respond("GET", site.articles[-1].path, {}).body
        site.answer("/moved-here/", html(moved))
        site.rewrites[path["refresh_here"]] = with_head(refresh(base + "/moved-here/"))
        # A page refreshing to itself (a live page's reload): the page is the answer.
        site.rewrites[path["reload"]] = with_head(refresh(base + path["reload"], 30))
        site.requests.clear()
        db = tmp_path_factory.mktemp("offsite_refresh") / "archive.db"
        result = crawl(server, db, *FAST, check=False)
        yield Crawl(result, db, base, other, path, last_run(db))


def captures(crawled: Crawl, name: str) -> list[tuple]:
    """Kind, status and reason of the responses kept for `name`'s article."""
    url = crawled.base + crawled.path[name]
    sql = "SELECT kind, status, failure FROM captures WHERE url = ? ORDER BY id"
    return query(crawled.db, sql, (url,))


def stored(crawled: Crawl, url: str) -> int:
    """How many articles the archive has at `url`."""
    return query(crawled.db, "SELECT count(*) FROM articles WHERE url = ?", (url,))[0][0]


def assert_refused(crawled: Crawl, name: str) -> None:
    """`name`'s article failed as an off-host redirect does: counted, named, not stored."""
    url = crawled.base + crawled.path[name]
    assert url in crawled.run["failure_examples"]["offsite_redirect"]
    assert stored(crawled, url) == 0


def test_the_other_site_never_saw_a_request(pointed: Crawl) -> None:
    assert pointed.other.site.requests == []
    urls = [row[0] for row in query(pointed.db, "SELECT url FROM captures")]
    assert urls and all(u.startswith(pointed.base + "/") for u in urls)
    other = pointed.other.base_url + "/%"
    assert query(pointed.db, "SELECT count(*) FROM articles WHERE url LIKE ?", (other,)) == [(0,)]


def test_every_refusal_is_counted_and_alerted_as_an_off_host_redirect(pointed: Crawl) -> None:
    assert pointed.result.returncode == 3
    run = pointed.run
    assert run["outcome"] == "completed"
    assert (run["failures"], run["failed"]) == ({"offsite_redirect": 5}, 5)
    assert "lpscrape: ALERT: 5 requests failed (offsite_redirect ×5)" in pointed.result.stderr
    assert pointed.base + "/feed/" in run["failure_examples"]["offsite_redirect"]


def test_a_meta_refresh_to_another_port_is_refused_and_the_page_kept(pointed: Crawl) -> None:
    for name in ("refresh_port", "refresh_late"):
        assert_refused(pointed, name)
        assert captures(pointed, name) == [("article", 200, "offsite_redirect")]
        url = pointed.base + pointed.path[name]
        conn = sqlite3.connect(pointed.db)
        try:
            (capture_id,) = conn.execute("SELECT id FROM captures WHERE url = ?", (url,)).fetchone()
            body = capture_body(conn, capture_id)
        finally:
            conn.close()
        assert b'http-equiv="refresh"' in body and b"<article" in body  # the page, as served


def test_a_triple_slash_location_to_another_port_is_refused(pointed: Crawl) -> None:
    for name, status in (("triple", 302), ("quad", 301)):
        assert_refused(pointed, name)
        assert captures(pointed, name) == [("article", status, "offsite_redirect")]
    feed = "SELECT status, failure FROM captures WHERE url = ?"
    assert query(pointed.db, feed, (pointed.base + "/feed/",)) == [(301, "offsite_redirect")]


def test_a_meta_refresh_on_the_same_site_is_followed(pointed: Crawl) -> None:
    assert captures(pointed, "refresh_here") == [("redirect", 200, None)]  # kept as a redirect
    moved = pointed.base + "/moved-here/"
    sql = "SELECT kind, status, failure FROM captures WHERE url = ?"
    assert query(pointed.db, sql, (moved,)) == [("article", 200, None)]
    here = pointed.base + pointed.path["refresh_here"]
    assert stored(pointed, moved) + stored(pointed, here) == 1


def test_a_meta_refresh_to_the_page_itself_is_the_page(pointed: Crawl) -> None:
    assert captures(pointed, "reload") == [("article", 200, None)]
    assert stored(pointed, pointed.base + pointed.path["reload"]) == 1


# -- the URL judged is the URL Scrapy fetches (no server) -------------------------------------


class Publication(Spider):
    """A spider whose publication is http://127.0.0.1:8000 (the port included)."""

    name = "publication"

    def on_site(self, url: str) -> bool:
        return same_host(url, {"127.0.0.1"}, 8000)


@pytest.mark.parametrize(
    "location",
    [
        "///127.0.0.1:9000/x/",  # Scrapy: http://127.0.0.1:9000/x/ (urljoin: a path here)
        "////127.0.0.1:9000/x/",
        "//127.0.0.1:9000/x/",
        "http://127.0.0.1:9000/x/",
        "/127.0.0.1:9000/x/",  # a path on the publication
        "\\\\127.0.0.1:9000/x/",  # a path too, to Scrapy
        "../elsewhere/",
        "http://127.0.0.1:8000/y/#part",
    ],
)
def test_the_guard_judges_the_url_scrapy_would_fetch(location: str) -> None:
    crawler = get_crawler(Publication)
    crawler.spider = Publication()

    def answer(middleware: type) -> tuple[Request, Request | Response]:
        request = Request("http://127.0.0.1:8000/2025/01/02/a/")
        response = Response(request.url, status=302, headers={"Location": location})
        return request, middleware.from_crawler(crawler).process_response(request, response)

    _, scrapys = answer(ScrapyRedirect)
    assert isinstance(scrapys, Request)  # Scrapy alone follows every one of them
    request, ours = answer(RedirectMiddleware)
    if Publication().on_site(scrapys.url):
        assert isinstance(ours, Request) and ours.url == scrapys.url
    else:
        assert isinstance(ours, Response) and ours.status == 302
        assert request.meta["lpscrape_failure"] == "offsite_redirect"
