"""WARC export: every capture, byte for byte (a repeat as a `revisit`), readable by warcio."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from lpscrape.archive.warc import export_warc


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
    from conftest import run_cli

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
