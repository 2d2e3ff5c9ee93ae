"""CSV exports keep NULL (an empty field) apart from empty text (`""`) whichever way the rows
are written: a table's by SQLite, a query's (and a table SQLite cannot render) by Python."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import run_cli
from sqlite_utils import Database

from lpscrape.archive.schema import ensure_schema
from lpscrape.export import export


def small_archive(path: Path) -> Path:
    """An archive with an empty title, a NULL one and a quoted one, and a table with a BLOB."""
    db = Database(path)
    ensure_schema(db)
    db.conn.executemany(
        "INSERT INTO articles (url, title, word_count, weather_temperature_c) VALUES (?, ?, ?, ?)",
        [
            ("https://example.org/1/", "", 0, 18.5),
            ("https://example.org/2/", None, None, None),
            ("https://example.org/3/", 'A "quoted", title', 420, -3.25),
        ],
    )
    db.execute("CREATE TABLE notes (name TEXT, data BLOB)")
    db.conn.executemany("INSERT INTO notes VALUES (?, ?)", [("", b"\x00\x01"), (None, None)])
    db.conn.commit()
    db.conn.close()
    return path


def test_a_query_exports_null_and_empty_text_apart_as_a_table_does(tmp_path: Path) -> None:
    db = small_archive(tmp_path / "archive.db")
    columns = "url, title, word_count, weather_temperature_c"
    expected = (
        "url,title,word_count,weather_temperature_c\r\n"
        '"https://example.org/1/","",0,18.5\r\n'
        '"https://example.org/2/",,,\r\n'
        '"https://example.org/3/","A ""quoted"", title",420,-3.25\r\n'
    )
    # The table's own rendering (by SQLite) is the rule the query follows.
    table = tmp_path / "table.csv"
    export(db, "csv", table)
    lines = table.read_bytes().decode("utf-8").split("\r\n")
    title = lines[0].split(",").index("title")
    assert [line.split(",")[title] for line in lines[1:3]] == ['""', ""]

    result = run_cli(
        "export", "csv", "--db", str(db), "--sql", f"SELECT {columns} FROM articles ORDER BY url;"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.replace("\r\n", "\n")  # (read back as text)
    out = tmp_path / "query.csv"
    assert export(db, "csv", out, sql=f"SELECT {columns} FROM articles ORDER BY url") == 3
    assert out.read_bytes().decode("utf-8") == expected
    # One column: a NULL row is still a row (`""`), never an empty line.
    export(db, "csv", out, sql="SELECT title FROM articles ORDER BY url")
    assert out.read_bytes() == b'title\r\n""\r\n""\r\n"A ""quoted"", title"\r\n'
    # A table with a BLOB (base64), written by Python: the same rule.
    export(db, "csv", out, table="notes")
    assert out.read_bytes() == b'name,data\r\n"","AAE="\r\n,\r\n'
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows == [["name", "data"], ["", "AAE="], ["", ""]]
