"""WARC (ISO 28500) export of the stored captures, through warcio."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from sqlite_utils import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from lpscrape import __version__

# The body is kept decoded (as Scrapy received it), so these would misdescribe it.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def _warc_date(fetched_at: str) -> str:
    return fetched_at.replace("+00:00", "Z")


def _http_headers(status: int, headers_json: str | None, size: int) -> StatusAndHeaders:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [
        (name, value)
        for name, values in json.loads(headers_json or "{}").items()
        if name.lower() not in _DROP_HEADERS
        for value in values
    ]
    headers.append(("Content-Length", str(size)))
    return StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")


def _rows(db: Database, run_id: int | None) -> Iterator[tuple]:
    sql = "SELECT url, fetched_at, status, headers, body_gzip, size FROM captures"
    params: list[int] = []
    if run_id is not None:
        sql += " WHERE run_id = ?"
        params.append(run_id)
    yield from db.conn.execute(sql + " ORDER BY id", params)


def write_warc(db: Database, out: BinaryIO, run_id: int | None = None) -> int:
    """Write every capture (or one run's) as WARC response records; returns how many."""
    writer = WARCWriter(out, gzip=True)
    info = {"software": f"lpscrape/{__version__}", "format": "WARC File Format 1.1"}
    writer.write_record(writer.create_warcinfo_record("lpscrape.warc.gz", info))
    count = 0
    for url, fetched_at, status, headers, body_gzip, size in _rows(db, run_id):
        body = gzip.decompress(body_gzip) if body_gzip else b""
        record = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=_http_headers(status, headers, size or 0),
            warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
        )
        writer.write_record(record)
        count += 1
    return count


def export_warc(db_path: str | Path, output: str | Path, run_id: int | None = None) -> int:
    """Write the archive's captures to a `.warc.gz` file."""
    db = Database(str(db_path))
    try:
        db.execute("SELECT count(*) FROM captures")  # a foreign file fails before any output
        with open(output, "wb") as out:
            return write_warc(db, out, run_id)
    finally:
        db.close()
