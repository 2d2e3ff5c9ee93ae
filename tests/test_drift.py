"""Real crawls of the sample site, healthy then after a theme update on some templates:
the drifting run is named, and the alert reaches a command, a webhook and sendmail."""

from __future__ import annotations

import json
import re
import sys
from email import message_from_bytes
from pathlib import Path

import pytest
from conftest import RESTYLED, Webhook, calls, crawl, free_port, query, recorder, run_cli
from faultsite import FaultSite

from lpscrape.demo import DemoServer, DemoSite, serve
from lpscrape.demo.content import ADDED_IN_2, EDITED_IN_2, articles


def test_a_theme_change_on_some_templates_is_caught_named_and_sent(
    demo_server: DemoServer, tmp_path: Path, webhook: Webhook
) -> None:
    db = tmp_path / "archive.db"
    command, command_calls = recorder(tmp_path, "command")
    sendmail, mail_calls = recorder(tmp_path, "sendmail")
    alerting = [
        "--full",
        "--set", f"LPSCRAPE_ALERT_COMMAND={command}",
        "--set", f"LPSCRAPE_ALERT_WEBHOOK={webhook.url}",
        "--set", "LPSCRAPE_ALERT_MAIL_TO=archivist@example.org",
        "--set", f"LPSCRAPE_SENDMAIL={sendmail}",
    ]  # fmt: skip
    for _ in range(4):  # three runs make the baseline; the fourth is judged against it
        result = crawl(demo_server, db, *alerting, check=False)
        assert result.returncode == 0, result.stderr
    assert query(db, "SELECT healthy, verdict FROM run_health WHERE run_id = 4") == [
        (1, "healthy against the median of runs 1, 2, 3")
    ]
    assert (calls(command_calls), webhook.posts, calls(mail_calls)) == ([], [], [])

    demo_server.site.restyled = RESTYLED
    result = crawl(demo_server, db, *alerting, check=False)

    assert result.returncode == 3  # completed with alerts
    # The restyled pages are held for review, not stored as the publisher's edits: every
    # article still says what it said, and the run counts and names the held versions.
    assert query(db, "SELECT count(*) FROM article_versions WHERE run_id = 5") == [(0,)]
    assert query(db, "SELECT count(*) FROM articles WHERE authors = '[]'") == [(0,)]
    [(held,)] = query(db, "SELECT held FROM crawl_runs WHERE id = 5")
    review = "SELECT count(*) FROM captures WHERE run_id = 5 AND review IS NOT NULL"
    assert held >= 20 and query(db, review) == [(held,)]
    assert (
        "authors, byline gone, with the headline's and the body's words unchanged" in result.stderr
    )
    drifted = {"authors", "byline", "dateline", "body_text"}
    assert query(db, "SELECT healthy, verdict FROM run_health WHERE run_id = 5") == [
        (0, "unhealthy: drift in authors, byline, dateline, body_text")
    ]
    flagged = {f for (f,) in query(db, "SELECT field FROM run_field_health WHERE drifted = 1")}
    assert flagged == drifted
    figures = dict(
        query(db, "SELECT field, fill_rate FROM run_field_health WHERE run_id = 5 AND drifted")
    )
    assert figures["authors"] == pytest.approx(38 / 48) and figures["dateline"] == 26 / 48
    [paragraph] = [
        a for a in json.loads(query(db, "SELECT alerts FROM crawl_runs")[-1][0]) if "drifted" in a
    ]
    assert f"lpscrape: ALERT: {paragraph}" in result.stderr
    assert "authors filled on 79% of articles (38 of 48), down from 100%" in paragraph
    assert "dateline filled on 54% of articles (26 of 48), down from 79%" in paragraph
    assert "body_text from the generic fallback on 19% (9 of 48), up from 0%" in paragraph
    by_template = {demo_server.base_url + a.path: a.categories[0].slug for a in articles(1)}
    examples = json.loads(query(db, "SELECT findings FROM run_health WHERE run_id = 5")[0][0])
    assert {f["field"] for f in examples} == drifted
    for finding in examples:
        expected = {"authors": "nobility", "byline": "nobility", "dateline": "diplomacy"}
        template = expected.get(finding["field"], "protocol")
        assert finding["examples"] and {by_template[u] for u in finding["examples"]} == {template}

    [command_call] = calls(command_calls)
    assert "unhealthy: authors, body_text, byline, dateline" in command_call["stdin"]
    assert paragraph in command_call["stdin"]
    [post] = webhook.posts
    assert post["type"].startswith("application/json")
    assert post["json"]["run_id"] == 5 and post["json"]["healthy"] is False
    assert {f["field"] for f in post["json"]["findings"]} == drifted
    assert paragraph in post["json"]["alerts"]
    [mail_call] = calls(mail_calls)
    assert mail_call["argv"] == ["-t", "-oi"]
    mail = message_from_bytes(mail_call["stdin"].encode())
    assert mail["To"] == "archivist@example.org"
    assert mail["Subject"] == "[lpscrape] run 5 unhealthy: authors, body_text, byline, dateline"
    assert paragraph in mail.get_payload(decode=True).decode()
    assert json.loads(query(db, "SELECT deliveries FROM run_health WHERE run_id = 5")[0][0]) == {
        "command": "ok",
        "webhook": "ok",
        "mail": "ok",
    }

    status = run_cli("status", "--db", str(db))
    assert status.returncode == 3  # an unhealthy run is open
    status = status.stdout
    assert re.search(r"^ +5 .* completed UNHEALTHY +48 ", status, re.M)
    assert "healthy against the median of runs 1, 2, 3" not in status  # run 5 is shown
    assert (
        "Field health of run 5: unhealthy: drift in authors, byline, dateline, body_text" in status
    )
    assert status.count(" healthy ") >= 4  # runs 1-4 in the table
    assert "--accept 5" in status


def test_a_small_run_raises_no_false_alarm(demo_server: DemoServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    command, command_calls = recorder(tmp_path, "command")
    for _ in range(3):
        crawl(demo_server, db, "--full")
    # The next edition's new articles come with a template that prints no byline; the run
    # reads only what changed (no health sample): fewer articles than the minimum (20 here).
    new = {a.id: a for a in articles(2)}
    template = new[ADDED_IN_2[0]].categories[0].slug
    demo_server.site.restyled = {template: {"byline"}}
    demo_server.site.edition = 2
    result = crawl(
        demo_server, db, "--set", "LPSCRAPE_HEALTH_SAMPLE=0", "--set",
        "LPSCRAPE_DRIFT_MIN_ARTICLES=20", "--set", f"LPSCRAPE_ALERT_COMMAND={command}",
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    read = len(ADDED_IN_2) + len(EDITED_IN_2)
    assert read < 20
    assert query(db, "SELECT articles, healthy, verdict FROM run_health WHERE run_id = 4") == [
        (read, None, f"not judged: {read} articles read in full, fewer than 20 "
         "(LPSCRAPE_DRIFT_MIN_ARTICLES)")
    ]  # fmt: skip
    missing = query(
        db, "SELECT filled < measured FROM run_field_health WHERE run_id = 4 AND field = 'authors'"
    )
    assert missing == [(1,)]  # the byline did go missing: it is measured, not alarmed on
    assert query(db, "SELECT alerts FROM crawl_runs WHERE id = 4") == [("[]",)]
    assert calls(command_calls) == []


def test_an_incremental_night_reads_a_sample_and_catches_a_site_wide_change(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    for _ in range(2):
        start = len(demo_server.site.requests)
        crawl(demo_server, db)  # nothing new: only the health sample is read
        reads = [r for r in demo_server.site.requests[start:] if r.path.startswith("/20")]
        assert len(reads) == 40 and not [r for r in reads if "If-None-Match" in r.headers]
    assert query(db, "SELECT articles, reread, found, healthy FROM run_health ORDER BY run_id") == [
        (48, 0, 48, 1),
        (40, 40, 48, 1),
        (40, 40, 48, 1),
    ]
    demo_server.site.restyled = {c.slug: {"body"} for a in articles(1) for c in a.categories}
    result = crawl(demo_server, db, check=False)
    assert result.returncode == 3
    assert "body_text from the generic fallback on 100% (40 of 40), up from 0%" in result.stderr
    assert query(db, "SELECT healthy FROM run_health WHERE run_id = 4") == [(0,)]


def test_accepting_an_intended_change_makes_it_the_baseline(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    quick = ("--full", "--set", "LPSCRAPE_DRIFT_MIN_RUNS=1")
    crawl(demo_server, db, *quick)
    demo_server.site.restyled = {"diplomacy": {"dateline"}, "world-affairs": {"dateline"}}
    assert crawl(demo_server, db, *quick, check=False).returncode == 3
    assert query(db, "SELECT healthy FROM run_health WHERE run_id = 2") == [(0,)]
    assert query(db, "SELECT count(*) FROM article_versions WHERE run_id = 2") == [(0,)]
    accepted = run_cli("status", "--db", str(db), "--accept", "2", check=True)
    [(held,)] = query(db, "SELECT held FROM crawl_runs WHERE id = 2")
    assert held > 0 and f"the {held} new versions it held for review are stored" in accepted.stdout
    # Accepted as the site's own change: what run 2 held is stored as new versions.
    restyled = "SELECT count(*) FROM article_versions WHERE run_id = 2 AND dateline IS NULL"
    assert query(db, restyled) == [(held,)]
    assert crawl(demo_server, db, *quick, check=False).returncode == 0
    assert query(db, "SELECT healthy, baseline_runs FROM run_health WHERE run_id = 3") == [
        (1, "[2]")
    ]
    report = json.loads(run_cli("status", "--db", str(db), "--json").stdout)
    assert report["open_alerts"] == [] and report["runs"][1]["health"] == "accepted"
    run_cli("status", "--db", str(db), "--accept", "2", check=True)  # accepted twice
    [(verdict,)] = query(db, "SELECT verdict FROM run_health WHERE run_id = 2")
    assert verdict.startswith("accepted as the new baseline (was: ") and verdict.count("was:") == 1
    # Re-extracted offline, the archive still holds what was accepted: the accepted run's
    # captures are applied as the site's own change, not held again.
    before = query(db, "SELECT url, version, dateline FROM articles ORDER BY url")
    reparsed = run_cli("reparse", "--db", str(db), check=True)
    assert "held" not in reparsed.stdout
    assert query(db, "SELECT url, version, dateline FROM articles ORDER BY url") == before
    assert query(db, restyled) == [(held,)]


def test_a_run_that_read_no_article_cannot_be_the_baseline(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    for article in articles(1):  # a night the site answered every article with an error
        demo_server.site.faults[article.path] = [500]
    quick = ("--set", "RETRY_TIMES=0", "--set", "RETRY_BACKOFF_BASE=0")
    crawl(demo_server, db, "--full", *quick, check=False)
    assert query(db, "SELECT articles FROM run_health WHERE run_id = 2") == [(0,)]
    result = run_cli("status", "--db", str(db), "--accept", "2")
    assert result.returncode == 2
    assert "run 2 read no article: it cannot be a baseline" in result.stderr
    assert query(db, "SELECT accepted_at FROM run_health WHERE run_id = 2") == [(None,)]


@pytest.mark.parametrize(("section", "part"), [("heraldry", "dateline"), ("nobility", "byline")])
def test_one_section_restyled_is_caught_on_an_incremental_night(
    tmp_path: Path, section: str, part: str
) -> None:
    db = tmp_path / "archive.db"
    with serve(DemoSite()) as server:  # incremental nights: 40 articles read again, 8 skipped
        for _ in range(4):
            assert crawl(server, db, check=False).returncode == 0
        server.site.restyled = {section: {part}}  # one category's template only
        result = crawl(server, db, check=False)
    assert result.returncode == 3, result.stderr
    assert query(db, "SELECT reread, healthy FROM run_health WHERE run_id = 5") == [(40, 0)]
    assert part in query(db, "SELECT verdict FROM run_health WHERE run_id = 5")[0][0]
    lost = "SELECT lost FROM run_field_health WHERE run_id = 5 AND field = ? AND drifted = 1"
    assert query(db, lost, (part,))[0][0] >= 3  # the sample read that section's articles


def test_the_weather_widget_gone_is_caught_against_the_last_n_healthy_runs(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    rules = ("--set", "LPSCRAPE_DRIFT_RUNS=2", "--set", "LPSCRAPE_DRIFT_MIN_RUNS=2")
    with serve(DemoSite()) as server:
        for _ in range(4):
            assert crawl(server, db, *rules, check=False).returncode == 0
        # The header's widget gone from every template: the capture's weather, not the article's.
        server.site.restyled = {c.slug: {"weather"} for a in articles(1) for c in a.categories}
        result = crawl(server, db, *rules, check=False)
    assert result.returncode == 3, result.stderr
    judged = "SELECT baseline_runs, healthy, verdict FROM run_health WHERE run_id = ?"
    assert query(db, judged, (4,)) == [("[2, 3]", 1, "healthy against the median of runs 2, 3")]
    assert query(db, judged, (5,)) == [("[3, 4]", 0, "unhealthy: drift in weather")]
    assert "weather filled on 0% of articles (0 of 40), down from 100%" in result.stderr
    assert query(db, "SELECT count(*) FROM article_versions WHERE run_id = 5") == [(0,)]


def test_a_few_publisher_edits_in_a_full_crawl_raise_no_false_alarm(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    site = FaultSite(size=48)  # the whole sample site, any page of which can be rewritten
    sections: dict[str, str] = {}  # one article with a dateline in each of three sections
    for a in site.articles:
        if a.dateline and a.categories[0].slug not in sections and len(sections) < 3:
            sections[a.categories[0].slug] = a.path
    with serve(site) as server:
        assert crawl(server, db, check=False).returncode == 0
        dateline = re.compile("<p>[^<]{2,40} — ".encode())  # "<p>KØBENHAVN — "
        for path in sections.values():  # the publisher drops the dateline from each
            site.rewrites[path] = lambda body: dateline.sub(b"<p>", body, count=1)
        result = crawl(server, db, "--full", check=False)
    lost = query(db, "SELECT lost, drifted FROM run_field_health WHERE run_id = 2 AND field = ?",
                 ("dateline",))  # fmt: skip
    assert lost == [(3, 0)]  # three lost it, among some thirty read again in their sections
    assert (result.returncode, result.stderr) == (0, "")


def test_failing_alert_actions_are_one_line_each_and_the_archive_is_kept(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    dead = Webhook(status=500)
    alerts_file = tmp_path / "alerts.toml"
    broken_sendmail = tmp_path / "broken-sendmail"
    broken_sendmail.write_text("#!/bin/sh\nexit 75\n")
    broken_sendmail.chmod(0o755)
    alerts_file.write_text(
        f'command = ["{sys.executable}", "-c", "import sys; sys.exit(4)"]\n'
        f'webhook = "{dead.url}"\n'
        'mail_to = ["archivist@example.org"]\n'
        f'sendmail = "{broken_sendmail}"\n'
    )
    broken = articles(1)[7]
    demo_server.site.faults[broken.path] = [500] * 5  # an alert: one request fails
    try:
        result = crawl(
            demo_server, db, "--set", f"LPSCRAPE_ALERTS_FILE={alerts_file}",
            "--set", "RETRY_BACKOFF_BASE=0.05", check=False,
        )  # fmt: skip
    finally:
        dead.close()
    assert result.returncode == 3  # the run's own status: completed with an alert
    assert "Traceback" not in result.stderr
    failures = [
        line for line in result.stderr.splitlines() if "alert " in line and "failed" in line
    ]
    assert len(failures) == 3
    assert all(line.startswith("lpscrape: alert ") for line in failures), failures  # as every line
    assert any("alert command for run 1 failed: exit status 4" in line for line in failures)
    assert any("alert webhook for run 1 failed: HTTP 500" in line for line in failures)
    # the alerts file's own sendmail, not the default one (settings never override the file)
    refused = f"{broken_sendmail} exit status 75"
    assert any("alert mail for run 1 failed:" in line and refused in line for line in failures)
    assert len(dead.posts) == 1  # it was called, and said no
    assert query(db, "SELECT count(*) FROM articles") == [(47,)]
    deliveries = json.loads(query(db, "SELECT deliveries FROM run_health")[0][0])
    assert deliveries["webhook"] == "failed: HTTP 500 Internal Server Error"
    status = run_cli("status", "--db", str(db))
    assert status.returncode == 3 and "Alerts of run 1 did not all arrive" in status.stdout


@pytest.mark.parametrize("content", [None, 'webhook = "http://127.0.0.1:9/"\nmailto = 1\n'])
def test_a_crawl_whose_alerts_could_not_be_sent_is_refused_before_it_starts(
    demo_server: DemoServer, tmp_path: Path, content: str | None
) -> None:
    alerts_file = tmp_path / "alerts.toml"  # missing, or with a misspelt key
    if content is not None:
        alerts_file.write_text(content)
    demo_server.site.requests.clear()
    result = crawl(
        demo_server, tmp_path / "archive.db", "--set", f"LPSCRAPE_ALERTS_FILE={alerts_file}",
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("lpscrape: crawl refused: ") and str(alerts_file) in line
    assert line.endswith("no alert could be sent")
    assert demo_server.site.requests == [] and not (tmp_path / "archive.db").exists()
    # The distributed writer, which sends the runs' alerts, is refused the same way (before it
    # even looks for its Redis, here a port where none listens).
    store = run_cli(
        "store", "--redis", "redis://127.0.0.1:9/0", "--db", str(tmp_path / "archive.db"),
        "--set", f"LPSCRAPE_ALERTS_FILE={alerts_file}",
    )  # fmt: skip
    assert store.returncode == 2 and store.stderr.startswith("lpscrape: writer refused: ")
    assert not (tmp_path / "archive.db").exists()


def test_each_run_has_its_own_log_file_and_old_ones_are_removed(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    for _ in range(3):
        crawl(demo_server, db, "--set", "LPSCRAPE_LOG_KEEP=2")
    paths = [Path(p) for (p,) in query(db, "SELECT log_path FROM run_health ORDER BY run_id")]
    assert len(set(paths)) == 3 and all(p.parent == tmp_path / "logs" for p in paths)
    assert sorted((tmp_path / "logs").iterdir()) == paths[1:]  # the oldest was rotated away
    text = paths[-1].read_text()
    assert "Spider opened" in text and "INFO" in text  # the file keeps INFO; the console did not


def test_a_demo_site_restyle_is_only_on_its_template() -> None:
    site = DemoSite()
    site.restyled = {"nobility": {"byline"}}
    nobility = next(a for a in articles(1) if a.categories[0].slug == "nobility")
    other = next(a for a in articles(1) if a.categories[0].slug != "nobility")
    assert b'rel="author"' not in site.respond("GET", nobility.path, {}).body
    assert b'rel="author"' in site.respond("GET", other.path, {}).body


def test_a_crawl_that_cannot_start_still_alerts(tmp_path: Path) -> None:
    command, command_calls = recorder(tmp_path, "command")
    nobody = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    result = run_cli(
        "crawl", "--start-url", nobody, "--db", str(tmp_path / "archive.db"),
        "--set", f"LPSCRAPE_ALERT_COMMAND={command}",
    )  # fmt: skip
    assert result.returncode == 2 and f"lpscrape: cannot reach {nobody}" in result.stderr
    [call] = calls(command_calls)
    assert call["stdin"].startswith("Crawl refused.")
    assert f"the crawl could not start: cannot reach {nobody}" in call["stdin"]


def test_a_run_that_reads_none_of_the_site_s_sitemaps_feed_or_api_says_so(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    first = crawl(demo_server, db)
    assert "sitemaps, feed or REST API" not in first.stderr
    api = [f"/wp-json/wp/v2/{name}" for name in ("posts", "categories", "tags")]
    for path in ("/sitemap_index.xml", "/wp-sitemap.xml", "/feed/", *api):  # the site lost them
        demo_server.site.faults[path] = [404] * 5
    result = crawl(demo_server, db, check=False)
    assert result.returncode == 3
    [line] = [a for a in result.stderr.splitlines() if "sitemaps, feed or REST API" in a]
    assert line.startswith("lpscrape: ALERT: none of the site's sitemaps, feed or REST API")
    assert "articles were found through listing pages only" in line
