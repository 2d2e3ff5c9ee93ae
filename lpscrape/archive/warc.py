"""WARC (ISO 28500) export of the stored captures, through warcio."""

from __future__ import annotations

import base64
import hashlib
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
from lpscrape.archive.payloads import Dictionaries
from lpscrape.archive.readonly import readonly_connection

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
    sql = (
        "SELECT id, url, fetched_at, status, headers, body_gzip, body_zstd, zstd_dict_id, size, "
        "revisit_of FROM captures"
    )
    params: list[int] = []
    if run_id is not None:
        sql += " WHERE run_id = ?"
        params.append(run_id)
    yield from db.conn.execute(sql + " ORDER BY id", params)


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes for a body (SHA-1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def write_warc(db: Database, out: BinaryIO, run_id: int | None = None) -> int:
    """Write every capture (or one run's) as WARC records; returns how many. A capture whose
    bytes an earlier one holds is a `revisit` record pointing to it (identical payload)."""
    writer = WARCWriter(out, gzip=True)
    info = {"software": f"lpscrape/{__version__}", "format": "WARC File Format 1.1"}
    writer.write_record(writer.create_warcinfo_record("lpscrape.warc.gz", info))
    originals: dict[int, tuple[str, str, str]] = {}  # capture id -> digest, URL, WARC-Date
    count = 0
    dictionaries = Dictionaries(db.conn)
    for capture_id, url, fetched_at, status, headers, gz, zst, dict_id, size, revisit_of in _rows(
        db, run_id
    ):
        http_headers = _http_headers(status, headers, size or 0)
        date = {"WARC-Date": _warc_date(fetched_at)}
        if revisit_of is not None:
            if revisit_of not in originals:
                row = db.conn.execute(
                    "SELECT url, fetched_at, body_gzip, body_zstd, zstd_dict_id FROM captures "
                    "WHERE id = ?",
                    [revisit_of],
                ).fetchone()
                body = dictionaries.body(*row[2:])
                originals[revisit_of] = (payload_digest(body), row[0], _warc_date(row[1]))
            digest, original_url, original_date = originals[revisit_of]
            record = writer.create_revisit_record(
                url, digest, original_url, original_date, http_headers, date
            )
        else:
            body = dictionaries.body(gz, zst, dict_id)
            record = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http_headers,
                warc_headers_dict=date,
            )
            originals[capture_id] = (payload_digest(body), url, date["WARC-Date"])
        writer.write_record(record)
        count += 1
    return count


def export_warc(db_path: str | Path, output: str | Path, run_id: int | None = None) -> int:
    """Write the archive's captures to a `.warc.gz` file. The archive is read read-only; the
    file is written beside `output` under a name no one can predict and renamed over it once
    complete (never truncated first); `output` may not be the archive itself."""
    from lpscrape.export import atomic_file, refuse_archive_as_output

    refuse_archive_as_output(db_path, output, "export warc")
    conn = readonly_connection(db_path)
    try:
        db = Database(conn)
        db.execute("SELECT count(*) FROM captures")  # a foreign file fails before any output
        with atomic_file(output, "wb") as out:
            return write_warc(db, out, run_id)
    finally:
        conn.close()
