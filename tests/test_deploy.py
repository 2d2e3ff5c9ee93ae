"""Deployment as the README gives it: scrapyd on 127.0.0.1, the systemd units, the crontab."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT, crawl, free_port, query

from lpscrape.demo import DemoServer

BIN = Path(sys.executable).parent
DEPLOY = ROOT / "deploy"


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A real scrapyd (from PyPI) on a free 127.0.0.1 port, configured as deploy/ has it."""
    if shutil.which("scrapyd", path=str(BIN)) is None:
        pytest.skip("scrapyd is not installed (pip install -e '.[dev]' installs it)")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    conf = (DEPLOY / "scrapyd.conf").read_text()
    conf = conf.replace("/srv/lpscrape/scrapyd", str(home)).replace("6800", str(port))
    (home / "scrapyd.conf").write_text(conf + "poll_interval = 0.5\n")
    log = (home / "scrapyd.out").open("w")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(url + "/daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                assert proc.poll() is None, (home / "scrapyd.out").read_text()
                assert time.monotonic() < deadline, "scrapyd did not answer in 30 s"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def deploy(scrapyd: str, tmp_path: Path) -> None:
    """`scrapyd-deploy` of the project as checked out, its [deploy] target at this scrapyd."""
    project = tmp_path / "project"
    shutil.copytree(
        ROOT / "lpscrape", project / "lpscrape", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("setup.py", "pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, project / name)
    cfg = (project / "scrapy.cfg").read_text()
    (project / "scrapy.cfg").write_text(re.sub(r"url = .*", f"url = {scrapyd}/", cfg))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    deployed = subprocess.run(
        [str(BIN / "scrapyd-deploy")], cwd=project, capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    assert '"status": "ok"' in deployed.stdout + deployed.stderr
    assert _get(scrapyd + "/listspiders.json?project=lpscrape")["spiders"] == ["lordspress"]


def schedule(scrapyd: str, form: list[tuple[str, str]]) -> dict:
    """A `schedule.json` call, as deploy/schedule-scrapyd.sh makes it; the job it started."""
    data = urllib.parse.urlencode([("project", "lpscrape"), ("spider", "lordspress"), *form])
    with urllib.request.urlopen(scrapyd + "/schedule.json", data=data.encode(), timeout=10) as r:
        job = json.loads(r.read())
    assert job["status"] == "ok", job
    return job


def wait_finished(scrapyd: str, job: dict) -> None:
    """Until scrapyd lists the job as finished."""
    deadline = time.monotonic() + 120
    while True:
        jobs = _get(scrapyd + "/listjobs.json?project=lpscrape")
        if [j for j in jobs["finished"] if j["id"] == job["jobid"]]:
            return
        assert time.monotonic() < deadline, f"the scrapyd job did not finish: {jobs}"
        time.sleep(0.5)


def test_scrapyd_deploy_then_a_scheduled_crawl_fills_the_archive(
    scrapyd: str, demo_server: DemoServer, tmp_path: Path
) -> None:
    deploy(scrapyd, tmp_path)
    db = tmp_path / "archive.db"
    job = schedule(
        scrapyd,
        [
            ("start_url", demo_server.base_url + "/"),
            ("setting", f"ARCHIVE_DB={db}"),
            ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_START_DELAY=0"),
        ],
    )
    wait_finished(scrapyd, job)

    assert query(db, "SELECT count(*) FROM articles") == [(48,)]
    assert query(db, "SELECT outcome, new, mode FROM crawl_runs") == [
        ("completed", 48, "incremental")
    ]
    [(log_path, healthy)] = query(db, "SELECT log_path, healthy FROM run_health")
    assert log_path.endswith(f"lpscrape/lordspress/{job['jobid']}.log") and healthy == 1
    assert "Spider closed (finished)" in Path(log_path).read_text()


def test_a_scrapyd_job_with_a_redis_url_is_a_crawler_of_the_shared_frontier(
    scrapyd: str, redis_url: str, demo_server: DemoServer, tmp_path: Path
) -> None:
    deploy(scrapyd, tmp_path)
    db = tmp_path / "archive.db"
    writer = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", "store", "--redis", redis_url, "--db", str(db),
         "--idle-exit", "15"],  # scrapyd may take seconds to start the job's crawler
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        demo_server.site.requests.clear()
        job = schedule(
            scrapyd,
            [
                ("start_url", demo_server.base_url + "/"),
                ("setting", f"LPSCRAPE_REDIS_URL={redis_url}"),  # README, "Under scrapyd"
                ("setting", "DOWNLOAD_DELAY=0"),
                ("setting", "AUTOTHROTTLE_START_DELAY=0"),
            ],
        )
        wait_finished(scrapyd, job)
        out, err = writer.communicate(timeout=120)
    finally:
        writer.kill()
    assert writer.returncode == 0, err
    assert "run 1 completed" in out  # closed by the writer, from the job's end-of-run message
    assert query(db, "SELECT count(*) FROM articles") == [(48,)]
    assert query(db, "SELECT outcome, new, run_key IS NOT NULL FROM crawl_runs") == [
        ("completed", 48, 1)
    ]
    paths = [r.path for r in demo_server.site.requests if r.path.startswith("/20")]
    assert len(paths) == len(set(paths)) == 48  # through the shared frontier, each once


SCHEDULE = DEPLOY / "schedule-scrapyd.sh"


def schedule_script(
    scrapyd: str, *args: str, archive: Path | str = "/srv/lpscrape/archive.db", alerts: str = ""
) -> subprocess.CompletedProcess:
    """deploy/schedule-scrapyd.sh run as cron runs it, against the scrapyd at `scrapyd`."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    env = {**os.environ, "SCRAPYD": scrapyd, "ARCHIVE": str(archive), "ALERTS": alerts}
    return subprocess.run(
        [str(SCHEDULE), *args], capture_output=True, text=True, env=env, timeout=120
    )


def wait_all_finished(scrapyd: str, count: int) -> list[dict]:
    """Until scrapyd lists `count` jobs, all finished; those jobs."""
    deadline = time.monotonic() + 120
    while True:
        jobs = _get(scrapyd + "/listjobs.json?project=lpscrape")
        if len(jobs["finished"]) == count and not jobs["pending"] and not jobs["running"]:
            return jobs["finished"]
        assert time.monotonic() < deadline, f"the scrapyd jobs did not finish: {jobs}"
        time.sleep(0.5)


def test_the_schedule_script_fails_in_one_line_when_scrapyd_refuses_the_job(
    scrapyd: str,
) -> None:
    # Nothing deployed: scrapyd 1.6 answers 200 {"status": "error", "message": "project …"}.
    result = schedule_script(scrapyd)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"schedule-scrapyd: {scrapyd} did not schedule the crawl: project 'lpscrape' not found"
    ]


def test_the_schedule_script_is_silent_when_scrapyd_takes_the_job(
    scrapyd: str, demo_server: DemoServer, tmp_path: Path
) -> None:
    deploy(scrapyd, tmp_path)
    db = tmp_path / "archive.db"
    fast = ("setting=DOWNLOAD_DELAY=0", "setting=AUTOTHROTTLE_START_DELAY=0")
    start = f"start_url={demo_server.base_url}/"
    result = schedule_script(scrapyd, start, *fast, archive=db)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")  # cron mails nothing
    [job] = wait_all_finished(scrapyd, 1)
    assert query(db, "SELECT outcome, new FROM crawl_runs") == [("completed", 48)]
    # A job whose alert command is not there to run: scheduled (scrapyd took it), and the crawl
    # refuses to start, as `lpscrape crawl` does, rather than find out on the night of an alert.
    refused = tmp_path / "refused.db"
    missing = "setting=LPSCRAPE_ALERT_COMMAND=/no/such/program"
    result = schedule_script(scrapyd, start, *fast, missing, archive=refused)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    jobs = wait_all_finished(scrapyd, 2)
    [second] = [j for j in jobs if j["id"] != job["id"]]
    log = tmp_path / "scrapyd" / "logs" / "lpscrape" / "lordspress" / f"{second['id']}.log"
    said = log.read_text()  # the refusal is in the stats it dumps (pprint splits the line)
    assert "Spider closed (alerts_unusable)" in said and "/no/such/program not found" in said
    assert "ERROR: lpscrape: crawl refused: LPSCRAPE_ALERT_COMMAND: /no/such/program" in said
    assert not refused.exists()
    # The job's log has the run's progress an hour, not a line every 2 s.
    first = log.with_name(f"{job['id']}.log").read_text()
    assert first.count("progress: [") <= 2


class Answers:
    """A stand-in for scrapyd on 127.0.0.1: answers schedule.json with `status` and `body`,
    and keeps the form fields it was sent."""

    def __init__(self, status: int, body: str) -> None:
        self.forms: list[list[tuple[str, str]]] = []
        answers = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = self.rfile.read(int(self.headers["Content-Length"])).decode()
                answers.forms.append(urllib.parse.parse_qsl(form))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, '{"status": "error", "message": "spider \\"lordspress\\" not found"}',
         'spider "lordspress" not found'),
        (200, '{"node_name": "h", "status": "error"}', '{"node_name": "h", "status": "error"}'),
        (200, '{"status": "okay"}', '{"status": "okay"}'),
        (200, "<html><body>Proxy login</body></html>",
         "its answer is not JSON: <html><body>Proxy login</body></html>"),
        (200, "", "its answer is empty"),
        (502, '{"status": "ok"}', "curl: (22) The requested URL returned error: 502"),
    ],
)  # fmt: skip
def test_the_schedule_script_reads_scrapyds_answer_not_only_its_http_status(
    status: int, body: str, said: str
) -> None:
    scrapyd = Answers(status, body)
    try:
        result = schedule_script(scrapyd.url)
    finally:
        scrapyd.close()
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"schedule-scrapyd: {scrapyd.url} did not schedule the crawl: {said}"
    ]


def test_the_schedule_script_sends_the_job_and_says_nothing_unless_asked() -> None:
    answer = '{"node_name": "h", "status": "ok", "jobid": "6487ec79"}'
    scrapyd = Answers(200, answer)
    try:
        quiet = schedule_script(scrapyd.url, "start_url=https://lp.example/", archive="/a/b.db")
        verbose = schedule_script(scrapyd.url, "-v", alerts="/a/alerts.toml")
    finally:
        scrapyd.close()
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert (verbose.returncode, verbose.stdout, verbose.stderr) == (0, answer + "\n", "")
    assert scrapyd.forms[0] == [
        ("project", "lpscrape"),
        ("spider", "lordspress"),
        ("setting", "ARCHIVE_DB=/a/b.db"),
        ("setting", "LPSCRAPE_ALERTS_FILE="),
        ("setting", "LPSCRAPE_PROGRESS_INTERVAL=3600"),  # the job's log: a line an hour
        ("start_url", "https://lp.example/"),
    ]
    assert ("setting", "LPSCRAPE_ALERTS_FILE=/a/alerts.toml") in scrapyd.forms[1]


def test_the_schedule_script_fails_in_one_line_when_scrapyd_is_unreachable() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    result = schedule_script(nobody)
    assert result.returncode != 0 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"schedule-scrapyd: {nobody} did not schedule the crawl: curl: (7) ")


def unit_settings(name: str) -> dict[str, str]:
    """A unit file's last value of each setting (continuation lines joined)."""
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    return dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.M))


def test_the_units_keep_home_folders_readable_and_the_archive_writable() -> None:
    for name in ("lpscrape-crawl.service", "lpscrape-store.service", "scrapyd.service"):
        unit = unit_settings(name)
        # ProtectHome=yes hides /home and /root: a .venv whose Python is there (pyenv, a
        # user's checkout) could not even start. Read-only, with the archive's folder writable.
        assert unit["ProtectHome"] == "read-only", name
        assert "/srv/lpscrape" in unit["ReadWritePaths"].split(), name


def test_a_crawl_stopped_as_its_unit_stops_it_ends_aborted_well_within_the_stop_timeout(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    """`systemctl stop` as lpscrape-crawl.service configures it: the kill signal to the main
    process only (KillMode=mixed) or to every process of the unit (the default), then SIGKILL
    to what is left after TimeoutStopSec (systemd's default 90 s when unset)."""
    unit = unit_settings("lpscrape-crawl.service")
    stop_timeout = float(unit.get("TimeoutStopSec", "90").removesuffix("s"))
    kill = getattr(signal, unit.get("KillSignal", "SIGTERM"))
    db = tmp_path / "archive.db"
    for article in demo_server.site.articles[8:]:
        demo_server.site.delays[article.path] = 0.5  # a polite crawl, mid-way
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", "crawl", "--start-url", demo_server.base_url + "/",
         "--db", str(db), "--delay", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: the unit's processes
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len([r for r in demo_server.site.requests if r.path.startswith("/20")]) < 10:
            assert proc.poll() is None and time.monotonic() < deadline, "the crawl did not start"
            time.sleep(0.05)
        stopped = time.monotonic()
        if unit.get("KillMode") == "mixed":
            os.kill(proc.pid, kill)
        else:
            os.killpg(proc.pid, kill)
        _, err = proc.communicate(timeout=stop_timeout)
        took = time.monotonic() - stopped
        left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, err
    [(outcome, stored)] = query(db, "SELECT outcome, new FROM crawl_runs")
    # Aborted, what it stored kept: not `failed` by a store worker killed under it.
    assert outcome == "aborted" and stored >= 5, err
    assert left.stdout == ""  # nothing left for the final SIGKILL
    # The stop timeout leaves room for what may follow the signal: the requests in flight
    # (DOWNLOAD_TIMEOUT) and the aborted run's alert, 30 s for each of the three actions.
    assert took < 15 and stop_timeout >= 30 + 3 * 30


def test_the_shipped_alerts_file_is_usable_on_a_host_without_sendmail(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    shipped = tomllib.loads((DEPLOY / "alerts.toml").read_text())
    # Mail is an example to uncomment once a sendmail is installed: enabled by default, every
    # crawl on a host without one would be refused.
    assert "mail_to" not in shipped
    program = shipped["command"][0]
    if not os.access(program, os.X_OK):
        pytest.skip(f"{program} is not installed here")
    result = crawl(
        demo_server, tmp_path / "archive.db",
        "--set", f"LPSCRAPE_ALERTS_FILE={DEPLOY / 'alerts.toml'}", check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")


def test_systemd_units_verify() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    here = Path(sys.prefix) / "bin" / "lpscrape"
    units = {}
    names = ("lpscrape-crawl.service", "lpscrape-crawl.timer", "lpscrape-store.service")
    for name in (*names, "scrapyd.service"):
        text = (DEPLOY / name).read_text()
        text = text.replace("/srv/lpscrape/.venv/bin/lpscrape", str(here))
        text = text.replace("/srv/lpscrape/.venv/bin/scrapyd", str(BIN / "scrapyd"))
        text = re.sub(r"^(User|Group)=.*$", r"\1=root", text, flags=re.M)
        units[name] = text.replace("/srv/lpscrape", str(ROOT))
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"lpscrape-units-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    try:
        for name, text in units.items():
            (folder / name).write_text(text)
        result = subprocess.run(
            [analyze, "verify", "--man=no", *(str(folder / n) for n in units)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 0, result.stderr
    assert "SuccessExitStatus=3" in units["lpscrape-crawl.service"]  # alerts are not a failure
    assert "Persistent=true" in units["lpscrape-crawl.timer"]
    for name in ("lpscrape-crawl.service", "lpscrape-store.service", "scrapyd.service"):
        # Mail alerts through a setgid sendmail (postfix, exim) that spools under /var.
        assert not re.search(r"^NoNewPrivileges=", units[name], flags=re.M)
        assert "ProtectSystem=strict" in units[name]
        assert "-/var/spool/postfix/maildrop" in units[name]  # its spool, and only that


def test_the_crontab_line_runs_the_documented_command() -> None:
    lines = [
        line
        for line in (DEPLOY / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert fields[:5] == ["17", "3", "*", "*", "*"]
    assert ".venv/bin/lpscrape crawl --db /srv/lpscrape/archive.db" in fields[5]
    readme = (ROOT / "README.md").read_text()
    assert lines[0] in readme  # the README shows the line that is shipped
