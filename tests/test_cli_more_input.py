"""More bad input on the command line, run as a person types it: one line on stderr, exit 2,
no traceback, nothing created or fetched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from lpscrape.archive.store import open_database
from lpscrape.cli import EXIT_OK, EXIT_USAGE
from lpscrape.demo import DemoServer

UNREACHABLE = "http://127.0.0.1:9/"  # never asked: every refusal here comes before any request
PAGE = str(ROOT / "tests" / "pages" / "lp_antwerp.html")


def one_line(result: subprocess.CompletedProcess) -> str:
    """The one line `lpscrape` refused its input with (exit status 2, no traceback)."""
    assert result.returncode == EXIT_USAGE, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["cite", "http://[::1"], "lpscrape: URL 'http://[::1' is not a valid URL: Invalid IPv6"),
        (
            ["extract", PAGE, "--url", "http://[::1"],
            "lpscrape: --url 'http://[::1' is not a valid URL: Invalid IPv6",
        ),
        (
            ["extract", "http://127.0.0.1:abc/"],
            "lpscrape: URL 'http://127.0.0.1:abc/' is not a valid URL: Port could not be cast",
        ),
        (
            ["crawl", "--redis", "redis://[::1", "--start-url", UNREACHABLE],
            "lpscrape: --redis 'redis://[::1' is not a valid URL: Invalid IPv6",
        ),
        (["store", "--redis", "redis://[::1"], "lpscrape: --redis 'redis://[::1' is not a valid"),
    ],
    ids=["cite", "extract --url", "extract port", "crawl --redis", "store --redis"],
)
def test_a_url_python_cannot_parse_is_one_line(tmp_path: Path, argv: list[str], said: str) -> None:
    db = tmp_path / "archive.db"
    if argv[0] != "extract":
        argv = [*argv, "--db", str(db)]
    assert one_line(run_cli(*argv)).startswith(said)
    assert not db.exists()


SPACED = "contains a space or control character"


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["crawl", "--start-url", UNREACHABLE + " x"], "start URL"),
        (["extract", PAGE, "--url", "http://example.org/a b/"], "--url"),
        (["extract", "http://127.0.0.1:9/a b"], "URL"),
        (["cite", "https://lordspress.example/a b/"], "URL"),
        (["cite", "/2025/09/10/x/", "--archive-url", "http://example.org/a b"], "--archive-url"),
        (["store", "--redis", "redis://127.0.0.1:9/0 x"], "--redis"),
        (["crawl", "--redis", "redis://127.0.0.1:9/0 x", "--start-url", UNREACHABLE], "--redis"),
    ],
    ids=["start URL", "extract --url", "extract", "cite", "--archive-url", "store", "crawl"],
)
def test_every_url_option_refuses_a_space_as_malformed(
    tmp_path: Path, argv: list[str], name: str
) -> None:
    """One check for every URL the command line takes: a start URL with a space is refused
    as malformed (port 9: nothing listens, so "cannot reach" would be the other answer)."""
    db = tmp_path / "archive.db"
    if argv[0] != "extract":
        argv = [*argv, "--db", str(db)]
    line = one_line(run_cli(*argv))
    assert line.startswith(f"lpscrape: {name} ") and SPACED in line, line
    assert "cannot reach" not in line
    assert sorted(tmp_path.iterdir()) == []  # no archive made, no run recorded


def test_a_start_url_with_a_space_is_refused_before_any_request(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    db = tmp_path / "archive.db"
    url = demo_server.base_url + "/ x"
    line = one_line(run_cli("crawl", "--start-url", url, "--db", str(db), "--delay", "0"))
    assert line == f"lpscrape: start URL {url!r} is not a valid URL: it {SPACED}"
    assert not db.exists() and demo_server.site.requests == []  # not even robots.txt


def test_export_sql_refuses_attach_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    target = tmp_path / "x.db"
    attach = f"attach database '{target}' as x"
    line = one_line(run_cli("export", "csv", "--db", str(db), "--sql", attach))
    assert line == "lpscrape: --sql is a read-only SELECT: ATTACH is not allowed"
    assert not target.exists()
    vacuum = f"vacuum into '{target}'"  # VACUUM INTO attaches its target
    one_line(run_cli("export", "csv", "--db", str(db), "--sql", vacuum))
    assert not target.exists()


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("pragma query_only = 0", "PRAGMA query_only"),
        ("pragma writable_schema = 1", "PRAGMA writable_schema"),
        ("detach database main", "DETACH"),
        ("create temp table t(x)", "INSERT"),  # its row in sqlite_temp_master, first
        ("delete from tags", "DELETE"),
    ],
)
def test_export_sql_refuses_anything_but_reading(tmp_path: Path, sql: str, refused: str) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    line = one_line(run_cli("export", "csv", "--db", str(db), "--sql", sql))
    assert line == f"lpscrape: --sql is a read-only SELECT: {refused} is not allowed"


def test_export_sql_still_reads_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    for sql in ("select name as col from pragma_table_info('tags')", "pragma table_info(tags)"):
        result = run_cli("export", "csv", "--db", str(db), "--sql", sql)
        assert result.returncode == EXIT_OK, result.stderr
        rows = [line.split(",") for line in result.stdout.replace('"', "").splitlines()[1:]]
        assert ["name"] in rows or any(row[1:3] == ["name", "TEXT"] for row in rows)


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["status", "--bogus"], "lpscrape status"),
        (["extract", PAGE, "--bogus"], "lpscrape extract"),
        (["export", "csv", "--bogus", "1"], "lpscrape export"),
        (["--bogus", "status"], "lpscrape"),
    ],
)
def test_an_unknown_option_is_one_line_from_its_command(argv: list[str], command: str) -> None:
    line = one_line(run_cli(*argv))
    unknown = " ".join(a for a in argv if a in ("--bogus", "1"))
    assert line == f"{command}: unrecognized arguments: {unknown} (see {command} --help)"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "lpscrape: the following arguments are required: COMMAND (see lpscrape --help)"),
        (["extract"], "lpscrape extract: the following arguments are required: FILE_OR_URL"),
        (["serve", "--port", "99999"], "lpscrape serve: argument --port: must be a port"),
        (["export", "xml"], "lpscrape export: argument format: invalid choice: 'xml'"),
        (["nosuch"], "lpscrape: argument COMMAND: invalid choice: 'nosuch'"),
    ],
)
def test_argparse_errors_are_one_line(argv: list[str], said: str) -> None:
    line = one_line(run_cli(*argv))
    assert line.startswith(said) and line.endswith(" --help)"), line


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["reparse", "--workers", "0"], "argument --workers: must be 1 or more, got 0"),
        (["reparse", "--workers", "-2"], "argument --workers: must be 1 or more, got -2"),
        (["store", "--redis", "redis://127.0.0.1:9/0", "--batch", "0"], "argument --batch"),
        (["store", "--redis", "redis://127.0.0.1:9/0", "--batch", "-5"], "argument --batch"),
        (["store", "--redis", "redis://127.0.0.1:9/0", "--idle-exit", "-1"], "--idle-exit"),
        (["store", "--redis", "redis://127.0.0.1:9/0", "--idle-exit", "0"], "--idle-exit"),
    ],
)
def test_counts_and_waits_below_one_are_refused_at_parse_time(
    tmp_path: Path, argv: list[str], said: str
) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    line = one_line(run_cli(*argv, "--db", str(db)))
    assert line.startswith(f"lpscrape {argv[0]}: ") and said in line, line


@pytest.mark.parametrize(
    "argv",
    [
        ["crawl", "--start-url", UNREACHABLE],
        ["demo"],
        ["store", "--redis", "redis://127.0.0.1:9/0"],
        ["reparse"],
        ["status"],
        ["export", "csv"],
    ],
)
def test_an_archive_in_a_folder_that_does_not_exist_says_so_before_anything(
    tmp_path: Path, argv: list[str]
) -> None:
    folder = tmp_path / "nonexistent"
    db = folder / "x.db"
    result = run_cli(*argv, "--db", str(db))
    line = one_line(result)
    assert f"archive {db}: the folder {folder} does not exist" in line, line
    assert result.stdout == ""  # the demo served nothing, no crawl started
    assert not folder.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "csv"],
        ["export", "jsonl"],
        ["export", "warc", "-o", "out.warc.gz"],
        ["demo"],
        ["status"],
        ["reparse"],
        ["cite", "/2025/09/10/x/"],
        ["crawl", "--start-url", UNREACHABLE],
    ],
)
def test_a_folder_given_as_the_archive_is_named_so_by_every_command(
    tmp_path: Path, argv: list[str]
) -> None:
    folder = tmp_path / "somedir"
    folder.mkdir()
    argv = [tmp_path / a if a.startswith("out.") else a for a in argv]
    result = run_cli(*map(str, argv), "--db", str(folder))
    assert one_line(result) == (
        f"lpscrape: {folder} is a folder, not an archive file: give --db a file, such as "
        f"{folder / 'archive.db'}"
    )
    assert result.stdout == "" and list(folder.iterdir()) == []


def test_export_datasette_prints_a_command_that_runs_in_a_fresh_shell(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    out = tmp_path / "public"
    result = run_cli("export", "datasette", "--db", str(db), "-o", str(out))
    assert result.returncode == EXIT_OK, result.stderr
    program = Path(sys.executable).parent / "datasette"
    shown = program.relative_to(ROOT) if program.is_relative_to(ROOT) else program
    assert result.stdout.rstrip("\n").endswith(f": {shown} {out}")
    assert os.access(ROOT / shown, os.X_OK)  # run_cli runs in ROOT: the path works from there


def test_extract_says_it_reads_only_http_urls_and_files() -> None:
    line = one_line(run_cli("extract", "ftp://example.com/x"))
    assert line == (
        "lpscrape: cannot read ftp://example.com/x: extract reads only http(s) URLs and files"
    )
