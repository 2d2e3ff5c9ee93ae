"""WARC export: every capture, byte for byte, readable by warcio."""

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
    read = []
    with out.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                body = record.content_stream().read()
                read.append(
                    (
                        record.rec_headers.get_header("WARC-Target-URI"),
                        int(record.http_headers.get_statuscode()),
                        hashlib.sha256(body).hexdigest(),
                    )
                )
    assert read == stored


def test_export_warc_command(demo_archive: Path, tmp_path: Path) -> None:
    from conftest import run_cli

    out = tmp_path / "all.warc.gz"
    result = run_cli("export", "warc", "--db", str(demo_archive), "-o", str(out), check=True)
    count = sqlite3.connect(demo_archive).execute("SELECT count(*) FROM captures").fetchone()[0]
    assert f"{count} captures written" in result.stderr
    with out.open("rb") as fh:
        assert sum(r.rec_type == "response" for r in ArchiveIterator(fh)) == count
