"""A crawl refused for its start URL (the site unreachable) over a usable archive is a run of
its own: `refused`, its error, its alert and what became of it, shown by `lpscrape status`;
never a baseline, never in the next crawl's way. A refusal about the archive writes nothing."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, crawl, free_port, query, run_cli

from lpscrape.archive import lock
from lpscrape.crawl import StartRefused, check_start_url
from lpscrape.demo import DemoServer

COUNTS = (
    "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_versions), "
    "(SELECT count(*) FROM captures)"
)


def test_an_unreachable_site_is_a_refused_run_that_status_shows(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    before = query(db, COUNTS)
    nobody = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    result = run_cli(
        "crawl", "--start-url", nobody, "--db", str(db),
        "--set", "LPSCRAPE_ALERT_COMMAND=false",  # runs, and fails
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "lpscrape: alert command for run 2 failed: exit status 1",
        f"lpscrape: cannot reach {nobody}: [Errno 111] Connection refused",
    ]
    assert query(db, COUNTS) == before  # nothing fetched, nothing stored
    [(outcome, error, alerts, started, finished, start_url)] = query(
        db,
        "SELECT outcome, error, alerts, started_at, finished_at, start_url FROM crawl_runs "
        "WHERE id = 2",
    )
    said = f"the crawl could not start: cannot reach {nobody}: [Errno 111] Connection refused"
    assert (outcome, error, start_url) == ("refused", said.split(": ", 1)[1], nobody)
    assert json.loads(alerts) == [said] and started == finished
    [(healthy, deliveries)] = query(
        db, "SELECT healthy, deliveries FROM run_health WHERE run_id = 2"
    )
    assert healthy is None  # never judged, so never a baseline
    assert json.loads(deliveries) == {"command": "failed: exit status 1"}

    status = run_cli("status", "--db", str(db))
    assert status.returncode == 3
    text = status.stdout
    assert "Open alerts\n  run 2: the crawl could not start: cannot reach" in text
    assert "- Run 2 was refused, nothing fetched: cannot reach" in text
    assert "- Alerts of run 2 did not all arrive (command failed: exit status 1" in text
    assert "Field health of run 1: healthy" in text  # the refusal measured nothing
    report = json.loads(run_cli("status", "--db", str(db), "--json").stdout)
    assert [(r["id"], r["outcome"]) for r in report["runs"]] == [(2, "refused"), (1, "completed")]
    assert report["open_alerts"] == [{"run_id": 2, "alert": said}] and not report["ok"]
    # A run that fetched nothing cannot be made the baseline.
    accepted = run_cli("status", "--db", str(db), "--accept", "2")
    assert accepted.returncode == 2
    assert (
        accepted.stderr
        == "lpscrape: run 2 was refused and fetched nothing: it cannot be a baseline\n"
    )
    assert query(db, "SELECT healthy, accepted_at FROM run_health WHERE run_id = 2") == [
        (None, None)
    ]

    # The next crawl goes on as usual: no run of its aborted, the refusal not its baseline.
    after = crawl(demo_server, db)
    assert (after.returncode, after.stderr) == (0, "")
    assert query(db, "SELECT id, outcome FROM crawl_runs ORDER BY id") == [
        (1, "completed"),
        (2, "refused"),
        (3, "completed"),
    ]
    [(verdict, baseline)] = query(
        db, "SELECT verdict, baseline_runs FROM run_health WHERE run_id = 3"
    )
    assert json.loads(baseline) == [1] and verdict.startswith("healthy")
    report = json.loads(run_cli("status", "--db", str(db), "--json").stdout)
    assert report["open_alerts"] == [] and report["health"]["run_id"] == 3
    assert not [s for s in report["next_steps"] if "refused" in s]


def test_a_refusal_is_recorded_only_in_a_usable_archive(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    bad_url = ["--start-url", "lordspress", "--db"]  # refused before the archive is looked at
    result = run_cli("crawl", *bad_url, str(db))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert query(db, "SELECT outcome, error FROM crawl_runs WHERE id = 2") == [
        ("refused", "start URL must be an http(s) URL, got 'lordspress'")
    ]

    # Held by another process: that process keeps the archive; the alert still goes out.
    lock.acquire(db)
    try:
        before = db.read_bytes()
        result = run_cli("crawl", *bad_url, str(db))
    finally:
        lock.release(db)
    assert result.returncode == 2 and db.read_bytes() == before

    # Missing: not created.
    missing = tmp_path / "missing.db"
    assert run_cli("crawl", *bad_url, str(missing)).returncode == 2
    assert not missing.exists() and not Path(f"{missing}.lock").exists()

    # Another program's database, or an archive of a newer lpscrape: untouched.
    foreign = tmp_path / "notes.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    newer.write_bytes(db.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    for path in (foreign, newer):
        before = path.read_bytes()
        assert run_cli("crawl", *bad_url, str(path)).returncode == 2
        assert path.read_bytes() == before
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}.lock").exists()


def scrapy_crawl(db: Path, start_url: str, *settings: str) -> subprocess.CompletedProcess:
    """`scrapy crawl lordspress`, as scrapyd runs a job (no `lpscrape crawl` around it)."""
    args = ["-a", f"start_url={start_url}", "-s", f"ARCHIVE_DB={db}"]
    for setting in settings:
        args += ["-s", setting]
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "lordspress", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def test_under_scrapyd_a_refused_crawl_is_said_and_alerted_too(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    told = tmp_path / "told.txt"
    notify = tmp_path / "notify.sh"
    notify.write_text(f'#!/bin/sh\ncat >> "{told}"\n')
    notify.chmod(0o755)
    alert = f"LPSCRAPE_ALERT_COMMAND={notify}"
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    # The site cannot be reached: refused at once, a run of its own, alerted.
    nobody = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    result = scrapy_crawl(db, nobody, alert)
    assert time.monotonic() - started < 60  # not retried for minutes
    assert f"lpscrape: the crawl could not start: cannot reach {nobody}" in result.stderr
    assert query(db, "SELECT outcome, start_url FROM crawl_runs WHERE id = 2") == [
        ("refused", nobody)
    ]
    assert f"cannot reach {nobody}" in told.read_text()
    # Another program's SQLite file as the archive: refused, untouched, alerted.
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)").connection.commit()
    before = foreign.read_bytes()
    result = scrapy_crawl(foreign, demo_server.base_url + "/", alert)
    assert "lpscrape: the crawl could not start:" in result.stderr
    assert foreign.read_bytes() == before
    assert told.read_text().count("the crawl could not start") == 2


def test_the_reachability_check_connects_through_the_proxy_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = socket.create_server(("127.0.0.1", 0))
    proxy.settimeout(5)
    port = proxy.getsockname()[1]
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("no_proxy", raising=False)
    with proxy:
        check_start_url("http://lordspress.invalid/")  # no DNS here: only the proxy is asked
        conn, _ = proxy.accept()
        with conn:
            conn.settimeout(1)
            assert conn.recv(1024) == b""  # connected, closed, nothing sent
        # Where no_proxy or HTTPPROXY_ENABLED=False says so, the site itself: not the proxy.
        monkeypatch.setenv("no_proxy", "lordspress.invalid")
        with pytest.raises(StartRefused, match=r"^cannot reach http://lordspress\.invalid/: "):
            check_start_url("http://lordspress.invalid/", timeout=5)
        monkeypatch.delenv("no_proxy")
        with pytest.raises(StartRefused, match=r"^cannot reach http://lordspress\.invalid/: "):
            check_start_url("http://lordspress.invalid/", timeout=5, proxies=False)
        proxy.settimeout(0.5)
        with pytest.raises(TimeoutError):
            proxy.accept()
