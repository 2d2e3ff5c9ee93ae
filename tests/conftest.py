"""Shared fixtures: the sample site on 127.0.0.1 and archives built by real crawls of it."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpscrape.demo import DemoServer, DemoSite, serve

ROOT = Path(__file__).resolve().parent.parent


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
