"""stderr under cron: without -v only lpscrape's ALERT lines and errors, one line each; the
run's log file keeps everything from INFO up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT, crawl
from scrapy.settings import Settings

from lpscrape.demo import DemoServer
from lpscrape.runlog import log_prefix, rotate


def test_scrapy_warnings_go_to_the_run_log_not_to_stderr(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    # Every page is past the warn size: Scrapy warns once per response.
    result = crawl(demo_server, db, "--set", "DOWNLOAD_WARNSIZE=2000")
    assert (result.returncode, result.stderr) == (0, "")
    [log] = (tmp_path / "logs").glob("crawl-archive-*.log")  # named after its archive
    warned = [
        line
        for line in log.read_text().splitlines()
        if "WARNING: Expected to receive" in line and "download warn size (2000)" in line
    ]
    assert len(warned) > 10  # the run's log has them all
    assert "[scrapy.core.engine] INFO: Spider opened" in log.read_text()


def test_an_error_is_one_line_on_the_console_and_whole_in_the_run_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    script = (
        "import logging\n"
        "from scrapy.utils.log import configure_logging\n"
        "from lpscrape.runlog import QuietFileHandler, quiet_console\n"
        "configure_logging({'LOG_LEVEL': 'ERROR'})\n"  # the console of `lpscrape crawl`
        "quiet_console()\n"
        f"logging.getLogger().addHandler(QuietFileHandler({str(log)!r}))\n"
        "try:\n"
        "    {}['x']\n"
        "except KeyError:\n"
        "    logging.getLogger('scrapy.core.scraper').exception(\n"
        "        'Spider error processing <GET http://x/>\\nsecond line')\n"
        "logging.getLogger('scrapy').warning('a warning: the log file only')\n"
        "logging.shutdown()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    assert line.endswith("[scrapy.core.scraper] ERROR: Spider error processing <GET http://x/> […]")
    text = log.read_text()
    assert "second line\nTraceback" in text and "KeyError: 'x'" in text
    assert "a warning: the log file only" in text


def test_archives_sharing_a_log_folder_rotate_only_their_own_logs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    ours, theirs = (
        log_prefix(Settings({"ARCHIVE_DB": str(tmp_path / name)})) for name in ("a.db", "h.db")
    )
    assert ours.startswith("crawl-a-") and theirs.startswith("crawl-h-")
    for prefix in (ours, theirs):
        for stamp in ("20260101T000000.000Z", "20260102T000000.000Z"):
            (logs / f"{prefix}-{stamp}-1.log").write_text("")
    removed = rotate(logs, 1, ours)
    assert [p.name for p in removed] == [f"{ours}-20260101T000000.000Z-1.log"]
    assert len(list(logs.glob(f"{theirs}-*.log"))) == 2  # the other archive's stay
