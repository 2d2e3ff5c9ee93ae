"""`lpscrape status`: the last runs, their health and alerts, the archive's size and age.

Reads the archive read-only (a crawl may be writing); works on archives made before run
health was recorded, showing what there is.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from lpscrape.archive import lock, unclosed
from lpscrape.archive.readonly import readonly_connection
from lpscrape.archive.store import ArchiveError, not_a_folder
from lpscrape.terminal import printable

STALE_HOURS = 36  # a nightly crawl that has not finished for this long is worth a look
OLD_ARTICLE_DAYS = 30
COUNTS = ("new", "changed", "unchanged", "not_modified", "skipped", "held", "gone", "failed")
# Runs that did something: not one still running, nor a refused crawl (it fetched nothing,
# was never judged, and its refusal is its own next step).
NOT_A_RUN = ("running", "refused")


def _connect(db_path: str | Path) -> sqlite3.Connection:
    path = Path(db_path)
    not_a_folder(path)
    if not path.exists():
        raise ArchiveError(f"no archive at {path}: run `lpscrape crawl --db {path}` first")
    try:
        conn = readonly_connection(path, timeout=30)
        conn.row_factory = sqlite3.Row
        tables = set(Database(conn).table_names())
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not an SQLite archive ({exc})") from exc
    if not {"crawl_runs", "articles"} <= tables:
        conn.close()
        raise ArchiveError(f"{path} is not an lpscrape archive (no crawl_runs or articles table)")
    return conn


def _parse(instant: str | None) -> datetime | None:
    if not instant:
        return None
    try:
        parsed = datetime.fromisoformat(instant)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ago(instant: str | None, now: datetime) -> str:
    when = _parse(instant)
    if when is None:
        return "never"
    seconds = max((now - when).total_seconds(), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' * (n != 1)} ago"
    return "just now"


def _health_word(run: dict[str, Any]) -> str:
    if run["outcome"] == "running":
        return "running"
    if run["outcome"] == "refused":
        return "-"
    healthy = run.get("healthy")
    if healthy == 1:
        return "accepted" if run.get("accepted_at") else "healthy"
    if healthy == 0:
        return "UNHEALTHY"
    return "not judged" if run.get("verdict") else "-"


def status_report(db_path: str | Path, runs: int = 10, now: datetime | None = None) -> dict:
    """Everything `lpscrape status` shows, as JSON-ready data."""
    now = now or datetime.now(UTC)
    conn = _connect(db_path)
    try:
        tables = set(Database(conn).table_names())
        has_health = {"run_health", "run_field_health"} <= tables
        one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
        path = Path(db_path)
        size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        newest = one(
            "SELECT url, title, published_at FROM articles WHERE published_at IS NOT NULL "
            "ORDER BY published_at DESC LIMIT 1"
        )
        archive = {
            "path": str(path.resolve()),
            "size_bytes": size,
            "in_use_by": lock.holder(path),  # a crawl, reparse or writer at work now
            "articles": one("SELECT count(*) FROM articles")[0],
            "live": one("SELECT count(*) FROM articles WHERE status = 'live'")[0],
            "gone": one("SELECT count(*) FROM articles WHERE status = 'gone'")[0],
            "versions": one("SELECT count(*) FROM article_versions")[0]
            if "article_versions" in tables
            else None,
            "captures": one("SELECT count(*) FROM captures")[0] if "captures" in tables else None,
            "newest_article": dict(newest) if newest else None,
            "newest_article_age_days": (now - _parse(newest["published_at"])).days
            if newest and _parse(newest["published_at"])
            else None,
        }
        health_cols = (
            ", h.healthy, h.verdict, h.articles AS measured, h.log_path, h.deliveries, "
            "h.accepted_at, h.alert AS drift_alert"
            if has_health
            else ""
        )
        join = "LEFT JOIN run_health h ON h.run_id = r.id" if has_health else ""
        rows = conn.execute(
            f"SELECT r.*{health_cols} FROM crawl_runs r {join} ORDER BY r.id DESC LIMIT ?",
            [runs],
        ).fetchall()
        run_list = []
        for row in rows:
            run = dict(row)
            for column, empty in JSON_COLUMNS.items():  # JSON in the table, values here
                run[column] = json.loads(run.get(column) or empty)
            started, finished = _parse(run["started_at"]), _parse(run.get("finished_at"))
            took = (finished - started).total_seconds() if started and finished else None
            run["seconds"] = None if took is None else round(took)
            run["health"] = _health_word(run)
            run["sitemaps_read"] = conn.execute(  # what the site lists, read in this run
                "SELECT count(*) FROM captures WHERE run_id = ? AND kind = 'sitemap' "
                "AND status IN (200, 304)",
                [run["id"]],
            ).fetchone()[0]
            run.pop("warnings", None)
            run.pop("drift_alert", None)
            run_list.append(run)
        fields = []
        judged = next((r for r in run_list if r.get("verdict") and r["outcome"] != "refused"), None)
        if has_health and judged:
            fields = [
                {**dict(r), "missing_examples": json.loads(r["missing_examples"] or "[]")}
                for r in conn.execute(
                    "SELECT field, measured, filled, fill_rate, baseline_fill_rate, layer, "
                    "fallback_share, lost, drifted, missing_examples FROM run_field_health "
                    "WHERE run_id = ? ORDER BY rowid",
                    [judged["id"]],
                )
            ]
            body = dict(
                conn.execute(
                    "SELECT body_words_p10, body_words_p25, body_words_median, body_words_p75, "
                    "body_words_p90, baseline_runs FROM run_health WHERE run_id = ?",
                    [judged["id"]],
                ).fetchone()
            )
            body["baseline_runs"] = json.loads(body["baseline_runs"] or "[]")
        else:
            body = {}
        open_alerts = _open_alerts(conn, has_health)
    finally:
        conn.close()
    report = {
        "archive": archive,
        "runs": run_list,
        "health": {"run_id": judged["id"] if judged else None, "fields": fields, **body},
        "open_alerts": open_alerts,
    }
    report["next_steps"] = next_steps(report, now)
    report["notes"] = notes(report)
    report["ok"] = not report["open_alerts"] and not report["next_steps"]
    return report


# crawl_runs / run_health columns that hold JSON, with what an empty one means.
JSON_COLUMNS = {
    "alerts": "[]",
    "deliveries": "{}",
    "failures": "{}",
    "failure_examples": "{}",
    "tally": "{}",
}


def _open_alerts(conn: sqlite3.Connection, has_health: bool) -> list[dict[str, Any]]:
    """Alerts of the runs since the last clean one (completed, no alerts) or accepted one."""
    accepted = "OR id IN (SELECT run_id FROM run_health WHERE accepted_at IS NOT NULL)"
    last_clean = conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE (outcome = 'completed' AND "
        f"coalesce(alerts, '[]') = '[]') {accepted if has_health else ''}"
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT id, outcome, alerts FROM crawl_runs WHERE id > ? AND outcome != 'running' "
        "ORDER BY id",
        [last_clean or 0],
    ).fetchall()
    out = []
    for run_id, outcome, alerts in rows:
        texts = json.loads(alerts or "[]")
        if outcome not in ("completed", "refused"):  # a refusal's alert says it could not start
            texts = [f"the crawl ended {outcome}", *texts]
        out += [{"run_id": run_id, "alert": text} for text in texts]
    return out


def last_finished(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest run that ran (not a refused or still-running one), if any."""
    return next((r for r in runs if r["outcome"] not in NOT_A_RUN), None)


def next_steps(report: dict[str, Any], now: datetime) -> list[str]:
    """What the archivist should do about what the report shows, most urgent first."""
    steps: list[str] = []
    db = shlex.quote(report["archive"]["path"])
    runs = report["runs"]
    if not runs:
        return [f"No crawl yet: lpscrape crawl --db {db}"]
    latest = runs[0]
    finished = last_finished(runs)
    refused = next((r for r in runs if r["outcome"] != "running"), None)
    if refused and refused["outcome"] == "refused":  # the latest crawl never started
        steps.append(
            f"Run {refused['id']} was refused, nothing fetched: {refused.get('error')}. Check "
            "the site and the start URL; the next crawl starts as usual."
        )
    busy = report["archive"]["in_use_by"]
    writing = bool(busy) and busy.get("purpose") == "store"  # a writer is draining Redis
    for run in runs:
        if run["outcome"] == "running" and run.get("run_key") and not writing:
            steps.append(
                f"Run {run['id']} is a distributed run still open and no writer is storing "
                f"it: its captures wait in Redis. Start `lpscrape store --redis URL --db {db}` "
                "(URL: the crawlers' Redis); it stores them and closes the run once its "
                "crawlers have reported the end (if they were all killed, a crawler started "
                "again reports it)."
            )
    if latest["outcome"] == "running" and not latest.get("run_key") and not busy:
        notes = unclosed.read(report["archive"]["path"])
        if noted := unclosed.noted_error(notes, latest["id"], latest["started_at"]):
            steps.append(
                f"Run {latest['id']} failed and could not be closed in the archive: {noted}. "
                "Fix that first; the next crawl marks it failed."
            )
        else:
            steps.append(
                f"Run {latest['id']} says it has been running since {latest['started_at']}, but "
                "no process holds the archive: it was killed; the next crawl marks it aborted "
                "and raises an alert."
            )
    if finished and finished["outcome"] in ("failed", "aborted"):
        log = f": read its log {finished['log_path']}" if finished.get("log_path") else ""
        steps.append(
            f"Run {finished['id']} {finished['outcome']}{log}; the next crawl fetches "
            "whatever it missed."
        )
    if finished and finished.get("healthy") == 0:
        drifted = [f["field"] for f in report["health"]["fields"] if f["drifted"]]
        if drifted:
            steps.append(
                f"Run {finished['id']} is unhealthy ({', '.join(drifted)}): open the example "
                f"URLs in its alert, adjust the extractor, then `lpscrape reparse --db {db}`; "
                "if the site's change is intended, "
                f"`lpscrape status --db {db} --accept {finished['id']}`."
            )
        else:  # no field drifted: the run found far fewer articles than the runs before it
            steps.append(
                f"Run {finished['id']} found far fewer articles than usual: read its alerts "
                "and log (requests the site failed, by reason; robots.txt; the sitemaps); "
                "the next run tries again. Accept it only for a lasting change of the site."
            )
    if finished and finished.get("held"):
        steps.append(
            f"{finished['held']} new versions were held for review in run {finished['id']}, "
            "not stored: their captures' `review` says why. If the extractor misread the page, "
            f"fix it and `lpscrape reparse --db {db}`."
        )
    if finished and finished.get("failed"):
        steps.append(
            f"{finished['failed']} requests failed in run {finished['id']}: the next run "
            "retries them; if they keep failing, read the run's log."
        )
    for run in runs:
        broken = {k: v for k, v in run["deliveries"].items() if v != "ok"}
        if broken:
            said = "; ".join(f"{k} {v}" for k, v in broken.items())
            steps.append(
                f"Alerts of run {run['id']} did not all arrive ({said}): check the "
                "LPSCRAPE_ALERT_* settings or the alerts file."
            )
            break
    last_end = _parse(finished.get("finished_at")) if finished else None
    if last_end and (now - last_end).total_seconds() > STALE_HOURS * 3600:
        steps.append(
            f"No crawl has finished for {_ago(finished['finished_at'], now).removesuffix(' ago')}:"
            " check the cron line, the systemd timer or the scrapyd schedule (README, "
            "Scheduled crawls)."
        )
    age = report["archive"]["newest_article_age_days"]
    if age is not None and age > OLD_ARTICLE_DAYS and not _quiet_site(finished):
        if finished and not finished.get("log_path"):  # a distributed run keeps no log
            where = (
                f"run {finished['id']} kept no log; see the sitemaps it fetched: `lpscrape "
                f'export csv --db {db} --sql "SELECT url, status, failure FROM captures '
                f"WHERE run_id = {finished['id']} AND kind = 'sitemap'\"`"
            )
        else:
            where = "see the sitemaps in the last run's log"
        steps.append(
            f"The newest article was published {age} days ago: if the site has published "
            f"since, discovery is missing new posts ({where})."
        )
    return steps


def _bullets(items: list[str]) -> list[str]:
    """Each item as a bullet, wrapped at 100 columns."""
    return [
        line
        for item in items
        for line in textwrap.wrap(
            item,
            width=100,
            initial_indent="  - ",
            subsequent_indent="    ",
            break_on_hyphens=False,
            break_long_words=False,
        )
    ]


def _quiet_site(finished: dict[str, Any] | None) -> bool:
    """A run that read the site's sitemaps and failed nothing holds whatever they list: an old
    newest article is then a quiet site (the demo's), not a crawl gone wrong."""
    return bool(finished and finished.get("sitemaps_read") and not finished.get("failed"))


def notes(report: dict[str, Any]) -> list[str]:
    """What is worth knowing but needs no action (and leaves the exit status 0)."""
    finished = last_finished(report["runs"])
    age = report["archive"]["newest_article_age_days"]
    if age is not None and age > OLD_ARTICLE_DAYS and _quiet_site(finished):
        return [
            f"The newest article was published {age} days ago, and run {finished['id']} read "
            "the site's sitemaps without a failure: they list nothing newer. A quiet site, or "
            "sitemaps the site no longer updates: compare with its home page."
        ]
    return []


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_status(report: dict[str, Any], now: datetime | None = None) -> str:
    """The report as text for a terminal (fits 100 columns), control characters escaped."""
    now = now or datetime.now(UTC)
    a = report["archive"]
    lines = [f"Archive {a['path']}: {a['size_bytes'] / 2**20:.1f} MiB on disk"]
    lines.append(
        f"  {a['articles']} articles ({a['live']} live, {a['gone']} gone), "
        f"{a['versions']} versions, {a['captures']} captures"
    )
    newest = a["newest_article"]
    if newest:
        line = (
            f"  newest article published {newest['published_at']} "
            f"({_ago(newest['published_at'], now)}): {printable(newest['title'])}"
        )
        lines.append(line if len(line) <= 100 else line[:99] + "…")
    if busy := a.get("in_use_by"):
        lines.append(
            f"  in use now: a {busy.get('purpose', 'crawl')} (pid {busy.get('pid')}) since "
            f"{busy.get('since', '?')}"
        )
    runs = report["runs"]
    lines += ["", "Last runs (newest first)"]
    if runs:
        lines.append(
            f"  {'run':>4} {'started (UTC)':16} {'time':>5} {'outcome':9} {'health':9} "
            f"{'read':>4} {'new':>4} {'chg':>4} {'same':>4} {'304':>4} {'skip':>4} {'held':>4} "
            f"{'gone':>4} "
            f"{'fail':>4} {'KiB':>5}"
        )
    for r in runs:
        seconds = f"{r['seconds']}s" if r["seconds"] is not None else "-"
        measured = r.get("measured")
        lines.append(
            f"  {r['id']:>4} {(r['started_at'] or '')[:16].replace('T', ' '):16} "
            f"{seconds:>5} {r['outcome']:9} {r['health']:9} "
            f"{'-' if measured is None else measured:>4} "
            + " ".join(f"{r.get(k) or 0:>4}" for k in COUNTS)
            + f" {(r.get('bytes_downloaded') or 0) / 1024:>5.0f}"
        )
    if not runs:
        lines.append("  none yet")
    h = report["health"]
    if h["run_id"] is not None and h["fields"]:
        judged = next(r for r in runs if r["id"] == h["run_id"])
        compared = any(f["baseline_fill_rate"] is not None for f in h["fields"])
        runs_before = ", ".join(map(str, h.get("baseline_runs") or []))
        before = f"median of runs {runs_before}" if compared else "no baseline yet"
        lines += [
            "",
            f"Field health of run {h['run_id']}: {judged.get('verdict')}",
            f"  {'field':13} {'fill':>5} {'before':>6}  {'layer':9} (before: {before})",
        ]
        for f in h["fields"]:
            mark = "  DRIFT" if f["drifted"] else ""
            lines.append(
                f"  {f['field']:13} {_pct(f['fill_rate']):>5} {_pct(f['baseline_fill_rate']):>6}"
                f"  {f['layer'] or '-':9}{mark}"
            )
        if h.get("body_words_median") is not None:
            lines.append(
                "  body length (words): "
                + ", ".join(
                    f"{label} {h[key]:.0f}"
                    for label, key in (
                        ("p10", "body_words_p10"),
                        ("p25", "body_words_p25"),
                        ("median", "body_words_median"),
                        ("p75", "body_words_p75"),
                        ("p90", "body_words_p90"),
                    )
                )
            )
    if runs and runs[0].get("log_path"):
        lines.append(f"  log of run {runs[0]['id']}: {runs[0]['log_path']}")
    lines += ["", "Open alerts"]
    for alert in report["open_alerts"]:
        lines += textwrap.wrap(
            f"run {alert['run_id']}: {alert['alert']}",
            width=100,
            initial_indent="  ",
            subsequent_indent="    ",
            break_on_hyphens=False,
            break_long_words=False,
        )
    if not report["open_alerts"]:
        lines.append("  none")
    lines += ["", "Next steps", *_bullets(report["next_steps"])]
    if not report["next_steps"]:
        lines.append("  none: all is well")
    if report["notes"]:
        lines += ["", "Notes", *_bullets(report["notes"])]
    # Titles, URLs, alerts and errors came from sites: their control characters (terminal
    # escapes, line breaks) are shown escaped, each line stays one line.
    return "\n".join(printable(line.rstrip()) for line in lines)


def accept(db_path: str | Path, run_id: int) -> str:
    """Make run `run_id` the new baseline and store the new versions it held for review;
    returns a line saying so."""
    from lpscrape.archive import lock
    from lpscrape.archive.reparse import store_held
    from lpscrape.archive.runhealth import accept_run, ensure_health_tables
    from lpscrape.archive.store import Archive, open_database

    conn = _connect(db_path)  # refuses a missing or foreign file without creating anything
    try:
        row = conn.execute("SELECT outcome FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    finally:
        conn.close()
    if row is not None and row["outcome"] == "refused":
        raise ArchiveError(f"run {run_id} was refused and fetched nothing: it cannot be a baseline")
    lock.acquire(db_path, purpose="accept")
    try:
        archive = Archive(open_database(db_path))
        try:
            ensure_health_tables(archive.db)
            read = archive.db.execute(
                "SELECT articles FROM run_health WHERE run_id = ?", [run_id]
            ).fetchone()
            if read is not None and not read[0]:
                raise ArchiveError(
                    f"run {run_id} read no article: it cannot be a baseline (every later run "
                    "would look healthy against it)"
                )
            if not accept_run(archive.db, run_id):
                raise ArchiveError(f"run {run_id} has no recorded health in {db_path}")
            stored = store_held(archive, run_id)
        except BaseException:
            archive.abandon()  # all or nothing
            raise
        archive.close()
    finally:
        lock.release(db_path)
    held = f"; the {stored} new versions it held for review are stored" if stored else ""
    return (
        f"run {run_id} accepted: later runs are compared with it and the healthy runs after "
        f"it{held}"
    )
