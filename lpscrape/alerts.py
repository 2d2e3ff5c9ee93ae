"""Alert actions that reach a person: a command, a webhook, mail through the local sendmail.

Each action is tried once per alerting run; one that fails is reported in one line and
recorded with the run, and never undoes or fails the crawl's archive work.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lpscrape import __version__

logger = logging.getLogger(__name__)

DEFAULT_SENDMAIL = "/usr/sbin/sendmail"
# Keys of the alerts file (TOML) and the settings they stand for.
FILE_KEYS = {
    "command": "LPSCRAPE_ALERT_COMMAND",
    "webhook": "LPSCRAPE_ALERT_WEBHOOK",
    "mail_to": "LPSCRAPE_ALERT_MAIL_TO",
    "mail_from": "LPSCRAPE_ALERT_MAIL_FROM",
    "sendmail": "LPSCRAPE_SENDMAIL",
    "timeout": "LPSCRAPE_ALERT_TIMEOUT",
}


class AlertConfigError(Exception):
    """The alert configuration cannot be read: one line saying why."""


@dataclass
class AlertConfig:
    """Where alerts go; an empty config sends nothing."""

    command: list[str] = field(default_factory=list)
    webhook: str = ""
    mail_to: list[str] = field(default_factory=list)
    mail_from: str = ""
    sendmail: list[str] = field(default_factory=lambda: [DEFAULT_SENDMAIL])
    timeout: float = 30.0

    @property
    def actions(self) -> list[str]:
        """The configured actions, by name."""
        return [
            name
            for name, on in (
                ("command", self.command),
                ("webhook", self.webhook),
                ("mail", self.mail_to),
            )
            if on
        ]

    @classmethod
    def from_settings(
        cls, get: Callable[[str, Any], Any], check_programs: bool = True
    ) -> AlertConfig:
        """From Scrapy settings (`settings.get`), over the file `LPSCRAPE_ALERTS_FILE` if set;
        with `check_programs`, the command's program and sendmail must be there to run."""
        values: dict[str, Any] = {}
        where: dict[str, str] = {}
        path = get("LPSCRAPE_ALERTS_FILE", "")
        if path:
            values.update(read_alerts_file(path))
            where.update((key, f"alerts file {path}: {key}") for key in values)
        for key, setting in FILE_KEYS.items():
            value = get(setting, None)
            if value not in (None, "", []):
                values[key] = value
                where[key] = setting
        return cls.from_values(values, where, check_programs)

    @classmethod
    def from_values(
        cls,
        values: dict[str, Any],
        where: dict[str, str] | None = None,
        check_programs: bool = False,
    ) -> AlertConfig:
        """From plain values (strings split as a shell would); AlertConfigError names a bad one
        (with `check_programs`, a command or sendmail that is not there to run, too)."""

        def name(key: str) -> str:
            return (where or {}).get(key, key)

        def strings(key: str, split: Callable[[str], list[str]]) -> list[str]:
            value = values[key]
            if isinstance(value, str):
                try:
                    return split(value)
                except ValueError as exc:
                    raise AlertConfigError(f"{name(key)} cannot be read: {exc}") from None
            if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
                return [str(v) for v in value]
            raise AlertConfigError(
                f"{name(key)} must be a string or a list of strings, got {value!r}"
            )

        def text(key: str) -> str:
            value = values.get(key) or ""
            if not isinstance(value, str):
                raise AlertConfigError(f"{name(key)} must be a string, got {value!r}")
            return value

        config = cls()
        if values.get("command"):
            config.command = strings("command", shlex.split)
        config.webhook = text("webhook")
        if config.webhook and not _web_url(config.webhook):
            raise AlertConfigError(
                f"{name('webhook')} must be an http(s) URL, got {config.webhook!r}"
            )
        if values.get("mail_to"):
            addresses = strings("mail_to", lambda value: value.split(","))
            config.mail_to = [a.strip() for a in addresses if a.strip()]
        config.mail_from = text("mail_from") or f"lpscrape@{socket.getfqdn()}"
        if values.get("sendmail"):
            config.sendmail = strings("sendmail", shlex.split)
        if values.get("timeout"):
            config.timeout = seconds(values["timeout"], name("timeout"))
        if check_programs:
            config.check_runnable(name)
        return config

    def check_runnable(self, name: Callable[[str], str] = str) -> None:
        """AlertConfigError when the command's program, or the sendmail that mail needs, cannot
        be run: found out when the crawl starts, not on the night there is an alert to send."""
        if self.command and (problem := program_problem(self.command[0])):
            raise AlertConfigError(f"{name('command')}: {problem}")
        if self.mail_to and (problem := program_problem(self.sendmail[0])):
            if self.sendmail == [DEFAULT_SENDMAIL]:  # not configured: mail_to is what needs it
                raise AlertConfigError(
                    f"{name('mail_to')} is set but mail cannot be sent: {problem} (install a "
                    "sendmail such as postfix, exim or msmtp-mta, or name one with sendmail)"
                )
            raise AlertConfigError(f"{name('sendmail')}: {problem}")


def program_problem(program: str) -> str | None:
    """Why `program` (a path, or a name looked up on PATH as the action will run it) cannot be
    run; None when it can."""
    if shutil.which(program):
        return None
    if os.sep in program:
        path = Path(program)
        if path.is_dir():
            return f"{program} is a folder, not a program"
        if path.exists():
            return f"{program} is not executable"
        return f"{program} not found"
    return f"{program} not found on PATH ({os.environ.get('PATH', os.defpath)})"


def _web_url(text: str) -> bool:
    """True for an http(s) URL with a host."""
    try:
        parts = urlsplit(text)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed [IPv6 address
        return False


def seconds(value: Any, name: str) -> float:
    """A timeout given as a number or a numeric string, checked: positive and finite."""
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise AlertConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    return number


def read_alerts_file(path: str | Path) -> dict[str, Any]:
    """The alert settings of a small TOML file (keys: command, webhook, mail_to, …)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AlertConfigError(f"cannot read alerts file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AlertConfigError(f"alerts file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise AlertConfigError(
            f"alerts file {path}: unknown keys {', '.join(unknown)} (known: {', '.join(FILE_KEYS)})"
        )
    return data


@dataclass
class Alert:
    """What one run has to say to the archivist."""

    run_id: int
    archive: str
    start_url: str
    outcome: str
    healthy: bool | None
    alerts: list[str]
    findings: list[dict[str, Any]] = field(default_factory=list)
    log_path: str | None = None

    @property
    def subject(self) -> str:
        """A mail subject line."""
        if not self.run_id:
            return f"[lpscrape] crawl {self.outcome}"
        if self.outcome != "completed":
            return f"[lpscrape] run {self.run_id} {self.outcome}"
        fields = sorted({f["field"] for f in self.findings})
        if fields:
            return f"[lpscrape] run {self.run_id} unhealthy: {', '.join(fields)}"
        n = len(self.alerts)
        return f"[lpscrape] run {self.run_id} completed with {n} alert{'s' * (n != 1)}"

    @property
    def text(self) -> str:
        """The alert as plain text: what happened, then where to look."""
        lines = [self.subject.removeprefix("[lpscrape] ").capitalize() + ".", ""]
        lines += [f"- {a}" for a in self.alerts] or [f"- the crawl ended {self.outcome}"]
        lines += ["", f"Archive: {self.archive}", f"Site: {self.start_url}"]
        if self.log_path:
            lines.append(f"Log: {self.log_path}")
        lines.append(f"More: lpscrape status --db {shlex.quote(self.archive)}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        """The webhook's JSON body (`text` is what Slack-style webhooks display)."""
        return {
            "source": "lpscrape",
            "run_id": self.run_id,
            "archive": self.archive,
            "start_url": self.start_url,
            "outcome": self.outcome,
            "healthy": self.healthy,
            "subject": self.subject,
            "alerts": self.alerts,
            "findings": self.findings,
            "log_path": self.log_path,
            "text": self.text,
        }


def run_program(
    argv: list[str], stdin: bytes, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run an action's program with `stdin`, in a session (process group) of its own: past the
    timeout, or when this process is interrupted, the whole group is killed, so nothing the
    program started (a shell's `sleep`, a mailer's helper) is left running."""
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except BaseException:  # the timeout, or Ctrl+C: none of the group outlives the action
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def run_command(alert: Alert, config: AlertConfig) -> None:
    """Run the command with the alert's text on stdin (and the run in its environment)."""
    env = {
        **os.environ,
        "LPSCRAPE_RUN_ID": str(alert.run_id),
        "LPSCRAPE_ARCHIVE": alert.archive,
        "LPSCRAPE_OUTCOME": alert.outcome,
        "LPSCRAPE_SUBJECT": alert.subject,
    }
    result = run_program(config.command, alert.text.encode(), config.timeout, env)
    if result.returncode != 0:
        said = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"exit status {result.returncode}" + (f": {said[-1][:200]}" if said else "")
        )


def post_webhook(alert: Alert, config: AlertConfig) -> None:
    """POST the alert as JSON to the webhook URL; anything but a 2xx answer is a failure."""
    request = urllib.request.Request(
        config.webhook,
        data=json.dumps(alert.to_json(), ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"lpscrape/{__version__}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=config.timeout) as response:
        response.read()


def send_mail(alert: Alert, config: AlertConfig) -> None:
    """Hand the alert to the local sendmail (`-t -oi`: recipients from the headers)."""
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = ", ".join(config.mail_to)
    message["Subject"] = alert.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config.mail_from.rpartition("@")[2] or None)
    message["X-Lpscrape-Run"] = str(alert.run_id)
    message.set_content(alert.text)
    result = run_program([*config.sendmail, "-t", "-oi"], message.as_bytes(), config.timeout)
    if result.returncode != 0:
        said = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"{config.sendmail[0]} exit status {result.returncode}"
            + (f": {said[-1][:200]}" if said else "")
        )


ACTIONS: dict[str, Callable[[Alert, AlertConfig], None]] = {
    "command": run_command,
    "webhook": post_webhook,
    "mail": send_mail,
}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"no answer in {exc.timeout:g} s"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename or exc}: not found"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def deliver(alert: Alert, config: AlertConfig) -> dict[str, str]:
    """Try every configured action; returns each one's result ("ok" or why it failed)."""
    results = {}
    for name in config.actions:
        try:
            ACTIONS[name](alert, config)
        except Exception as exc:  # one line each: a failed alert never fails the crawl
            results[name] = f"failed: {_reason(exc)}"
            line = f"alert {name} for run {alert.run_id} failed: {_reason(exc)}"
            logger.info(line)  # the run's log; stderr (cron's mail) gets it as lpscrape's
            print(f"lpscrape: {line}", file=sys.stderr)  # other lines, whatever the logging
        else:
            results[name] = "ok"
    return results
