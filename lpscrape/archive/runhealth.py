"""The archive's side tables of run health: `run_health` and `run_field_health`, by run id."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sqlite_utils import Database

from lpscrape.clock import utc_now
from lpscrape.health import EXAMPLES, FIELDS, Finding, RunFigures, RunHealth

from .review import held_fields
from .schema import SECTION_SQL

HEALTH_TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
    "run_health": (
        {
            "run_id": int,
            "measured_at": str,
            "articles": int,  # articles extracted in full and measured
            "reread": int,  # of which already in the archive (changed or unchanged)
            "found": int,  # articles the run found: fetched, not modified or skipped
            "degraded": int,  # articles missing a key field or extracted by the fallback
            "healthy": int,  # 1 healthy, 0 unhealthy, NULL not judged
            "verdict": str,
            "baseline_runs": str,  # JSON array of run ids
            "body_words_p10": float,
            "body_words_p25": float,
            "body_words_median": float,
            "body_words_p75": float,
            "body_words_p90": float,
            "fallback_share": float,  # share of bodies from the generic fallback
            "findings": str,  # JSON array of drift findings
            "alert": str,  # the drift alert paragraph, or NULL
            "log_path": str,
            "deliveries": str,  # JSON object: alert action -> "ok" or what went wrong
            "accepted_at": str,  # when the archivist accepted the run as the new baseline
        },
        "run_id",
    ),
    "run_field_health": (
        {
            "run_id": int,
            "field": str,
            "measured": int,
            "filled": int,
            "fill_rate": float,
            "baseline_fill_rate": float,
            "layer": str,  # jsonld | meta | theme | text | fallback | api
            "sources": str,  # JSON object: source -> articles
            "fallback": int,
            "fallback_share": float,
            "lost": int,
            "drifted": int,
            "missing_examples": str,  # JSON array of URLs
        },
        ("run_id", "field"),
    ),
}
# Fields of `article_versions` whose loss between two versions is a sign of drift.
_VERSION_FIELDS = tuple(f for f in FIELDS if f != "weather")
_LIST_FIELDS = ("authors", "categories", "tags")


def ensure_health_tables(db: Database) -> None:
    """Create the run-health side tables if they are missing."""
    for name, (columns, pk) in HEALTH_TABLES.items():
        db[name].create(
            columns, pk=pk, foreign_keys=[("run_id", "crawl_runs", "id")], if_not_exists=True
        )


def _empty(name: str, value: Any) -> bool:
    if name in _LIST_FIELDS:
        return value in (None, "", "[]")
    return value in (None, "")


class Lost(NamedTuple):
    """Articles of a run that lost a field their previous version had."""

    count: int
    examples: list[str]
    read_in_sections: int  # articles read again in the run in those articles' sections


def lost_fields(db: Database, run_id: int, shrink: float) -> dict[str, Lost]:
    """Per field: articles whose new version (this run) lost what their previous one had,
    and how many articles the run read again in the same sections (primary categories): a
    template's change shows as a share of its own section, not of the whole site."""
    cols = ", ".join(f"p.[{f}], v.[{f}]" for f in _VERSION_FIELDS)
    rows = db.execute(
        f"SELECT v.url, {SECTION_SQL}, p.word_count, v.word_count, {cols} FROM article_versions v "
        "JOIN article_versions p ON p.url = v.url AND p.version = v.version - 1 "
        "JOIN articles a ON a.url = v.url WHERE v.run_id = ? ORDER BY v.id",
        [run_id],
    ).fetchall()
    losses: list[tuple[str, str | None, str]] = []
    for url, section, before_words, after_words, *pairs in rows:
        for i, name in enumerate(_VERSION_FIELDS):
            before, after = pairs[2 * i], pairs[2 * i + 1]
            if name == "body_text":
                gone = bool(before_words) and (after_words or 0) < shrink * before_words
            else:
                gone = not _empty(name, before) and _empty(name, after)
            if gone:
                losses.append((name, section, url))
    # New versions held for review, not stored, lost what their reason says.
    for url, section, review in db.execute(
        f"SELECT c.article_url, {SECTION_SQL}, c.review FROM captures c "
        "JOIN articles a ON a.url = c.article_url "
        "WHERE c.run_id = ? AND c.review IS NOT NULL ORDER BY c.id",
        [run_id],
    ).fetchall():
        losses += [(name, section, url) for name in held_fields(review)]
    found: dict[str, tuple[int, list[str], set[str | None]]] = {}
    for name, section, url in losses:
        count, examples, sections = found.get(name, (0, [], set()))
        found[name] = (count + 1, [*examples, url][:EXAMPLES], sections | {section})
    if not found:
        return {}
    # Read again in this run (changed, unchanged or held), first seen in an earlier one.
    read_again = dict(
        db.execute(
            f"SELECT {SECTION_SQL}, count(DISTINCT a.url) FROM captures c "
            "JOIN articles a ON a.url = c.article_url "
            "JOIN captures f ON f.id = a.first_capture_id "
            "WHERE c.run_id = ? AND f.run_id != ? AND c.kind = 'article' AND c.status = 200 "
            "AND c.failure IS NULL GROUP BY 1",
            [run_id, run_id],
        ).fetchall()
    )
    return {
        name: Lost(count, examples, sum(read_again.get(s, 0) for s in sections))
        for name, (count, examples, sections) in found.items()
    }


def baseline_figures(db: Database, run_id: int, window: int) -> list[RunFigures]:
    """The last `window` healthy runs of the same publication before `run_id`, none before an
    accepted one; oldest first (one publication is never judged by another's figures)."""
    same = (
        "run_id IN (SELECT id FROM crawl_runs WHERE publication IS "
        "(SELECT publication FROM crawl_runs WHERE id = :run))"
    )
    accepted = db.execute(
        "SELECT max(run_id) FROM run_health WHERE accepted_at IS NOT NULL AND run_id < :run "
        f"AND {same}",
        {"run": run_id},
    ).fetchone()[0]
    runs = db.execute(
        "SELECT run_id, articles, found, body_words_median FROM run_health "
        f"WHERE healthy = 1 AND run_id < :run AND run_id >= :after AND {same} "
        "ORDER BY run_id DESC LIMIT :window",
        {"run": run_id, "after": accepted or 0, "window": window},
    ).fetchall()
    figures = []
    for rid, articles, found, body_median in reversed(runs):
        rows = db.execute(
            "SELECT field, fill_rate, fallback_share FROM run_field_health WHERE run_id = ?",
            [rid],
        ).fetchall()
        figures.append(
            RunFigures(
                run_id=rid,
                articles=articles or 0,
                found=found or 0,
                body_median=body_median,
                fill={f: rate for f, rate, _ in rows},
                fallback={f: share for f, _, share in rows},
            )
        )
    return figures


def save_run_health(
    db: Database,
    run_id: int,
    health: RunHealth,
    *,
    healthy: bool | None,
    verdict: str,
    baseline: list[RunFigures],
    findings: list[Finding],
    alert: str | None,
    log_path: str | None,
) -> None:
    """Write (or rewrite) one run's health rows."""
    q = health.body_quantiles
    body = health.fields["body_text"]
    db["run_health"].upsert(
        {
            "run_id": run_id,
            "measured_at": utc_now(),
            "articles": health.articles,
            "reread": health.reread,
            "found": health.found,
            "degraded": health.degraded,
            "healthy": None if healthy is None else int(healthy),
            "verdict": verdict,
            "baseline_runs": json.dumps([r.run_id for r in baseline]),
            "body_words_p10": q[0.1],
            "body_words_p25": q[0.25],
            "body_words_median": q[0.5],
            "body_words_p75": q[0.75],
            "body_words_p90": q[0.9],
            "fallback_share": body.fallback_share,
            "findings": json.dumps([f.to_dict() for f in findings], ensure_ascii=False),
            "alert": alert,
            "log_path": log_path,
        },
        pk="run_id",
    )
    for fh in health.fields.values():
        db["run_field_health"].upsert(
            {
                "run_id": run_id,
                "field": fh.field,
                "measured": fh.measured,
                "filled": fh.filled,
                "fill_rate": fh.fill_rate,
                "baseline_fill_rate": fh.baseline,
                "layer": fh.layer,
                "sources": json.dumps(dict(fh.sources.most_common())),
                "fallback": fh.fallback,
                "fallback_share": fh.fallback_share,
                "lost": fh.lost,
                "drifted": int(fh.drifted),
                "missing_examples": json.dumps(fh.missing_examples),
            },
            pk=("run_id", "field"),
        )


def append_run_alert(db: Database, run_id: int, alert: str) -> None:
    """Add an alert to the run's `crawl_runs.alerts`, so the exit status and cron see it."""
    row = db.execute("SELECT alerts FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        return
    alerts = json.loads(row[0] or "[]")
    if alert not in alerts:
        alerts.append(alert)
    db.execute(
        "UPDATE crawl_runs SET alerts = ? WHERE id = ?",
        [json.dumps(alerts, ensure_ascii=False), run_id],
    )


def record_deliveries(db: Database, run_id: int, deliveries: dict[str, str]) -> None:
    """Keep what became of each alert action for the run."""
    db.execute(
        "UPDATE run_health SET deliveries = ? WHERE run_id = ?",
        [json.dumps(deliveries, ensure_ascii=False), run_id],
    )


def accept_run(db: Database, run_id: int) -> bool:
    """Make a run the new baseline: later runs are compared with it and the runs after it."""
    row = db.execute("SELECT verdict FROM run_health WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        return False
    was = row[0] or ""
    if not was.startswith(ACCEPTED):  # accepted again: still what it was before the first time
        was = f"{ACCEPTED} (was: {was})"
    db.execute(
        "UPDATE run_health SET healthy = 1, accepted_at = ?, verdict = ? WHERE run_id = ?",
        [utc_now(), was, run_id],
    )
    return True


ACCEPTED = "accepted as the new baseline"
