"""Past one machine: two crawler processes share one frontier in a real Redis and one writer
stores what they fetched, as one process would have; killed crawlers and writers lose nothing.

Real redis-server (Debian's package; skipped with a message without it), real processes, the
real sample site on 127.0.0.1 with a frozen clock (so the same page has the same bytes in both
archives), real SQLite.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import RESTYLED, ROOT, Webhook, calls, crawl, free_port, query, recorder

from lpscrape.demo import DemoServer, DemoSite, serve
from lpscrape.demo.site import Response
from lpscrape.distributed.keys import GROUP, STREAM
from lpscrape.status import status_report

REDIS_SERVER = shutil.which("redis-server")
NOW = datetime(2025, 11, 5, 11, 2, 37, tzinfo=ZoneInfo("Europe/London"))
ARTICLES = "SELECT url, publication, version, content_hash, status FROM articles ORDER BY url"
VERSIONS = "SELECT url, version, content_hash FROM article_versions ORDER BY url, version"
CAPTURES = "SELECT kind, url, status, sha256 FROM captures"
RUNS = "SELECT outcome, new, changed, unchanged, not_modified, failed, held FROM crawl_runs"
RUN_ALERTS = "SELECT alerts FROM crawl_runs ORDER BY id"

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (apt-get install redis-server): skipped",
)


def lpscrape(*args: str) -> subprocess.Popen[str]:
    """`python -m lpscrape ARGS` started in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "lpscrape", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def crawler(server: DemoServer, redis_url: str, *extra: str) -> subprocess.Popen[str]:
    """One crawler of the shared frontier (dead after 2 s without a heartbeat)."""
    return lpscrape(
        "crawl", "--redis", redis_url, "--start-url", server.base_url + "/", "--delay", "0",
        "--set", "LPSCRAPE_REDIS_TTL=2", *extra,
    )  # fmt: skip


def writer(redis_url: str, db: Path, *extra: str) -> subprocess.Popen[str]:
    """The archive writer, ending once no run is open and nothing came for 6 s (long enough
    for the crawlers started after it to beat in Redis)."""
    import redis

    redis.Redis.from_url(redis_url).delete("lpscrape:known")  # see `wait_for_writer`
    return lpscrape("store", "--redis", redis_url, "--db", str(db), "--idle-exit", "6", *extra)


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> str:
    """Wait for a process that must succeed; its stdout."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{err[-3000:]}"
    return out


def ended(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    """Wait for a process; its exit status and stderr."""
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def wait_for_writer(redis_url: str) -> None:
    """The writer has opened the archive and published what it knows."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 30
    while not client.exists("lpscrape:known"):
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.05)


def article_fetches(site: DemoSite, since: int = 0) -> Counter[str]:
    """How often each article page was asked for."""
    paths = {a.path for a in site.articles}
    return Counter(r.path for r in site.requests[since:] if r.path in paths)


class Planted:
    """What an intruder with write access to Redis could hand over: unpickling it runs code
    (here, harmlessly, it creates a file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.path)!r}, 'w').close()",)


class Arrivals:
    """When each request reached the site, and the most it served at once."""

    def __init__(self, site: DemoSite) -> None:
        self.times: list[float] = []
        self.inside = self.most = 0
        self.lock = threading.Lock()
        respond = site.respond

        def timed(*args: object) -> object:
            with self.lock:
                self.times.append(time.monotonic())
                self.inside += 1
                self.most = max(self.most, self.inside)
            try:
                return respond(*args)  # type: ignore[arg-type]
            finally:
                with self.lock:
                    self.inside -= 1

        site.respond = timed  # type: ignore[method-assign]


class TooManyRequestsOnce:
    """The site answers its `nth` article request with 429 and `Retry-After: 2`, once, and
    notes when every request reached it (server side)."""

    def __init__(self, site: DemoSite, nth: int) -> None:
        self.arrivals: list[tuple[float, str, str, int]] = []  # (time, method, path, status)
        self.lock = threading.Lock()
        articles = {a.path for a in site.articles}
        respond, seen = site.respond, [0]

        def answer(method: str, path: str, headers: dict[str, str]) -> Response:
            at = time.monotonic()
            with self.lock:
                seen[0] += method == "GET" and path in articles
                refuse = method == "GET" and path in articles and seen[0] == nth
            if refuse:
                body = b"<html><body><h1>Too many requests</h1></body></html>"
                response = Response(
                    429,
                    {
                        "Retry-After": "2",
                        "Content-Type": "text/html",
                        "Content-Length": str(len(body)),
                    },
                    body,
                )
            else:
                response = respond(method, path, headers)
            with self.lock:
                self.arrivals.append((at, method, path, response.status))
            return response

        site.respond = answer  # type: ignore[method-assign]


def distributed_crawl(
    server: DemoServer, redis_url: str, db: Path, *extra: str, sample: int = 0
) -> list[str]:
    """Two crawlers and the writer (publishing a health sample of `sample` articles), to the
    end of the run; the crawlers' reports."""
    store = writer(redis_url, db, "--set", f"LPSCRAPE_HEALTH_SAMPLE={sample}")
    wait_for_writer(redis_url)
    crawlers = [crawler(server, redis_url, *extra) for _ in range(2)]
    reports = [finish(c) for c in crawlers]
    finish(store)
    return reports


def assert_as_one_process_made_it(shared: Path, single: Path) -> None:
    """The distributed archive holds what the single-process crawl stored: each article page
    once, the same articles, versions, captures (by digest) and run counts."""
    articles = query(shared, "SELECT url FROM captures WHERE kind = 'article'")
    assert len(articles) == len(set(articles)) == 48  # each article page stored once
    assert query(shared, ARTICLES) == query(single, ARTICLES)
    assert query(shared, VERSIONS) == query(single, VERSIONS)
    assert Counter(query(shared, CAPTURES)) == Counter(query(single, CAPTURES))
    assert query(shared, RUNS) == query(single, RUNS) == [("completed", 48, 0, 0, 0, 0, 0)]


def test_two_crawlers_and_a_writer_make_the_archive_one_process_makes(
    tmp_path: Path, redis_url: str
) -> None:
    single, shared = tmp_path / "single.db", tmp_path / "shared.db"
    with serve(DemoSite(clock=lambda: NOW)) as server:
        for article in server.site.articles:  # long enough for both crawlers to take part
            server.site.delays[article.path] = 0.05
        crawl(server, single)
        server.site.requests.clear()
        arrivals = Arrivals(server.site)
        reports = distributed_crawl(server, redis_url, shared)
        assert arrivals.most <= 2  # CONCURRENT_REQUESTS_PER_DOMAIN, for both crawlers together
        first = article_fetches(server.site)
        assert set(first.values()) == {1} and len(first) == 48  # each article fetched once
        robots = [r for r in server.site.requests if r.path == "/robots.txt"]
        assert len(robots) == 2  # each crawler's robots.txt middleware; one capture is kept
        handed = [int(r.split(", ")[1].split()[0]) for r in reports]
        assert all(handed), reports  # both crawlers took part

        server.site.edition = 2  # edits, removals, additions: conditional requests, gone pages
        crawl(server, single, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")
        mark = len(server.site.requests)
        distributed_crawl(server, redis_url, shared)
        second = article_fetches(server.site, mark)
        assert set(second.values()) == {1}
    assert query(shared, ARTICLES) == query(single, ARTICLES)
    assert len(query(shared, ARTICLES)) == 51
    assert query(shared, VERSIONS) == query(single, VERSIONS)
    assert Counter(query(shared, CAPTURES)) == Counter(query(single, CAPTURES))
    assert query(shared, RUNS) == query(single, RUNS)
    runs = query(shared, "SELECT run_key IS NOT NULL, publication FROM crawl_runs")
    assert runs == [(1, f"127.0.0.1:{server.port}")] * 2


def test_killed_crawler_and_writer_lose_nothing_and_store_nothing_twice(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    single, shared = tmp_path / "single.db", tmp_path / "shared.db"
    with serve(DemoSite(clock=lambda: NOW)) as server:
        crawl(server, single)
        server.site.requests.clear()  # from here on, the distributed run's requests only
        arrivals = Arrivals(server.site)
        for article in server.site.articles:  # slow pages: the kills land half way
            server.site.delays[article.path] = 0.15
        store = writer(redis_url, shared)
        wait_for_writer(redis_url)
        store.send_signal(signal.SIGSTOP)  # frozen: the captures pile up in the stream
        crawlers = [crawler(server, redis_url) for _ in range(2)]
        deadline = time.monotonic() + 60
        while sum(article_fetches(server.site).values()) < 16:
            assert time.monotonic() < deadline, "the crawl did not start"
            time.sleep(0.02)
        os.kill(crawlers[0].pid, signal.SIGKILL)  # requests it held go back to the queue
        killed_at = time.monotonic()
        assert crawlers[0].wait() == -signal.SIGKILL
        while client.xlen(STREAM) < 12:  # a backlog: the writer's next batch is a long one
            assert time.monotonic() < deadline, "no captures reached the stream"
            time.sleep(0.02)
        store.send_signal(signal.SIGCONT)
        while not client.xpending(STREAM, GROUP)["pending"]:  # it has read a batch...
            assert time.monotonic() < deadline, "the writer read nothing"
        store.kill()  # ...and dies before acknowledging it
        assert store.wait() == -signal.SIGKILL
        assert client.xpending(STREAM, GROUP)["pending"] > 0  # read, never acknowledged
        assert query(shared, "SELECT count(*) FROM articles")[0][0] < 48  # half way indeed
        survivor = crawlers[1]  # finishes the run alone
        store = writer(redis_url, shared)
        outs = [proc.communicate(timeout=120) for proc in [survivor, store]]
        fetched = article_fetches(server.site)
    said = [out for out, _ in outs]
    taken_back = [int(m) for out in said for m in re.findall(r"(\d+) requests of stopped", out)]
    assert sum(taken_back) > 0, said  # the killed crawler's requests were fetched by another
    # Nothing was lost, but a process died: the archivist hears it, from every host, once.
    alert = (
        "1 crawler process stopped without leaving the run (killed, or stalled past "
        f"LPSCRAPE_REDIS_TTL): the {sum(taken_back)} requests held went back to the queue"
    )
    assert [proc.returncode for proc in [survivor, store]] == [3, 3], outs
    assert all(alert in err for _, err in outs), outs
    assert alert in query(shared, "SELECT alerts FROM crawl_runs")[0][0]
    # Its places at the host came back with its heartbeat (2 s here), not at their expiry (a
    # minute, during which the surviving crawler would have sent nothing).
    after = [t for t in arrivals.times if t >= killed_at]
    assert max(b - a for a, b in zip([killed_at, *after], after, strict=False)) < 20
    assert set(fetched) == {a.path for a in server.site.articles}
    assert_as_one_process_made_it(shared, single)


# A writer killed (SIGKILL, by itself) at its first acknowledgement: after the batch was
# committed to the archive, before Redis heard it was stored.
KILLED_BEFORE_ACK = """
import os, signal, sys
import redis
from lpscrape.cli import main
redis.Redis.xack = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
sys.exit(main(sys.argv[1:]))
"""


def test_a_writer_killed_between_commit_and_acknowledgement_stores_nothing_twice(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    single, shared = tmp_path / "single.db", tmp_path / "shared.db"
    with serve(DemoSite(clock=lambda: NOW)) as server:
        crawl(server, single)
        redis.Redis.from_url(redis_url).delete("lpscrape:known")  # see `wait_for_writer`
        dying = subprocess.Popen(
            [sys.executable, "-c", KILLED_BEFORE_ACK, "store", "--redis", redis_url,
             "--db", str(shared), "--batch", "20"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_writer(redis_url)
        crawling = crawler(server, redis_url)
        assert dying.wait(timeout=60) == -signal.SIGKILL
        committed = query(shared, "SELECT count(*) FROM captures")[0][0]
        pending = redis.Redis.from_url(redis_url).xpending(STREAM, GROUP)["pending"]
        assert committed > 0 and pending > 0
        store = writer(redis_url, shared)  # the same batch comes again, pending
        outs = [proc.communicate(timeout=120) for proc in [crawling, store]]
    assert [proc.returncode for proc in [crawling, store]] == [0, 0], outs
    assert_as_one_process_made_it(shared, single)  # the committed batch was not stored again


def test_a_second_writer_into_another_archive_is_refused(tmp_path: Path, redis_url: str) -> None:
    first = writer(redis_url, tmp_path / "first.db")
    try:
        wait_for_writer(redis_url)
        second = lpscrape("store", "--redis", redis_url, "--db", str(tmp_path / "second.db"))
        _, err = second.communicate(timeout=60)
        assert second.returncode == 75, err
        assert err.count("\n") == 1 and err.startswith("lpscrape: another writer drains this Redis")
        assert str(tmp_path / "first.db") in err
    finally:
        first.terminate()
        first.wait(timeout=30)


def test_a_stalled_writer_whose_redis_was_taken_over_stops_and_leaves_the_other_be(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    first = writer(redis_url, tmp_path / "first.db")
    wait_for_writer(redis_url)
    first.send_signal(signal.SIGSTOP)  # stalled past its heartbeat (120 s: here, made to end)
    client.delete("lpscrape:writer")
    second = lpscrape("store", "--redis", redis_url, "--db", str(tmp_path / "second.db"))
    try:
        deadline = time.monotonic() + 30
        while str(tmp_path / "second.db") not in (client.get("lpscrape:writer") or b"").decode():
            assert time.monotonic() < deadline, "the second writer did not start"
            time.sleep(0.05)
        first.send_signal(signal.SIGCONT)  # its next heartbeat finds the other writer
        _, err = first.communicate(timeout=60)
        assert first.returncode == 75, err
        assert (
            err.startswith("lpscrape: another writer took this Redis over") and err.count("\n") == 1
        )
        holder = client.get("lpscrape:writer").decode()
        assert holder.endswith(str(tmp_path / "second.db"))  # its heartbeat left alone
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_two_publications_through_the_shared_frontier_land_in_one_archive(
    tmp_path: Path, redis_url: str
) -> None:
    db, sites = tmp_path / "archive.db", tmp_path / "sites.txt"
    with serve(DemoSite()) as first, serve(DemoSite(edition=2)) as second:
        sites.write_text(f"press {first.base_url}/\ngazette {second.base_url}/\n")
        store = lpscrape("store", "--redis", redis_url, "--db", str(db), "--idle-exit", "8")
        wait_for_writer(redis_url)
        crawlers = [
            lpscrape("crawl", "--redis", redis_url, "--sites", str(sites), "--delay", "0")
            for _ in range(2)
        ]
        for proc in crawlers:
            finish(proc, timeout=180)
        finish(store, timeout=180)
        fetched = {"press": article_fetches(first.site), "gazette": article_fetches(second.site)}
    for name, server in (("press", first), ("gazette", second)):
        paths = {a.path for a in server.site.articles}
        assert set(fetched[name]) == paths and set(fetched[name].values()) == {1}, name
    by_publication = dict(
        query(db, "SELECT publication, count(*) FROM articles GROUP BY publication")
    )
    assert by_publication == {"press": 48, "gazette": len(second.site.articles)}
    assert query(db, "SELECT publication, outcome FROM crawl_runs ORDER BY id") == [
        ("press", "completed"),
        ("gazette", "completed"),
    ]


def test_the_host_delay_is_shared_not_multiplied(tmp_path: Path, redis_url: str) -> None:
    with serve(DemoSite()) as server:
        arrivals = Arrivals(server.site)
        distributed_crawl(server, redis_url, tmp_path / "archive.db", "--delay", "0.1")
    gaps = [b - a for a, b in zip(arrivals.times, arrivals.times[1:], strict=False)]
    assert len(gaps) > 50
    # One request every 0.1 s whichever crawler sends it: the send times are reserved 0.1 s
    # apart; on a loaded machine one may reach the site late, making its gap long and the
    # next one short, so the rate and the median are checked. Two crawlers keeping 0.1 s
    # each on their own take about half the time (a median gap near 0.05 s).
    span = arrivals.times[-1] - arrivals.times[0]
    assert span >= 0.095 * len(gaps), (span, len(gaps))
    assert sorted(gaps)[len(gaps) // 2] >= 0.09, sorted(gaps)  # the median gap


def test_an_unreachable_redis_is_one_line_and_exit_2(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    for args in (
        ["crawl", "--redis", nobody, "--start-url", demo_server.base_url + "/"],
        ["store", "--redis", nobody, "--db", str(tmp_path / "unused.db")],
    ):
        proc = lpscrape(*args)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, err
        assert err.startswith(f"lpscrape: cannot reach Redis at {nobody}") and err.count("\n") == 1


def test_the_writer_says_once_per_outage_that_it_cannot_reach_redis(
    tmp_path: Path, redis_url: str
) -> None:
    db = tmp_path / "archive.db"
    command, command_calls = recorder(tmp_path, "command")
    alert = ("--set", f"LPSCRAPE_ALERT_COMMAND={command}")
    nobody = f"redis://writer:secret@127.0.0.1:{free_port()}/0"
    for _ in range(2):  # systemd restarts it every 30 s: one alert, not one each time
        proc = lpscrape("store", "--redis", nobody, "--db", str(db), *alert)
        assert proc.wait(timeout=60) == 2
    [told] = calls(command_calls)
    assert "the archive writer cannot reach Redis" in told["stdin"]
    assert "secret" not in told["stdin"] and "writer:***@127.0.0.1" in told["stdin"]
    # Redis reachable again: the outage is over (the next one is said again).
    proc = lpscrape("store", "--redis", redis_url, "--db", str(db), "--idle-exit", "0.5", *alert)
    assert proc.wait(timeout=60) == 0
    assert not Path(f"{db}.writer-down").exists()


def test_a_distributed_run_that_drifted_is_named_and_alerts_reach_a_command_and_a_webhook(
    tmp_path: Path, redis_url: str, webhook: Webhook
) -> None:
    db = tmp_path / "archive.db"
    command, command_calls = recorder(tmp_path, "command")
    judging = [
        "--set", f"LPSCRAPE_ALERT_COMMAND={command}",
        "--set", f"LPSCRAPE_ALERT_WEBHOOK={webhook.url}",
        "--set", "LPSCRAPE_DRIFT_MIN_RUNS=2",
    ]  # fmt: skip
    with serve(DemoSite()) as server:

        def distributed_run() -> list[tuple[int, str]]:
            """Two crawlers and the writer (with the alert actions) through one full run: the
            exit status and stderr of each, the writer's last."""
            store = writer(redis_url, db, *judging)
            wait_for_writer(redis_url)
            crawlers = [crawler(server, redis_url, "--full") for _ in range(2)]
            return [ended(proc) for proc in [*crawlers, store]]

        for _ in range(2):  # two healthy runs make the baseline here
            statuses = distributed_run()
            assert [status for status, _ in statuses] == [0, 0, 0], statuses
        assert (calls(command_calls), webhook.posts) == ([], [])  # a healthy run calls nothing
        server.site.restyled = RESTYLED
        *crawlers, store = distributed_run()

    drifted = {"authors", "byline", "dateline", "body_text"}
    assert query(db, "SELECT run_id, healthy, verdict FROM run_health ORDER BY run_id") == [
        (1, 1, "healthy (no baseline yet: 0 of 2 runs)"),
        (2, 1, "healthy (no baseline yet: 1 of 2 runs)"),
        (3, 0, "unhealthy: drift in authors, byline, dateline, body_text"),
    ]
    flagged = query(db, "SELECT field FROM run_field_health WHERE run_id = 3 AND drifted")
    assert {f for (f,) in flagged} == drifted
    [paragraph] = [a for a in json.loads(query(db, RUN_ALERTS)[-1][0]) if "drifted" in a]
    assert "Run 3 drifted against the median of the last 2 healthy runs (1, 2)" in paragraph
    assert "authors filled on 79% of articles (38 of 48), down from 100%" in paragraph
    # the exit status says so, on the archive host and on every crawler host
    assert store[0] == 3 and f"lpscrape: ALERT: run 3: {paragraph}" in store[1]
    for status, err in crawlers:
        assert status == 3 and f"lpscrape: ALERT: {paragraph}" in err
    [command_call] = calls(command_calls)
    assert "unhealthy: authors, body_text, byline, dateline" in command_call["stdin"]
    assert paragraph in command_call["stdin"]
    [post] = webhook.posts
    assert post["json"]["run_id"] == 3 and post["json"]["healthy"] is False
    assert {f["field"] for f in post["json"]["findings"]} == drifted
    deliveries = query(db, "SELECT deliveries FROM run_health WHERE run_id = 3")[0][0]
    assert json.loads(deliveries) == {"command": "ok", "webhook": "ok"}
    # the measurements carried between the writer's batches are not left in the run's row
    assert all("health" not in json.loads(t) for (t,) in query(db, "SELECT tally FROM crawl_runs"))


def test_an_incremental_distributed_night_reads_the_health_sample(
    tmp_path: Path, redis_url: str
) -> None:
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:
        distributed_crawl(server, redis_url, db, sample=20)
        mark = len(server.site.requests)
        distributed_crawl(server, redis_url, db, sample=20)  # nothing new: only the sample
        reads = [r for r in server.site.requests[mark:] if r.path.startswith("/20")]
    assert len(reads) == 20 and not [r for r in reads if "If-None-Match" in r.headers]
    assert query(db, "SELECT articles, reread, found, healthy FROM run_health ORDER BY run_id") == [
        (48, 0, 48, 1),
        (20, 20, 48, 1),
    ]


def test_pickles_in_redis_are_never_run_but_kept_counted_and_alerted(
    tmp_path: Path, redis_url: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    db = tmp_path / "archive.db"
    in_writer, in_crawler = tmp_path / "ran-in-the-writer", tmp_path / "ran-in-a-crawler"
    command, command_calls = recorder(tmp_path, "command")
    with serve(DemoSite()) as server:
        for article in server.site.articles:  # the run lasts while the pickles are planted
            server.site.delays[article.path] = 0.05
        site = f"127.0.0.1:{server.port}"
        store = writer(redis_url, db, "--set", f"LPSCRAPE_ALERT_COMMAND={command}")
        wait_for_writer(redis_url)
        crawlers = [crawler(server, redis_url) for _ in range(2)]
        deadline = time.monotonic() + 60
        while (token := client.get(f"lpscrape:{site}:run")) is None:
            assert time.monotonic() < deadline, "the run did not begin"
            time.sleep(0.02)
        run = {"run": token, "publication": site, "start_url": server.base_url + "/"}
        # A capture as an older lpscrape pickled it, a message naming no run, and a request
        # at the head of the shared queue, as scrapy-redis's default serializer pickles them.
        planted = pickle.dumps(Planted(in_writer))
        client.xadd("lpscrape:captures", {**run, "op": "item", "data": planted})
        client.xadd("lpscrape:captures", {"v": "1", "op": "item", "data": b"\x80\x05garbage"})
        client.zadd(f"lpscrape:{site}:requests", {pickle.dumps(Planted(in_crawler)): -1000})
        statuses = [ended(proc) for proc in [*crawlers, store]]

    assert not in_writer.exists() and not in_crawler.exists()  # nothing was unpickled
    # never a crash, nothing else lost: the run completed with every article
    assert query(db, "SELECT count(*) FROM articles") == [(48,)]
    [(outcome, failures, alerts)] = query(db, "SELECT outcome, failures, alerts FROM crawl_runs")
    assert outcome == "completed" and json.loads(failures) == {"bad_handoff": 3}
    [alert] = [a for a in json.loads(alerts) if "bad_handoff" in a]
    assert alert.startswith("3 requests failed (bad_handoff ×3), e.g. ")
    assert all(status == 3 for status, _ in statuses), statuses  # crawlers and writer say so
    assert f"lpscrape: ALERT: run 1: {alert}" in statuses[-1][1]
    [call] = calls(command_calls)
    assert alert in call["stdin"]
    # kept aside, as they came, with why
    kept = client.xrange("lpscrape:rejected")
    assert len(kept) == 3
    reasons = sorted(fields[b"lpscrape:reason"].decode() for _, fields in kept)
    assert reasons == [
        "a queued request that is not JSON (a pickle?)",
        "no run token",
        "not a JSON hand-off message (a pickle from an older lpscrape?)",
    ]
    assert planted in [fields.get(b"data") for _, fields in kept]


def test_one_crawlers_429_pauses_the_host_for_every_crawler(tmp_path: Path, redis_url: str) -> None:
    with serve(DemoSite()) as server:
        site = TooManyRequestsOnce(server.site, nth=12)
        reports = distributed_crawl(
            server, redis_url, tmp_path / "archive.db", "--delay", "0.1",
            "--set", "LPSCRAPE_EXTRACT_ON_CRAWLER=False",  # reactors free to react at once
        )  # fmt: skip
    handed = [int(r.split(", ")[1].split()[0]) for r in reports]
    assert all(handed), reports  # both crawlers were fetching
    [refused] = [at for at, _, _, status in site.arrivals if status == 429]
    after = [
        at - refused for at, _, path, _ in site.arrivals if at > refused and path != "/robots.txt"
    ]
    assert after and after[-1] > 3  # the crawl went on long after the pause
    # The pause runs from when the crawler that got the 429 has read it and told Redis (a few
    # ms; longer on a loaded machine, hence half a second of grace): a request sent before
    # that may still arrive, none after, until two seconds have passed. Without the shared
    # pause the other crawler goes on sending a request every 0.1 s.
    during = [round(t, 3) for t in after if 0.5 < t < 2.0]
    assert during == [], during
    assert query(tmp_path / "archive.db", "SELECT count(*) FROM articles") == [(48,)]


def test_a_writer_with_nothing_to_store_exits_once_idle_and_says_so(
    tmp_path: Path, redis_url: str
) -> None:
    started = time.monotonic()
    store = lpscrape(
        "store", "--redis", redis_url, "--db", str(tmp_path / "a.db"), "--idle-exit", "1"
    )
    try:
        out, err = store.communicate(timeout=60)  # a night the crawlers never started
    finally:
        store.kill()
    assert store.returncode == 0, err
    assert "lpscrape: no run to store: nothing arrived in 1 s idle" in out
    assert time.monotonic() - started < 30


def test_status_sends_a_distributed_run_left_open_to_its_writer_not_to_aborted(
    tmp_path: Path, redis_url: str
) -> None:
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:
        for article in server.site.articles:  # slow pages: the writer dies half way
            server.site.delays[article.path] = 0.05
        store = writer(redis_url, db)
        wait_for_writer(redis_url)
        one = crawler(server, redis_url, "--set", "LPSCRAPE_VERDICT_WAIT=0")
        deadline = time.monotonic() + 60
        while not db.exists() or not query(db, "SELECT count(*) FROM articles")[0][0]:
            assert time.monotonic() < deadline, "the writer stored nothing"
            time.sleep(0.05)
        store.kill()
        assert store.wait() == -signal.SIGKILL
        assert "no writer has closed the run yet" in finish(one)
        [(run_id, outcome)] = query(db, "SELECT id, outcome FROM crawl_runs")
        assert outcome == "running"
        steps = status_report(db)["next_steps"]
        [step] = [s for s in steps if f"Run {run_id} " in s]
        assert "distributed run still open" in step
        assert f"lpscrape store --redis URL --db {db.resolve()}" in step
        assert "it was killed" not in step and "aborted" not in step
        finish(writer(redis_url, db))  # the restarted writer closes it, as the step says
    assert query(db, "SELECT outcome FROM crawl_runs") == [("completed",)]
    later = datetime.now(ZoneInfo("UTC")).replace(year=2100)  # the newest article, long ago
    with sqlite3.connect(db) as conn:  # sitemaps not read: the step says where to look
        conn.execute("UPDATE captures SET status = 503 WHERE kind = 'sitemap'")
    conn.close()
    [old] = [s for s in status_report(db, now=later)["next_steps"] if "newest article" in s]
    assert "last run's log" not in old and f"run {run_id} kept no log" in old
    sql = re.search(r'--sql "([^"]+)"', old)[1]  # the command it gives finds the sitemaps
    assert query(db, sql) and all(url.endswith(".xml") for url, _, _ in query(db, sql))
    assert not [s for s in status_report(db)["next_steps"] if "still open" in s]
