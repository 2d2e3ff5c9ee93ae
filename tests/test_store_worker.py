"""The extract+store worker process: the same archive as storing in the crawl process."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import crawl, query

from lpscrape.demo import DemoServer, DemoSite, serve

CONTENT = (
    "SELECT url, version, content_hash, title, body_text, authors, categories, tags, "
    "extraction_method, extraction_warnings, status FROM articles ORDER BY url"
)
RUN = (
    "SELECT outcome, new, changed, unchanged, not_modified, failed, held, warning_count, "
    "warnings, alerts, failures FROM crawl_runs ORDER BY id"
)


def test_the_worker_stores_what_the_crawl_process_would(tmp_path: Path) -> None:
    worker, inline = tmp_path / "worker.db", tmp_path / "inline.db"
    with serve(DemoSite()) as server:
        crawl(server, worker)
        crawl(server, inline, "--set", "LPSCRAPE_STORE_WORKER=False")
        server.site.edition = 2  # no health sample: which pages it re-reads depends on timing
        crawl(server, worker, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")
        crawl(
            server,
            inline,
            "--set",
            "LPSCRAPE_HEALTH_SAMPLE=0",
            "--set",
            "LPSCRAPE_STORE_WORKER=False",
        )
    assert query(worker, CONTENT) == query(inline, CONTENT)
    assert len(query(worker, CONTENT)) == 51
    assert query(worker, RUN) == query(inline, RUN)
    assert query(worker, "SELECT count(*) FROM article_versions") == query(
        inline, "SELECT count(*) FROM article_versions"
    )
    health = "SELECT run_id, articles FROM run_health ORDER BY run_id"
    assert query(worker, health) == query(inline, health)


def test_pages_the_crawl_process_extracts_are_stored_the_same(tmp_path: Path) -> None:
    """When the worker falls behind, the crawl process extracts pages itself (backlog 0:
    every page); the archive must not tell the difference."""
    balanced, worker = tmp_path / "balanced.db", tmp_path / "worker.db"
    with serve(DemoSite()) as server:
        crawl(server, balanced, "--set", "LPSCRAPE_BALANCE_BACKLOG=0")
        crawl(server, worker, "--set", "LPSCRAPE_BALANCE_BACKLOG=100000")
    assert query(balanced, CONTENT) == query(worker, CONTENT)
    assert query(balanced, RUN) == query(worker, RUN)
    logs = {
        name: Path(query(db, "SELECT log_path FROM run_health")[0][0]).read_text()
        for name, db in (("balanced", balanced), ("worker", worker))
    }
    extracted = re.search(r"'lpscrape/extracted_in_crawl_process': (\d+)", logs["balanced"])
    pages = query(
        balanced,
        "SELECT count(*) FROM captures WHERE kind IN ('article', 'listing') AND status = 200 "
        "AND failure IS NULL",
    )[0][0]
    assert extracted and int(extracted[1]) == pages >= 40  # every page, listings included
    assert "extracted_in_crawl_process" not in logs["worker"]


def _children(pid: int) -> list[int]:
    """The process's children, from each of its threads (one may end while they are read)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:  # the thread ended between the listing and the read
            continue
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _slow_crawl(server: DemoServer, db: Path, delay: float, **popen: Any) -> subprocess.Popen:
    """A crawl of the sample site in its own process, each article served `delay` s late."""
    for article in server.site.articles:
        server.site.delays[article.path] = delay
    args = ["crawl", "--start-url", server.base_url + "/", "--db", str(db), "--delay", "0"]
    return subprocess.Popen([sys.executable, "-m", "lpscrape", *args], text=True, **popen)


def test_the_worker_ends_when_the_crawl_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:
        proc = _slow_crawl(server, db, 0.3, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _children(proc.pid):
            time.sleep(0.1)
        workers = _children(proc.pid)
        time.sleep(2)
        proc.kill()  # SIGKILL: the worker must notice, roll back its batch and end
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(w) for w in workers):
            time.sleep(0.1)
        assert workers and not any(_running(w) for w in workers)
        server.site.delays.clear()
        # The archive is free and whole: the next run completes it, and names the killed run.
        assert crawl(server, db, check=False).returncode == 3
    assert query(db, "SELECT count(*) FROM articles") == [(48,)]
    assert query(db, "SELECT outcome FROM crawl_runs ORDER BY id") == [("aborted",), ("completed",)]


def test_a_killed_crawl_frees_the_archive_though_its_worker_lingers(tmp_path: Path) -> None:
    """The worker is a fork of the crawl process: it must not keep the archive's lock the
    crawl process held, or the next run is refused until the worker notices and ends."""
    from lpscrape.archive import lock

    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:
        proc = _slow_crawl(server, db, 0.3, stderr=subprocess.DEVNULL)
        worker = _busy_worker(proc, db)
        os.kill(worker, signal.SIGSTOP)  # it cannot notice the crawl's end, nor exit
        try:
            proc.kill()
            proc.wait()
            lock.acquire(db)  # raises ArchiveBusy while any process holds the lock
            lock.release(db)
        finally:
            os.kill(worker, signal.SIGKILL)
            os.kill(worker, signal.SIGCONT)


def test_a_killed_worker_ends_the_crawl_in_one_line_and_never_hangs(tmp_path: Path) -> None:
    """kill -9 of the store worker: the crawl stops, says so, and exits (it must not wait
    forever to hand the worker captures it will never read)."""
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:
        proc = _slow_crawl(server, db, 0.3, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.kill(_busy_worker(proc, db), signal.SIGKILL)
        _, err = proc.communicate(timeout=90)
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 1
    assert lines[0].startswith("lpscrape: crawl failed: storage error: the store worker ended")
    assert "Traceback" not in err
    run = query(db, "SELECT outcome, error FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert run[0] == "failed" and "store worker ended" in run[1]


def _busy_worker(proc: subprocess.Popen, db: Path) -> int:
    """The pid of a crawl's store worker once it has stored an article (started early, a
    worker killed before the crawl adopts it is replaced: the crawl goes on, rightly)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _store_workers(proc.pid):
        time.sleep(0.05)
    [worker] = _store_workers(proc.pid)
    while time.monotonic() < deadline and not _stored_any(db):
        time.sleep(0.05)
    return worker


def _stored_any(db: Path) -> bool:
    """True once the archive holds an article (read-only: the worker is writing)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return bool(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:  # not made yet, or its schema not yet written
        return False


def _cmdlines(pid: int) -> dict[int, bytes]:
    """The command lines of a process's children, by pid."""
    found = {}
    for child in _children(pid):
        try:
            found[child] = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
    return found


def _store_workers(pid: int) -> set[int]:
    """The crawl process's store workers: forks of it (its own command line), or new
    interpreters running multiprocessing's spawn (not multiprocessing's resource tracker)."""
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return set()
    return {c for c, line in _cmdlines(pid).items() if line == own or b"spawn_main" in line}


def test_the_worker_started_early_is_the_one_that_stores(tmp_path: Path) -> None:
    """`lpscrape crawl` starts its worker before Scrapy's start-up, and the archive pipeline
    adopts it: one worker for the whole crawl, not a second one started by the pipeline."""
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:
        proc = _slow_crawl(server, db, 0.1, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen: Counter[int] = Counter()
        helpers: set[bytes] = set()
        while proc.poll() is None:
            seen.update(_store_workers(proc.pid))
            helpers |= {line for line in _cmdlines(proc.pid).values() if b"multiprocessing" in line}
            time.sleep(0.02)
    assert proc.returncode == 0
    # A worker lives the whole crawl; a fork about to exec another program (Scrapy's start-up
    # runs `uname -p`) carries the crawl's command line for a moment only.
    assert len([pid for pid, polls in seen.items() if polls >= 3]) == 1
    # A fork of the crawl process before Scrapy is imported: no new interpreter, and no
    # multiprocessing resource tracker beside it (12 MB of the crawl's peak memory).
    assert helpers == set()
    assert query(db, "SELECT count(*) FROM articles") == [(48,)]


def test_adopt_takes_the_worker_started_early() -> None:
    from lpscrape import worker

    worker.start_early()
    early = worker._early
    adopted = worker.StoreWorker.adopt()
    try:
        assert early is not None and adopted is early and worker._early is None
    finally:
        adopted.inbox.put(("quit", None))
        adopted.join()
