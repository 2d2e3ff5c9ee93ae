"""Shared fixtures: the sample site on 127.0.0.1 and archives built by real crawls of it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from faultsite import FaultSite
from sqlite_utils import Database

from lpscrape.archive.schema import ensure_schema
from lpscrape.archive.store import Archive
from lpscrape.demo import DemoServer, DemoSite, serve

ROOT = Path(__file__).resolve().parent.parent


def memory_archive() -> Archive:
    """A new archive in memory with one run started (run 1, left open)."""
    db = Database(memory=True)
    ensure_schema(db)
    archive = Archive(db)
    archive.start_run("https://lordspress.example/", "incremental")
    return archive


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one query run straight against an archive file."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run_cli(*args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
    """`python -m lpscrape ARGS` in a fresh process (a real crawl needs its own reactor)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "lpscrape", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"lpscrape {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


def crawl(server: DemoServer, db: Path, *extra: str, check: bool = True):
    """A real crawl of the sample site into `db` (no politeness delay on loopback)."""
    return run_cli(
        "crawl", "--start-url", server.base_url + "/", "--db", str(db), "--delay", "0", *extra,
        check=check,
    )  # fmt: skip


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    """A fresh sample site (edition 1) on a free loopback port."""
    with serve(DemoSite()) as server:
        yield server


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[DemoServer]:
    """One hostile site (tests/faultsite.py) for the module (its six newest articles)."""
    with serve(FaultSite()) as server:
        yield server


@pytest.fixture
def hostile(hostile_server: DemoServer) -> Iterator[DemoServer]:
    """The hostile site, well-behaved until the test says otherwise."""
    hostile_server.site.reset()
    yield hostile_server
    hostile_server.site.reset()


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive made as `lpscrape demo` makes it: edition 1, edition 2 (incremental), then
    edition 3 (`--full`) of the sample site. Edition 2's run reads no health sample: which
    articles the sample re-reads depends on the first run's fetch order, and the tests expect
    the silent edit to wait for edition 3's full re-crawl."""
    db = tmp_path_factory.mktemp("archive") / "archive.db"
    with serve(DemoSite()) as server:
        crawl(server, db)
        server.site.edition = 2
        crawl(server, db, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")
        server.site.edition = 3
        crawl(server, db, "--full")
    return db


def wait_for(url: str, timeout: float = 30) -> bytes:
    """The body of `url` once it answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (nothing listens on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(demo_archive: Path) -> Iterator[str]:
    """`python -m lpscrape serve` over the demo archive on a free port, answering; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", "serve", "--db", str(demo_archive), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except OSError:
                assert proc.poll() is None, "lpscrape serve exited"
                assert time.monotonic() < deadline, "lpscrape serve did not answer in 30 s"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# The theme update: bylines gone on one template, the dateline restyled on another, the
# body container renamed on a third (a template: the articles of one primary category).
RESTYLED = {"nobility": {"byline"}, "diplomacy": {"dateline"}, "protocol": {"body"}}
RECORDER = """\
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps({"argv": sys.argv[2:], "stdin": sys.stdin.read()}) + "\\n")
"""


class Webhook:
    """A real HTTP endpoint on 127.0.0.1 that keeps every POST it receives."""

    def __init__(self, status: int = 200) -> None:
        self.posts: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append({"type": self.headers["Content-Type"], "json": json.loads(body)})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/lpscrape"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A webhook on a free 127.0.0.1 port that answers 200."""
    hook = Webhook()
    yield hook
    hook.close()


def recorder(tmp_path: Path, name: str) -> tuple[str, Path]:
    """A command line that appends its arguments and stdin to a file, and that file."""
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / f"{name}.jsonl"
    return f"{sys.executable} {script} {out}", out


def calls(path: Path) -> list[dict]:
    """What a recorder received, one call per entry."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A fresh redis-server on a free 127.0.0.1 port, in a temporary folder, no persistence."""
    import redis

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")

    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [REDIS_SERVER, *args, "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """`folder` made unwritable for the block: the immutable flag for root, who ignores
    modes, else the mode (the test is skipped where neither works)."""
    root = os.geteuid() == 0
    if root and not shutil.which("chattr"):
        pytest.skip("needs chattr to stop root writing a folder")
    make, undo = (
        (["chattr", "+i"], ["chattr", "-i"]) if root else (["chmod", "a-w"], ["chmod", "u+w"])
    )
    if subprocess.run([*make, str(folder)], capture_output=True).returncode:
        pytest.skip("cannot make a folder read-only here")
    try:
        assert not os.access(folder, os.W_OK)
        yield folder
    finally:
        subprocess.run([*undo, str(folder)], check=True)


def last_run(db: Path) -> dict[str, object]:
    """The latest `crawl_runs` row, JSON columns decoded."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone())
    conn.close()
    for key in ("failures", "failure_examples", "alerts"):
        row[key] = json.loads(row[key] or "null")
    return row
