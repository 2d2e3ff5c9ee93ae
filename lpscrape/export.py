"""Streamed exports of the archive: CSV and JSON Lines, every column, in constant memory.

Rows are read with a plain read-only `sqlite3` cursor in batches and written as they come, so a
table of any size exports with the same memory. Every column of the table or query is written,
in its order; in CSV text is always quoted and NULL is an empty field (so the two stay apart),
in JSON NULL is `null`. BLOB columns (`captures.body_gzip`) are written as standard base64 text
(no line breaks), and a note on stderr says so. The CSV is the data unchanged, but with `excel`
(a file meant to be opened in Excel) where a text cell that begins as a formula would
(`=`, `+`, `-`, `@`, tab, carriage return) begins with `'` instead (OWASP's CSV injection).

No export ever writes over the archive it reads (nor its -wal, -shm or -journal file), and a
file or folder written only appears, complete, when the export ends.
"""

from __future__ import annotations

import base64
import csv
import errno
import json
import os
import re
import shutil
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from lpscrape import __version__
from lpscrape.archive.bodies import version_body_sql
from lpscrape.archive.readonly import readonly_connection
from lpscrape.archive.store import ArchiveError

FORMATS = ("csv", "jsonl")
DEFAULT_TABLE = "articles"
BATCH_ROWS = 1000
ORDER_KEY = "lpscrape_order"  # the rowid's alias in a table's keyed SELECT
PRINTF_MAX_COLUMNS = 120  # SQLite functions take at most 127 arguments by default


class ExportError(ArchiveError):
    """The export cannot be made as asked: one line a person can act on."""


def connect_readonly(db_path: str | Path, refused: list[str] | None = None) -> sqlite3.Connection:
    """A read-only connection to an existing SQLite file (a crawl may be writing: WAL), that
    may only read (`read_only_authorizer`: what it refused is added to `refused`)."""
    path = Path(db_path)
    if not path.is_file():
        raise ExportError(f"no archive at {path}: pass --db, or create it with `lpscrape crawl`")
    with path.open("rb") as fh:
        header = fh.read(16)
    if not header:  # as every other command says it
        raise ExportError(f"{path} is not an lpscrape archive (it is empty): nothing to export")
    if header != b"SQLite format 3\x00":
        raise ExportError(f"{path} is not an SQLite database")
    try:
        conn = readonly_connection(path)
        conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA mmap_size = 1073741824")  # pages read in place: ~5% off a full export
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc
    conn.set_authorizer(read_only_authorizer([] if refused is None else refused))
    return conn


# What the export's connection may do: read, and ask the pragmas that only describe the
# schema. `PRAGMA query_only` refuses writes to the archive, but not ATTACH (which creates
# the file it names) nor a pragma that changes the connection: --sql is a read-only SELECT.
_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
    sqlite3.SQLITE_TRANSACTION,  # BEGIN / ROLLBACK: one snapshot for a whole export
}
_READ_PRAGMAS = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "collation_list",
    "function_list",
    "module_list",
    "pragma_list",
    "database_list",
}
_ACTIONS = (
    "ATTACH DETACH PRAGMA INSERT UPDATE DELETE ALTER_TABLE ANALYZE REINDEX SAVEPOINT "
    "CREATE_INDEX CREATE_TABLE CREATE_TEMP_INDEX CREATE_TEMP_TABLE CREATE_TEMP_TRIGGER "
    "CREATE_TEMP_VIEW CREATE_TRIGGER CREATE_VIEW CREATE_VTABLE DROP_INDEX DROP_TABLE "
    "DROP_TEMP_INDEX DROP_TEMP_TABLE DROP_TEMP_TRIGGER DROP_TEMP_VIEW DROP_TRIGGER DROP_VIEW "
    "DROP_VTABLE"
)
_ACTION_NAMES = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in _ACTIONS.split()
    if hasattr(sqlite3, f"SQLITE_{name}")
}


def read_only_authorizer(refused: list[str]) -> Callable[..., int]:
    """An authorizer (`Connection.set_authorizer`) that allows reading only; what it refuses
    is added to `refused`, named as the statement says it (`ATTACH`, `PRAGMA query_only`)."""

    def authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 in ("sqlite_master", "sqlite_temp_master"):
            # SQLite's own bookkeeping as a table-valued pragma (pragma_table_info) is first
            # used; an UPDATE of the schema by a query fails anyway (read-only, query_only).
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            if (arg1 or "").lower() in _READ_PRAGMAS:
                return sqlite3.SQLITE_OK
            refused.append(f"PRAGMA {arg1}")
        else:
            refused.append(_ACTION_NAMES.get(action, f"action {action}"))
        return sqlite3.SQLITE_DENY

    return authorize


def exportable_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables and views a user may export: not SQLite's own, not the full-text index's."""
    rows = conn.execute(
        "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
    ).fetchall()
    fts = [name for name, _, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _, _ in rows
        if not name.startswith("sqlite_")
        and not any(name == f or name.startswith(f + "_") for f in fts)
    ]


def since_value(text: str) -> tuple[str, str]:
    """A `--since` date as the column it compares with and the value: a day against the
    publication day (the publisher's, as in Datasette's date ranges), an instant against
    `published_at` in UTC."""
    try:
        if len(text) == 10:
            return "published_day", date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ExportError(
            f"--since {text!r} is not a date: use YYYY-MM-DD or an ISO 8601 date-time"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return "published_at", moment.astimezone(UTC).isoformat()


class Query(NamedTuple):
    """What to export: the SELECT to stream, its parameters and a label for messages."""

    sql: str
    params: list[Any]
    label: str
    # For a table: the same rows unordered, and with their order as the column `key` (an
    # ORDER BY inside a subquery stops SQLite flattening it: +0.15 s on 100,000 rows).
    unordered: str | None = None
    keyed: str | None = None
    key: str = ORDER_KEY


def build_query(
    conn: sqlite3.Connection,
    table: str | None = None,
    sql: str | None = None,
    since: str | None = None,
    category: str | None = None,
) -> Query:
    """The SELECT to stream (a table's rows in rowid order), its parameters and a label."""
    if table and sql:
        raise ExportError("give --table or --sql, not both")
    if sql is not None:
        if since or category:
            raise ExportError("--since and --category filter the articles table: not with --sql")
        if not sql.strip():
            raise ExportError("--sql is empty")
        return Query(sql, [], "query")
    table = table or DEFAULT_TABLE
    available = exportable_tables(conn)
    if table not in available:
        raise ExportError(f"no table {table!r} in the archive; tables: {', '.join(available)}")
    if (since or category) and table != "articles":
        raise ExportError("--since and --category apply to the articles table only")
    where: list[str] = []
    params: list[Any] = []
    if since:
        column, value = since_value(since)
        where.append(f"{column} >= ?")
        params.append(value)
    if category:
        known = [r[0] for r in conn.execute("SELECT name FROM categories ORDER BY name")]
        if category.casefold() not in {name.casefold() for name in known}:
            shown = ", ".join(known[:20]) + (", …" if len(known) > 20 else "")
            raise ExportError(
                f"no category {category!r} in the archive; categories: {shown or 'none'}"
            )
        where.append(
            "EXISTS (SELECT 1 FROM json_each(articles.categories) WHERE value = ? COLLATE NOCASE)"
        )
        params.append(category)
    select = _columns(conn, table)
    source = f" FROM {_quote(table)}" + (" WHERE " + " AND ".join(where) if where else "")
    unordered = f"SELECT {select}{source}"
    is_view = (
        conn.execute("SELECT type FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
        == "view"
    )
    if is_view or _without_rowid(conn, table):
        return Query(unordered, params, table, unordered)
    names = {r[1] for r in conn.execute(f"PRAGMA table_info({_quote(table)})")}
    key = ORDER_KEY
    while key in names:  # never the name of one of the table's own columns
        key += "_"
    keyed = f"SELECT {select}, rowid AS {key}{source}"
    return Query(f"{unordered} ORDER BY rowid", params, table, unordered, keyed, key)


def _columns(conn: sqlite3.Connection, table: str) -> str:
    """Every column of a table; a version's body text in full, wherever it is kept."""
    names = [r[1] for r in conn.execute(f"PRAGMA table_info({_quote(table)})")]
    if table != "article_versions" or "body_shared" not in names:  # (an archive before v3)
        return "*"
    return ", ".join(
        f"{version_body_sql('article_versions')} AS body_text" if n == "body_text" else _quote(n)
        for n in names
    )


def _quote(name: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def _without_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f"SELECT rowid FROM {_quote(table)} LIMIT 0")
    except sqlite3.OperationalError:
        return True
    return False


def iter_rows(
    conn: sqlite3.Connection, query: str, params: Sequence[Any]
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Column names and a lazy iterator over the rows, fetched `BATCH_ROWS` at a time."""
    try:
        cursor = conn.execute(query, list(params))
    except (sqlite3.DatabaseError, sqlite3.Warning) as exc:
        raise ExportError(f"the query failed: {exc}") from exc
    if cursor.description is None:
        raise ExportError("the query returns no rows (is it a SELECT?)")
    columns = [d[0] for d in cursor.description]

    def rows() -> Iterator[tuple[Any, ...]]:
        while True:
            try:
                batch = cursor.fetchmany(BATCH_ROWS)
            except sqlite3.DatabaseError as exc:
                raise ExportError(f"reading rows failed: {exc}") from exc
            if not batch:
                return
            yield from batch

    return columns, rows()


def _blob(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# What makes Excel (LibreOffice, Google Sheets) read a cell as a formula: `=HYPERLINK(…)`,
# `+cmd|' /C calc'!A0`, `@SUM(…)`, `-2+3`; tab and carriage return before them (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CODES = ", ".join(str(ord(c)) for c in FORMULA_STARTS)  # as SQLite's unicode() gives


def excel_text(text: str) -> str:
    """Text for a cell Excel opens: `'` first when it begins as a formula would, which Excel
    shows as text (OWASP's advice against CSV injection); any other text as it is."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Any, excel: bool = False) -> str:
    """One value as a CSV field, as the table export's SQL renders it: text (and a BLOB's
    base64) always quoted with `"` doubled, numbers bare, NULL an empty field; `excel`: text
    that would be a formula begins with `'` (numbers, negative ones too, stay numbers)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = _blob(value)
    if isinstance(value, str):
        return '"' + (excel_text(value) if excel else value).replace('"', '""') + '"'
    return repr(value) if isinstance(value, float) else str(value)


def write_csv(
    out: IO[str], columns: list[str], rows: Iterator[tuple[Any, ...]], excel: bool = False
) -> int:
    """A header of every column, then the rows (a query's, or a table's that SQLite cannot
    render: BLOBs, repeated names), NULL kept apart from empty text; returns the rows written.
    `excel`: text cells that would be formulas begin with `'` (see `excel_text`)."""
    csv.writer(out).writerow([excel_text(c) for c in columns] if excel else columns)
    count = 0
    for row in rows:
        line = ",".join(_csv_value(v, excel) for v in row)
        out.write((line if line or len(row) > 1 else '""') + "\r\n")  # `""`: a row, not a gap
        count += 1
    return count


def _cell(column: str, excel: bool) -> str:
    """SQL for one column's value: as stored, or with `excel` its text that would be a formula
    with `'` first (as `excel_text`; numbers and NULL as they are)."""
    c = _quote(column)
    if not excel:
        return c
    return (
        f"CASE WHEN typeof({c}) = 'text' AND unicode({c}) IN ({_FORMULA_CODES}) "
        f"THEN '''' || {c} ELSE {c} END"
    )


def _csv_field(c: str, numeric: bool) -> str:
    """SQL that renders one value (`c`, an SQL expression) as a CSV field: text always quoted
    (`"` doubled), numbers as SQLite writes them, NULL as an empty field (a NULL operand makes
    `||` NULL, and printf prints a NULL `%s` as nothing)."""
    quoted = f"""'"' || replace({c}, '"', '""') || '"'"""
    if numeric:  # declared INTEGER/FLOAT: text there only when it is not a number
        return f"CASE typeof({c}) WHEN 'text' THEN {quoted} ELSE {c} END"
    return quoted


def write_csv_in_sqlite(
    conn: sqlite3.Connection,
    out: IO[str],
    query: Query,
    columns: list[str],
    numeric: Collection[str] = (),
    excel: bool = False,
) -> int:
    """The rows rendered as CSV lines by SQLite itself and streamed as UTF-8 bytes, in
    batches (no BLOBs): Python never decodes or re-encodes the text. `excel`: text cells that
    would be formulas begin with `'` (see `excel_text`).

    One printf per row. A text column with no NULL in the rows exported is quoted by printf's
    own `"%w"` (doubles `"`); one with NULLs needs an expression that keeps NULL (an empty
    field) apart from empty text (`""`); one that is all NULL is an empty field. Which is which
    is counted first, in the same read transaction as the export. Measured on 100,000 articles:
    0.90 s in all against 1.2-1.5 s with the expression on every column.
    """
    conn.execute("BEGIN")  # the counts and the rows read one snapshot (a crawl may be writing)
    try:
        nulls = _null_columns(conn, query.unordered or query.sql, query.params, columns)
        formats: list[str] = []
        args: list[str] = []
        for column in columns:
            if nulls[column] == "all" and len(columns) > 1:  # printf('') alone is NULL
                formats.append("")
            elif nulls[column] == "none" and column not in numeric:
                formats.append('"%w"')
                args.append(_cell(column, excel))
            else:
                formats.append("%s")
                args.append(_csv_field(_cell(column, excel), column in numeric))
        line = f"printf('{','.join(formats)}'{''.join(', ' + a for a in args)})"
        if len(columns) == 1:  # an empty line would be no field at all: `""`, as csv writes
            line = f"coalesce(nullif({line}, ''), '\"\"')"
        if query.keyed:
            select = f"SELECT {line} FROM ({query.keyed}) ORDER BY {query.key}"
        else:
            select = f"SELECT {line} FROM ({query.unordered or query.sql})"
        writer = csv.writer(out)
        writer.writerow([excel_text(c) for c in columns] if excel else columns)
        out.flush()
        raw = out.buffer if hasattr(out, "buffer") else None
        conn.text_factory = bytes
        try:
            cursor = conn.execute(select, query.params)
            count = 0
            while batch := cursor.fetchmany(BATCH_ROWS // 2):
                chunk = b"\r\n".join(row[0] for row in batch) + b"\r\n"
                if raw is not None:
                    raw.write(chunk)
                else:
                    out.write(chunk.decode("utf-8"))
                count += len(batch)
        finally:
            conn.text_factory = str
    finally:
        conn.rollback()
    if raw is not None:
        raw.flush()
    return count


def _null_columns(
    conn: sqlite3.Connection, query: str, params: Sequence[Any], columns: list[str]
) -> dict[str, str]:
    """For each column: `none`, `some` or `all` of the query's rows hold NULL there."""
    counts = ", ".join(f"count({_quote(c)})" for c in columns)
    total, *filled = conn.execute(f"SELECT count(*), {counts} FROM ({query})", params).fetchone()
    return {
        c: "none" if n == total else "all" if n == 0 else "some"
        for c, n in zip(columns, filled, strict=True)
    }


def unique_names(columns: list[str]) -> list[str]:
    """Column names made unique for JSON keys: a repeated `url` becomes `url_2`, `url_3`…"""
    seen: set[str] = set()
    names = []
    for column in columns:
        name, n = column, 1
        while name in seen:
            n += 1
            name = f"{column}_{n}"
        seen.add(name)
        names.append(name)
    return names


def write_jsonl(out: IO[str], columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """One JSON object per row, keys in column order; returns how many rows were written."""
    keys = unique_names(columns)
    count = 0
    for row in rows:
        record = {
            k: _blob(v) if isinstance(v, bytes) else v for k, v in zip(keys, row, strict=True)
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


# Excel reads a CSV without it in the machine's legacy code page (Schön as SchÃ¶n).
BOM = "\ufeff"

WRITERS: dict[str, Callable[[IO[str], list[str], Iterator[tuple[Any, ...]]], int]] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
}


# The files SQLite keeps beside an archive while it is open or being written.
ARCHIVE_FILES = ("", "-wal", "-shm", "-journal")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compared as spelled
        return path.absolute()


def _same_file(a: Path, b: Path) -> bool:
    """True when both exist and are the same file (a symlink, a hard link, another spelling)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def refuse_archive_as_output(db_path: str | Path, output: str | Path, what: str = "export") -> None:
    """ExportError (one line, nothing touched) when `output` is the archive `db_path` or one of
    the files SQLite keeps beside it (-wal, -shm, -journal), however it is spelled: through a
    symlink, `./`, `..`, another hard link."""
    if str(output) == "-":
        return
    out, db = Path(output), Path(db_path)
    target = _resolved(out)
    for suffix in ARCHIVE_FILES:
        for name in {Path(f"{db}{suffix}"), Path(f"{_resolved(db)}{suffix}")}:
            if target == _resolved(name) or _same_file(out, name):
                which = "the archive itself" if not suffix else f"the archive's {suffix} file"
                raise ExportError(
                    f"{what}: -o {output} is {which} (--db {db_path}): refusing to write over "
                    "it; choose another output"
                )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(target: str | Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """A new file beside `target`, renamed over it when the block ends without error and
    removed otherwise: `target` is never truncated, and is only ever the whole export.

    The file is made by `tempfile.mkstemp` (a name no one can predict, O_EXCL: a symlink or
    file planted there is never followed nor written), with the mode a new file gets. An
    existing pipe or terminal, or the process's own output (/dev/stdout, /dev/fd/N), is
    written through instead; a symlink at `target` is replaced, never followed."""
    if str(target).endswith(("/", os.sep)):  # Path() would drop the slash: a file "dir"
        raise ExportError(f"cannot write {target}: that names a folder; give a file name")
    path = Path(target)
    if (stream := _stream_at(path)) is not None:
        yield from _written_through(path, stream, mode, **options)
        return
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(name)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide it from a web server
        with open(fd, mode, **options) as fh:
            yield fh
    except OSError as exc:  # a full disk, or an unreadable capture
        tmp.unlink(missing_ok=True)
        raise ExportError(
            f"export to {path} failed ({exc.strerror or exc}); {path} is as it was"
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc


# The process's own open files, by name: written on the descriptor it was given, never opened
# anew (/dev/stdout names a regular file when the shell redirected it, `> f`) nor replaced.
_STDIO = {"stdout": 1, "stderr": 2, "stdin": 0}
_OWN_FD_FOLDER = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd")
PIPE_READER_WAIT = 5.0  # seconds a pipe with no reader yet is waited for


def _own_fd(path: Path) -> int | None:
    """The descriptor `path` names when it is one of this process's own (/dev/stdout,
    /dev/fd/N, /proc/self/fd/N, however spelled: `//dev/stdout`, a link to /dev)."""
    folder = os.path.realpath(path.parent)
    if folder == "/dev" and path.name in _STDIO:
        return _STDIO[path.name]
    own = _OWN_FD_FOLDER.fullmatch(folder)
    if own and int(own[1]) == os.getpid() and path.name.isdecimal() and len(path.name) < 10:
        return int(path.name)
    return None


def _stream_at(path: Path) -> int | None:
    """An open descriptor to write the export through when `path` is the process's own output
    (/dev/stdout, /dev/fd/N: `>(gzip)`) or an existing pipe or terminal; None when the export
    is a new file renamed over `path`. A symlink is never followed: it is replaced."""
    if (number := _own_fd(path)) is not None:
        return _dup_output(path, number)
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    deadline = time.monotonic() + PIPE_READER_WAIT
    while True:
        try:
            fd = os.open(path, flags)  # never creates nor truncates: only looks
            break
        except OSError as exc:
            found = _lstat_mode(path)
            if exc.errno == errno.ENXIO and stat.S_ISFIFO(found):
                if time.monotonic() < deadline:
                    time.sleep(0.05)  # a pipe whose reader is starting
                    continue
                raise ExportError(f"cannot write {path}: no process is reading the pipe") from exc
            if found == 0 or stat.S_ISLNK(found) or stat.S_ISREG(found):
                return None  # none there, a symlink, a file: a new file renamed over it
            if stat.S_ISDIR(found):
                raise ExportError(f"cannot write {path}: not a file, a pipe or a terminal") from exc
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    # What was opened is what is written (no window to swap a file in between).
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        os.set_blocking(fd, True)
        return fd
    os.close(fd)
    if not stat.S_ISREG(mode):
        raise ExportError(f"cannot write {path}: not a file, a pipe or a terminal")
    return None


def _lstat_mode(path: Path) -> int:
    """The mode of `path` itself (0 when there is nothing there)."""
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def _dup_output(path: Path, number: int) -> int:
    """A copy of this process's descriptor `number` to write on: the standard output or error,
    or a pipe or terminal it was given (`>(gzip)`); never its input, nor a file it has open
    for itself (the archive and its -wal are open files too)."""
    if number == 0:
        raise ExportError(f"cannot write {path}: that is the standard input")
    if sys.stdout is not None:
        sys.stdout.flush()
    try:
        fd = os.dup(number)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    mode = os.fstat(fd).st_mode
    if number > 2 and not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)):
        os.close(fd)
        raise ExportError(
            f"cannot write {path}: descriptor {number} is not an output this command was given"
        )
    return fd


def _written_through(path: Path, fd: int, mode: str, **options: Any) -> Iterator[IO[Any]]:
    """An open pipe, terminal or descriptor written in place."""
    try:
        fh = open(fd, mode, **options)  # noqa: SIM115 (closed below, and fd if it fails)
    except BaseException:
        os.close(fd)
        raise
    try:
        with fh:
            yield fh
    except BrokenPipeError:  # `-o /dev/stdout | head`: as `-o -` is
        if _own_fd(path) is None:
            raise ExportError(f"export to {path} failed (the reader went away)") from None
        raise
    except OSError as exc:  # /dev/full
        raise ExportError(f"export to {path} failed ({exc.strerror or exc})") from exc


@contextmanager
def _output(target: str | Path) -> Iterator[IO[str]]:
    """stdout for `-`, otherwise a file that only appears, complete, when the export ends."""
    if str(target) == "-":
        stream = sys.stdout
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", newline="")  # type: ignore[union-attr]
        yield stream
        stream.flush()
        return
    with atomic_file(target, "w", encoding="utf-8", newline="") as fh:
        yield fh


def export(
    db_path: str | Path,
    fmt: str = "csv",
    output: str | Path = "-",
    *,
    table: str | None = None,
    sql: str | None = None,
    since: str | None = None,
    category: str | None = None,
    notes: IO[str] | None = None,
    excel: bool = False,
) -> int:
    """Stream a table (default `articles`) or a query as CSV or JSON Lines; returns the rows.
    `excel`: the CSV begins with a UTF-8 byte-order mark, by which Excel knows it is UTF-8,
    and a text cell that would be a formula begins with `'` (see `excel_text`); without it
    the CSV is the archive's data unchanged.

    `since` keeps articles published on or after a date; `category` those filed under a
    category (case-insensitive), both for the articles table only. `output` is a file path or
    `-` for stdout, never the archive itself (ExportError, nothing touched). Notes (BLOB
    columns) go to `notes` (default stderr).
    """
    if fmt not in WRITERS:
        raise ExportError(f"unknown format {fmt!r}: use {' or '.join(FORMATS)}")
    refuse_archive_as_output(db_path, output, f"export {fmt}")
    refused: list[str] = []
    conn = connect_readonly(db_path, refused)
    try:
        query = build_query(conn, table, sql, since, category)
        label = query.label
        try:
            columns, rows = iter_rows(conn, query.sql, query.params)
        except ExportError:
            if refused and sql is not None:
                raise ExportError(
                    f"--sql is a read-only SELECT: {refused[0]} is not allowed"
                ) from None
            raise
        blobs = _blob_columns(conn, label, columns) if sql is None else []
        if blobs:
            print(
                f"lpscrape: note: {', '.join(blobs)} is binary: exported as base64 text",
                file=notes or sys.stderr,
            )
        with _output(output) as out:
            if excel and fmt == "csv":
                out.write(BOM)
            one_printf = len(set(columns)) == len(columns) <= PRINTF_MAX_COLUMNS
            if fmt == "csv" and sql is None and not blobs and one_printf:
                numeric = _numeric_columns(conn, label)
                return write_csv_in_sqlite(conn, out, query, columns, numeric, excel)
            if fmt == "csv":
                return write_csv(out, columns, rows, excel)
            return WRITERS[fmt](out, columns, rows)
    finally:
        conn.close()


def _numeric_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Columns declared INTEGER, FLOAT or REAL (their values are numbers or NULL, but for text
    that is no number)."""
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    return {row[1] for row in info if (row[2] or "").upper() in ("INTEGER", "FLOAT", "REAL")}


def _blob_columns(conn: sqlite3.Connection, table: str, columns: list[str]) -> list[str]:
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    declared = {row[1]: (row[2] or "").upper() for row in info}
    return [f"{table}.{c}" for c in columns if declared.get(c) == "BLOB"]


# Written into the folder by `export datasette`: what it wrote, so that exporting again into
# the same folder may replace exactly that, and a folder without it is never written over.
DATASETTE_MARKER = "lpscrape-export.json"
_MARKER_KIND = "lpscrape export datasette"
_CACHES = "__pycache__"  # Python's, beside plugins a Datasette has loaded
_WORK_PREFIX = ".lpscrape-export."  # the copy being made (.part), the one replaced (.old)


def _leftover(entry: Path) -> bool:
    """A folder an interrupted export left behind (its copy being made, or the one replaced)."""
    return (
        entry.name.startswith(_WORK_PREFIX)
        and entry.name.endswith((".part", ".old"))
        and entry.is_dir()
        and not entry.is_symlink()
    )


def _marked_files(folder: Path) -> set[str] | None:
    """The files (relative POSIX paths) an earlier `export datasette` wrote into `folder`, as
    its marker lists them; None when the folder holds no such marker."""
    try:
        marker = json.loads((folder / DATASETTE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("written_by") != _MARKER_KIND:
        return None
    files = marker.get("files")
    if not isinstance(files, list):
        return None
    names = set()
    for name in files:
        parts = name.split("/") if isinstance(name, str) else [""]
        if any(part in ("", ".", "..") or "\\" in part for part in parts):
            return None  # never a path outside the folder
        names.add(name)
    return names


def _foreign_entries(folder: Path, ours: set[str]) -> list[str]:
    """What `folder` holds that is none of `ours` (files, and the folders above them), nor the
    marker, an interrupted export's leftovers or Python's caches: put there by someone else."""
    folders = {"/".join(n.split("/")[:i]) for n in ours for i in range(1, n.count("/") + 1)}
    foreign = []
    for root, dirs, files in os.walk(folder):
        here = Path(root).relative_to(folder).as_posix()
        prefix = "" if here == "." else here + "/"
        for name in sorted(dirs):
            if name == _CACHES or (not prefix and _leftover(folder / name)):
                dirs.remove(name)  # nothing in it is served; removed or replaced
            elif prefix + name not in folders:
                foreign.append(prefix + name + "/")
                dirs.remove(name)
        known = ours | {DATASETTE_MARKER}
        foreign += [prefix + n for n in sorted(files) if prefix + n not in known]
    return foreign


def _check_datasette_folder(db_path: str | Path, out: Path) -> set[str]:
    """The entries at the top of `out` an export into it replaces: none for a folder that is
    new or empty, those of an earlier `export datasette` (by its marker). ExportError (one
    line, nothing touched) for any other folder: its files would be served, or lost."""
    if not out.exists() and not out.is_symlink():
        return set()
    if not out.is_dir():
        raise ExportError(f"export datasette: -o {out} is not a folder")
    if all(_leftover(entry) for entry in out.iterdir()):
        return set()
    ours = _marked_files(out)
    if ours is None:
        raise ExportError(
            f"export datasette: {out} is not empty and is not an earlier `lpscrape export "
            f"datasette` folder (it has no {DATASETTE_MARKER}): refusing to write into it; "
            "choose a new or empty folder"
        )
    if foreign := _foreign_entries(out, ours):
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise ExportError(
            f"export datasette: {out} holds {foreign[0]}{more}, which the earlier export did not "
            "write (Datasette would serve it): remove it, or choose a new or empty folder"
        )
    if _resolved(out) in _resolved(Path(db_path)).parents:
        raise ExportError(
            f"export datasette: the archive {db_path} is inside {out}, an earlier export the "
            "new one replaces: choose another folder"
        )
    return {n.split("/")[0] for n in ours} | {DATASETTE_MARKER}


def export_datasette(db_path: str | Path, out_dir: str | Path) -> Path:
    """`lpscrape.serve.write_datasette_dir` into `out_dir`, safely: the folder must be new,
    empty or an earlier export (recognised by the marker `lpscrape-export.json`, which lists
    what it wrote, and holding nothing else); an earlier export is replaced whole (its
    snapshot, templates and plugins removed), never mixed with the new one. The copy is made
    in a hidden folder inside `out_dir` and moved into place once complete; on failure
    `out_dir` is as it was. Returns the snapshot's path."""
    from lpscrape.serve import servable_archive, write_datasette_dir

    out = Path(out_dir)
    refuse_archive_as_output(db_path, out, "export datasette")
    replaced = _check_datasette_folder(db_path, out)
    servable_archive(db_path)  # a missing or foreign archive: refused before anything is made
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(dir=out, prefix=_WORK_PREFIX, suffix=".part"))
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    try:
        target = write_datasette_dir(db_path, build)
        files = sorted(
            p.relative_to(build).as_posix()
            for p in build.rglob("*")
            if p.is_file() and _CACHES not in p.parts
        )
        marker = {"written_by": _MARKER_KIND, "version": __version__, "files": files}
        (build / DATASETTE_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        old = Path(tempfile.mkdtemp(dir=out, prefix=_WORK_PREFIX, suffix=".old"))
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        if made:
            shutil.rmtree(out, ignore_errors=True)
        raise
    _swap(out, build, old, replaced)
    for entry in out.iterdir():  # this export's work folders, and interrupted ones'
        if _leftover(entry):
            shutil.rmtree(entry, ignore_errors=True)
    return out / target.name


def _swap(out: Path, build: Path, old: Path, replaced: set[str]) -> None:
    """Move the earlier export's entries of `out` into `old`, then the new ones from `build`
    into `out`; on an error, put the earlier ones back."""
    moved_out: list[str] = []
    moved_in: list[str] = []
    try:
        for name in sorted(replaced):
            if (out / name).exists() or (out / name).is_symlink():
                os.rename(out / name, old / name)
                moved_out.append(name)
        for entry in sorted(build.iterdir()):
            os.rename(entry, out / entry.name)
            moved_in.append(entry.name)
    except OSError as exc:
        for name in moved_in:
            os.rename(out / name, build / name)
        for name in moved_out:
            os.rename(old / name, out / name)
        shutil.rmtree(build, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from exc
