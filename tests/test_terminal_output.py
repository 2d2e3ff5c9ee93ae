"""Scraped text printed on a terminal (`lpscrape status`, `lpscrape cite`) shows its control
characters escaped: a title cannot retitle the window, move the cursor or hide a line. JSON
stays the same JSON, with the data exact."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import bibtexparser
import pytest
from conftest import query, run_cli

from lpscrape.terminal import printable, printable_json

# OSC 0 (set the window title) ended by BEL, a CSI as one C1 character, DEL, a line break.
HOSTILE = "Budget passes \x1b]0;pwned\x07today \x9b2J cleared\x7f\nFAKE LINE"
SHOWN = "Budget passes \\x1b]0;pwned\\x07today \\x9b2J cleared\\x7f\\x0aFAKE LINE"
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # any but \t and \n


def test_printable_escapes_c0_and_c1_controls_keeping_what_it_is_told() -> None:
    assert printable(HOSTILE) == SHOWN
    assert printable("a\tb\nc\x1b", keep="\n\t") == "a\tb\nc\\x1b"
    assert printable("Schön — «ZÜRICH»") == "Schön — «ZÜRICH»"  # printable text as it is
    text = printable_json({"t": HOSTILE}, indent=2)
    assert not CONTROLS.search(text) and json.loads(text) == {"t": HOSTILE}


@pytest.fixture
def hostile_archive(demo_archive: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the demo archive whose newest article has a hostile title in every
    version; the article's URL."""
    db = tmp_path / "archive.db"
    src, dst = sqlite3.connect(demo_archive), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    url = dst.execute(
        "SELECT url FROM articles WHERE published_at IS NOT NULL ORDER BY published_at DESC LIMIT 1"
    ).fetchone()[0]
    dst.execute("UPDATE articles SET title = ? WHERE url = ?", [HOSTILE, url])
    dst.execute("UPDATE article_versions SET title = ? WHERE url = ?", [HOSTILE, url])
    dst.commit()
    dst.close()
    return db, url


def test_status_shows_a_hostile_newest_title_escaped(hostile_archive: tuple[Path, str]) -> None:
    db, _ = hostile_archive
    result = run_cli("status", "--db", str(db))
    assert result.returncode in (0, 3), result.stderr
    assert not CONTROLS.search(result.stdout)
    [line] = [line for line in result.stdout.splitlines() if "newest article published" in line]
    assert "): Budget passes \\x1b]0;pwned\\x07" in line and len(line) <= 100  # cut at 100
    assert "FAKE LINE" not in result.stdout  # no line of its own


def test_status_json_keeps_the_title_exact_with_no_raw_control(
    hostile_archive: tuple[Path, str],
) -> None:
    db, _ = hostile_archive
    result = run_cli("status", "--db", str(db), "--json")
    assert result.returncode in (0, 3), result.stderr
    assert not CONTROLS.search(result.stdout)  # json.dumps left \x7f and \x9b raw
    assert json.loads(result.stdout)["archive"]["newest_article"]["title"] == HOSTILE


def test_cite_text_and_bibtex_show_a_hostile_title_escaped(
    hostile_archive: tuple[Path, str],
) -> None:
    db, url = hostile_archive
    text = run_cli("cite", url, "--db", str(db), check=True).stdout
    assert not CONTROLS.search(text) and text.count("\n") == 1
    assert f"“{SHOWN}.”" in text
    bibtex = run_cli("cite", url, "--db", str(db), "--format", "bibtex", check=True).stdout
    assert not CONTROLS.search(bibtex)
    [entry] = bibtexparser.parse_string(bibtex).entries  # its line breaks kept: still BibTeX
    assert entry["title"] == "{" + SHOWN.replace("\\", r"\textbackslash{}") + "}"  # valid TeX


def test_cite_csl_json_keeps_the_title_exact_with_no_raw_control(
    hostile_archive: tuple[Path, str],
) -> None:
    db, url = hostile_archive
    out = run_cli("cite", url, "--db", str(db), "--format", "csl-json", check=True).stdout
    assert not CONTROLS.search(out)
    [item] = json.loads(out)
    assert item["title"] == HOSTILE
    assert query(db, "SELECT title FROM articles WHERE url = ?", (url,)) == [(HOSTILE,)]


def test_the_crawl_summary_shows_an_alert_quoting_a_title_as_text() -> None:
    from lpscrape.crawl import format_summary

    counts = dict.fromkeys(
        ["requests", "fetched", "bytes_downloaded", "new", "changed", "unchanged",
         "not_modified", "skipped", "gone", "held", "failed", "warning_count"], 0
    )  # fmt: skip
    summary = {
        "id": 1, "outcome": "completed", "mode": "full", "started_at": "a", "finished_at": "b",
        "warnings": {}, "failures": {}, "alerts": ["held for review: \x1b]0;PWNED\x07 Title"],
        **counts,
    }  # fmt: skip
    text = format_summary(summary)
    assert "\x1b" not in text and "\x07" not in text
    assert "ALERT: held for review: \\x1b]0;PWNED\\x07 Title" in text
    assert text.count("\n") == 4  # its own line breaks kept
