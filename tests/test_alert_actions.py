"""Alert actions as the crawl runs them: a command or sendmail that hangs is killed past its
timeout with everything it started, and one whose program is not there refuses the crawl when
it starts (exit 2, one line, as any other alert configuration that cannot be used), not on
the night it has an alert to send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, crawl, run_cli

from lpscrape.alerts import DEFAULT_SENDMAIL, Alert, AlertConfig, deliver
from lpscrape.demo import DemoServer

# A shell that starts a child (its pid written to a file) and waits for it: the action hangs.
HANGS = """#!/bin/sh
sleep 100 &
echo $! > "{pidfile}"
wait
"""


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its parent to reap it is dead)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] not in ("Z", "X")


def program(path: Path, text: str, mode: int = 0o755) -> str:
    path.write_text(text)
    path.chmod(mode)
    return str(path)


@pytest.mark.parametrize("action", ["command", "mail"])
def test_an_action_past_its_timeout_is_killed_with_what_it_started(
    tmp_path: Path, action: str
) -> None:
    pidfile = tmp_path / "child.pid"
    hangs = program(tmp_path / "hangs.sh", HANGS.format(pidfile=pidfile))
    config = AlertConfig(timeout=2)
    if action == "command":
        config.command = [hangs]
    else:
        config.mail_to, config.sendmail = ["archivist@example.org"], [hangs]
    alert = Alert(7, str(tmp_path / "archive.db"), "http://127.0.0.1/", "failed", None, ["x"])
    started = time.monotonic()
    try:
        results = deliver(alert, config)
        took = time.monotonic() - started
        child = int(pidfile.read_text())
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child), "the action's child (sleep 100) outlived the action"
    finally:
        if pidfile.exists() and alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
    assert results == {action: "failed: no answer in 2 s"}
    assert took < 10  # the timeout, not the child's 100 s


def test_an_action_that_ends_in_time_is_unchanged(tmp_path: Path) -> None:
    told = tmp_path / "told.txt"
    config = AlertConfig(command=["sh", "-c", f'cat > "{told}"; echo "$LPSCRAPE_RUN_ID" >&2'])
    alert = Alert(7, str(tmp_path / "archive.db"), "http://127.0.0.1/", "failed", None, ["x"])
    assert deliver(alert, config) == {"command": "ok"}
    assert told.read_text() == alert.text
    config.command = ["sh", "-c", "echo 'no route to the pager' >&2; exit 5"]
    assert deliver(alert, config) == {"command": "failed: exit status 5: no route to the pager"}


def alerts_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    return path


def cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """Alert settings whose program cannot run: the crawl's --set, and what the line says."""
    not_executable = program(tmp_path / "notify.sh", "#!/bin/sh\n", mode=0o644)
    missing = tmp_path / "no-such-sendmail"
    return {
        "missing command": (
            ["LPSCRAPE_ALERT_COMMAND=/no/such/program --flag"],
            "LPSCRAPE_ALERT_COMMAND: /no/such/program not found",
        ),
        "command not executable": (
            [f"LPSCRAPE_ALERT_COMMAND={not_executable}"],
            f"LPSCRAPE_ALERT_COMMAND: {not_executable} is not executable",
        ),
        "command not on PATH": (
            ["LPSCRAPE_ALERT_COMMAND=no-such-notifier"],
            "LPSCRAPE_ALERT_COMMAND: no-such-notifier not found on PATH (",
        ),
        "command a folder": (
            [f"LPSCRAPE_ALERT_COMMAND={tmp_path}"],
            f"LPSCRAPE_ALERT_COMMAND: {tmp_path} is a folder, not a program",
        ),
        "sendmail of the file missing": (
            [
                "LPSCRAPE_ALERTS_FILE="
                + str(alerts_file(tmp_path, f'mail_to = ["a@example.org"]\nsendmail = "{missing}"'))
            ],
            f"alerts file {tmp_path / 'alerts.toml'}: sendmail: {missing} not found",
        ),
        "sendmail setting missing": (
            ["LPSCRAPE_ALERT_MAIL_TO=a@example.org", "LPSCRAPE_SENDMAIL=/no/sbin/sendmail"],
            "LPSCRAPE_SENDMAIL: /no/sbin/sendmail not found",
        ),
        "no sendmail for mail_to": (
            ["LPSCRAPE_ALERT_MAIL_TO=a@example.org"],
            f"LPSCRAPE_ALERT_MAIL_TO is set but mail cannot be sent: {DEFAULT_SENDMAIL} not "
            "found (install a sendmail",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing command",
        "command not executable",
        "command not on PATH",
        "command a folder",
        "sendmail of the file missing",
        "sendmail setting missing",
        "no sendmail for mail_to",
    ],
)
def test_an_action_whose_program_cannot_run_refuses_the_crawl_before_it_starts(
    demo_server: DemoServer, tmp_path: Path, case: str
) -> None:
    if case == "no sendmail for mail_to" and Path(DEFAULT_SENDMAIL).exists():
        pytest.skip(f"this host has {DEFAULT_SENDMAIL}")
    settings, said = cases(tmp_path)[case]
    sets = [arg for setting in settings for arg in ("--set", setting)]
    demo_server.site.requests.clear()
    db = tmp_path / "archive.db"
    result = crawl(demo_server, db, *sets, check=False)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("lpscrape: crawl refused: ") and said in line
    assert line.endswith("no alert could be sent")
    assert demo_server.site.requests == [] and not db.exists()  # nothing fetched or written
    # The distributed writer, which sends the runs' alerts, is refused the same way (before it
    # looks for its Redis: nothing listens on port 9).
    store = run_cli("store", "--redis", "redis://127.0.0.1:9/0", "--db", str(db), *sets)
    assert store.returncode == 2 and not db.exists()
    (line,) = store.stderr.splitlines()
    assert line.startswith("lpscrape: writer refused: ") and said in line


def test_sendmail_is_checked_only_when_mail_is_asked_for(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    # No mail_to: a missing sendmail is nobody's business; a command found on PATH is run as is.
    result = crawl(
        demo_server, tmp_path / "archive.db", "--set", "LPSCRAPE_SENDMAIL=/no/sbin/sendmail",
        "--set", "LPSCRAPE_ALERT_COMMAND=tee /dev/null", check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")


def test_the_check_runs_the_program_as_the_action_would(tmp_path: Path) -> None:
    """Relative to the working folder and on the PATH of the process, as subprocess finds it."""
    program(tmp_path / "notify.sh", "#!/bin/sh\ncat >/dev/null\n")
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    script = (
        "from lpscrape.alerts import AlertConfig\n"
        "AlertConfig.from_values({'command': 'notify.sh'}, check_programs=True)\n"
        "AlertConfig.from_values({'command': './notify.sh'}, check_programs=True)\n"
        "print('usable')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "usable\n"), done.stderr
