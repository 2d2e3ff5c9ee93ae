"""A plugin that adds the same paragraph inside every article's content: the new versions
are the page's, but the archivist hears that they look like boilerplate, not edits."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import DemoServer, crawl, query

from lpscrape.archive.boilerplate import shared_additions

PROMO = "Become a member of Lord's Press and support independent diplomatic reporting."


def test_a_paragraph_every_article_gained_at_once_is_named_in_an_alert(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(demo_server, db)
    demo_server.site.promo = PROMO  # the dates, lastmod and validators do not move
    result = crawl(demo_server, db, "--full", check=False)

    [(changed,)] = query(db, "SELECT changed FROM crawl_runs WHERE id = 2")
    assert changed == len(demo_server.site.articles)  # the page changed: versions stored
    assert result.returncode == 3, result.stderr
    [line] = [a for a in json.loads(query(db, "SELECT alerts FROM crawl_runs WHERE id = 2")[0][0])
              if "gained the same paragraph" in a]  # fmt: skip
    assert line.startswith(f"{changed} of the {changed} articles changed in this run gained")
    assert f"“{PROMO}”" in line and "boilerplate" in line
    assert f"lpscrape: ALERT: {line}" in result.stderr


def test_an_edit_of_a_few_articles_is_not_boilerplate(demo_archive: Path) -> None:
    # The demo's second edition edits articles one by one: no paragraph is shared.
    runs = [r for (r,) in query(demo_archive, "SELECT id FROM crawl_runs ORDER BY id")]
    conn = sqlite3.connect(demo_archive)
    assert all(shared_additions(conn, run) == [] for run in runs)
