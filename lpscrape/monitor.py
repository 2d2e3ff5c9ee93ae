"""The run's health in the crawl: measure each stored article, judge the run, alert someone.

`HealthPipeline` comes after `ArchivePipeline`: it sees every article the run extracted in
full and, once the run's row is closed, writes `run_health`, compares the run with the last
healthy ones, adds a drift alert to the run, and hands any alert to the configured actions.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from lpscrape.alerts import Alert, AlertConfig, AlertConfigError, deliver
from lpscrape.archive.runhealth import (
    append_run_alert,
    baseline_figures,
    ensure_health_tables,
    lost_fields,
    record_deliveries,
    save_run_health,
)
from lpscrape.archive.store import ArchiveError, open_database
from lpscrape.extract import Article
from lpscrape.health import (
    DriftRules,
    Finding,
    RunFigures,
    RunHealth,
    alert_paragraph,
    detect_drift,
)
from lpscrape.items import Capture, FetchFailure
from lpscrape.worker import ARTICLE_STORED

logger = logging.getLogger(__name__)
# What the spider's counters say about the articles a run found.
FOUND_COUNTERS = ("new", "changed", "unchanged", "not_modified", "skipped")


def judge(
    health: RunHealth,
    baseline: list[RunFigures],
    findings: list[Finding],
    rules: DriftRules,
    outcome: str,
    alert_share: float,
) -> tuple[bool | None, str]:
    """The run's verdict: healthy (True), unhealthy (False) or not judged (None), and why."""
    if outcome != "completed":
        return None, f"not judged: the crawl {outcome}"
    if findings:
        fields = ", ".join(dict.fromkeys(f.field for f in findings))
        return False, f"unhealthy: drift in {fields}"
    if health.articles < rules.min_articles:
        return None, (
            f"not judged: {health.articles} articles read in full, fewer than "
            f"{rules.min_articles} (LPSCRAPE_DRIFT_MIN_ARTICLES)"
        )
    share = health.degraded / health.articles
    if share >= alert_share:
        return False, f"unhealthy: extraction degraded on {share:.0%} of its articles"
    if len(baseline) < rules.min_runs:
        return True, f"healthy (no baseline yet: {len(baseline)} of {rules.min_runs} runs)"
    return True, f"healthy against the median of runs {', '.join(str(r.run_id) for r in baseline)}"


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
        outcome = {"finished": "completed", "shutdown": "aborted"}.get(reason, "failed")
        db_path = self.settings.get("ARCHIVE_DB")
        try:
            alert = self.close_run(int(run_id), outcome, db_path)
        except (sqlite3.Error, ArchiveError) as exc:
            logger.error("run health of run %s not recorded: %s", run_id, exc)
            return
        if alert is not None:
            self.send(alert, db_path)

    def close_run(self, run_id: int, outcome: str, db_path: str) -> Alert | None:
        """Measure, compare, record; returns the alert to send, or None for a healthy run."""
        stats = self.crawler.stats
        rules = DriftRules.from_settings(self.settings.getint, self.settings.getfloat)
        health = self.health
        health.found = sum(stats.get_value(f"lpscrape/{k}", 0) for k in FOUND_COUNTERS)
        health.reread = sum(stats.get_value(f"lpscrape/{k}", 0) for k in ("changed", "unchanged"))
        db = open_database(db_path)
        try:
            ensure_health_tables(db)
            for name, (count, examples) in lost_fields(db, run_id, rules.body_shrink).items():
                health.fields[name].lost, health.fields[name].lost_examples = count, examples
            baseline = baseline_figures(db, run_id, rules.window)
            findings = detect_drift(health, baseline, rules) if outcome == "completed" else []
            healthy, verdict = judge(
                health,
                baseline,
                findings,
                rules,
                outcome,
                self.settings.getfloat("LPSCRAPE_ALERT_SHARE", 0.2),
            )
            paragraph = alert_paragraph(run_id, health, baseline, findings) if findings else None
            log_path = stats.get_value("lpscrape/log_path")
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
            db.conn.commit()
            alerts = list(stats.get_value("lpscrape/alerts") or [])
            if paragraph:
                alerts.append(paragraph)
                stats.set_value("lpscrape/alerts", alerts)
            row = db.execute("SELECT start_url FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
        finally:
            db.conn.close()
        if outcome == "completed" and not alerts:
            return None  # a healthy run calls nothing
        return Alert(
            run_id=run_id,
            archive=str(Path(db_path).resolve()),
            start_url=row[0] if row else "",
            outcome=outcome,
            healthy=healthy,
            alerts=alerts,
            findings=[f.to_dict() for f in findings],
            log_path=log_path,
        )

    def send(self, alert: Alert, db_path: str) -> None:
        """Hand the alert to every configured action and keep what became of each."""
        try:
            config = AlertConfig.from_settings(self.settings.get)
        except AlertConfigError as exc:
            deliveries = {"config": f"failed: {exc}"}
            logger.error("alerts for run %s not sent: %s", alert.run_id, exc)
        else:
            if not config.actions:
                return
            deliveries = deliver(alert, config)
        try:
            db = open_database(db_path)
            try:
                record_deliveries(db, alert.run_id, deliveries)
                db.conn.commit()
            finally:
                db.conn.close()
        except (sqlite3.Error, ArchiveError) as exc:
            logger.error("alert deliveries of run %s not recorded: %s", alert.run_id, exc)

    def send_unrecorded(self, run_id: int, reason: str, start_url: str) -> None:
        """Tell someone about a run the archive could not take (a full disk): the alert goes
        out, nothing is written to the archive."""
        try:
            config = AlertConfig.from_settings(self.settings.get)
        except AlertConfigError as exc:
            logger.info("alerts for run %s not sent: %s", run_id, exc)
            return
        if config.actions:
            db_path = self.settings.get("ARCHIVE_DB")
            alert = Alert(
                run_id=run_id,
                archive=str(Path(db_path).resolve()),
                start_url=start_url,
                outcome="failed",
                healthy=None,
                alerts=[reason],
            )
            deliver(alert, config)


def alert_refused(db_path: str, start_url: str, reason: str, overrides: dict[str, Any]) -> None:
    """Send an alert for a crawl that could not start (site unreachable, archive unusable)."""
    from lpscrape.crawl import crawl_settings

    settings = crawl_settings(db_path, **overrides)
    try:
        config = AlertConfig.from_settings(settings.get)
    except AlertConfigError as exc:
        logger.error("alerts not sent: %s", exc)
        return
    if config.actions:
        alert = Alert(
            run_id=0,
            archive=str(Path(db_path).resolve()),
            start_url=start_url,
            outcome="refused",
            healthy=None,
            alerts=[f"the crawl could not start: {reason}"],
        )
        deliver(alert, config)
