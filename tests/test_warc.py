"""WARC export: every capture, byte for byte (a repeat as a `revisit`), readable by warcio."""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, free_port, run_cli, wait_for
from warcio.archiveiterator import ArchiveIterator

from lpscrape.archive.warc import export_warc
from lpscrape.demo.content import EDITS_IN_2, articles


def test_every_capture_round_trips_through_warc(demo_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "archive.warc.gz"
    written = export_warc(demo_archive, out)
    stored = (
        sqlite3.connect(demo_archive)
        .execute("SELECT url, status, sha256 FROM captures ORDER BY id")
        .fetchall()
    )
    assert written == len(stored)
    read, bodies = [], {}
    with out.open("rb") as fh:
        for record in ArchiveIterator(fh):
            headers = record.rec_headers
            if record.rec_type == "response":
                body = record.content_stream().read()
                key = (headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date"))
                bodies[key] = (headers.get_header("WARC-Payload-Digest"), body)
            elif record.rec_type == "revisit":  # the bytes of the record it refers to
                refers = (
                    headers.get_header("WARC-Refers-To-Target-URI"),
                    headers.get_header("WARC-Refers-To-Date"),
                )
                digest, body = bodies[refers]
                assert headers.get_header("WARC-Payload-Digest") == digest
            else:
                continue
            read.append(
                (
                    headers.get_header("WARC-Target-URI"),
                    int(record.http_headers.get_statuscode()),
                    hashlib.sha256(body).hexdigest(),
                )
            )
    assert read == stored
    assert len(bodies) < len(stored)  # the demo's second crawl repeats robots.txt, sitemaps…


def test_export_warc_command(demo_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.warc.gz"
    result = run_cli("export", "warc", "--db", str(demo_archive), "-o", str(out), check=True)
    conn = sqlite3.connect(demo_archive)
    count = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    revisits = conn.execute("SELECT count(*) FROM captures WHERE revisit_of IS NOT NULL")
    revisits = revisits.fetchone()[0]
    assert f"{count} captures written" in result.stderr
    with out.open("rb") as fh:
        kinds = [r.rec_type for r in ArchiveIterator(fh)]
    assert revisits and (kinds.count("response"), kinds.count("revisit")) == (
        count - revisits,
        revisits,
    )


def pywb_bin() -> Path | None:
    """The folder holding pywb's `wb-manager` and `wayback` (`make pywb`, $LPSCRAPE_PYWB_BIN
    or the PATH), or None."""
    candidates = [os.environ.get("LPSCRAPE_PYWB_BIN"), ROOT / ".pywb" / "bin"]
    found = shutil.which("wb-manager")
    candidates.append(str(Path(found).parent) if found else None)
    for folder in filter(None, candidates):
        if (Path(folder) / "wb-manager").exists() and (Path(folder) / "wayback").exists():
            return Path(folder)
    return None


@pytest.mark.skipif(pywb_bin() is None, reason="pywb not installed: `make pywb` installs it")
def test_the_warc_export_replays_in_pywb(demo_archive: Path, tmp_path: Path) -> None:
    """The README's replay recipe: each capture comes back as it was served, at its time."""
    folder = pywb_bin()
    warc = tmp_path / "archive.warc.gz"
    run_cli("export", "warc", "--db", str(demo_archive), "-o", str(warc), check=True)
    for args in (["init", "lordspress"], ["add", "lordspress", str(warc)]):
        subprocess.run(
            [folder / "wb-manager", *args], cwd=tmp_path, check=True, capture_output=True
        )
    retitled = EDITS_IN_2["retitle"]
    before = next(a for a in articles(1) if a.id == retitled)
    after = next(a for a in articles(2) if a.id == retitled)
    (url, first, _), (_, second, _) = (
        sqlite3.connect(demo_archive)
        .execute(
            "SELECT v.url, c.fetched_at, v.version FROM article_versions v "
            "JOIN captures c ON c.id = v.capture_id WHERE v.url LIKE ? ORDER BY v.version",
            ("%" + before.path,),
        )
        .fetchall()
    )
    port = free_port()
    wayback = subprocess.Popen(
        [folder / "wayback", "-p", str(port), "-b", "127.0.0.1"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        replay = f"http://127.0.0.1:{port}/lordspress"
        wait_for(f"{replay}/")

        def title_at(fetched_at: str) -> str:
            stamp = re.sub(r"\D", "", fetched_at)[:14]
            page = wait_for(f"{replay}/{stamp}mp_/{url}").decode()
            return html.unescape(re.search(r"<title>(.*?) – Lord", page)[1])

        assert title_at(first) == before.title  # version 1, as captured by the first crawl
        assert title_at(second) == after.title  # version 2, as the second crawl saw it
    finally:
        wayback.terminate()
        wayback.wait(timeout=10)
