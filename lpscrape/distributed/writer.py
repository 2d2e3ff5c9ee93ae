"""The archive writer: drains the crawlers' stream into archive.db in batches.

Reliable queue: the writer reads the stream through a consumer group, stores a batch with the
same `store()` the single-machine worker uses (a capture in, an outcome out), adds the batch's
counts to each run's `crawl_runs` row and the last stream id applied to `handoff_state`, commits,
and only then acknowledges (XACK) and deletes the messages. Killed before the commit, the batch
is rolled back and read again from the group's pending list; killed between the commit and the
acknowledgement, the messages come again and are skipped by their id. Nothing lost, nothing
stored twice.

Each run's field health is measured here, record by record, and kept with the run's totals
between batches; the batch that ends a run closes it with the single-process crawl's own
judgement (`lpscrape.monitor.conclude_run`: drift from the last healthy runs, the verdict,
the alert actions) and leaves the verdict in Redis for the run's crawlers.

Messages are JSON, checked field by field (lpscrape/distributed/wire.py); one that is not what
a crawler writes (an old pickle, a forgery, a truncated field) is never run: it is kept aside
in the stream `lpscrape:rejected` and counted as a failed request of reason `bad_handoff` in
the run it names (or the latest run open), so the run's alerts name it.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from lpscrape.archive import lock
from lpscrape.archive.known import reread_sample
from lpscrape.archive.lock import ArchiveBusy
from lpscrape.archive.store import RUN_COUNTERS, Archive
from lpscrape.distributed.handoff import set_aside
from lpscrape.distributed.keys import ALIVE, GROUP, KNOWN, STREAM, WRITER, result_key
from lpscrape.distributed.wire import BadMessage, RunInfo, read_message, read_run
from lpscrape.extract import Article
from lpscrape.health import RunHealth
from lpscrape.items import Capture, FetchFailure
from lpscrape.monitor import conclude_run
from lpscrape.run_alerts import EXAMPLES_PER_REASON, RunTotals, alert_lines, limits
from lpscrape.tally import Tally
from lpscrape.worker import store

logger = logging.getLogger(__name__)
CONSUMER = "writer"  # one writer: a restarted one reads its predecessor's pending messages
NO_LIMIT = 10**9
WRITER_TTL_MS = 120_000  # the heartbeat outlives a long batch or a slow alert action
RESULT_TTL = 7 * 86400  # seconds a run's verdict waits in Redis for its crawlers


# KEYS: the writer's heartbeat. ARGV: this writer's identity, the heartbeat's life (ms).
BEAT = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def stream_id(value: bytes | str) -> tuple[int, int]:
    """A stream id (`ms-seq`) as a comparable pair."""
    text = value.decode() if isinstance(value, bytes) else value
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _merge_examples(old: dict[str, list[str]], new: dict[str, list[str]]) -> dict[str, list[str]]:
    for reason, urls in new.items():
        kept = old.setdefault(reason, [])
        kept.extend(urls[: max(0, EXAMPLES_PER_REASON - len(kept))])
    return old


def run_alerts(row: dict[str, Any], tally: dict[str, Any], settings: BaseSettings) -> list[str]:
    """What the archivist must look at, from a run's totals (the single-machine pipeline's
    alerts; drift is added by `conclude_run`)."""
    totals = RunTotals(
        failures=json.loads(row["failures"] or "{}"),
        examples=json.loads(row["failure_examples"] or "{}"),
        attempts=tally.get("attempts", 0),
        forbidden=tally.get("forbidden", 0),
        refreshed=tally.get("refreshed", 0),
        held=[tuple(h) for h in tally.get("held", [])],
        articles=tally.get("articles", 0),
        degraded=tally.get("degraded", 0),
        crashed=tally.get("extract_errors", 0),
        deferred=tally.get("sitemap_deferred", 0),
        skipped=row.get("skipped") or 0,
        forbidden_sources=tally.get("forbidden_sources", 0),
        lost_crawlers=tally.get("crawlers_lost", 0),
        taken_back=tally.get("taken_back", 0),
    )
    return alert_lines(totals, **limits(settings))


class Writer:
    """Drains the stream into one archive; the only process that writes it."""

    def __init__(
        self,
        server: Any,
        db_path: str | Path,
        batch: int = 200,
        settings: BaseSettings | None = None,
    ) -> None:
        from lpscrape.crawl import crawl_settings

        self.server = server
        self.db_path = str(db_path)
        self.batch = batch
        # Drift rules, alert actions, the health sample: the writer's settings, not the crawlers'.
        self.settings = settings if settings is not None else crawl_settings(db_path)
        self.archive = Archive.open(db_path, batch_size=NO_LIMIT, batch_seconds=NO_LIMIT)
        self.runs: dict[str, int] = {}  # run token -> crawl_runs id
        self.finished: list[int] = []  # runs this writer closed
        self.unattributed: list[str] = []  # rejected messages no open run could count
        self.stored = 0
        self.identity = f"{socket.gethostname()}:{Path(db_path).resolve()}"
        self.claim()
        try:
            server.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: the group exists, as it should after the first
            if "BUSYGROUP" not in str(exc):
                raise
        self.publish_known()

    def _mine(self, script: str) -> Any:
        return self.server.eval(script, 1, WRITER, self.identity, WRITER_TTL_MS)

    def _holder(self) -> str:
        holder = self.server.get(WRITER)
        return holder.decode() if isinstance(holder, bytes) else str(holder)

    def claim(self) -> None:
        """Be the one writer of this Redis: a second writer, into another archive, would split
        the captures between the two. This archive's own writer, restarted, takes over (the
        archive's lock keeps two of them apart)."""
        if not self._mine(BEAT):
            self.archive.close()
            raise ArchiveBusy(
                f"another writer drains this Redis, into {self._holder()}: one writer per Redis "
                f"(a writer that was killed holds it {WRITER_TTL_MS // 1000} s more; "
                f"`redis-cli del {WRITER}` if it is gone for good)"
            )

    def beat(self) -> None:
        """Tell the crawlers a writer runs (they wait for its verdict on their run); stop if
        another writer took the Redis over while this one stalled past its heartbeat."""
        if not self._mine(BEAT):
            raise ArchiveBusy(
                f"another writer took this Redis over while this one was stalled: "
                f"{self._holder()}; stopping (what this one committed is in its archive)"
            )

    def publish_known(self) -> None:
        """What the archive knows, for the crawlers' conditional requests and lastmod skips,
        minus the validators of the health sample (read in full, as a local crawl reads it)."""
        articles = self.archive.known_articles()
        sample = self.settings.getint("LPSCRAPE_HEALTH_SAMPLE", 0)
        for (publication,) in self.archive.db.execute(
            "SELECT DISTINCT publication FROM articles"
        ).fetchall():  # a sample of each publication's own
            reread_sample(self.archive.db, articles, sample, publication)
        known = {"articles": articles, "pages": self.archive.known_pages()}
        self.server.set(KNOWN, json.dumps(known))

    def last_applied(self) -> tuple[int, int]:
        """The id of the last message committed to this archive."""
        row = self.archive.db.execute(
            "SELECT last_id FROM handoff_state WHERE stream = ?", [STREAM]
        ).fetchone()
        return stream_id(row[0]) if row else (0, 0)

    def read(self, block_ms: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
        """This consumer's pending messages first (a killed writer's batch), then new ones."""
        for start in ("0", ">"):
            answer = self.server.xreadgroup(
                GROUP,
                CONSUMER,
                {STREAM: start},
                count=self.batch,
                block=None if start == "0" else block_ms,
            )
            messages = answer[0][1] if answer else []
            if messages:
                return messages
        return []

    def drain_once(self, block_ms: int = 1000) -> int:
        """Store one batch (up to `batch` messages, and up to the first run's end in them);
        returns how many messages it applied."""
        messages = self.read(block_ms)
        if not messages:
            return 0
        done = self.last_applied()
        tallies: dict[int, Tally] = {}
        measured: dict[int, list[tuple[Article, str]]] = {}  # records for each run's health
        end: tuple[int, str, dict[str, int]] | None = None
        applied: list[bytes] = []
        last = None
        self.archive.begin()
        for msg_id, fields in messages:
            applied.append(msg_id)
            if stream_id(msg_id) <= done:
                continue  # committed before a crash, never acknowledged: already stored
            last = msg_id
            try:
                message = read_message(fields)
            except BadMessage as exc:
                self.reject(msg_id, fields, str(exc), tallies)
                continue
            run_id = self.run_for(message.run)
            if message.op == "end":
                end = (run_id, message.run.token, message.stats or {})
                break  # one run's end per transaction: what follows comes again, pending
            item = message.item
            tally = tallies.setdefault(run_id, Tally())
            if isinstance(item, FetchFailure):
                tally.fetch_failed(item)
                continue
            assert isinstance(item, Capture)
            stored = store(self.archive, item, run_id)
            crashed = message.crashed or stored.extract_error
            if record := tally.stored(stored._replace(extract_error=crashed)):
                measured.setdefault(run_id, []).append((record, stored.url))
            self.stored += 1
        for run_id, tally in tallies.items():
            self.add_tally(run_id, tally, measured.get(run_id, []))
        if last is not None:  # in the batch's transaction: a redelivered message is skipped
            self.archive.db.execute(
                "INSERT OR REPLACE INTO handoff_state (stream, last_id) VALUES (?, ?)",
                [STREAM, last.decode()],
            )
        if end is not None:
            self.finish(*end)  # commits the batch with the run's end and health, then alerts
        self.archive.commit()
        self.server.xack(STREAM, GROUP, *applied)
        self.server.xdel(STREAM, *applied)
        if end is not None:
            self.publish_known()
        return len(applied)

    def run_for(self, run: RunInfo) -> int:
        """The `crawl_runs` id of a message's run, its row opened by the first message."""
        token = run.token
        if token in self.runs:
            return self.runs[token]
        db = self.archive.db
        row = db.execute("SELECT id FROM crawl_runs WHERE run_key = ?", [token]).fetchone()
        if row is None:
            row = (self.archive.start_shared_run(run.start_url, run.mode, run.publication, token),)
        self.runs[token] = int(row[0])
        return self.runs[token]

    def reject(
        self, msg_id: bytes, fields: dict[bytes, bytes], reason: str, tallies: dict[int, Tally]
    ) -> None:
        """A message that is not what a crawler writes: kept aside (never run) and counted as
        a failure of reason `bad_handoff` in the run it names, else in the latest run open."""
        kept = set_aside(self.server, fields, reason, id=msg_id.decode())
        where = f"message {msg_id.decode()} (kept as {kept})"
        logger.error("hand-off %s", where)
        try:
            run_id: int | None = self.run_for(read_run(fields))
        except BadMessage:
            row = self.archive.db.execute(
                "SELECT max(id) FROM crawl_runs WHERE outcome = 'running' AND run_key IS NOT NULL"
            ).fetchone()
            run_id = row[0]
        if run_id is None:
            self.unattributed.append(where)
            return
        tallies.setdefault(run_id, Tally()).failure("bad_handoff", where)

    def add_tally(
        self, run_id: int, tally: Tally, measured: Sequence[tuple[Article, str]] = ()
    ) -> None:
        """Add a batch's counts (and its records, to the run's health) to its run's row (in
        the batch's transaction)."""
        db = self.archive.db
        cols = ("failures", "failure_examples", "warnings", "tally")
        row = dict(
            zip(
                cols,
                db.execute(
                    f"SELECT {', '.join(cols)} FROM crawl_runs WHERE id = ?", [run_id]
                ).fetchone(),
                strict=True,
            )
        )
        failures = Counter(json.loads(row["failures"] or "{}")) + tally.failures
        warnings = Counter(json.loads(row["warnings"] or "{}")) + tally.warnings
        examples = _merge_examples(json.loads(row["failure_examples"] or "{}"), tally.examples)
        kept = json.loads(row["tally"] or "{}")
        for name, value in tally.extra.items():
            kept[name] = kept.get(name, 0) + value
        kept["held"] = kept.get("held", []) + tally.held
        if measured:
            health = RunHealth.from_state(kept.get("health"))
            for record, url in measured:
                health.add(record, url)
            kept["health"] = health.to_state()
        sets = ", ".join(f"[{k}] = coalesce([{k}], 0) + ?" for k in tally.counts)
        if sets:
            values = [*tally.counts.values(), run_id]
            db.execute(f"UPDATE crawl_runs SET {sets} WHERE id = ?", values)
        db.execute(
            "UPDATE crawl_runs SET failed = ?, failures = ?, failure_examples = ?, "
            "warnings = ?, warning_count = ?, tally = ? WHERE id = ?",
            [
                sum(failures.values()),
                json.dumps(dict(failures.most_common())),
                json.dumps(examples),
                json.dumps(dict(warnings.most_common()), ensure_ascii=False),
                sum(warnings.values()),
                json.dumps(kept),
                run_id,
            ],
        )

    def finish(self, run_id: int, token: str, stats: dict[str, int]) -> None:
        """Close a run the crawlers reported over: its counts, outcome, alerts and health (in
        the batch's transaction); then alert someone, and tell the crawlers the verdict."""
        db = self.archive.db
        names = [*RUN_COUNTERS, "failures", "failure_examples", "warnings", "warning_count"]
        values = db.execute(
            f"SELECT {', '.join(f'[{n}]' for n in names)}, tally FROM crawl_runs WHERE id = ?",
            [run_id],
        ).fetchone()
        row = dict(zip([*names, "tally"], values, strict=True))
        tally = {**json.loads(row["tally"] or "{}"), **stats}
        health = RunHealth.from_state(tally.pop("health", None))  # kept in run_health instead
        counts = {k: row[k] or 0 for k in RUN_COUNTERS}
        counts["skipped"] += stats.get("skipped", 0)
        counts.update({k: stats.get(k, 0) for k in ("requests", "fetched", "bytes_downloaded")})
        alerts = run_alerts(row, tally, self.settings)
        self.archive.finish_run(
            run_id,
            "completed",
            counts,
            commit=False,
            alerts=alerts,
            sitemap_deferred=stats.get("sitemap_deferred", 0),
            tally=json.dumps(tally),
        )
        self.beat()  # alert actions may take a while
        alert = conclude_run(
            db,
            run_id,
            health,
            outcome="completed",
            counts=counts,
            alerts=alerts,
            settings=self.settings,
            archive=self.db_path,
            commit=self.archive.commit,
        )
        self.finished.append(run_id)
        said = alert.alerts if alert else []
        verdict = {"run_id": run_id, "outcome": "completed", "alerts": said}
        self.server.set(result_key(token), json.dumps(verdict), ex=RESULT_TTL)

    def open_runs(self) -> int:
        """Runs still open in the archive (their crawlers have not reported the end)."""
        return int(
            self.archive.db.execute(
                "SELECT count(*) FROM crawl_runs WHERE outcome = 'running' AND run_key IS NOT NULL"
            ).fetchone()[0]
        )

    def close(self) -> None:
        """Commit and close the archive; the crawlers stop waiting for this writer."""
        self.archive.close()
        self._mine(RELEASE)  # its own heartbeat only, never another writer's


def crawlers_at_work(server: Any) -> bool:
    """True while a crawler's heartbeat is in Redis (one fetching before its first capture)."""
    return next(iter(server.scan_iter(match=f"{ALIVE}*", count=1000)), None) is not None


def drain(
    server: Any,
    db_path: str | Path,
    idle_exit: float | None = None,
    batch: int = 200,
    settings: BaseSettings | None = None,
) -> tuple[list[int], list[str]]:
    """Drain the stream into the archive until interrupted (or, with `idle_exit`, once that
    many seconds pass with no message, no run open and no crawler at work, whether or not it
    closed a run); returns the runs closed, and the rejected messages that named no run open."""
    lock.acquire(db_path, purpose="store")
    try:
        writer = Writer(server, db_path, batch=batch, settings=settings)
        try:
            quiet_since = time.monotonic()
            while True:
                writer.beat()
                if writer.drain_once(block_ms=500) or crawlers_at_work(server):
                    quiet_since = time.monotonic()
                    continue
                quiet = idle_exit is not None and time.monotonic() - quiet_since >= idle_exit
                if quiet and not writer.open_runs():
                    return writer.finished, writer.unattributed
        finally:
            writer.close()
    finally:
        lock.release(db_path)
