"""`lpscrape export`: streamed CSV and JSON Lines that round-trip the archive, every column."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import run_cli
from sqlite_utils import Database

from lpscrape.archive.bodies import version_body_sql
from lpscrape.archive.schema import ensure_schema
from lpscrape.demo.content import articles
from lpscrape.export import ExportError, export

SEPT = datetime(2025, 9, 1, tzinfo=UTC)


def table_rows(db: Path, sql: str, params: tuple = ()) -> tuple[list[str], list[tuple]]:
    """Column names and rows of a query run straight against the file."""
    conn = sqlite3.connect(db)
    try:
        cursor = conn.execute(sql, params)
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        conn.close()


def as_csv_text(value: object) -> str:
    """How a stored value reads back from CSV."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def archived_truth() -> list:
    """The sample site's articles the demo archive holds: edition 3's, the last crawled."""
    return list(articles(3))


@pytest.mark.parametrize("table", ["articles", "article_versions", "crawl_runs", "captures"])
def test_csv_round_trips_every_row_and_column(demo_archive: Path, tmp_path: Path, table: str):
    out = tmp_path / f"{table}.csv"
    written = export(demo_archive, "csv", out, table=table, notes=io.StringIO())
    selected = "*"
    if table == "article_versions":  # a version's text in full, wherever it is kept
        names = table_rows(demo_archive, "SELECT * FROM article_versions LIMIT 0")[0]
        selected = ", ".join(
            f"{version_body_sql('v')} AS body_text" if n == "body_text" else n for n in names
        )
    columns, rows = table_rows(demo_archive, f"SELECT {selected} FROM [{table}] v ORDER BY rowid")
    if table == "article_versions":
        assert all(row[columns.index("body_text")] for row in rows)
    with out.open(encoding="utf-8", newline="") as fh:
        got = list(csv.reader(fh))
    assert got[0] == columns  # a header of every column, in order
    assert written == len(rows) == len(got) - 1 > 0
    assert got[1:] == [[as_csv_text(v) for v in row] for row in rows]


def test_csv_keeps_unicode_newlines_and_quotes(demo_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    export(demo_archive, "csv", out)
    text = out.read_text(encoding="utf-8")
    assert "MÜNCHEN" in text and "São Paulo" in text  # UTF-8, no BOM, nothing transliterated
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    munich = next(r for r in rows if r["dateline"] == "MÜNCHEN")
    truth = next(a for a in archived_truth() if munich["url"].endswith(a.path))
    assert munich["body_text"] == truth.body_text  # blank lines between paragraphs survive
    assert json.loads(munich["categories"]) == truth.category_names


def test_jsonl_round_trips_with_nulls_and_types(demo_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    export(demo_archive, "jsonl", out)
    columns, rows = table_rows(demo_archive, "SELECT * FROM articles ORDER BY rowid")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        dict(zip(columns, r, strict=True)) for r in rows
    ]
    assert "MÜNCHEN" in out.read_text(encoding="utf-8")  # ensure_ascii off


def test_blob_columns_are_base64_with_a_note(demo_archive: Path, tmp_path: Path) -> None:
    notes = io.StringIO()
    out = tmp_path / "captures.jsonl"
    export(demo_archive, "jsonl", out, table="captures", notes=notes)
    assert "captures.body_gzip" in notes.getvalue() and "base64" in notes.getvalue()
    first = json.loads(out.read_text().splitlines()[0])
    body = gzip.decompress(base64.b64decode(first["body_gzip"]))
    assert hashlib.sha256(body).hexdigest() == first["sha256"]  # the capture, byte for byte


def test_since_and_category_filter_articles(demo_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    export(demo_archive, "csv", out, since="2025-09-01", category="world affairs")
    got = {r["title"] for r in csv.DictReader(out.open(encoding="utf-8", newline=""))}
    expected = {
        a.title
        for a in archived_truth()
        if "World Affairs" in a.category_names and a.path[1:11] >= "2025/09/01"  # London days
    }
    assert got == expected and 0 < len(got) < 10
    # A day is the publication's own: published 00:15 BST on 1 June (31 May, 23:15 UTC).
    export(demo_archive, "csv", out, since="2025-06-01")
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    danish = [r for r in rows if r["title"].startswith("Danish court rules")]
    assert [r["published_at"] for r in danish] == ["2025-05-31T23:15:55+00:00"]

    export(demo_archive, "csv", out, since="2025-09-01T12:00:00+02:00")
    got = [r["published_at"] for r in csv.DictReader(out.open(encoding="utf-8", newline=""))]
    assert got and min(got) >= "2025-09-01T10:00:00+00:00"


def test_sql_export(demo_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.jsonl"
    n = export(
        demo_archive,
        "jsonl",
        out,
        sql="SELECT a.url, v.url, v.version FROM articles a JOIN article_versions v USING (url) "
        "WHERE a.version > 1 ORDER BY v.url, v.version",
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert n == 16 and [r["version"] for r in rows] == [1, 2] * 8  # 8 articles edited once
    assert all(r["url"] == r["url_2"] for r in rows)  # a repeated name is kept, not dropped


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table": "nope"}, "no table 'nope' in the archive; tables: article_authors"),
        ({"table": "articles_fts"}, "no table 'articles_fts'"),
        ({"table": "captures", "since": "2025-01-01"}, "articles table only"),
        ({"sql": "SELECT 1", "category": "Heraldry"}, "not with --sql"),
        ({"since": "last week"}, "is not a date"),
        ({"sql": "DELETE FROM articles"}, "read-only SELECT: DELETE is not allowed"),
        ({"sql": "SELECT nope FROM articles"}, "no such column"),
        ({"category": "Heraldy"}, "no category 'Heraldy' in the archive; categories: .*Diplomacy"),
    ],
)
def test_bad_requests_are_one_clear_error(
    demo_archive: Path, tmp_path: Path, kwargs: dict, message: str
) -> None:
    out = tmp_path / "never.csv"
    with pytest.raises(ExportError, match=message):
        export(demo_archive, "csv", out, **kwargs)
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no partial file
    assert table_rows(demo_archive, "SELECT count(*) FROM articles")[1] == [(51,)]


def test_cli_writes_stdout_and_files_and_reports_errors(demo_archive: Path, tmp_path: Path):
    result = run_cli("export", "csv", "--db", str(demo_archive), "-o", "-", "--table", "tags")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows[0] == ["id", "name"] and len(rows) == 17

    out = tmp_path / "articles.jsonl"
    result = run_cli("export", "jsonl", "--db", str(demo_archive), "-o", str(out))
    assert result.returncode == 0 and "51 rows written" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 51

    result = run_cli("export", "csv", "--db", str(demo_archive), "--table", "nope")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "tables: article_authors" in result.stderr
    result = run_cli("export", "csv", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 2 and "no archive at" in result.stderr


def test_a_pipe_as_output_is_written_through_a_folder_is_refused(
    demo_archive: Path, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="not a file, a pipe or a terminal"):
        export(demo_archive, "csv", tmp_path, table="tags")
    with pytest.raises(ExportError, match="that names a folder; give a file name"):
        export(demo_archive, "csv", f"{tmp_path}/new/", table="tags")
    assert not (tmp_path / "new").exists()

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    export(demo_archive, "csv", fifo, table="tags")
    reader.join(timeout=10)
    assert got and got[0].decode().splitlines()[0] == "id,name"
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, never replaced by a file


def test_the_process_s_own_output_is_written_on_its_descriptor(
    demo_archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "redirected.csv"
    with out.open("w") as stdout:  # `… -o //dev/fd/1 > redirected.csv`, however spelled
        args = ("export", "csv", "--db", str(demo_archive), "--table", "tags", "-o", "//dev/fd/1")
        result = subprocess.run(
            [sys.executable, "-m", "lpscrape", *args], stdout=stdout, stderr=subprocess.PIPE
        )
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0] == "id,name"


def test_stdin_and_the_process_s_own_open_files_are_never_outputs(
    demo_archive: Path, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="that is the standard input"):
        export(demo_archive, "csv", "/dev/stdin", table="tags")
    kept = tmp_path / "open.txt"
    kept.write_text("mine\n")
    refused = pytest.raises(ExportError, match="not an output this command was given")
    with kept.open("a") as fh, refused:  # as the archive and its -wal are, once export opens them
        export(demo_archive, "csv", f"//dev/fd/{fh.fileno()}", table="tags")
    assert kept.read_text() == "mine\n"


def test_a_socket_is_refused_at_once_not_waited_for_as_a_pipe(
    demo_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lpscrape.export.PIPE_READER_WAIT", 60.0)
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / "sock"))
        with pytest.raises(ExportError, match=r"sock: No such device or address"):
            export(demo_archive, "csv", tmp_path / "sock", table="tags")


def test_a_symlink_to_a_device_is_replaced_never_followed(
    demo_archive: Path, tmp_path: Path
) -> None:
    link = tmp_path / "out.csv"
    link.symlink_to("/dev/null")  # planted: it could name any device
    export(demo_archive, "csv", link, table="tags")
    assert not link.is_symlink()
    assert link.read_text(encoding="utf-8").splitlines()[0] == "id,name"


def test_a_pipe_nobody_reads_is_one_line_not_a_hang(
    demo_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lpscrape.export.PIPE_READER_WAIT", 0.2)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="no process is reading the pipe"):
        export(demo_archive, "csv", fifo, table="tags")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_export_streams_in_constant_memory(tmp_path: Path) -> None:
    db_path = tmp_path / "big.db"
    db = Database(db_path)
    ensure_schema(db)
    body = "Lorem ipsum dolor sit amet. " * 40  # ~1 KiB per article
    db.conn.executemany(
        "INSERT INTO articles (url, title, body_text, categories) VALUES (?, ?, ?, '[]')",
        ((f"https://example.org/{i}/", f"Article {i}", body) for i in range(20_000)),
    )
    db.conn.commit()
    db.conn.close()

    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"big.{fmt}"
        tracemalloc.start()
        written = export(db_path, fmt, out)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = out.stat().st_size
        assert written == 20_000 and size > 20_000_000
        assert peak < 5_000_000, f"{fmt}: peak {peak:,} bytes for {size:,} written"


def test_csv_rendered_by_sqlite_reads_back_as_csv_writer_wrote_it(tmp_path: Path) -> None:
    db_path = tmp_path / "odd.db"
    db = Database(db_path)
    ensure_schema(db)
    rows = [
        ("https://example.org/1/", 'A "quoted", title', 'Line "one"\nline two\r\n', 420, 18.5),
        ("https://example.org/2/", None, "", 0, -3.25),
        ("https://example.org/3/", "Zürich — ünïcode", "plain", None, None),
    ]
    db.conn.executemany(
        "INSERT INTO articles (url, title, body_text, word_count, weather_temperature_c)"
        " VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.commit()
    expected = io.StringIO(newline="")
    cursor = db.conn.execute("SELECT * FROM articles ORDER BY rowid")
    writer = csv.writer(expected)
    writer.writerow([d[0] for d in cursor.description])
    writer.writerows(cursor)
    db.conn.close()
    out = tmp_path / "odd.csv"
    assert export(db_path, "csv", out) == 3
    text = out.read_bytes().decode("utf-8")
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == list(csv.reader(io.StringIO(expected.getvalue())))
    # Text is always quoted, so an empty text ("") and NULL (nothing) stay apart; numbers bare.
    # (title has a NULL, body_text none, byline is all NULL: three ways of rendering a column.)
    nulls = text.splitlines()[0].split(",").index("body_text")  # NULL columns before it
    assert '\r\n"https://example.org/2/"' + "," * nulls + '"",0,' in text
    assert '"A ""quoted"", title"' in text and '"Line ""one""\nline two\r\n"' in text


def test_csv_of_odd_tables_reads_back_as_csv_writer_wrote_it(tmp_path: Path) -> None:
    """A column named like the export's own rowid alias keeps the rowid order; a single
    all-NULL column is a column of empty fields, not a crash."""
    db_path = tmp_path / "odd.db"
    db = Database(db_path)
    ensure_schema(db)
    db.execute("CREATE TABLE notes (name TEXT, lpscrape_order INTEGER)")
    db.execute("INSERT INTO notes VALUES ('x', 3), ('y', 1), ('z', 2)")
    db.execute("CREATE TABLE empty_notes (remark TEXT)")
    db.execute("INSERT INTO empty_notes VALUES (NULL), (NULL)")
    db.conn.commit()
    db.conn.close()
    for table, rows in (
        ("notes", [["name", "lpscrape_order"], ["x", "3"], ["y", "1"], ["z", "2"]]),
        ("empty_notes", [["remark"], [""], [""]]),
    ):
        out = tmp_path / f"{table}.csv"
        export(db_path, "csv", out, table=table)
        with out.open(encoding="utf-8", newline="") as fh:
            assert list(csv.reader(fh)) == rows


def test_excel_csv_begins_with_the_utf8_mark_and_is_otherwise_the_same(
    demo_archive: Path, tmp_path: Path
) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert run_cli("export", "csv", "--db", str(demo_archive), "-o", str(plain)).returncode == 0
    result = run_cli("export", "csv", "--excel", "--db", str(demo_archive), "-o", str(excel))
    assert result.returncode == 0, result.stderr
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")  # scripts get plain UTF-8
    assert excel.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()
    assert "ZÜRICH" in excel.read_text(encoding="utf-8-sig")
    result = run_cli("export", "jsonl", "--excel", "--db", str(demo_archive))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "csv only" in result.stderr
