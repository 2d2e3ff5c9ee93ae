"""Permalinks and citations in an archive of two publications that share article paths: two
sample servers crawled with `--sites`, `alpha` at edition 2 and `beta` at edition 1, read
through Datasette's own client and `lpscrape cite`."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import query, run_cli
from datasette.app import Datasette
from datasette.utils import tilde_encode

from lpscrape.demo import DemoSite, serve
from lpscrape.demo.content import ADDED_IN_2, EDITS_IN_2, articles
from lpscrape.serve import make_datasette

ARCHIVE = "https://archive.example.org"
ALPHA = {a.id: a for a in articles(2)}
BETA = {a.id: a for a in articles(1)}
RETITLED = EDITS_IN_2["retitle"]  # at the same path in both, under two headlines
PATH = BETA[RETITLED].path  # /2025/09/03/japans-new-envoy-…/
ONLY_ALPHA = ALPHA[ADDED_IN_2[0]]  # edition 2's new story: only alpha has it


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of two publications crawled in one `lpscrape crawl --sites`."""
    db = tmp_path_factory.mktemp("multi") / "archive.db"
    sites = db.parent / "sites.txt"
    with serve(DemoSite(edition=2)) as alpha, serve(DemoSite()) as beta:
        sites.write_text(f"alpha {alpha.base_url}/\nbeta {beta.base_url}/\n", encoding="utf-8")
        run_cli("crawl", "--sites", str(sites), "--db", str(db), "--delay", "0", check=True)
    return db


@pytest.fixture
async def ds(multi: Path) -> AsyncIterator[Datasette]:
    """Datasette over the archive of two publications."""
    datasette = make_datasette(multi)
    await datasette.invoke_startup()
    yield datasette


def url_of(db: Path, publication: str, path: str) -> str:
    """The archive key of `publication`'s article at `path`."""
    [(url,)] = query(
        db,
        "SELECT url FROM articles WHERE publication = ? AND url LIKE ?",
        (publication, "%" + path),
    )
    return url


def cite(db: Path, *args: str) -> str:
    """`lpscrape cite` output, the permalink on the archive's public address."""
    return run_cli("cite", *args, "--db", str(db), "--archive-url", ARCHIVE, check=True).stdout


async def test_each_publication_s_article_has_a_permalink_leading_to_it(
    ds: Datasette, multi: Path
) -> None:
    assert BETA[RETITLED].title != ALPHA[RETITLED].title
    for name, truth in (("alpha", ALPHA), ("beta", BETA)):
        url = url_of(multi, name, PATH)
        row = await ds.client.get(f"/archive/articles/{tilde_encode(url)}")
        assert row.status_code == 200
        shown = re.search(r'class="lp-permalink" href="([^"]+)"', row.text)[1]
        assert shown == f"/archive/article/@{name}{PATH}"
        cited = html.unescape(re.search(r'<pre class="lp-cite-text">(.*?)</pre>', row.text)[1])
        assert f"/archive/article/@{name}{PATH}version/" in cited
        page = await ds.client.get(shown)
        assert page.status_code == 200, page.text[:300]
        assert truth[RETITLED].title in page.text
        other = ALPHA if name == "beta" else BETA
        assert other[RETITLED].title not in page.text
        for suffix in ("changes", "version/1", "cite"):
            sub = await ds.client.get(f"{shown}{suffix}")
            assert sub.status_code == 200 and truth[RETITLED].title in html.unescape(sub.text)


async def test_a_path_of_several_publications_answers_300_listing_each(ds: Datasette) -> None:
    for suffix in ("", "changes"):
        page = await ds.client.get(f"/archive/article{PATH}{suffix}")
        assert page.status_code == 300, page.text[:300]
        links = re.findall(r'class="lp-choice" href="([^"]+)">([^<]+)</a>', page.text)
        assert [(href, html.unescape(title)) for href, title in links] == [
            (f"/archive/article/@alpha{PATH}{suffix}", ALPHA[RETITLED].title),
            (f"/archive/article/@beta{PATH}{suffix}", BETA[RETITLED].title),
        ]


async def test_a_path_of_one_publication_still_resolves_and_a_wrong_one_is_404(
    ds: Datasette, multi: Path
) -> None:
    page = await ds.client.get(f"/archive/article{ONLY_ALPHA.path}")  # as cited before
    assert page.status_code == 200 and ONLY_ALPHA.title in html.unescape(page.text)
    row = await ds.client.get(
        f"/archive/articles/{tilde_encode(url_of(multi, 'alpha', ONLY_ALPHA.path))}"
    )
    assert f'class="lp-permalink" href="/archive/article/@alpha{ONLY_ALPHA.path}"' in row.text
    assert (await ds.client.get(f"/archive/article/@beta{ONLY_ALPHA.path}")).status_code == 404
    assert (await ds.client.get(f"/archive/article/@gamma{PATH}")).status_code == 404


async def test_versions_and_changes_tables_link_each_row_to_its_own_publication(
    ds: Datasette, multi: Path
) -> None:
    url = url_of(multi, "beta", PATH)
    page = await ds.client.get(f"/archive/article_versions?url={url}")
    assert page.status_code == 200
    assert f'href="/archive/article/@beta{PATH}version/1"' in page.text
    assert f"/archive/article{PATH}version/" not in page.text


async def test_a_citation_carries_the_permalink_of_its_own_article(
    ds: Datasette, multi: Path
) -> None:
    url = url_of(multi, "beta", PATH)
    text = cite(multi, url).strip()
    assert BETA[RETITLED].title.rstrip(".") in text
    link = re.search(r"(\S+)\.$", text)[1]
    assert link == f"{ARCHIVE}/archive/article/@beta{PATH}version/1"
    page = await ds.client.get(link.removeprefix(ARCHIVE))
    assert page.status_code == 200 and BETA[RETITLED].title in html.unescape(page.text)
    assert ALPHA[RETITLED].title not in html.unescape(page.text)
    assert cite(multi, PATH, "--publication", "beta").strip() == text


def test_citing_a_path_of_several_publications_names_them_and_exits_2(multi: Path) -> None:
    result = run_cli("cite", PATH, "--db", str(multi))
    assert result.returncode == 2
    assert result.stderr == (
        f"lpscrape: {PATH} is an article of 2 publications (alpha, beta): choose one with "
        "--publication NAME, or give the article's full URL\n"
    )
    result = run_cli("cite", PATH, "--db", str(multi), "--publication", "gamma")
    assert result.returncode == 2
    assert result.stderr == (
        "lpscrape: no publication 'gamma' in the archive (it holds: alpha, beta)\n"
    )
