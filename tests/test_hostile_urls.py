"""A page whose canonical URL is `javascript:`: never an article's key, never a link in the
archive's pages (a real crawl of the hostile site, read back through Datasette's client)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

from conftest import crawl, query
from datasette.app import Datasette

from lpscrape.demo import DemoServer
from lpscrape.serve import make_datasette


def script_url(url: str) -> str:
    """A `javascript:` URL with the host and path of `url`, that runs when clicked."""
    return "javascript:" + url.removeprefix("http:") + "?%0aalert(document.domain)//"


def crawl_with_script_canonical(hostile: DemoServer, db: Path) -> str:
    """Crawl the hostile site with one article's canonical and og:url made `javascript:`;
    returns that article's URL."""
    url = hostile.base_url + hostile.site.articles[0].path
    here, there = url.encode(), script_url(url).encode()

    def scripted(body: bytes) -> bytes:
        body = body.replace(b'rel="canonical" href="' + here, b'rel="canonical" href="' + there)
        return body.replace(b'og:url" content="' + here, b'og:url" content="' + there)

    hostile.site.rewrites[hostile.site.articles[0].path] = scripted
    crawl(hostile, db)
    return url


async def search_word(ds: Datasette, db: Path, url: str) -> str:
    """The search page for the longest word of the article's title."""
    [(title,)] = query(db, "SELECT title FROM articles WHERE url = ?", (url,))
    word = max(title.split(), key=len)
    response = await ds.client.get(f"/archive/search?q={word}")  # whatever the file name
    assert response.status_code == 200
    assert 'class="lp-archived"' in response.text
    return response.text


def no_script_links(page: str) -> None:
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.I), page[:500]


async def test_a_javascript_canonical_is_never_the_key_nor_a_link(
    hostile: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    url = crawl_with_script_canonical(hostile, db)
    keys = [u for (u,) in query(db, "SELECT url FROM articles")]
    assert url in keys
    assert all(k.startswith("http://") for k in keys)
    [(warnings,)] = query(db, "SELECT extraction_warnings FROM articles WHERE url = ?", (url,))
    assert "canonical_url: not an http(s) URL, ignored" in json.loads(warnings)
    ds = make_datasette(db)
    await ds.invoke_startup()
    no_script_links(await search_word(ds, db, url))


async def test_an_older_archive_keyed_by_a_script_url_links_nothing_to_it(
    hostile: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    url = crawl_with_script_canonical(hostile, db)
    older = tmp_path / "older.db"
    shutil.copy(db, older)
    # What an archive held before canonical URLs had to be http(s): the article keyed by it.
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE articles SET url = ? WHERE url = ?", (script_url(url), url))
    conn.close()
    ds = make_datasette(older)
    await ds.invoke_startup()
    no_script_links(await search_word(ds, older, script_url(url)))
