"""Several publications in one archive: one crawl command, a run each, every article named."""

from __future__ import annotations

from pathlib import Path

from conftest import query, run_cli

from lpscrape.demo import DemoSite, serve
from lpscrape.serve import make_datasette


def test_a_sites_file_crawls_each_publication_into_one_archive(tmp_path: Path) -> None:
    db, sites = tmp_path / "archive.db", tmp_path / "sites.txt"
    with serve(DemoSite()) as first, serve(DemoSite(edition=2)) as second:
        sites.write_text(
            f"# name  start URL\nfirst-press {first.base_url}/\n{second.base_url}/\n",
            encoding="utf-8",
        )
        result = run_cli("crawl", "--sites", str(sites), "--db", str(db), "--delay", "0")
        assert result.returncode == 0, result.stderr[-2000:]
    second_name = f"127.0.0.1:{second.port}"
    assert query(db, "SELECT publication, count(*) FROM articles GROUP BY 1 ORDER BY 1") == sorted(
        [("first-press", 48), (second_name, 50)]
    )
    runs = query(db, "SELECT publication, outcome, start_url FROM crawl_runs ORDER BY id")
    assert runs == [
        ("first-press", "completed", first.base_url + "/"),
        (second_name, "completed", second.base_url + "/"),
    ]


async def test_repeated_start_urls_crawl_each_and_datasette_facets_by_publication(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as first, serve(DemoSite(edition=2)) as second:
        result = run_cli(
            "crawl", "--start-url", first.base_url + "/", "--start-url", second.base_url + "/",
            "--db", str(db), "--delay", "0",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
    names = [f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"]
    runs = query(db, "SELECT publication, outcome, start_url FROM crawl_runs ORDER BY id")
    assert runs == [
        (names[0], "completed", first.base_url + "/"),
        (names[1], "completed", second.base_url + "/"),
    ]
    ds = make_datasette(db)
    await ds.invoke_startup()
    page = await ds.client.get("/archive/articles.json?_size=0&_facet=publication")
    [facet] = page.json()["facet_results"].values()
    counts = [(v["value"], v["count"]) for v in facet["results"]]
    assert counts == sorted([(names[0], 48), (names[1], 50)], key=lambda vc: (-vc[1], vc[0]))
    only = await ds.client.get(f"/archive/articles.json?_size=0&publication={names[1]}")
    assert only.json()["filtered_table_rows_count"] == 50


def test_a_bad_sites_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("one two three\n", encoding="utf-8")
    result = run_cli("crawl", "--sites", str(sites), "--db", str(tmp_path / "a.db"))
    assert result.returncode == 2
    assert result.stderr == f"lpscrape: {sites}:1: expected `URL` or `NAME URL`: 'one two three'\n"


def test_a_bad_url_in_a_sites_file_is_refused_before_any_site_is_crawled(tmp_path: Path) -> None:
    db, sites = tmp_path / "a.db", tmp_path / "sites.txt"
    demo = DemoSite()
    with serve(demo) as first:
        sites.write_text(f"first {first.base_url}/\nsecond hello\n", encoding="utf-8")
        result = run_cli("crawl", "--sites", str(sites), "--db", str(db), "--delay", "0")
    assert demo.requests == []  # the first site was not crawled either
    assert result.returncode == 2
    assert result.stderr == (
        f"lpscrape: {sites}: start URL must be an http(s) URL, got 'hello'; nothing was crawled\n"
    )
    assert not db.exists()
