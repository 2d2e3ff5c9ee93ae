"""A sitemap `lastmod` without offset, or a day alone, is stored as an aware UTC instant."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import crawl, query
from faultsite import FaultSite

from lpscrape.demo import DemoServer, serve

# What the sitemap says → what the archive stores (September: BST, UTC+1).
LASTMODS = {
    "2025-09-03": "2025-09-02T23:00:00+00:00",  # a day alone: 00:00 in London
    "2025-09-03T10:00:00": "2025-09-03T09:00:00+00:00",  # no offset: London time
}


@pytest.fixture
def site() -> Iterator[DemoServer]:
    with serve(FaultSite(size=4)) as server:
        yield server


def with_lastmods(lastmods: dict[str, str]) -> Callable[[bytes], bytes]:
    """A rewrite of the post sitemap giving each `loc` its `lastmod` as written here."""

    def rewrite(body: bytes) -> bytes:
        for loc, lastmod in lastmods.items():
            entry = re.escape(f"<loc>{loc}</loc>".encode()) + rb"(\s*)<lastmod>[^<]*</lastmod>"
            replacement = f"<loc>{loc}</loc>\\1<lastmod>{lastmod}</lastmod>".encode()
            body, count = re.subn(entry, replacement, body)
            assert count == 1
        return body

    return rewrite


def test_a_lastmod_without_offset_is_stored_as_utc(site: DemoServer, tmp_path: Path) -> None:
    urls = [site.base_url + a.path for a in site.site.articles[: len(LASTMODS)]]
    site.site.rewrites["/post-sitemap.xml"] = with_lastmods(dict(zip(urls, LASTMODS, strict=True)))
    expected = dict(zip(urls, LASTMODS.values(), strict=True))
    db = tmp_path / "archive.db"
    crawl(site, db)
    articles = dict(query(db, "SELECT url, sitemap_lastmod FROM articles"))
    captures = dict(query(db, "SELECT url, sitemap_lastmod FROM captures WHERE kind = 'article'"))
    assert {url: articles[url] for url in urls} == expected
    assert {url: captures[url] for url in urls} == expected
    # Every lastmod the archive holds is an aware UTC instant.
    assert all(v is None or v.endswith("+00:00") for v in [*articles.values(), *captures.values()])
