"""What discovery knew reaches the extractor: a post named by the post sitemap is an article
even when its page carries no article markup, in the crawl and in `reparse` alike."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import crawl, query
from faultsite import FaultSite

from lpscrape.archive.payloads import capture_body
from lpscrape.archive.reparse import reparse
from lpscrape.archive.store import Archive
from lpscrape.demo import DemoServer, serve
from lpscrape.extract import extract_article


def bare(page: bytes) -> bytes:
    """A short post with every declaration of a post removed: body classes, JSON-LD, og:type
    (a news brief of a few words, on a theme that says nothing)."""
    page = re.sub(rb"<p>.*?</p>", b"<p>Brief.</p>", page, flags=re.S)
    page = re.sub(rb'<body class="[^"]*"', b"<body", page)
    page = re.sub(rb"<script[^>]*application/ld\+json[^>]*>.*?</script>", b"", page, flags=re.S)
    return re.sub(rb'<meta property="og:type"[^>]*>', b"", page)


@pytest.fixture
def site() -> Iterator[DemoServer]:
    with serve(FaultSite(size=4)) as server:
        yield server


def test_a_post_sitemap_url_is_an_article_without_any_markup(
    site: DemoServer, tmp_path: Path
) -> None:
    post = site.site.articles[-1]
    site.site.rewrites[post.path] = bare
    db = tmp_path / "archive.db"
    crawl(site, db)
    stored = query(
        db,
        "SELECT c.discovered_via, a.title, c.id, c.url FROM captures c"
        " JOIN articles a ON a.url = c.url WHERE c.url LIKE ?",
        (f"%{post.path}",),
    )
    assert len(stored) == 1
    via, title, capture_id, url = stored[0]
    conn = sqlite3.connect(db)
    body = capture_body(conn, capture_id)
    conn.close()
    assert via in ("sitemap", "feed", "api") and title == post.title
    # The same bytes without what discovery knew are no article: the hint did it.
    assert extract_article(body, url).is_article is False
    reparse_archive = Archive.open(db)
    try:
        outcomes = reparse(reparse_archive)
    finally:
        reparse_archive.close()
    assert outcomes["new"] == 4
    assert query(db, "SELECT count(*) FROM articles WHERE url LIKE ?", (f"%{post.path}",)) == [(1,)]


def test_without_the_hint_the_bare_page_is_not_an_article() -> None:
    page = b"<html><head><title>Envoys meet</title></head><body><h1>Envoys meet</h1>"
    page += b"<div class='entry-content'><p>Short.</p></div></body></html>"
    url = "https://lordspress.example/envoys-meet/"
    assert extract_article(page, url).is_article is False
    assert extract_article(page, url, discovered="sitemap").is_article is True
    assert extract_article(page, url, discovered="sitemap-other").is_article is False
