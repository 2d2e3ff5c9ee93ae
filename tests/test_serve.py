"""The researchers' Datasette, driven through Datasette's own client against archives built by
real crawls: the sample site (edition 1 then 2) and a tiny site serving hostile markup."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import query, run_cli, wait_for
from datasette.app import Datasette
from datasette.utils import tilde_encode
from markupsafe import escape
from sqlite_utils import Database

from lpscrape.archive.schema import SCHEMA_VERSION, ensure_schema
from lpscrape.demo import theme
from lpscrape.demo.content import (
    EDITED_IN_2,
    LONDON,
    RESTYLED_IN_2,
    RETURNED_IN_3,
    REVISED_IN_2,
    SILENTLY_EDITED_IN_2,
    Article,
    Author,
    Term,
    articles,
)
from lpscrape.serve import (
    ServeError,
    datasette_metadata,
    make_datasette,
    write_datasette_dir,
)

DB = "archive"  # Datasette names the database after the file: archive.db


def archived_truth() -> list[Article]:
    """What the demo archive holds: edition 3's articles, the last crawled."""
    return list(articles(3))


async def started(db: Path, **settings: object) -> Datasette:
    """The project's Datasette over `db`, startup hooks run."""
    ds = make_datasette(db, settings_overrides=settings or None)
    await ds.invoke_startup()
    return ds


@pytest.fixture
async def ds(demo_archive: Path) -> AsyncIterator[Datasette]:
    """Datasette over the archive made by crawling the sample site twice."""
    yield await started(demo_archive)


async def get_json(ds: Datasette, path: str) -> dict | list:
    """GET a JSON page, asserting it answered 200."""
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


async def get_html(ds: Datasette, path: str) -> str:
    """GET an HTML page, asserting it answered 200."""
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.text


def words(text: str) -> set[str]:
    """Lower-case word tokens, roughly as FTS5's unicode61 tokenizer cuts them."""
    return set(re.findall(r"\w+", text.lower()))


def truth_search(query: str) -> set[str]:
    """Titles of the archived articles that have every word of `query` in title or body."""
    wanted = words(query)
    return {a.title for a in archived_truth() if wanted <= words(a.title + " " + a.body_text)}


# -- metadata and configuration --------------------------------------------------------------


async def test_metadata_describes_the_archive_every_table_and_every_column(
    ds: Datasette, demo_archive: Path
) -> None:
    home = await get_html(ds, "/")
    for text in ("Lord&#39;s Press: the archive", "Data source:", "Data license:", "About:"):
        assert text in home
    assert 'href="/about"' in home and "Search the articles" in home
    about = await get_html(ds, "/about")
    assert "describe the moment of capture, not the article" in about
    tables = (await get_json(ds, f"/{DB}.json"))["tables"]
    visible = [t for t in tables if not t["hidden"]]
    assert {t["name"] for t in visible} >= {
        "articles",
        "article_versions",
        "captures",
        "crawl_runs",
    }
    missing = []
    for table in visible:
        meta = ds.table_metadata(DB, table["name"])
        if not meta.get("description"):
            missing.append(table["name"])
        columns = [r[1] for r in query(demo_archive, f"PRAGMA table_info([{table['name']}])")]
        missing += [f"{table['name']}.{c}" for c in columns if not meta.get("columns", {}).get(c)]
    assert missing == []
    described = ds.table_metadata(DB, "articles")["columns"]
    assert "upper-case place" in described["dateline"]
    assert "moment of capture" in described["weather_condition"]
    assert "version" in ds.table_metadata(DB, "article_versions")["description"]


def test_settings_suit_an_archive(demo_archive: Path) -> None:
    ds = make_datasette(demo_archive)
    assert ds.setting("suggest_facets") is False
    assert ds.setting("max_csv_mb") == 0  # 0: a CSV of the whole archive is never cut short
    assert ds.setting("allow_csv_stream") is True
    assert 0 < ds.setting("sql_time_limit_ms") <= 5000
    assert ds.databases[DB].is_mutable  # read through mode=ro connections, sees a crawl's commits


def keys(tree: object) -> set[str]:
    """Every key of every dictionary nested in `tree`."""
    if isinstance(tree, dict):
        return set(tree).union(*(keys(v) for v in tree.values()))
    if isinstance(tree, list):
        return set().union(*(keys(v) for v in tree))
    return set()


def test_metadata_files_keep_descriptions_and_configuration_apart() -> None:
    base = Path(__file__).resolve().parent.parent / "lpscrape" / "datasette"
    metadata = json.loads((base / "metadata.json").read_text())
    config = json.loads((base / "datasette.json").read_text())
    configuration = {"settings", "queries", "facets", "sort", "sort_desc", "fts_table"}
    configuration |= {"fts_pk", "searchmode", "label_column", "facet_size", "plugins"}
    assert not keys(metadata) & configuration
    tables = config["databases"]["*"]["tables"]
    assert not keys(tables) & {"description", "columns", "title", "source", "license"}
    merged = datasette_metadata("my_archive")
    tables = merged["databases"]["my_archive"]["tables"]
    assert tables["articles"]["sort_desc"] == "published_at"
    assert tables["articles"]["columns"]["dateline"]
    assert "*" not in merged["databases"]


# -- search ----------------------------------------------------------------------------------


async def test_search_finds_the_right_article_and_not_others(ds: Datasette) -> None:
    edited = next(a for a in articles(2) if a.id == EDITED_IN_2[2])
    assert truth_search("horse-drawn carriage") == {edited.title}
    data = await get_json(ds, f"/{DB}/articles.json?_search=horse-drawn+carriage&_shape=objects")
    assert [r["title"] for r in data["rows"]] == [edited.title]

    for words in ("consular access", "Geneva", "archive copies", "coat arms"):
        data = await get_json(ds, f"/{DB}/articles.json?_search={words}&_shape=objects&_size=max")
        found = {r["title"] for r in data["rows"]}
        assert found == truth_search(words), words
        assert found and len(found) < 51


@pytest.mark.parametrize(
    "query",
    ['"', '""', "-", "horse-", "(horse", "horse)", "*", "AND", "NEAR(", "a:b", "O'Brien", "  "],
)
async def test_search_is_safe_with_punctuation_and_hyphens(ds: Datasette, query: str) -> None:
    response = await ds.client.get(f"/{DB}/articles", params={"_search": query})
    assert response.status_code == 200, response.text[:300]
    response = await ds.client.get(f"/{DB}/search.json", params={"q": query})
    assert response.status_code == 200, response.text[:300]


async def test_search_results_sort_by_publication_date(ds: Datasette) -> None:
    url = f"/{DB}/articles.json?_search=ambassador&_shape=objects&_size=max"
    newest_first = [r["published_at"] for r in (await get_json(ds, url))["rows"]]
    assert len(newest_first) > 2 and newest_first == sorted(newest_first, reverse=True)
    oldest_first = await get_json(ds, url + "&_sort=published_at")
    assert [r["published_at"] for r in oldest_first["rows"]] == sorted(newest_first)


async def test_search_query_highlights_snippets(ds: Datasette) -> None:
    rows = await get_json(ds, f"/{DB}/search.json?q=horse-drawn&_shape=array")
    assert len(rows) == 1 and "a ⟦horse-drawn⟧ carriage" in rows[0]["snippet"]
    html = await get_html(ds, f"/{DB}/search?q=horse-drawn")
    assert "a <mark>horse-drawn</mark> carriage" in html  # the mark is HTML, the text escaped


# -- facets and sorting ----------------------------------------------------------------------


# The articles' counts are shown on demand: these ask for all five.
FACETS = (
    "_facet_array=categories&_facet_array=tags&_facet_array=authors&_facet=dateline"
    "&_facet_month=published_at&_facet=publication"
)


def _top(counter: Counter[str], size: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:size]


async def test_facet_counts_match_the_data(ds: Datasette, demo_archive: Path) -> None:
    data = await get_json(ds, f"/{DB}/articles.json?_size=0&_facet_size=100&{FACETS}")
    facets = {f["name"]: f for f in data["facet_results"].values()}
    assert set(facets) == {"categories", "tags", "authors", "dateline", "published_at"} | {
        "publication"
    }
    got = {name: [(v["value"], v["count"]) for v in f["results"]] for name, f in facets.items()}

    truth = archived_truth()
    assert got["categories"] == _top(Counter(c for a in truth for c in a.category_names), 100)
    assert got["tags"] == _top(Counter(t for a in truth for t in a.tag_names), 100)
    assert got["authors"] == _top(Counter(n for a in truth for n in a.author_names), 100)
    assert got["dateline"] == _top(Counter(a.dateline for a in truth if a.dateline), 100)
    by_sql = query(
        demo_archive,
        "SELECT substr(published_at, 1, 7) m, count(*) FROM articles GROUP BY m ORDER BY m DESC",
    )
    assert got["published_at"] == [tuple(r) for r in by_sql]
    assert sum(n for _, n in got["published_at"]) == len(truth) == 51
    # One publication here (the sample site), named by its host.
    assert [n for _, n in got["publication"]] == [51]


async def test_facet_selection_filters(ds: Datasette, demo_archive: Path) -> None:
    data = await get_json(ds, f"/{DB}/articles.json?categories__arraycontains=Heraldry&_size=0")
    assert data["filtered_table_rows_count"] == sum(
        "Heraldry" in a.category_names for a in archived_truth()
    )
    month = query(demo_archive, "SELECT substr(published_at, 1, 7) FROM articles LIMIT 1")[0][0]
    data = await get_json(
        ds, f"/{DB}/articles.json?published_at__startswith={month}&_facet_month=published_at"
    )
    expected = query(
        demo_archive, "SELECT count(*) FROM articles WHERE published_at LIKE ?", (month + "%",)
    )[0][0]
    assert data["filtered_table_rows_count"] == expected
    month_facet = data["facet_results"]["published_at"]["results"]
    assert [v["value"] for v in month_facet if v["selected"]] == [month]


async def test_articles_newest_first_by_default(ds: Datasette) -> None:
    data = await get_json(ds, f"/{DB}/articles.json?_shape=objects&_size=max")
    dates = [r["published_at"] for r in data["rows"]]
    assert len(dates) == 51 and dates == sorted(dates, reverse=True)


async def test_counts_are_shown_on_demand(ds: Datasette) -> None:
    data = await get_json(ds, f"/{DB}/articles.json?_size=0")
    assert data["facet_results"] == {}  # the page itself counts nothing but its rows
    page = (await ds.client.get(f"/{DB}/articles?_search=treaty")).text
    links = re.findall(r'class="lp-facet-link" rel="nofollow" href="([^"]+)">([^<]+)</a>', page)
    assert [label for _, label in links] == [
        "category", "tag", "author", "dateline", "month", "publication"
    ]  # fmt: skip
    href = html.unescape(links[0][0])
    assert href == f"/{DB}/articles?_search=treaty&_facet_array=categories"
    counted = (await ds.client.get(href)).text
    assert 'data-column="categories"' in counted and 'class="lp-facet-link"' in counted
    assert href not in [
        html.unescape(h)
        for h, _ in re.findall(
            r'class="lp-facet-link" rel="nofollow" href="([^"]+)">([^<]+)</a>', counted
        )
    ]  # a count shown is not offered again


async def test_facet_suggestions_are_off(ds: Datasette) -> None:
    data = await get_json(ds, f"/{DB}/articles.json?_size=1")
    assert data["suggested_facets"] == []


# -- reading an article ----------------------------------------------------------------------


async def test_article_page_shows_the_whole_body_as_paragraphs_with_links(ds: Datasette) -> None:
    edited = next(a for a in articles(2) if a.id == EDITED_IN_2[0])
    phrase = '"originals will remain in their present archives"'
    url = (await get_json(ds, f"/{DB}/articles.json?_search={phrase}&_shape=array"))[0]["url"]
    assert url.endswith(edited.path)
    html = await get_html(ds, f"/{DB}/articles/{tilde_encode(url)}")
    assert f"<title>{escape(edited.title)}" in html
    assert f'<h1 class="lp-title">{escape(edited.title)}</h1>' in html
    body = html[html.index('<div class="lp-body">') : html.index("</article>")]
    paragraphs = re.findall(r"<p>(.*?)</p>", body, re.S)
    assert paragraphs == [escape(b) for b in edited.body_blocks]  # every block, none truncated
    assert edited.body_blocks[-1].startswith("This article was updated")
    assert f'href="{escape(url)}"' in html  # the original page
    versions = re.search(r'class="lp-versions" href="([^"]+)"', html)[1].replace("&amp;", "&")
    captures = re.search(r'class="lp-captures" href="([^"]+)"', html)[1].replace("&amp;", "&")
    rows = await get_json(ds, versions.replace("/article_versions?", "/article_versions.json?"))
    assert [r[2] for r in rows["rows"]] == [1, 2]  # the two versions, in order
    rows = await get_json(ds, captures.replace("/captures?", "/captures.json?"))
    assert {r[2] for r in rows["rows"]} == {url} and len(rows["rows"]) >= 2


async def test_other_row_pages_keep_datasette_default(ds: Datasette) -> None:
    html = await get_html(ds, f"/{DB}/crawl_runs/1")
    assert "lp-article" not in html and "rows-and-columns" in html


# -- canned queries --------------------------------------------------------------------------


async def test_canned_queries_answer_from_the_data(ds: Datasette, demo_archive: Path) -> None:
    q = f"/{DB}"
    changed = await get_json(ds, f"{q}/changed_after_publication.json?_shape=array&class=")
    edits = [(urlsplit(r["url"]).path, r["from_version"], r["to_version"]) for r in changed]
    edited_paths = {a.path for a in articles(2) if a.id in REVISED_IN_2 + SILENTLY_EDITED_IN_2}
    assert sorted(e for e in edits if e[1] != e[2]) == sorted((p, 1, 2) for p in edited_paths)
    # Withdrawn then back, or the same words in another form: no new version.
    in_place = {a.path for a in articles(1) if a.id in RETURNED_IN_3 + RESTYLED_IN_2}
    assert {e[0] for e in edits if e[1] == e[2]} == in_place

    between = await get_json(
        ds, f"{q}/published_between.json?first_date=2025-04-01&last_date=2025-05-31&_shape=array"
    )
    expected = {
        a.title
        for a in archived_truth()
        if "2025-04-01" <= a.path[1:11].replace("/", "-") <= "2025-05-31"  # London days
    }
    assert expected and {r["title"] for r in between} == expected
    dates = [r["published_at"] for r in between]
    assert dates == sorted(dates)

    paris = await get_json(ds, f"{q}/by_dateline.json?place=paris&_shape=array")
    assert {r["title"] for r in paris} == {
        a.title for a in archived_truth() if (a.dateline or "").startswith("PARIS")
    }

    weather = await get_json(ds, f"{q}/weather_series.json?_shape=array&_size=max")
    with_weather = query(
        demo_archive, "SELECT count(*) FROM captures WHERE weather_observed_at IS NOT NULL"
    )[0][0]
    assert weather and sum(r["captures"] for r in weather) == with_weather

    health = await get_json(ds, f"{q}/crawl_health.json?_shape=array")
    assert [r["id"] for r in health] == [3, 2, 1]
    assert all(r["outcome"] == "completed" and r["failed"] == 0 for r in health)
    assert all(r["failures"] == "{}" and r["held"] == 0 and r["error"] is None for r in health)
    assert (health[1]["gone"], health[1]["changed"], health[1]["new"]) == (1, len(REVISED_IN_2), 3)
    assert health[0]["changed"] == len(SILENTLY_EDITED_IN_2)  # the full re-crawl finds it

    warnings = await get_json(ds, f"{q}/extraction_warnings.json?_shape=array")
    assert warnings == []  # the sample site extracts cleanly


async def test_every_canned_query_page_renders(ds: Datasette) -> None:
    queries = ds.metadata("queries", database=DB)
    assert len(queries) >= 6
    for name in queries:
        html = await get_html(ds, f"/{DB}/{name}")
        assert 'class="error"' not in html, name


# -- read-only -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM articles",
        "INSERT INTO crawl_runs (outcome) VALUES ('forged')",
        "UPDATE articles SET title = 'forged'",
        "DROP TABLE articles",
        "WITH x AS (SELECT 1) DELETE FROM articles",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "PRAGMA query_only = 0",
        "SELECT 1; DELETE FROM articles",
    ],
)
async def test_nothing_served_can_write(ds: Datasette, demo_archive: Path, sql: str) -> None:
    before = query(demo_archive, "SELECT count(*), max(title) FROM articles")
    runs = query(demo_archive, "SELECT count(*) FROM crawl_runs")
    response = await ds.client.get(f"/{DB}.json", params={"sql": sql})
    assert response.status_code >= 400 or not response.json().get("ok", True)
    for path in (f"/{DB}/search", f"/{DB}/articles", f"/{DB}"):
        response = await ds.client.post(path, data={"q": "x", "sql": sql})
        assert response.status_code == 405, (path, response.text[:200])
        assert response.headers["allow"] == "GET, HEAD"
    assert query(demo_archive, "SELECT count(*), max(title) FROM articles") == before
    assert query(demo_archive, "SELECT count(*) FROM crawl_runs") == runs


async def test_no_pointer_can_be_read_or_registered_through_fts3_tokenizer(ds: Datasette) -> None:
    for sql in ("SELECT fts3_tokenizer('simple')", "SELECT fts3_tokenizer('x', X'4141')"):
        response = await ds.client.get(f"/{DB}.json", params={"sql": sql, "_shape": "array"})
        assert response.status_code >= 400, response.text[:300]
        assert "not authorized" in response.text
    ok = await ds.client.get(f"/{DB}.json", params={"sql": "SELECT lower('A') AS a"})
    assert ok.status_code == 200  # every other function as before


async def test_no_write_path_is_configured(ds: Datasette) -> None:
    queries = ds.metadata("queries", database=DB)
    assert not any(isinstance(q, dict) and q.get("write") for q in queries.values())
    plugins = {p["name"] for p in ds._plugins()}
    assert plugins == {
        "lpscrape_archive.py",
        "lpscrape_pages.py",
        "datasette-dashboards",  # the charts, and the two plugins it needs
        "datasette-leaflet",
        "datasette-render-markdown",
    }
    for plugin in ds._plugins():
        assert not {"register_permissions", "permission_allowed"} & set(plugin["hooks"])


async def test_a_write_query_is_refused_at_startup(demo_archive: Path) -> None:
    ds = make_datasette(demo_archive)
    ds._metadata_local["databases"][DB]["queries"]["bad"] = {"sql": "delete", "write": True}
    with pytest.raises(RuntimeError, match="read-only"):
        await ds.invoke_startup()


async def test_user_sql_works_and_is_time_limited(demo_archive: Path) -> None:
    ds = await started(demo_archive, sql_time_limit_ms=50)
    ok = await get_json(ds, f"/{DB}.json?sql=select+count(*)+as+n+from+articles&_shape=array")
    assert ok == [{"n": 51}]
    slow = (
        "with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000000) "
        "select count(*) from c"
    )
    response = await ds.client.get(f"/{DB}.json", params={"sql": slow})
    assert response.status_code == 400 and "interrupted" in response.text.lower()


async def test_works_while_a_crawl_is_writing(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    src, dst = sqlite3.connect(demo_archive), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode = WAL")
    dst.commit()
    ds = await started(db)
    writer = dst
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO crawl_runs (started_at, outcome) VALUES ('now', 'running')")
    data = await get_json(ds, "/archive/crawl_runs.json?_size=0")
    assert data["filtered_table_rows_count"] == 3  # the open transaction is invisible...
    writer.commit()
    data = await get_json(ds, "/archive/crawl_runs.json?_size=0")
    assert data["filtered_table_rows_count"] == 4  # ...and its commit visible at once
    writer.close()


# -- exports through Datasette ---------------------------------------------------------------


async def test_every_table_exports_as_csv_and_json(ds: Datasette, demo_archive: Path) -> None:
    tables = [t["name"] for t in (await get_json(ds, f"/{DB}.json"))["tables"] if not t["hidden"]]
    for table in tables:
        count = query(demo_archive, f"SELECT count(*) FROM [{table}]")[0][0]
        response = await ds.client.get(f"/{DB}/{table}.csv?_stream=on")
        assert response.status_code == 200, table
        assert len(list(csv.reader(io.StringIO(response.text)))) - 1 == count, table
        data = await get_json(ds, f"/{DB}/{table}.json?_size=max")
        assert len(data["rows"]) == min(count, 1000), table


async def test_streamed_csv_is_the_whole_table_every_column(demo_archive: Path) -> None:
    ds = await started(demo_archive, max_returned_rows=7, default_page_size=7)  # many pages
    response = await ds.client.get(f"/{DB}/articles.csv?_stream=on&_dl=1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    got = list(csv.reader(io.StringIO(response.text)))
    conn = sqlite3.connect(demo_archive)
    cursor = conn.execute("SELECT * FROM articles")
    header = [d[0] for d in cursor.description]
    expected = [["" if v is None else str(v) for v in row] for row in cursor.fetchall()]
    conn.close()
    assert got[0] == header
    assert sorted(got[1:]) == sorted(expected)


# -- hostile content -------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORBIDDEN = ("<script>alert(1)", "<img src=x onerror", "<img src=x")
HOSTILE_TITLE = f"Hostile {SCRIPT} headline {IMG} here"


def hostile_article() -> Article:
    """An article whose title, byline, terms and body all carry markup."""
    when = datetime(2025, 6, 1, 10, 0, tzinfo=LONDON)
    return Article(
        id=9001,
        slug="hostile-markup-in-a-headline",
        title=HOSTILE_TITLE,
        authors=(Author(90, "mallory", f"Mallory {IMG}", "A bio."),),
        categories=(Term(90, "evil", f"Evil {SCRIPT}"),),
        tags=(Term(91, "bad", f"Bad {IMG}"),),
        dateline="LONDON",
        paragraphs=(
            f"LONDON — The body carries {SCRIPT} in its first paragraph.",
            f"A second paragraph with {IMG} in it.",
            "A third, plain paragraph about zanzibarite crystals, <mark>not a hit</mark>.",
        ),
        published=when,
        modified=when,
    )


class _HostileSite(BaseHTTPRequestHandler):
    """robots.txt without sitemaps, a home page listing one article, the article; 404 else."""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        article = hostile_article()
        now = datetime.now(LONDON)
        if self.path == "/robots.txt":
            status, body, kind = 200, "User-agent: *\nAllow: /\n", "text/plain"
        elif self.path == "/":
            body = theme.listing_page(
                base=base, now=now, root="/", posts=[article], page=1, pages=1,
                heading=None, body_class="home", rest_api=False,
            )  # fmt: skip
            status, kind = 200, "text/html; charset=UTF-8"
        elif self.path == article.path:
            body = theme.article_page(article, [article], base, now, rest_api=False)
            status, kind = 200, "text/html; charset=UTF-8"
        else:
            status, body, kind = 404, "<html><body>Not found</body></html>", "text/html"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An archive made by a real crawl of a site whose article carries hostile markup."""
    db = tmp_path_factory.mktemp("hostile") / "archive.db"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        run_cli("crawl", "--start-url", base, "--db", str(db), "--delay", "0")
    finally:
        server.shutdown()
        server.server_close()
    titles = query(db, "SELECT title FROM articles")
    assert titles == [(HOSTILE_TITLE,)], titles  # stored as text, exactly as published
    yield db


async def test_scraped_markup_is_escaped_on_every_page(hostile_archive: Path) -> None:
    ds = await started(hostile_archive)
    url = query(hostile_archive, "SELECT url FROM articles")[0][0]
    capture = query(hostile_archive, "SELECT id FROM captures WHERE article_url = ?", (url,))[0][0]
    row = f"/{DB}/articles/{tilde_encode(url)}"
    pages = [
        "/",
        f"/{DB}",
        f"/{DB}/articles",
        f"/{DB}/articles?_search=zanzibarite",
        f"/{DB}/articles?_search={SCRIPT}",
        f"/{DB}/articles?_facet=title&_facet_array=authors",
        row,
        f"/{DB}/search?q=zanzibarite",
        f"/{DB}/search?q=paragraph",
        f"/{DB}/by_dateline?place=LONDON",
        f"/{DB}/published_between?first_date=2025-01-01&last_date=",
        f"/{DB}/article_versions",
        f"/{DB}/article_versions/1",
        f"/{DB}/captures?article_url={url}",
        f"/{DB}/authors",
        f"/{DB}/categories",
        f"/{DB}/tags",
        f"/{DB}/article_authors",
        f"/{DB}/article_categories",
        f"/{DB}?sql=select+title,+body_text,+byline+from+articles",
        f"/{DB}/article{hostile_article().path}changes",
        f"/{DB}/article{hostile_article().path}version/1",
        f"/{DB}/capture/{capture}",
        f"/{DB}/article_changes",
        f"/{DB}/articles?_lp_all=1",
        f"/{DB}/article_versions?_lp_all=1",
    ]
    for page in pages:
        response = await ds.client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html")
        for bad in FORBIDDEN:
            assert bad not in response.text, (page, bad)
    html = await get_html(ds, row)
    assert f'<h1 class="lp-title">{escape(HOSTILE_TITLE)}</h1>' in html
    assert f"<p>LONDON — The body carries {escape(SCRIPT)} in its first paragraph.</p>" in html
    assert f"<p>A second paragraph with {escape(IMG)} in it.</p>" in html
    assert f"“{escape(HOSTILE_TITLE)}.”" in html  # the citation, escaped like the rest
    snippet = await get_html(ds, f"/{DB}/search?q=paragraph")
    assert "<mark>paragraph</mark>" in snippet and escape(SCRIPT) in snippet
    # text that looks like the highlight is text: only the search's own hits are marked
    crystals = await get_html(ds, f"/{DB}/search?q=zanzibarite")
    assert "<mark>zanzibarite</mark>" in crystals and escape("<mark>not a hit</mark>") in crystals


# -- the command line ------------------------------------------------------------------------


def test_missing_or_foreign_database_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="no archive at"):
        make_datasette(tmp_path / "missing.db")
    result = run_cli("serve", "--db", str(tmp_path / "missing.db"), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no archive at" in result.stderr
    (tmp_path / "notes.db").write_text("not a database")
    result = run_cli("serve", "--db", str(tmp_path / "notes.db"), timeout=60)
    assert result.returncode == 2 and "not an SQLite archive" in result.stderr
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    result = run_cli("serve", "--db", str(empty), timeout=60)
    assert result.returncode == 2 and "not an lpscrape archive" in result.stderr


def test_serve_command_serves_the_archive(served: str) -> None:
    home = wait_for(served + "/").decode()
    assert "Lord&#39;s Press: the archive" in home
    data = json.loads(wait_for(served + f"/{DB}/articles.json?_size=0"))
    assert data["filtered_table_rows_count"] == 51


async def test_public_copy_is_an_immutable_datasette_directory(
    demo_archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    target = write_datasette_dir(demo_archive, out)
    assert target == out / "archive.db"
    for name in ("metadata.json", "settings.json", "inspect-data.json"):
        assert (out / name).is_file(), name
    assert (out / "templates" / "row.html").is_file()
    assert (out / "plugins" / "lpscrape_archive.py").is_file()
    inspect = json.loads((out / "inspect-data.json").read_text())
    assert inspect[DB]["tables"]["articles"]["count"] == 51
    ds = Datasette(config_dir=out)  # what `datasette public/` serves
    assert not ds.databases[DB].is_mutable
    await ds.invoke_startup()
    data = await get_json(ds, f"/{DB}/articles.json?_size=0&{FACETS}")
    assert data["filtered_table_rows_count"] == 51
    assert {f["name"] for f in data["facet_results"].values()} >= {"categories", "published_at"}
    path = articles(3)[0].path
    cited = await ds.client.get(f"/{DB}/article{path}cite?format=bibtex")
    assert cited.status_code == 200 and "@article{" in cited.text
    # Served by a Datasette without lpscrape installed, the copy carries what it needs.
    without = (
        "import asyncio, sys; sys.modules['lpscrape'] = None\n"
        "from pathlib import Path\nfrom datasette.app import Datasette\n"
        f"ds = Datasette(config_dir=Path({str(out)!r}))\n"
        "asyncio.run(ds.invoke_startup())\n"
        f"v = asyncio.run(ds.client.get('/{DB}/article{path}version/1'))\n"
        "print(v.status_code, 'Categories: ' in v.text)\n"
        f"r = asyncio.run(ds.client.get('/{DB}/article{path}cite?format=text'))\n"
        "print(r.status_code, r.text)"
    )
    alone = subprocess.run([sys.executable, "-c", without], capture_output=True, text=True)
    version, _, cited_alone = alone.stdout.partition("\n")
    assert version == "200 True", alone.stderr  # its categories read by the copied json_list
    assert cited_alone.startswith("200 ") and "Lord's Press" in cited_alone, alone.stderr
    with pytest.raises(ServeError, match="already exists"):
        write_datasette_dir(demo_archive, out)
    result = run_cli("export", "datasette", "--db", str(demo_archive), timeout=60)
    assert result.returncode == 2 and "-o DIR" in result.stderr


async def test_array_facets_count_rows_not_repeats(tmp_path: Path) -> None:
    db = tmp_path / "tiny.db"
    database = Database(db)
    ensure_schema(database)
    database.conn.executemany(
        "INSERT INTO articles (url, title, published_at, categories, tags) VALUES (?, ?, ?, ?, ?)",
        [
            ("https://x/1/", "One", "2025-01-02T00:00:00+00:00", '["A", "A", "B"]', "[]"),
            ("https://x/2/", "Two", "2025-02-02T00:00:00+00:00", '["A"]', "not json"),
            ("https://x/3/", "Three", None, None, '["T"]'),
        ],
    )
    database.conn.commit()
    ds = await started(db)
    data = await get_json(ds, f"/archive/articles.json?_size=0&{FACETS}")
    facets = {
        f["name"]: [(v["value"], v["count"]) for v in f["results"]]
        for f in data["facet_results"].values()
    }
    assert facets["categories"] == [("A", 2), ("B", 1)]
    assert facets["tags"] == [("T", 1)]  # malformed JSON is skipped, not an error
    assert facets["published_at"] == [("2025-02", 1), ("2025-01", 1)]


async def test_query_links_follow_the_archive_as_it_grows(demo_archive: Path, tmp_path: Path):
    db = tmp_path / "archive.db"
    shutil.copyfile(demo_archive, db)
    ds = await started(db)
    url = "https://lordspress.example/2026/01/02/a-later-story/"
    path = f"/archive?sql=select+'{url}'+as+url"
    assert 'class="lp-archived"' not in (await ds.client.get(path)).text
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO articles (url, title) VALUES (?, 'A later story')", [url])
    conn.commit()
    conn.close()
    assert 'class="lp-archived"' in (await ds.client.get(path)).text  # read again, not stale


async def test_an_archive_of_schema_version_4_is_brought_up_to_date_and_served(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"  # written by the code of commit f7baad0
    conn = sqlite3.connect(db)
    conn.executescript((Path(__file__).parent / "files" / "archive_v4.sql").read_text())
    conn.close()
    ds = make_datasette(db)
    await ds.invoke_startup()
    response = await ds.client.get(
        "/archive/published_between.json?first_date=15 October 2025&last_date=15/10/2025"
        "&_shape=array"
    )
    assert response.status_code == 200, response.text[:300]
    assert [r["published_day"] for r in response.json()] == ["2025-10-15"]
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
