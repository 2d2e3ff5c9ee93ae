"""Deployment as the README gives it: scrapyd on 127.0.0.1, the systemd units, the crontab."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, free_port, query

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
