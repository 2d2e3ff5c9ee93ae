"""The run's health: measure each stored article, judge the run, alert someone.

`conclude_run` does it for a closed run, whoever stored it: `HealthPipeline` (after
`ArchivePipeline` in a single-process crawl, measuring every article the run extracted in
full) and the distributed writer (lpscrape/distributed/writer.py, measuring what it stores).
It writes `run_health`, compares the run with the last healthy ones, adds a drift alert to
the run, and hands any alert to the configured actions.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from sqlite_utils import Database

from lpscrape.alerts import Alert, AlertConfig, AlertConfigError, deliver
from lpscrape.archive.boilerplate import addition_alert, shared_additions
from lpscrape.archive.runhealth import (
    append_run_alert,
    baseline_figures,
    ensure_health_tables,
    lost_fields,
    record_deliveries,
    save_run_health,
)
from lpscrape.archive.store import (
    Archive,
    ArchiveError,
    open_database,
    run_mode,
    run_outcome,
    usable_archive,
)
from lpscrape.extract import Article
from lpscrape.health import (
    DriftRules,
    RunHealth,
    alert_paragraph,
    detect_drift,
    judge,
)
from lpscrape.items import Capture, FetchFailure
from lpscrape.worker import ARTICLE_STORED

logger = logging.getLogger(__name__)
# What the spider's counters say about the articles a run found.
FOUND_COUNTERS = ("new", "changed", "unchanged", "not_modified", "skipped", "held")


def conclude_run(
    db: Database,
    run_id: int,
    health: RunHealth,
    *,
    outcome: str,
    counts: Mapping[str, int],
    alerts: list[str],
    settings: BaseSettings,
    archive: str | Path,
    commit: Callable[[], None],
    log_path: str | None = None,
) -> Alert | None:
    """Measure, compare, record, alert: the run's health (what its articles lost, drift from
    the last healthy runs, its verdict) written beside its `crawl_runs` row and made durable
    by `commit`, then any alert handed to the configured actions. Used by the single-process
    crawl and by the distributed writer alike; returns the alert (None: a healthy run)."""
    rules = DriftRules.from_settings(settings.getint, settings.getfloat)
    health.found = sum(counts.get(k, 0) for k in FOUND_COUNTERS)
    health.reread = sum(counts.get(k, 0) for k in ("changed", "unchanged", "held"))
    ensure_health_tables(db)
    for name, lost in lost_fields(db, run_id, rules.body_shrink).items():
        fh = health.fields[name]
        fh.lost, fh.lost_examples, fh.lost_of = lost.count, lost.examples, lost.read_in_sections
    baseline = baseline_figures(db, run_id, rules.window)
    findings = detect_drift(health, baseline, rules) if outcome == "completed" else []
    share = settings.getfloat("LPSCRAPE_ALERT_SHARE", 0.2)
    healthy, verdict = judge(health, baseline, findings, rules, outcome, share)
    paragraph = alert_paragraph(run_id, health, baseline, findings) if findings else None
    save_run_health(
        db,
        run_id,
        health,
        healthy=healthy,
        verdict=verdict,
        baseline=baseline,
        findings=findings,
        alert=paragraph,
        log_path=log_path,
    )
    if paragraph:
        append_run_alert(db, run_id, paragraph)
        alerts = [*alerts, paragraph]
    for found in shared_additions(db.conn, run_id):  # a plugin's text in every article
        line = addition_alert(found)
        append_run_alert(db, run_id, line)
        alerts = [*alerts, line]
    row = db.execute("SELECT start_url FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    commit()
    if outcome == "completed" and not alerts:
        return None  # a healthy run calls nothing
    alert = Alert(
        run_id=run_id,
        archive=str(Path(archive).resolve()),
        start_url=row[0] if row else "",
        outcome=outcome,
        healthy=healthy,
        alerts=alerts,
        findings=[f.to_dict() for f in findings],
        log_path=log_path,
    )
    deliveries = send(alert, settings)
    if deliveries:
        try:
            record_deliveries(db, run_id, deliveries)
            commit()
        except (sqlite3.Error, ArchiveError) as exc:
            logger.error("alert deliveries of run %s not recorded: %s", run_id, exc)
    return alert


def send(alert: Alert, settings: BaseSettings) -> dict[str, str]:
    """Hand the alert to every configured action; what became of each ({}: none set)."""
    try:
        # Programs were checked when the run began; one gone since fails on its own below.
        config = AlertConfig.from_settings(settings.get, check_programs=False)
    except AlertConfigError as exc:
        logger.error("alerts for run %s not sent: %s", alert.run_id, exc)
        return {"config": f"failed: {exc}"}
    return deliver(alert, config) if config.actions else {}


class HealthPipeline:
    """Measures the articles of the run; judges and alerts when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.health = RunHealth()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthPipeline:
        """Connected after `ArchivePipeline`, so the run's row is closed when this runs."""
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.article_stored, signal=ARTICLE_STORED)
        return pipeline

    def process_item(self, item: Capture | FetchFailure) -> Capture | FetchFailure:
        """Pass the item on: articles are measured as the archive reports them stored."""
        return item

    def article_stored(self, record: Article, url: str) -> None:
        """Count an article the run extracted in full (what the archive stored or refreshed);
        a failed fetch has no record to measure (it is counted in `crawl_runs.failures`)."""
        self.health.add(record, url)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Judge the run, keep its health, alert someone if it needs a person."""
        stats = self.crawler.stats
        run_id = stats.get_value("lpscrape/run_id")
        if not run_id:
            return
        if storage_error := stats.get_value("lpscrape/storage_error"):
            self.send_unrecorded(int(run_id), str(storage_error), getattr(spider, "base", ""))
            return  # the archive cannot be written: no health to record
        outcome = run_outcome(reason)
        db_path = self.settings.get("ARCHIVE_DB")
        try:
            db = open_database(db_path)
            try:
                alert = conclude_run(
                    db,
                    int(run_id),
                    self.health,
                    outcome=outcome,
                    counts={k: stats.get_value(f"lpscrape/{k}", 0) for k in FOUND_COUNTERS},
                    alerts=list(stats.get_value("lpscrape/alerts") or []),
                    settings=self.settings,
                    archive=db_path,
                    commit=db.conn.commit,
                    log_path=stats.get_value("lpscrape/log_path"),
                )
            finally:
                db.conn.close()
        except (sqlite3.Error, ArchiveError) as exc:
            logger.error("run health of run %s not recorded: %s", run_id, exc)
            return
        if alert is not None:
            stats.set_value("lpscrape/alerts", alert.alerts)

    def send_unrecorded(self, run_id: int, reason: str, start_url: str) -> None:
        """Tell someone about a run the archive could not take (a full disk): the alert goes
        out, nothing is written to the archive."""
        db_path = self.settings.get("ARCHIVE_DB")
        alert = Alert(
            run_id=run_id,
            archive=str(Path(db_path).resolve()),
            start_url=start_url,
            outcome="failed",
            healthy=None,
            alerts=[reason],
        )
        send(alert, self.settings)


def alert_refused(
    db_path: str,
    start_url: str,
    reason: str,
    overrides: dict[str, Any],
    *,
    record: bool = False,
    full: bool = False,
    settings: BaseSettings | None = None,
) -> None:
    """Send an alert for a crawl that could not start (site unreachable, archive unusable).

    With `record` (the refusal is about the start URL, not the archive) and a usable archive,
    the refusal is kept as a run of its own (`record_refusal`), its alert and deliveries with
    it, so `lpscrape status` shows it; otherwise the alert goes out as run 0, nothing written.
    `settings`: the crawl's own (under scrapyd), else the project's with `overrides`.
    """
    from lpscrape.crawl import crawl_settings

    settings = settings or crawl_settings(db_path, **overrides)
    text = f"the crawl could not start: {reason}"
    if record:
        mode = run_mode(full)
        publication = str(settings.get("LPSCRAPE_PUBLICATION") or "") or None
        if record_refusal(db_path, start_url, reason, text, settings, mode, publication):
            return
    alert = Alert(
        run_id=0,
        archive=str(Path(db_path).resolve()),
        start_url=start_url,
        outcome="refused",
        healthy=None,
        alerts=[text],
    )
    send(alert, settings)


def record_refusal(
    db_path: str,
    start_url: str,
    reason: str,
    text: str,
    settings: BaseSettings,
    mode: str,
    publication: str | None,
) -> bool:
    """Keep a refused crawl in a usable archive: a `crawl_runs` row with outcome `refused`,
    its error and alert, started and finished at once, nothing fetched; its run health is
    not judged (never a baseline) and its alert goes out under its run id, what became of
    each action kept. False, nothing written, when the archive is missing, not a usable
    lpscrape archive, held by another process or cannot be written."""
    from lpscrape.archive import lock
    from lpscrape.archive.lock import ArchiveBusy

    if not usable_archive(db_path):
        return False
    try:
        lock.acquire(db_path)
    except (ArchiveBusy, ArchiveError):
        return False  # another crawl at work: it keeps the archive; the alert still goes out
    try:
        try:
            archive = Archive.open(db_path)
        except (sqlite3.Error, ArchiveError):
            return False  # read-only, say: the alert still goes out, as run 0
        db = archive.db
        try:
            run_id = archive.record_refused_run(start_url, mode, publication, reason, text)
            conclude_run(
                db,
                run_id,
                RunHealth(),
                outcome="refused",
                counts={},
                alerts=[text],
                settings=settings,
                archive=db_path,
                commit=db.conn.commit,
            )
        except sqlite3.Error as exc:
            db.conn.rollback()
            logger.error("the refused crawl was not recorded in %s: %s", db_path, exc)
            return False
        finally:
            db.conn.close()
    finally:
        lock.release(db_path)
    return True
