"""`lpscrape status` over archives made by real crawls: runs, health, alerts, next steps."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import query, run_cli

from lpscrape.demo import DemoSite, serve
from lpscrape.serve import make_datasette
from lpscrape.status import format_status, status_report


def newest_published(db: Path) -> datetime:
    return datetime.fromisoformat(query(db, "SELECT max(published_at) FROM articles")[0][0])


def test_status_shows_runs_health_size_and_newest_article(demo_archive: Path) -> None:
    now = newest_published(demo_archive) + timedelta(days=2)
    report = status_report(demo_archive, now=now)
    assert [r["id"] for r in report["runs"]] == [3, 2, 1]  # the sample site's three editions
    assert [r["health"] for r in report["runs"]] == ["healthy", "healthy", "healthy"]
    assert report["runs"][2]["new"] == 48 and report["runs"][2]["measured"] == 48
    assert report["archive"]["articles"] == 51 and report["archive"]["size_bytes"] > 100_000
    assert report["archive"]["newest_article_age_days"] == 2
    fields = {f["field"]: f for f in report["health"]["fields"]}
    assert set(fields) >= {"title", "authors", "byline", "dateline", "weather", "body_text"}
    assert fields["title"]["fill_rate"] == 1.0 and fields["weather"]["layer"] == "theme"
    text = format_status(report, now=now)
    assert "51 articles (51 live, 0 gone)" in text  # edition 3 brought the removed one back
    assert "newest article published" in text and "(2 days ago)" in text
    assert "Field health of run 3" in text and "body length (words): p10" in text
    assert "Open alerts\n  none" in text
    assert f"  log of run 3: {report['runs'][0]['log_path']}" in text.splitlines()
    fits = [line for line in text.splitlines() if not line.startswith("  log of run")]
    assert all(len(line) <= 100 for line in fits if "http" not in line)  # addresses uncut


def test_status_gives_each_run_s_duration_and_bytes(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    with sqlite3.connect(db) as conn:  # run 1 took 75 s and downloaded 2 MiB
        conn.execute(
            "UPDATE crawl_runs SET started_at = '2026-01-05T02:00:00+00:00', "
            "finished_at = '2026-01-05T02:01:15+00:00', bytes_downloaded = 2097152 WHERE id = 1"
        )
    report = status_report(db)
    run = next(r for r in report["runs"] if r["id"] == 1)
    assert (run["seconds"], run["bytes_downloaded"]) == (75, 2097152)
    [line] = [line for line in format_status(report).splitlines() if "2026-01-05 02:00" in line]
    assert line.split()[3] == "75s" and line.split()[-1] == "2048"  # time and KiB columns


def test_status_says_what_to_do_when_crawls_stop(demo_archive: Path) -> None:
    last_run = query(demo_archive, "SELECT max(finished_at) FROM crawl_runs")[0][0]
    now = datetime.fromisoformat(last_run) + timedelta(days=3)
    report = status_report(demo_archive, now=now)
    assert any(s.startswith("No crawl has finished for 3 days") for s in report["next_steps"])
    assert any("newest article was published" in s for s in report["notes"])


def test_status_json_is_for_scripts(demo_archive: Path) -> None:
    result = run_cli("status", "--db", str(demo_archive), "--json", "--runs", "1")
    report = json.loads(result.stdout)
    assert set(report) == {
        "archive", "runs", "health", "open_alerts", "next_steps", "notes", "ok"
    }  # fmt: skip
    [run] = report["runs"]
    assert run["outcome"] == "completed" and run["id"] == 3
    # JSON columns come as values, not as JSON text inside the JSON.
    assert run["alerts"] == [] and run["failures"] == {} and run["failure_examples"] == {}
    assert run["tally"] == {} and run["deliveries"] == {}  # no distributed tally here
    fields = {f["field"]: f for f in report["health"]["fields"]}
    assert isinstance(fields["dateline"]["missing_examples"], list)
    # The sample's newest article is from 2025, and its sitemaps list nothing newer: a quiet
    # site, a note and nothing to do (a monitoring check of the exit status stays green).
    assert report["ok"] is True and any("newest article" in s for s in report["notes"])
    assert result.returncode == 0


def test_status_exits_0_when_there_is_nothing_to_look_at(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    conn = sqlite3.connect(db)  # an article published today: the site is alive
    conn.execute("UPDATE articles SET published_at = ? WHERE rowid = 1", [datetime.now(UTC)])
    conn.commit()
    conn.close()
    result = run_cli("status", "--db", str(db))
    assert result.returncode == 0, result.stdout
    assert "Next steps\n  none" in result.stdout or "Next steps" not in result.stdout
    assert json.loads(run_cli("status", "--db", str(db), "--json").stdout)["ok"] is True


def test_status_reads_an_archive_from_before_run_health(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(demo_archive, db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE run_field_health")
    conn.execute("DROP TABLE run_health")
    conn.commit()
    conn.close()
    result = run_cli("status", "--db", str(db))
    assert result.returncode == 0  # the sample's newest article is old: a quiet site
    assert "completed -" in result.stdout  # runs listed, health unknown
    assert query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'run_health'") == [(0,)]


def test_status_of_a_missing_or_foreign_file_is_one_line(tmp_path: Path) -> None:
    missing = run_cli("status", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"lpscrape: no archive at {tmp_path / 'none.db'}: run `lpscrape crawl --db "
        f"{tmp_path / 'none.db'}` first"
    ]
    assert not (tmp_path / "none.db").exists()
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database")
    result = run_cli("status", "--db", str(foreign))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    accept = run_cli("status", "--db", str(tmp_path / "none.db"), "--accept", "1")
    assert accept.returncode == 2 and not (tmp_path / "none.db").exists()


async def test_datasette_charts_health_over_runs(demo_archive: Path) -> None:
    ds = make_datasette(demo_archive)
    await ds.invoke_startup()
    response = await ds.client.get("/archive/run_health.json?_shape=objects")
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["rows"]
    assert [r["run_id"] for r in rows] == [3, 2, 1]
    assert rows[2]["health"] == "healthy" and rows[2]["articles_read"] == 48
    assert rows[2]["title"] == 1.0 and 0 < rows[2]["dateline"] < 1
    response = await ds.client.get("/archive/field_health.json?_shape=objects&field=dateline")
    assert response.status_code == 200, response.text[:300]
    series = response.json()["rows"]
    assert [(r["run_id"], r["field"], r["layer"]) for r in series] == [
        (3, "dateline", "text"),
        (2, "dateline", "text"),
        (1, "dateline", "text"),
    ]


def test_the_health_sample_takes_each_section_in_turn(demo_archive: Path, tmp_path: Path) -> None:
    from sqlite_utils import Database

    from lpscrape.archive.known import reread_sample
    from lpscrape.archive.store import Archive

    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    archive = Archive.open(db)
    known = archive.known_articles()
    archive.close()
    assert reread_sample(Database(db), known, 5) == 5
    chosen = [url for url, v in known.items() if v["etag"] is None and v["sitemap_lastmod"] is None]
    sections = dict(query(db, "SELECT fetch_url, json_extract(categories, '$[0]') FROM articles"))
    # One article from each of the five sections, not the five seen longest ago.
    assert sorted(sections[u] for u in chosen) == [
        "Diplomacy", "Heraldry", "Nobility", "Protocol", "World Affairs"
    ]  # fmt: skip


def test_a_crawl_at_work_is_no_next_step_and_a_killed_one_is(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    with serve(DemoSite()) as server:
        for article in server.site.articles:
            server.site.delays[article.path] = 0.2  # long enough to look at it at work
        args = ["crawl", "--start-url", server.base_url + "/", "--db", str(db), "--full"]
        crawl = subprocess.Popen([sys.executable, "-m", "lpscrape", *args, "--delay", "0"])
        try:
            deadline = time.monotonic() + 60
            while query(db, "SELECT max(id) FROM crawl_runs") != [(4,)]:
                assert time.monotonic() < deadline, "the crawl did not start its run"
                time.sleep(0.1)
            report = json.loads(run_cli("status", "--db", str(db), "--json").stdout)
            text = run_cli("status", "--db", str(db)).stdout
        finally:
            crawl.kill()
            crawl.wait()
    assert report["runs"][0]["outcome"] == "running"
    assert report["archive"]["in_use_by"]["purpose"] == "crawl"
    assert not [s for s in report["next_steps"] if "running" in s]
    assert f"in use now: a crawl (pid {crawl.pid})" in text
    # Killed: the run still says running, nobody holds the archive.
    killed = status_report(db)
    assert killed["archive"]["in_use_by"] is None
    assert any("Run 4 says it has been running" in s for s in killed["next_steps"])


def test_an_old_newest_article_is_a_quiet_site_when_the_sitemaps_were_read(
    demo_archive: Path, tmp_path: Path
) -> None:
    report = status_report(demo_archive)
    # A note, not a step: nothing to do about a quiet site, and the status stays 0 for it.
    assert not [s for s in report["next_steps"] if "newest article was published" in s]
    [old] = [s for s in report["notes"] if "newest article was published" in s]
    assert "read the site's sitemaps without a failure: they list nothing newer" in old
    shown = run_cli("status", "--db", str(demo_archive))
    assert "\nNotes\n  - The newest article was published" in shown.stdout
    db = tmp_path / "archive.db"  # the same archive, its last run having read no sitemap
    shutil.copy(demo_archive, db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE captures SET status = 503 WHERE kind = 'sitemap' "
            "AND run_id = (SELECT max(id) FROM crawl_runs)"
        )
    conn.close()
    [old] = [s for s in status_report(db)["next_steps"] if "newest article was published" in s]
    assert "discovery is missing new posts" in old
