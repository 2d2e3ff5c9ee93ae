"""The command line: clear one-line errors, the demo, offline re-extraction."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, crawl, free_port, query, run_cli, wait_for

from lpscrape.demo import DemoServer


def assert_one_line_error(result) -> None:
    """Exit status 2, one `lpscrape:` line on stderr, no traceback."""
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lpscrape: ")
    assert "Traceback" not in result.stderr


def test_unreachable_start_url_is_a_refused_run_and_nothing_else(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    everything_else = (
        "SELECT (SELECT group_concat(content_hash) FROM article_versions), "
        "(SELECT count(*) FROM captures), (SELECT group_concat(id || outcome) FROM crawl_runs)"
    )
    before = query(db, everything_else)
    url = f"http://127.0.0.1:{free_port()}/"
    result = run_cli("crawl", "--start-url", url, "--db", str(db))
    assert_one_line_error(result)
    assert "cannot reach" in result.stderr
    # The refusal is kept as a run of its own (for `lpscrape status`); nothing else changed.
    assert query(db, "SELECT outcome FROM crawl_runs WHERE id = 2") == [("refused",)]
    runs_before = everything_else.replace("FROM crawl_runs)", "FROM crawl_runs WHERE id < 2)")
    assert query(db, runs_before) == before


def test_database_in_a_missing_folder(demo_server: DemoServer, tmp_path: Path) -> None:
    db = tmp_path / "no" / "such" / "archive.db"
    result = run_cli("crawl", "--start-url", demo_server.base_url + "/", "--db", str(db))
    assert_one_line_error(result)
    assert not db.parent.exists()
    # The reachability check connects and asks for nothing; no crawl started.
    assert demo_server.site.requests == []


def test_database_in_a_read_only_folder(demo_server: DemoServer) -> None:
    # /proc refuses new files even to root, unlike a chmod-ed temp folder.
    result = run_cli("crawl", "--start-url", demo_server.base_url + "/", "--db", "/proc/lp.db")
    assert_one_line_error(result)


def test_a_file_that_is_not_sqlite_is_refused_and_kept(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my research notes, not a database\n" * 50)
    before = db.read_bytes()
    result = run_cli("crawl", "--start-url", demo_server.base_url + "/", "--db", str(db))
    assert_one_line_error(result)
    assert "not an SQLite archive" in result.stderr
    assert db.read_bytes() == before


def test_malformed_start_url() -> None:
    assert_one_line_error(run_cli("crawl", "--start-url", "lordspress", "--db", "x.db"))


def test_extract_missing_file() -> None:
    assert_one_line_error(run_cli("extract", "/no/such/page.html"))


def test_extract_prints_the_record_as_utf8_json() -> None:
    page = Path(__file__).parent / "pages" / "lp_munchen_winter.html"
    result = run_cli("extract", str(page), "--url", "https://lordspress.example/x/", check=True)
    record = json.loads(result.stdout)
    assert record["dateline"] == "MÜNCHEN"
    assert "MÜNCHEN" in result.stdout  # not \\u escaped
    assert record["url"] == "https://lordspress.example/x/"


def test_demo_crawls_the_three_editions(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = run_cli("demo", "--db", str(db), check=True)
    # 48 + 3 new articles; 8 of them edited once (7 openly, 1 silently), and 2 changed only
    # in spacing or typography (not versions): 59 versions.
    assert "51 articles (51 live, 0 gone), 59 versions" in result.stdout
    again = run_cli("demo", "--db", str(db), check=True)  # a previous demo is replaced
    assert "51 articles (51 live, 0 gone), 59 versions" in again.stdout


def test_the_demo_closing_command_serves_and_a_rerun_keeps_the_served_file(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    result = run_cli("demo", "--db", str(db), check=True)
    command = re.search(r"^Explore it: (.+)$", result.stdout, re.M)[1]
    assert not command.startswith("lpscrape ")  # a fresh shell has no virtualenv on its PATH
    port = free_port()
    # No venv, as a new terminal, which opens in the home folder, not the project's.
    fresh = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    server = subprocess.Popen(
        ["bash", "-c", f"{command} --port {port}"],
        cwd=tmp_path, env=fresh, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/archive"  # whatever the file is called
    try:
        runs = json.loads(wait_for(f"{base}/crawl_runs.json?_shape=array&_col=started_at"))
        inode = db.stat().st_ino
        again = run_cli("demo", "--db", str(db), check=True)  # while Datasette serves it
        assert "51 articles (51 live, 0 gone), 59 versions" in again.stdout
        assert db.stat().st_ino == inode  # the same file, never deleted under the server
        assert not list(tmp_path.glob("demo.db.building*"))
        rerun = json.loads(wait_for(f"{base}/crawl_runs.json?_shape=array&_col=started_at"))
        assert len(rerun) == len(runs) == 3 and rerun != runs  # the new demo, served at once
        count = json.loads(wait_for(f"{base}/articles.json?_size=0"))
        assert count["filtered_table_rows_count"] == 51
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_serve_serves_the_archive_it_is_given(demo_archive: Path) -> None:
    port = free_port()
    server = subprocess.Popen(  # `-o`: the virtualenv is there; never reinstalled from a test
        ["make", "-s", "-o", ".venv/.installed-stamp", "serve", f"DB={demo_archive}",
         f"PORT={port}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        count = json.loads(wait_for(f"http://127.0.0.1:{port}/archive/articles.json?_size=0"))
        assert count["filtered_table_rows_count"] == 51
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make and the server it started
        server.wait(timeout=10)


def test_demo_never_overwrites_a_real_archive(demo_server: DemoServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)  # a local mirror crawled on 127.0.0.1: still not a demo's
    before = db.read_bytes()
    assert_one_line_error(run_cli("demo", "--db", str(db)))
    assert db.read_bytes() == before


def test_reparse_rebuilds_the_same_archive_offline(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    shutil.copy(demo_archive, db)
    cols = "url, version, content_hash, title, body_text, published_at, status, first_seen_at"
    query = f"SELECT {cols} FROM articles ORDER BY url"
    before = sqlite3.connect(db).execute(query).fetchall()
    versions_sql = "SELECT url, version, run_id, capture_id, content_hash FROM article_versions"
    versions = sqlite3.connect(db).execute(versions_sql + " ORDER BY id").fetchall()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET title = 'damaged'")  # what a bad extractor might leave
    conn.commit()
    conn.close()
    said = run_cli("reparse", "--db", str(db), check=True).stdout
    conn = sqlite3.connect(db)
    live = conn.execute("SELECT count(*) FROM articles WHERE status = 'live'").fetchone()[0]
    assert f"the archive now holds {live} live articles and 0 gone" in said
    assert conn.execute(query).fetchall() == before
    assert conn.execute(versions_sql + " ORDER BY id").fetchall() == versions
    assert conn.execute(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'damaged'"
    ).fetchone() == (0,)


@pytest.mark.parametrize(
    "command", ["crawl", "demo", "serve", "extract", "export", "reparse", "cite"]
)
def test_every_command_explains_itself(command: str) -> None:
    result = run_cli(command, "--help", check=True)
    assert result.stdout.startswith("usage: lpscrape " + command)


def test_crawl_help_documents_every_exit_status() -> None:
    text = " ".join(run_cli("crawl", "--help", check=True).stdout.split())
    for status in ("0 completed", "1 failed or aborted", "2 bad input", "3 completed with"):
        assert status in text
    assert "75 another crawl holds the archive" in text


def test_scrapy_crawl_lordspress_does_what_lpscrape_crawl_does(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    import subprocess
    import sys

    db = tmp_path / "archive.db"
    args = ["-a", f"start_url={demo_server.base_url}/", "-s", f"ARCHIVE_DB={db}"]
    args += [
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_START_DELAY=0",
        "-s",
        "LOG_LEVEL=WARNING",
    ]
    scrapy = [sys.executable, "-m", "scrapy", "crawl", "lordspress", *args]
    subprocess.run(scrapy, cwd=Path(__file__).parent.parent, check=True, capture_output=True)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone() == (48, 48)
    assert conn.execute("SELECT outcome FROM crawl_runs").fetchall() == [("completed",)]


def test_scrapy_crawl_refuses_an_alerts_file_it_cannot_use(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """What scrapyd runs (`scrapy crawl`): a missing alerts file stops the job before any
    request, as `lpscrape crawl` refuses it, not on the night an alert has to go out."""
    import subprocess
    import sys

    db = tmp_path / "archive.db"
    args = ["-a", f"start_url={demo_server.base_url}/", "-s", f"ARCHIVE_DB={db}"]
    args += ["-s", f"LPSCRAPE_ALERTS_FILE={tmp_path / 'missing.toml'}", "-s", "DOWNLOAD_DELAY=0"]
    scrapy = [sys.executable, "-m", "scrapy", "crawl", "lordspress", *args]
    result = subprocess.run(
        scrapy, cwd=Path(__file__).parent.parent, capture_output=True, text=True
    )
    assert "crawl refused: " in result.stderr and "missing.toml" in result.stderr
    assert "'finish_reason': 'alerts_unusable'" in result.stderr
    assert not [r for r in demo_server.site.requests if r.path.startswith("/20")]
    assert not db.exists()  # the archive untouched: not even created


def test_alert_lines_never_carry_terminal_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    """Alerts quote URLs, titles and (distributed) text read from Redis: printed inert."""
    from lpscrape.cli import EXIT_ALERT, alert_status, verdict_status

    hostile = "held: https://example.org/a/ retitled \x1b]0;pwned\x07\x1b[2J\rsecond line"
    assert alert_status([hostile]) == EXIT_ALERT
    verdict = {"run_id": "7\x1b[31m", "outcome": "completed", "alerts": [hostile]}
    assert verdict_status(verdict) == EXIT_ALERT
    out, err = capsys.readouterr()
    assert not any(ch in out + err for ch in "\x1b\x07\r")
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x0dsecond line" in err
    assert "run 7\\x1b[31m completed" in out
