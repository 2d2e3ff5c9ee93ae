"""Bad input on the command line: one `lpscrape:` line (or argparse's usage) and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from lpscrape import __version__
from lpscrape.archive import lock
from lpscrape.archive.store import open_database
from lpscrape.cli import EXIT_BUSY, EXIT_OK, EXIT_USAGE, UserError, main, setting_overrides

UNREACHABLE = "http://127.0.0.1:9/"  # never asked: every refusal here comes before any request


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one `lpscrape:` line `main(argv)` refuses the input with (exit status 2)."""
    assert main(argv) == EXIT_USAGE
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lpscrape: ")
    return lines[0]


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """argparse's refusal of `argv` (exit status 2): its error line."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == EXIT_USAGE
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("content", ["", "# publications to come\n\n"])
def test_a_sites_file_that_names_no_publication_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text(content)
    db = tmp_path / "archive.db"
    line = refused(["crawl", "--sites", str(sites), "--db", str(db)], capsys)
    assert line == f"lpscrape: sites file {sites} names no publication"
    assert not db.exists()  # not the live site instead


def test_a_sites_file_that_is_not_text_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_bytes(b"\xff\xfe\x00h\x00t\x00t\x00p")  # saved as UTF-16
    line = refused(["crawl", "--sites", str(sites), "--db", str(tmp_path / "a.db")], capsys)
    assert line == f"lpscrape: cannot read sites file {sites}: not UTF-8 text"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('timeout = "abc"\n', "timeout must be a positive number of seconds, got 'abc'"),
        ("timeout = -5\n", "timeout must be a positive number of seconds, got -5"),
        ("mail_to = 5\n", "mail_to must be a string or a list of strings, got 5"),
        ("command = 5\n", "command must be a string or a list of strings, got 5"),
        ('command = "notify \'unclosed"\n', "command cannot be read: No closing quotation"),
        ("mail_from = 5\n", "mail_from must be a string, got 5"),
        ('webhook = "hooks.example.org/x"\n', "webhook must be an http(s) URL"),
    ],
)
def test_an_alerts_file_with_a_wrong_value_is_refused_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, said: str
) -> None:
    alerts = tmp_path / "alerts.toml"
    alerts.write_text(content)
    db = tmp_path / "archive.db"
    argv = ["crawl", "--start-url", UNREACHABLE, "--db", str(db)]
    line = refused([*argv, "--set", f"LPSCRAPE_ALERTS_FILE={alerts}"], capsys)
    assert line.startswith(f"lpscrape: crawl refused: alerts file {alerts}: {said}")
    assert not db.exists()


def test_an_alert_setting_with_a_wrong_value_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["crawl", "--start-url", UNREACHABLE, "--db", str(tmp_path / "archive.db")]
    line = refused([*argv, "--set", "LPSCRAPE_ALERT_TIMEOUT=abc"], capsys)
    assert "LPSCRAPE_ALERT_TIMEOUT must be a positive number of seconds, got 'abc'" in line


@pytest.mark.parametrize(
    ("assignment", "said"),
    [
        ("DOWNLOAD_TIMEOUT=abc", "--set DOWNLOAD_TIMEOUT='abc': expected a number"),
        ("LPSCRAPE_HEALTH_SAMPLE=many", "--set LPSCRAPE_HEALTH_SAMPLE='many': expected a number"),
        ("ROBOTSTXT_OBEY=maybe", "--set ROBOTSTXT_OBEY='maybe': expected True or False"),
        ("LPSCRAPE_STORE_WORKER=no", "--set LPSCRAPE_STORE_WORKER='no': expected True or False"),
        ("ITEM_PIPELINES=none", "--set ITEM_PIPELINES='none': expected a JSON object"),
        (
            "NO_SUCH_SETTING=1",
            "--set NO_SUCH_SETTING: no such setting, neither Scrapy's nor lpscrape's",
        ),
        ("LPSCRAPE_ALERT_WEBHOK=http://x/", "did you mean LPSCRAPE_ALERT_WEBHOOK?"),
        ("DOWNLOAD_TIMEOUT=-3", "--set DOWNLOAD_TIMEOUT='-3': must not be negative"),
        ("DOWNLOAD_TIMEOUT=0", "--set DOWNLOAD_TIMEOUT='0': must be above 0"),
        ("CONCURRENT_REQUESTS=2.5", "--set CONCURRENT_REQUESTS='2.5': expected a whole number"),
        ("CLOSESPIDER_PAGECOUNT=2.5", "--set CLOSESPIDER_PAGECOUNT='2.5': expected a whole"),
        ("DOWNLOAD_DELAY=nan", "--set DOWNLOAD_DELAY='nan': expected a finite number"),
        ("LPSCRAPE_ALERT_SHARE=20", "--set LPSCRAPE_ALERT_SHARE='20': a share, from 0 to 1"),
    ],
)
def test_a_setting_scrapy_could_not_read_or_does_not_have_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assignment: str, said: str
) -> None:
    db = tmp_path / "archive.db"
    for command in (["crawl", "--start-url", UNREACHABLE], ["store", "--redis", "redis://x"]):
        line = refused([*command, "--db", str(db), "--set", assignment], capsys)
        assert said in line
    assert not db.exists()


def test_settings_of_the_right_type_pass_and_scrapy_is_not_imported_to_check_them() -> None:
    """The store worker is forked before Scrapy is imported: the check reads Scrapy's
    defaults without importing it (a subprocess: this test process has Scrapy already)."""
    good = ["DOWNLOAD_TIMEOUT=7.5", "ROBOTSTXT_OBEY=False", "RETRY_TIMES=1", "JOBDIR=jobs"]
    good += ["DOWNLOAD_DELAY=0", "RETRY_PRIORITY_ADJUST=-2", "LPSCRAPE_ALERT_SHARE=1"]
    assert setting_overrides(good) == dict(a.split("=") for a in good)
    code = (
        "import sys\n"
        "from lpscrape.cli import UserError, setting_overrides\n"
        f"setting_overrides({good!r})\n"
        "try:\n"
        "    setting_overrides(['DOWNLOAD_TIMEOUT=abc'])\n"
        "except UserError:\n"
        "    print(sorted(m for m in ('scrapy', 'twisted') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout == "[]\n"
    with pytest.raises(UserError):
        setting_overrides(["DOWNLOAD_DELAY=soon"])


def test_a_negative_delay_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["crawl", "--start-url", UNREACHABLE, "--db", str(tmp_path / "a.db"), "--delay", "-1"]
    assert "argument --delay: must be 0 or more seconds" in usage_error(argv, capsys)


@pytest.mark.parametrize("url", ["http://[::1", "http://example.org:99999/"])
def test_a_start_url_python_cannot_parse_is_one_line(tmp_path: Path, url: str) -> None:
    result = run_cli("crawl", "--start-url", url, "--db", str(tmp_path / "archive.db"))
    assert result.returncode == EXIT_USAGE and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"lpscrape: start URL {url!r} is not a valid URL: "
        + ("Invalid IPv6 URL" if "[" in url else "Port out of range 0-65535")
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["serve", "--port", "0"],
        ["demo", "--port", "65536"],
    ],
)
def test_a_port_out_of_range_is_refused(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*argv, "--db", str(tmp_path / "demo.db")]  # nothing written where the tests run
    assert "argument --port: must be a port from 1 to 65535" in usage_error(argv, capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "--runs", "0"],
        ["status", "--runs", "-2"],
        ["cite", "/2025/09/10/x/", "--version", "0"],
        ["cite", "/2025/09/10/x/", "--version", "-1"],
    ],
)
def test_counts_below_one_are_refused(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*argv, "--db", str(tmp_path / "archive.db")]
    assert "must be 1 or more" in usage_error(argv, capsys)


def test_reparse_refuses_an_empty_file_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    line = refused(["reparse", "--db", str(db)], capsys)
    assert line == f"lpscrape: {db} is not an lpscrape archive (it is empty): nothing to re-extract"
    assert db.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [db]


def test_export_says_an_empty_file_is_no_archive_as_reparse_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    line = refused(["export", "csv", "--db", str(db), "-o", "-"], capsys)
    assert line == f"lpscrape: {db} is not an lpscrape archive (it is empty): nothing to export"


def test_reparse_of_an_archive_without_captures_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    assert main(["reparse", "--db", str(db)]) == EXIT_OK
    assert capsys.readouterr().out == f"lpscrape: no captures to re-extract in {db}\n"


def test_reparse_refused_by_a_running_crawl_says_what_it_did_not_start(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    lock.acquire(db, purpose="crawl")  # this process plays the crawl
    try:
        result = run_cli("reparse", "--db", str(db))
    finally:
        lock.release(db)
    assert result.returncode == EXIT_BUSY
    assert ", a crawl since " in result.stderr
    assert "; not starting the reparse — try again when it has finished" in result.stderr


def test_a_crawl_skipped_for_a_crawl_still_running_alerts_someone(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).conn.close()
    told = tmp_path / "told.txt"
    notify = tmp_path / "notify.sh"
    notify.write_text(f'#!/bin/sh\ncat > "{told}"\n')
    notify.chmod(0o755)
    lock.acquire(db, purpose="crawl")  # this process plays last night's crawl, still at work
    try:
        result = run_cli(
            "crawl", "--db", str(db), "--start-url", "http://127.0.0.1:9/",
            "--set", f"LPSCRAPE_ALERT_COMMAND={notify}",
        )  # fmt: skip
    finally:
        lock.release(db)
    assert result.returncode == EXIT_BUSY
    assert "the crawl could not start" in told.read_text()
    assert "this crawl was skipped" in told.read_text()


@pytest.mark.parametrize(("what", "target"), [("warc", "FILE"), ("datasette", "DIR")])
def test_export_without_an_output_says_it_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str, target: str
) -> None:
    line = refused(["export", what, "--db", str(tmp_path / "archive.db")], capsys)
    assert line.startswith(f"lpscrape: export {what}: -o {target} is required")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == EXIT_OK
    assert capsys.readouterr().out == f"lpscrape {__version__}\n"


def test_serve_refuses_an_archive_url_that_is_not_one_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "--db", str(tmp_path / "none.db"), "--archive-url", "archive.example.org"]
    line = refused(argv, capsys)
    assert line == ("lpscrape: --archive-url must be an http(s) URL, got 'archive.example.org'"), (
        line
    )
