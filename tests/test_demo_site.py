"""The bundled sample site, driven over real HTTP on loopback."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPMessage

import pytest

from lpscrape.demo import DemoServer, DemoSite, serve
from lpscrape.demo.content import (
    ADDED_IN_2,
    EDITED_IN_2,
    LONDON,
    REMOVED_IN_2,
    articles,
)
from lpscrape.demo.theme import esc, weather_at

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, HTTPMessage, bytes]:
    """Status, headers and body of one request, without following redirects or raising."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with serve(DemoSite()) as running:
        yield running


def sitemap_lastmods(server: DemoServer) -> dict[str, datetime]:
    """Every post URL the Yoast post sitemap lists, found via robots.txt and the index."""
    _, _, robots = fetch(server.base_url + "/robots.txt")
    index_url = re.search(r"^Sitemap: (\S+)$", robots.decode(), re.M)[1]
    _, _, index = fetch(index_url)
    locs = [e.text for e in ET.fromstring(index).iter(f"{SM}loc")]
    post_sitemap = next(loc for loc in locs if loc.endswith("/post-sitemap.xml"))
    status, headers, body = fetch(post_sitemap)
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    return {
        url.find(f"{SM}loc").text: datetime.fromisoformat(url.find(f"{SM}lastmod").text)
        for url in ET.fromstring(body).iter(f"{SM}url")
    }


def test_content_is_varied_and_deterministic() -> None:
    first = articles(1)
    assert len(first) >= 48
    assert len({a.id for a in first}) == len({a.slug for a in first}) == len(first)
    offsets = {a.published.utcoffset().total_seconds() for a in first}
    assert offsets == {0, 3600}  # GMT and BST
    assert 0.1 <= sum(a.dateline is None for a in first) / len(first) <= 0.3
    assert any(a.dateline == "MÜNCHEN" for a in first)
    assert any(a.dateline == "PARIS, France" for a in first)
    assert any(len(a.authors) == 2 for a in first)
    assert any(a.figure for a in first) and any(a.quote_index is not None for a in first)
    assert all(4 <= len(a.paragraphs) <= 13 for a in first)
    assert all(a.modified >= a.published for a in first)
    for a in first:
        if a.dateline:
            assert a.paragraphs[0].startswith(f"{a.dateline} — ")


def test_robots_txt(server: DemoServer) -> None:
    status, headers, body = fetch(server.base_url + "/robots.txt")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "User-agent: *\n" in text
    assert "Disallow: /private/\n" in text
    assert f"Sitemap: {server.base_url}/sitemap_index.xml" in text


def test_post_sitemap_lists_every_article_with_lastmod(server: DemoServer) -> None:
    lastmods = sitemap_lastmods(server)
    expected = {server.base_url + a.path: a.modified for a in articles(1)}
    assert lastmods == expected
    assert all(d.tzinfo is not None for d in lastmods.values())


def test_core_sitemap_lists_locs_only(server: DemoServer) -> None:
    _, _, index = fetch(server.base_url + "/wp-sitemap.xml")
    posts_url = next(
        e.text for e in ET.fromstring(index).iter(f"{SM}loc") if "posts-post" in e.text
    )
    _, _, body = fetch(posts_url)
    root = ET.fromstring(body)
    assert len(list(root.iter(f"{SM}loc"))) == len(articles(1))
    assert not list(root.iter(f"{SM}lastmod"))


def test_feed_has_ten_items(server: DemoServer) -> None:
    status, headers, body = fetch(server.base_url + "/feed/")
    assert status == 200
    assert headers["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(body).find("channel")
    items = channel.findall("item")
    assert len(items) == 10
    newest = max(articles(1), key=lambda a: a.published)
    first = items[0]
    assert first.findtext("title") == newest.title
    assert first.findtext("link").startswith(server.base_url + newest.path + "?utm_source=rss")
    guid = first.find("guid")
    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"{server.base_url}/?p={newest.id}"
    assert parsedate_to_datetime(first.findtext("pubDate")) == newest.published
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    assert [e.text for e in first.findall(dc)] == newest.author_names
    encoded = first.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert encoded.startswith("<p>")


def test_article_page_and_conditional_get(server: DemoServer) -> None:
    article = articles(1)[10]
    url = server.base_url + article.path
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert parsedate_to_datetime(headers["Last-Modified"]) == article.modified.replace(
        microsecond=0
    )
    html = body.decode()
    assert f'<h1 class="title single">{esc(article.title)}</h1>' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert "Cached page generated by WP-Super-Cache" in html

    status, headers, body = fetch(url, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["ETag"] == etag

    status, _, body = fetch(url, {"If-Modified-Since": headers["Last-Modified"]})
    assert (status, body) == (304, b"")


def test_etag_ignores_render_time_but_header_does_not() -> None:
    morning = datetime(2025, 1, 15, 7, 5, tzinfo=LONDON)
    evening = datetime(2025, 1, 15, 19, 40, tzinfo=LONDON)
    site = DemoSite(clock=lambda: morning)
    path = articles(1)[3].path
    _, headers_a, body_a = site.respond("GET", path, {})
    site.clock = lambda: evening
    _, headers_b, body_b = site.respond("GET", path, {})
    assert headers_a["ETag"] == headers_b["ETag"]
    assert body_a != body_b
    assert "Wednesday, 15 January, 2025" in body_a.decode()
    assert "Wednesday, January 15, 2025 7:40 PM" in body_b.decode()
    weather = weather_at(evening)
    assert f'<span class="cur-temp">{weather.temperature_c:.1f}</span>' in body_b.decode()


def test_weather_is_seasonal_and_sometimes_below_zero() -> None:
    january_nights = [
        weather_at(datetime(2025, 1, day, 4, tzinfo=LONDON)).temperature_c for day in range(1, 32)
    ]
    july_afternoons = [
        weather_at(datetime(2025, 7, day, 15, tzinfo=LONDON)).temperature_c for day in range(1, 32)
    ]
    assert min(january_nights) < 0
    assert sum(july_afternoons) / 31 > sum(january_nights) / 31 + 10
    noon = datetime(2025, 3, 3, 12, 5, tzinfo=LONDON)
    assert weather_at(noon) == weather_at(noon.replace(minute=55))


def test_edition_two_edits_removes_and_adds(server: DemoServer) -> None:
    by_id = {a.id: a for a in articles(1)}
    removed = by_id[REMOVED_IN_2[0]]
    edited = by_id[EDITED_IN_2[0]]
    edited_url = server.base_url + edited.path
    _, before, _ = fetch(edited_url)
    lastmods_before = sitemap_lastmods(server)

    server.site.edition = 2
    status, _, body = fetch(server.base_url + removed.path)
    assert status == 404
    assert b'<body class="error404' in body

    status, after, _ = fetch(edited_url, {"If-None-Match": before["ETag"]})
    assert status == 200
    assert after["ETag"] != before["ETag"]

    lastmods = sitemap_lastmods(server)
    assert server.base_url + removed.path not in lastmods
    for post_id in EDITED_IN_2:
        url = server.base_url + by_id[post_id].path
        assert lastmods[url] > lastmods_before[url]
    new = {a.id: a for a in articles(2)}
    for post_id in ADDED_IN_2:
        assert server.base_url + new[post_id].path in lastmods
        assert fetch(server.base_url + new[post_id].path)[0] == 200
    unchanged = articles(1)[0]
    url = server.base_url + unchanged.path
    assert lastmods[url] == lastmods_before[url]


def test_shortlink_redirects_to_permalink(server: DemoServer) -> None:
    article = articles(1)[5]
    status, headers, _ = fetch(f"{server.base_url}/?p={article.id}")
    assert status == 301
    assert headers["Location"] == server.base_url + article.path
    assert fetch(f"{server.base_url}/?p=999999")[0] == 404


def test_tracking_parameters_are_ignored(server: DemoServer) -> None:
    article = articles(1)[2]
    url = server.base_url + article.path
    _, plain, _ = fetch(url)
    status, tracked, _ = fetch(url + "?utm_source=rss&utm_medium=rss&fbclid=abc")
    assert status == 200
    assert tracked["ETag"] == plain["ETag"]


def test_fault_injection_then_recovery(server: DemoServer) -> None:
    path = articles(1)[0].path
    server.site.faults[path] = [503, 429]
    status, headers, _ = fetch(server.base_url + path)
    assert (status, headers["Retry-After"]) == (503, "1")
    status, headers, _ = fetch(server.base_url + path)
    assert (status, headers["Retry-After"]) == (429, "1")
    assert fetch(server.base_url + path)[0] == 200
    assert [r.status for r in server.site.requests] == [503, 429, 200]

    server.site.delays["/robots.txt"] = 0.3
    started = time.monotonic()
    assert fetch(server.base_url + "/robots.txt")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_request_log_and_head(server: DemoServer) -> None:
    path = articles(1)[1].path
    status, headers, body = fetch(server.base_url + path, method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) > 1000
    method, logged_path, logged_status, sent, request_headers = server.site.requests[-1]
    assert (method, logged_path, logged_status, sent) == ("HEAD", path, 200, 0)
    assert "User-Agent" in request_headers


def test_listings_private_page_and_404(server: DemoServer) -> None:
    status, _, body = fetch(server.base_url + "/")
    assert status == 200
    assert body.count(b"mg-posts-sec-post") == 10
    assert b'href="' + server.base_url.encode() + b'/page/2/"' in body
    assert fetch(server.base_url + "/page/5/")[0] == 200
    assert fetch(server.base_url + "/page/6/")[0] == 404
    assert fetch(server.base_url + "/category/heraldry/")[0] == 200
    assert fetch(server.base_url + "/tag/ports/")[0] == 200
    assert fetch(server.base_url + "/author/lp-staff-writers/")[0] == 200
    assert fetch(server.base_url + "/private/staff-only/")[0] == 200
    status, _, body = fetch(server.base_url + "/no/such/page/")
    assert status == 404
    assert b"Oops! That page can&rsquo;t be found." in body


def test_rest_api_paging(server: DemoServer) -> None:
    status, headers, body = fetch(server.base_url + "/wp-json/wp/v2/posts?per_page=20&page=2")
    assert status == 200
    assert headers["X-WP-Total"] == str(len(articles(1)))
    assert headers["X-WP-TotalPages"] == "3"
    posts = json.loads(body)
    assert len(posts) == 20
    post = posts[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", post["date"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", post["date_gmt"])
    assert post["link"].startswith(server.base_url + "/2025/")
    _, _, categories = fetch(server.base_url + "/wp-json/wp/v2/categories")
    names = {c["id"]: c["name"] for c in json.loads(categories)}
    assert all(c in names for c in post["categories"])
    assert fetch(server.base_url + "/wp-json/wp/v2/posts?page=9")[0] == 400


def test_rest_api_can_be_disabled() -> None:
    with serve(DemoSite(rest_api=False)) as running:
        assert fetch(running.base_url + "/wp-json/wp/v2/posts")[0] == 404
        status, headers, body = fetch(running.base_url + "/")
        assert status == 200
        assert "Link" not in headers
        assert b"api.w.org" not in body
