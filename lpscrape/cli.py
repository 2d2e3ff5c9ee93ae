"""The `lpscrape` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import difflib
import importlib.util
import json
import math
import os
import sqlite3
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from lpscrape import __version__
from lpscrape.archive.lock import ArchiveBusy
from lpscrape.archive.readonly import readonly_connection
from lpscrape.archive.store import ArchiveError
from lpscrape.extract import extract_article
from lpscrape.terminal import printable, printable_json, printable_json_text

if TYPE_CHECKING:
    from lpscrape.cite import Citation

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ALERT = 0, 1, 2, 3
EXIT_BUSY = 75  # EX_TEMPFAIL: another process holds the archive; try again later
EXIT_STATUSES = (
    "Exit status: 0 completed; 1 failed or aborted (a storage error such as a full disk "
    "included: the run is closed as failed, the unfinished batch rolled back); 2 bad input "
    "(unreachable start URL or Redis, unwritable, corrupt, foreign or newer archive); 3 "
    "completed with alerts (failed requests by reason, articles expected and none stored, versions "
    "held for review, degraded extraction, drift from the last healthy runs); 75 another crawl "
    "holds the archive."
)
DEFAULT_DB = "archive.db"


class UserError(Exception):
    """Bad input: reported as one line on stderr, never a traceback."""


def checked_url(url: str, name: str) -> str:
    """`url` if it is an http(s) URL (`lpscrape.urls.check_url`, the check of every URL
    option); UserError in one line otherwise."""
    from lpscrape.urls import BadURL, check_url

    try:
        return check_url(url, name)
    except BadURL as exc:
        raise UserError(str(exc)) from None


def _read_page(source: str) -> tuple[bytes, str | None, str]:
    """A page's bytes, content type and URL, from a file or an http(s) URL."""
    import http.client
    import urllib.request  # (20 ms of every command's start-up when imported at the top)

    path = Path(source)
    if source.startswith(("http://", "https://")):
        checked_url(source, "URL")
        try:
            with urllib.request.urlopen(source, timeout=30) as resp:
                return resp.read(), resp.headers.get("Content-Type"), resp.geturl()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise UserError(f"cannot fetch {source}: {exc}") from exc
    if "://" in source and not path.exists():
        raise UserError(f"cannot read {source}: extract reads only http(s) URLs and files")
    try:
        return path.read_bytes(), None, path.resolve().as_uri()
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror or exc}") from exc


def cmd_extract(args: argparse.Namespace) -> int:
    """Print one page's extracted record as JSON."""
    if args.url is not None:
        checked_url(args.url, "--url")
    body, content_type, fetched_url = _read_page(args.source)
    record = extract_article(body, args.url or fetched_url, content_type=content_type)
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(printable_json(record.to_dict(), indent=2) + "\n")
    return EXIT_OK


def check_alerts(db: str, overrides: dict[str, object], what: str = "crawl") -> None:
    """Refuse a crawl whose alerts could not be sent (a missing or broken alerts file) before
    it starts, rather than find out the night something goes wrong."""
    from lpscrape.alerts import AlertConfig, AlertConfigError
    from lpscrape.crawl import setting_reader

    try:
        AlertConfig.from_settings(setting_reader(overrides))
    except AlertConfigError as exc:
        raise UserError(f"{what} refused: {exc}; no alert could be sent") from exc


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the publication (or another start URL) into the archive."""
    if args.redis:
        from lpscrape.distributed.keys import check_redis_url

        check_redis_url(args.redis)
    # Without -v the console (cron's mail) gets errors only, one line each; the run's log file
    # keeps everything from INFO up (lpscrape.runlog).
    overrides: dict[str, object] = {"LOG_LEVEL": "INFO" if args.verbose else "ERROR"}
    if args.delay is not None:
        overrides.update(DOWNLOAD_DELAY=args.delay, AUTOTHROTTLE_START_DELAY=args.delay)
    overrides.update(setting_overrides(args.set))
    sites = crawl_sites(args)
    if len(sites) > 1:
        return crawl_each(sites, argv_without_sites(sys.argv[1:]))
    publication, start_url = sites[0]
    if publication:
        overrides["LPSCRAPE_PUBLICATION"] = publication
    if args.redis:  # a crawler of a shared frontier sends no alert: its writer does
        from lpscrape.crawl import run_distributed

        mine = run_distributed(start_url, args.redis, full=args.full, **overrides)
        print(
            f"lpscrape: crawler done ({mine['reason']}): {mine['requests']} requests, "
            f"{mine['handed_off']} captures handed to the writer, {mine['requeued']} requests "
            "of stopped crawlers taken back; `lpscrape store` reports what was stored"
        )
        if mine["reason"] != "finished":
            return EXIT_FAILED
        return verdict_status(mine["verdict"])
    from lpscrape.crawl import StartRefused, StorageError, format_summary, run_crawl, run_summary

    check_alerts(args.db, overrides)
    try:
        check_db(args)  # refused for the archive, before anything starts: still alerted (#9)
        run_id = run_crawl(start_url, args.db, full=args.full, **overrides)
    except StorageError as exc:
        print(f"lpscrape: crawl failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ArchiveBusy as exc:  # tonight's crawl skipped: a crawl still at work (or hung)
        from lpscrape.monitor import alert_refused

        alert_refused(args.db, start_url, f"{exc}; this crawl was skipped", overrides)
        raise
    except ArchiveError as exc:  # a crawl that could not start still tells someone (#9)
        from lpscrape.monitor import alert_refused

        # Refused for its start URL, a usable archive keeps the refusal as a run of its own
        # (`lpscrape status` shows it); refused for the archive itself, nothing is written.
        record = isinstance(exc, StartRefused)
        alert_refused(args.db, start_url, str(exc), overrides, record=record, full=args.full)
        raise
    summary = run_summary(args.db, run_id)
    if not summary:
        raise UserError(f"the crawl did not start a run in {args.db}")
    print(format_summary(summary))
    if summary["outcome"] != "completed":
        why = f": {summary['error']}" if summary.get("error") else ""
        print(f"lpscrape: crawl {summary['outcome']}{why}", file=sys.stderr)
        return EXIT_FAILED
    return alert_status(summary["alerts"])


def alert_status(alerts: list[str], prefix: str = "") -> int:
    """Each alert as one line on stderr; EXIT_ALERT when there is any."""
    for alert in alerts:
        print(f"lpscrape: ALERT: {printable(prefix + alert)}", file=sys.stderr)
    return EXIT_ALERT if alerts else EXIT_OK


def setting_overrides(assignments: list[str]) -> dict[str, object]:
    """`--set NAME=VALUE` options as settings."""
    overrides: dict[str, object] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name.isupper():
            raise UserError(
                f"--set takes NAME=VALUE with an upper-case setting name: {assignment!r}"
            )
        check_setting(name, value)
        overrides[name] = value
    return overrides


@cache
def scrapy_defaults() -> dict[str, object] | None:
    """Scrapy's default settings by name (None: not a literal), read from its source."""
    # Not imported: that loads Twisted, and a crawl forks its store worker before Scrapy is
    # imported (see lpscrape.crawl). None when the source cannot be found or read.
    spec = importlib.util.find_spec("scrapy")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(spec.submodule_search_locations[0], "settings", "default_settings.py")
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    defaults: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                value = None
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    defaults[target.id] = value
    return defaults


def check_setting(name: str, value: str) -> None:
    """Refuse an unknown `--set` name, or a value not of its setting's type (number, bool, dict)."""
    from lpscrape import settings as project_settings

    known = scrapy_defaults()
    ours = {n: getattr(project_settings, n) for n in dir(project_settings) if n.isupper()}
    if known is not None and name not in known and name not in ours:
        close = difflib.get_close_matches(name, [*known, *ours], n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UserError(f"--set {name}: no such setting, neither Scrapy's nor lpscrape's{hint}")
    default = ours[name] if name in ours else (known or {}).get(name)
    if isinstance(default, bool):
        if value.strip() not in ("True", "true", "False", "false") and not _integer(value):
            raise UserError(f"--set {name}={value!r}: expected True or False (or 1 or 0)")
    elif isinstance(default, int | float):
        try:
            number = float(value)
        except ValueError:
            raise UserError(f"--set {name}={value!r}: expected a number") from None
        check_range(name, value, number)
    elif isinstance(default, dict):
        try:
            is_dict = isinstance(json.loads(value), dict)
        except ValueError:
            is_dict = False
        if not is_dict:
            raise UserError(f"--set {name}={value!r}: expected a JSON object")


# Settings read as whole numbers (Scrapy's and lpscrape's `getint`: "2.5" is a traceback).
WHOLE_NUMBERS = frozenset({
    "AWS_MAX_POOL_CONNECTIONS", "CLOSESPIDER_ERRORCOUNT", "CLOSESPIDER_ITEMCOUNT",
    "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_TIMEOUT_NO_ITEM", "CONCURRENT_ITEMS",
    "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_REQUESTS_PER_IP",
    "DEPTH_LIMIT", "DEPTH_PRIORITY", "DNSCACHE_SIZE", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
    "FEED_EXPORT_BATCH_ITEM_COUNT", "FEED_EXPORT_INDENT", "HTTPCACHE_EXPIRATION_SECS",
    "MAIL_PORT", "MEMUSAGE_LIMIT_MB", "MEMUSAGE_WARNING_MB", "METAREFRESH_MAXDELAY",
    "REACTOR_THREADPOOL_MAXSIZE", "REDIRECT_MAX_TIMES", "REDIRECT_PRIORITY_ADJUST",
    "RETRY_PRIORITY_ADJUST", "RETRY_TIMES", "SCRAPER_SLOT_MAX_ACTIVE_SIZE", "URLLENGTH_LIMIT",
    "ARCHIVE_BATCH_SIZE", "LPSCRAPE_BALANCE_BACKLOG", "LPSCRAPE_SITEMAP_MAX_URLS",
    "LPSCRAPE_HEALTH_SAMPLE", "LPSCRAPE_DRIFT_RUNS", "LPSCRAPE_DRIFT_MIN_RUNS",
    "LPSCRAPE_DRIFT_MIN_ARTICLES", "LPSCRAPE_DRIFT_MIN_PAGES", "LPSCRAPE_LOG_KEEP",
})  # fmt: skip
# Numbers a crawl cannot run with at 0 (Scrapy would start, then fail or never fetch).
# (0 turns LPSCRAPE_HEALTH_SAMPLE, LPSCRAPE_BALANCE_BACKLOG and LPSCRAPE_VERDICT_WAIT off.)
ABOVE_ZERO = frozenset({
    "DOWNLOAD_TIMEOUT", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
    "CONCURRENT_ITEMS", "AUTOTHROTTLE_TARGET_CONCURRENCY", "ARCHIVE_BATCH_SIZE",
    "LPSCRAPE_SITEMAP_MAX_URLS", "LPSCRAPE_DRIFT_RUNS", "LPSCRAPE_DRIFT_MIN_RUNS",
    "LPSCRAPE_REDIS_TTL", "LPSCRAPE_REDIS_POLL", "LPSCRAPE_PROGRESS_INTERVAL",
})  # fmt: skip
SHARES = frozenset({
    "LPSCRAPE_ALERT_SHARE", "LPSCRAPE_COLLAPSE_RATIO", "LPSCRAPE_DRIFT_DROP",
    "LPSCRAPE_DRIFT_BODY_SHRINK", "LPSCRAPE_DRIFT_FOUND_SHARE",
})  # fmt: skip


def check_range(name: str, value: str, number: float) -> None:
    """Refuse a number its setting cannot be: negative (a priority aside), zero where it must
    be positive, a fraction where a count is read, a share beyond 1."""
    said = f"--set {name}={value!r}:"
    if not math.isfinite(number):
        raise UserError(f"{said} expected a finite number")
    if number < 0 and "PRIORITY" not in name:
        raise UserError(f"{said} must not be negative")
    if name in WHOLE_NUMBERS and not _integer(value):
        raise UserError(f"{said} expected a whole number")
    if number == 0 and name in ABOVE_ZERO:
        raise UserError(f"{said} must be above 0")
    if number > 1 and name in SHARES:
        raise UserError(f"{said} a share, from 0 to 1")


def _integer(text: str) -> bool:
    """True when `int()` reads the text (as Scrapy's `getbool` first tries)."""
    try:
        int(text)
    except ValueError:
        return False
    return True


def verdict_status(verdict: dict[str, object] | None) -> int:
    """A distributed crawler's exit status: the writer's verdict on its run, as a local crawl
    says it (no writer running, or none in time: the crawl itself went fine)."""
    if verdict is None:
        print(
            "lpscrape: no writer has closed the run yet: `lpscrape store` judges it, "
            "sends its alerts and shows it in `lpscrape status`"
        )
        return EXIT_OK
    run, outcome = printable(verdict["run_id"]), printable(verdict["outcome"])
    print(f"lpscrape: run {run} {outcome} (closed by the writer)")
    if verdict["outcome"] != "completed":
        return EXIT_FAILED
    alerts = verdict["alerts"]
    assert isinstance(alerts, list)
    return alert_status(alerts)


def crawl_sites(args: argparse.Namespace) -> list[tuple[str | None, str]]:
    """The publications to crawl, as (name or None, start URL): --start-url (repeatable),
    a --sites file, or the live site."""
    sites: list[tuple[str | None, str]] = [(args.publication, url) for url in args.start_url]
    if args.sites:
        try:
            lines = Path(args.sites).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UserError(f"cannot read sites file {args.sites}: {why}") from exc
        named = len(sites)
        for number, line in enumerate(lines, 1):
            words = line.split("#", 1)[0].split()
            if len(words) == 1:
                sites.append((None, words[0]))
            elif len(words) == 2:
                sites.append((words[0], words[1]))
            elif words:
                raise UserError(f"{args.sites}:{number}: expected `URL` or `NAME URL`: {line!r}")
        if len(sites) == named:  # never the live site by default: the file was meant to name some
            raise UserError(f"sites file {args.sites} names no publication")
    if len(sites) > 1 and args.publication:
        raise UserError("--publication names one site: give several sites names in --sites")
    if len(sites) > 1:  # every URL checked before the first site is crawled
        from lpscrape.urls import BadURL, check_url

        for _, url in sites:
            try:
                check_url(url, "start URL")
            except BadURL as exc:
                where = f"{args.sites}: " if args.sites else ""
                raise UserError(f"{where}{exc}; nothing was crawled") from None
    return sites or [(args.publication, crawl_default_start_url())]


def argv_without_sites(argv: list[str]) -> list[str]:
    """The crawl's own arguments, without --start-url, --sites and --publication."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--start-url", "--sites", "--publication"):
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


# A worse exit status of one site's crawl wins: refused, failed, alerts, fine.
SEVERITY = (EXIT_USAGE, EXIT_BUSY, EXIT_FAILED, EXIT_ALERT, EXIT_OK)


def crawl_each(sites: list[tuple[str | None, str]], argv: list[str]) -> int:
    """Several publications: one crawl each, one after the other, in its own process (each
    a run of its own in `crawl_runs`); the worst exit status is the command's."""
    import subprocess

    statuses = []
    for name, url in sites:
        site = ["--start-url", url, *(["--publication", name] if name else [])]
        print(f"lpscrape: crawling {name or url}", flush=True)
        done = subprocess.run([sys.executable, "-m", "lpscrape", *argv, *site], check=False)
        statuses.append(done.returncode)
    return min(statuses, key=lambda s: SEVERITY.index(s) if s in SEVERITY else 0)


def crawl_default_start_url() -> str:
    """The live site's address, from the project settings."""
    from lpscrape import settings

    return settings.LPSCRAPE_DEFAULT_START_URL


def cmd_store(args: argparse.Namespace) -> int:
    """The archive writer: drain the crawlers' captures from Redis into the archive."""
    from lpscrape.crawl import crawl_settings, format_summary, run_summary
    from lpscrape.distributed.keys import check_redis_url, connect
    from lpscrape.distributed.writer import drain
    from lpscrape.urls import redacted

    check_redis_url(args.redis)
    overrides = setting_overrides(args.set)
    check_alerts(args.db, overrides, "writer")  # the writer sends the runs' alerts
    settings = crawl_settings(args.db, **overrides)
    down = Path(f"{args.db}.writer-down")  # Redis unreachable: alerted once per outage
    try:
        server = connect(args.redis)
    except ArchiveError as exc:  # systemd restarts the writer every 30 s: one alert, not one each
        if not down.exists():
            from lpscrape.monitor import alert_refused

            reason = (
                f"the archive writer cannot reach Redis ({redacted(args.redis)}): it tries "
                "again (systemd restarts it), the captures wait in Redis meanwhile; said once "
                "until it reaches Redis again"
            )
            alert_refused(args.db, "", reason, overrides, settings=settings)
            with contextlib.suppress(OSError):
                down.write_text(f"{exc}\n", encoding="utf-8")
        raise
    down.unlink(missing_ok=True)
    try:
        runs, unattributed = drain(server, args.db, args.idle_exit, args.batch, settings)
    except KeyboardInterrupt:
        print("lpscrape: writer stopped; undrained captures stay in Redis", file=sys.stderr)
        return EXIT_OK
    if not runs:  # a night the crawlers never started: nothing to judge, nothing wrong here
        print(f"lpscrape: no run to store: nothing arrived in {args.idle_exit:g} s idle")
    statuses = [alert_status([f"hand-off {where}, named no run open" for where in unattributed])]
    for run_id in runs:
        summary = run_summary(args.db, run_id)
        print(format_summary(summary))
        statuses.append(alert_status(summary["alerts"], prefix=f"run {run_id}: "))
    return max(statuses)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run Datasette over the archive, read-only, until interrupted."""
    from lpscrape.serve import serve

    serve(args.db, args.host, args.port, archive_url=cite_archive_url(args.archive_url))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Stream a table or query as CSV / JSON Lines, or write a public Datasette copy or WARC."""
    if args.excel and args.format != "csv":
        raise UserError(f"export {args.format}: --excel is for csv only (a mark Excel reads)")
    if args.format == "warc":
        from lpscrape.archive.warc import export_warc

        if args.table or args.sql or args.since or args.category:
            raise UserError("export warc takes only --db and -o FILE.warc.gz")
        if args.output == "-":
            raise UserError("export warc: -o FILE is required (the .warc.gz file to write)")
        if not Path(args.db).exists():
            raise UserError(f"no archive at {args.db}: run `lpscrape crawl` first")
        count = export_warc(args.db, args.output)
        print(f"lpscrape: {count} captures written to {args.output}", file=sys.stderr)
        return EXIT_OK
    if args.format == "datasette":
        from lpscrape.export import export_datasette

        if args.table or args.sql or args.since or args.category:
            raise UserError("export datasette takes only --db and -o DIR")
        if args.output == "-":
            raise UserError("export datasette: -o DIR is required (the folder to write)")
        target = export_datasette(args.db, args.output)
        print(
            f"lpscrape: wrote {target} with its Datasette configuration: "
            f"{shell_word(datasette_program())} {shell_word(args.output)}"
        )
        return EXIT_OK
    from lpscrape.export import export

    rows = export(
        args.db,
        args.format,
        args.output,
        table=args.table,
        sql=args.sql,
        since=args.since,
        category=args.category,
        excel=args.excel,
    )
    if args.output != "-":
        print(f"lpscrape: {rows} rows written to {args.output}", file=sys.stderr)
    return EXIT_OK


def datasette_program() -> str:
    """The datasette script beside this Python (`.venv/bin/datasette`: not on a fresh shell's
    PATH), relative to the current folder when inside it."""
    program = Path(sys.executable).parent / "datasette"
    try:
        return str(program.relative_to(Path.cwd()))
    except ValueError:
        return str(program)


def shell_word(text: str) -> str:
    """`text` as one word of a shell command (quoted only when it needs to be)."""
    import shlex

    return shlex.quote(text)


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the sample site, crawl its three editions into the archive, print a summary."""
    from lpscrape.demo.run import format_summary, run_demo

    db = Path(args.db)
    print(format_summary(db, run_demo(db)))
    if args.serve:
        return cmd_serve(argparse.Namespace(db=str(db), host="127.0.0.1", port=args.port))
    return EXIT_OK


def cmd_reparse(args: argparse.Namespace) -> int:
    """Re-extract every article from the stored captures, offline."""
    from lpscrape.archive import lock
    from lpscrape.archive.reparse import reparse
    from lpscrape.archive.store import Archive, check_archive

    if not Path(args.db).exists():
        raise UserError(f"no archive at {args.db}: run `lpscrape crawl` first")
    found = check_archive(args.db)  # not SQLite, another program's or newer: refused, read only
    if found is None or not found.tables:  # an empty file would become a new, empty archive
        raise UserError(
            f"{args.db} is not an lpscrape archive (it is empty): nothing to re-extract"
        )
    lock.acquire(args.db, purpose="reparse")
    try:
        archive = Archive.open(args.db)
        try:
            outcomes = reparse(archive, workers=args.workers)
        finally:
            archive.close()
    finally:
        lock.release(args.db)
    if not outcomes:
        print(f"lpscrape: no captures to re-extract in {args.db}")
        return EXIT_OK
    counts = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    conn = sqlite3.connect(args.db)
    try:
        live, gone = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'live'), count(*) FILTER (WHERE status = "
            "'gone') FROM articles"
        ).fetchone()
    finally:
        conn.close()
    print(
        f"lpscrape: re-extracted the archive from its {outcomes.total()} captures, replayed in "
        f"the order they were fetched (each counted as what it meant then: {counts}); the "
        f"archive now holds {live} live articles and {gone} gone"
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs, their health and alerts, the archive's size; or accept a run."""
    from lpscrape.status import accept, format_status, status_report

    if args.accept is not None:
        print(f"lpscrape: {accept(args.db, args.accept)}")
        return EXIT_OK
    report = status_report(args.db, runs=args.runs)
    if args.json:  # the same JSON, with no control character a terminal would act on
        sys.stdout.reconfigure(encoding="utf-8")
        sys.stdout.write(printable_json(report, indent=2) + "\n")
    else:
        print(format_status(report))  # scraped text in it shown with its controls escaped
    return EXIT_OK if report["ok"] else EXIT_ALERT  # 3: open alerts or next steps


def cite_archive_url(given: str | None, default: str | None = None) -> str | None:
    """The archive's address for permalinks: --archive-url, else $LPSCRAPE_ARCHIVE_URL (unless
    empty), else `default` (`cite`: the local address; `serve`: None, each visitor's own);
    UserError (exit 2, one line) unless an absolute http(s) URL."""
    if given is not None:
        url, name = given, "--archive-url"
    elif os.environ.get("LPSCRAPE_ARCHIVE_URL"):
        url, name = os.environ["LPSCRAPE_ARCHIVE_URL"], "LPSCRAPE_ARCHIVE_URL"
    elif default is None:
        return None
    else:
        url, name = default, "archive URL"
    checked_url(url, name)  # the check of every URL option; permalinks add their paths
    parts = urlsplit(url)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise UserError(
            f"{name} must be an absolute http(s) URL where the archive is served, with no "
            f"query or fragment (e.g. https://archive.example.org), got {url!r}"
        )
    return url


def cmd_cite(args: argparse.Namespace) -> int:
    """Print a citation of an archived article."""
    from lpscrape.cite import CiteError, citation
    from lpscrape.serve import ARCHIVE_NAME, servable_archive
    from lpscrape.urls import clean_url

    if args.url[:4].isdigit() and args.url[4:5] == "/":  # a path without its leading slash
        args.url = "/" + args.url
    if not args.url.startswith("/"):  # an address, not a path (/2025/09/10/slug/)
        checked_url(args.url, "URL")
    from lpscrape.cite import DEFAULT_ARCHIVE_URL

    archive_url = cite_archive_url(args.archive_url, DEFAULT_ARCHIVE_URL) or DEFAULT_ARCHIVE_URL
    path = servable_archive(args.db)
    conn = readonly_connection(path)
    try:
        # As given (a fetched address is kept as fetched), then as the archive's keys are
        # made: a shared link's utm_* and click-id parameters and its fragment dropped.
        for url in dict.fromkeys([args.url, clean_url(args.url)]):
            try:
                found = citation(
                    conn,
                    url,
                    database=ARCHIVE_NAME,
                    archive_url=archive_url,
                    version=args.version,
                    publication=args.publication,
                )
                break
            except CiteError as exc:
                error = exc
        else:
            raise UserError(printable(str(error))) from error  # names from the archive
    finally:
        conn.close()
    sys.stdout.reconfigure(encoding="utf-8")
    given = urlsplit(args.url).netloc.lower().removeprefix("www.")
    if given and given != urlsplit(found.url).netloc.lower().removeprefix("www."):
        print(  # found by its path on another host (the demo's, a mirror's): never silently
            f"lpscrape: {printable(args.url)} is not in the archive; cited the article at the "
            f"same path, {printable(found.url)}",
            file=sys.stderr,
        )
    print(cite_for_terminal(found, args.format))
    return EXIT_OK


def cite_for_terminal(found: Citation, fmt: str) -> str:
    """The citation as `render` writes it, with a scraped title's or name's control characters
    (terminal escapes) shown escaped: `\\x1b` in text and BibTeX (escaped before the BibTeX is
    made, so it is valid TeX; its own line breaks stay), `\\u001b` in CSL-JSON (the same
    JSON, the data exact)."""
    from lpscrape.cite import render

    if fmt == "csl-json":
        return printable_json_text(render(found, fmt))
    shown = dataclasses.replace(
        found,
        url=printable(found.url),
        title=printable(found.title),
        authors=tuple(printable(name) for name in found.authors),
        byline=None if found.byline is None else printable(found.byline),
    )
    return printable(render(shown, fmt), keep="\n" if fmt == "bibtex" else "")


def bounded(
    parse: Callable[[str], float], low: float, high: float, what: str, bounds: str
) -> Callable[[str], float]:
    """An argparse type: `parse(text)`, refused unless from `low` to `high`."""

    def check(text: str) -> float:
        try:
            number = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not low <= number <= high:  # NaN too
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return number

    return check


positive_int = bounded(int, 1, sys.maxsize, "a whole number", "1 or more")
positive_seconds = bounded(
    float, sys.float_info.min, sys.float_info.max, "a number of seconds", "more than 0 seconds"
)
port_number = bounded(int, 1, 65535, "a port number", "a port from 1 to 65535")
seconds = bounded(float, 0, sys.float_info.max, "a number of seconds", "0 or more seconds")


class Parser(argparse.ArgumentParser):
    """argparse's parser whose errors are one line, naming the command and its --help
    (`lpscrape status: unrecognized arguments: --bogus (see lpscrape status --help)`), exit 2;
    the subcommands' parsers are of this class too."""

    commands: dict[str, Parser]  # the top-level parser's: each command's parser

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {printable(message)} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    """The argument parser with every subcommand."""
    parser = Parser(
        prog="lpscrape",
        description="The archive of record for Lord's Press: crawl, capture, extract, serve.",
    )
    parser.add_argument("--version", action="version", version=f"lpscrape {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parser.commands = sub.choices

    p = sub.add_parser(
        "extract",
        help="print one page's extracted record as JSON (no database)",
        description="Extract one saved page or URL and print its record as JSON.",
    )
    p.add_argument("source", metavar="FILE_OR_URL", help="a saved HTML file or an http(s) URL")
    p.add_argument("--url", help="the page's original URL (default: the file's or fetched URL)")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "crawl",
        help="crawl the publication into the archive (incremental by default)",
        description=(
            "Discover articles (robots.txt sitemaps, feed, REST API; listings as fallback), "
            "fetch politely, keep every response byte for byte and store the extracted "
            "articles. Re-crawls are incremental: unchanged sitemap lastmod is skipped and "
            "known pages are asked for conditionally. One crawl per archive at a time. "
            + EXIT_STATUSES
        ),
    )
    p.add_argument(
        "--start-url",
        action="append",
        default=[],
        metavar="URL",
        help="base URL of a publication (default: the live site); repeatable: several "
        "publications are crawled one after the other, each a run of its own",
    )
    p.add_argument(
        "--sites",
        metavar="FILE",
        help="a file of publications, one a line: `URL` or `NAME URL` (# comments)",
    )
    p.add_argument(
        "--publication",
        metavar="NAME",
        help="the publication's name in the archive (default: the start URL's host)",
    )
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument(
        "--redis",
        metavar="URL",
        help="crawl as one of several crawlers sharing a frontier in Redis "
        "(redis://HOST:PORT/DB): articles are taken from one queue, fetched once whichever "
        "crawler asks, politeness per host shared; captures go to `lpscrape store --redis URL`, "
        "not to --db. Run it on as many hosts as you like; each returns when the run is over "
        "and, while a writer runs, the writer's verdict on the run is its exit status",
    )
    p.add_argument("--full", action="store_true", help="revisit every article, unconditionally")
    p.add_argument(
        "--delay", type=seconds, help="seconds between requests (default 1.0; AutoThrottle on top)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a setting (see the README), e.g. --set DOWNLOAD_TIMEOUT=60; repeatable",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show Scrapy's log")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser(
        "store",
        help="the archive writer of distributed crawls: drain captures from Redis into --db",
        description=(
            "The one writer of an archive fed by `lpscrape crawl --redis URL` crawlers on any "
            "hosts: reads their captures from the Redis stream lpscrape:captures in batches, "
            "stores each as a single-machine crawl would, records each run in crawl_runs "
            "(opened by its first capture, closed when its crawlers report the end) and "
            "acknowledges a batch only after its SQLite commit, so a killed writer loses "
            "nothing and stores nothing twice. Publishes what the archive knows for the "
            "crawlers' conditional requests. Judges each run it closes as a local crawl does "
            "(field health, drift from the last healthy runs, alert actions) with its own "
            "settings (--set). Runs until interrupted, or with --idle-exit. "
            "Exit status: 0 the runs it closed completed (or none arrived); 2 Redis "
            "unreachable or a bad archive; 3 a closed run has alerts (an unhealthy run "
            "included); 75 another process holds the archive."
        ),
    )
    p.add_argument("--redis", required=True, metavar="URL", help="redis://HOST:PORT/DB")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument(
        "--idle-exit",
        type=positive_seconds,
        metavar="S",
        help="exit once S seconds pass with nothing to store, no run open and no crawler at "
        "work, even if no run arrived (then says so, exit 0); a batch job after a night's "
        "crawl; default: run until interrupted",
    )
    p.add_argument("--batch", type=positive_int, default=200, help="captures per transaction (200)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a setting of the writer (drift rules, alert actions, the health sample: "
        "see the README), e.g. --set LPSCRAPE_ALERT_WEBHOOK=URL; repeatable",
    )
    p.set_defaults(func=cmd_store)

    p = sub.add_parser(
        "serve",
        help="Datasette over the archive, read-only, with the project's metadata",
        description=(
            "Serve the archive with Datasette: search, facets, canned queries, article pages, "
            "CSV and JSON. Read-only (a crawl may write at the same time); SQL is time-limited."
        ),
    )
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=port_number, default=8001, help="port to listen on (default: 8001)"
    )
    p.add_argument(
        "--archive-url",
        metavar="URL",
        help="the address researchers reach the archive at (behind a proxy, say): citations "
        "and permalinks name it, whatever Host a request came with (default: "
        "$LPSCRAPE_ARCHIVE_URL if set, else the address each visitor used)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "export",
        help="stream a table or query as CSV or JSON Lines (every column, UTF-8)",
        description=(
            "Stream a table (default: articles) or a query, every column, UTF-8, in constant "
            "memory. csv: a header row then one line per row (text quoted, NULL an empty "
            "field); jsonl: one JSON object per line. BLOB columns (captures.body_gzip, "
            "body_zstd) are written as base64. The csv is the archive's data unchanged: a "
            "title such as =HYPERLINK(...) is written as it is, and a spreadsheet opening the "
            "file may run it as a formula; use --excel for a file to open in Excel. "
            "`export warc -o FILE.warc.gz` writes every capture as WARC (ISO 28500). "
            "`export datasette -o DIR` writes a read-only copy for the public instead: a "
            "snapshot of the archive with its Datasette configuration (see the README), into a "
            "new or empty folder or one an earlier `export datasette` wrote (it is replaced "
            "whole). A file only appears once complete; -o is never the archive itself."
        ),
    )
    p.add_argument("format", choices=("csv", "jsonl", "datasette", "warc"), help="what to write")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--table", help="the table to export (default: articles)")
    source.add_argument("--sql", metavar="QUERY", help="a read-only SELECT to export instead")
    p.add_argument(
        "--since",
        metavar="DATE",
        help="articles published on or after DATE: a day (YYYY-MM-DD, the publication's own "
        "day, as Datasette's date ranges count it) or an ISO 8601 instant (compared in UTC)",
    )
    p.add_argument("--category", help="articles filed under this category (any case)")
    p.add_argument(
        "--excel",
        action="store_true",
        help="csv for Excel: begin with a UTF-8 byte-order mark, so that Excel opens accents "
        "(Schön, ZÜRICH) as they are, and put ' before any text cell that begins with =, +, -, "
        "@, tab or carriage return, so that Excel shows it as text instead of running it as a "
        "formula (CSV injection); numbers stay numbers. Not for scripts: they would read the "
        "mark and the added quotes as data",
    )
    p.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="output file, - for stdout (default)"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "demo",
        help="serve the bundled sample site on 127.0.0.1, crawl it, print a summary",
        description=(
            "Serve the bundled Lord's Press sample site on a free 127.0.0.1 port, crawl it into "
            "the archive, publish its second edition (edits of every kind, a silent edit, a "
            "removal, new articles) and crawl again, then its third (the removed article "
            "returns) and crawl everything (--full), then print a summary and the command that "
            "serves it. A previous demo archive at --db is replaced in place (a Datasette "
            "serving it sees the new one); an archive of a real site never is."
        ),
    )
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument("--serve", action="store_true", help="then open Datasette over the archive")
    p.add_argument("--port", type=port_number, default=8001, help="Datasette port with --serve")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "reparse",
        help="re-extract every article from the stored captures, offline",
        description=(
            "Rebuild articles, versions and terms from the raw captures kept in the archive, "
            "with the current extractor; no network. Extraction runs on every core, the writes "
            "in one transaction. Exit status 75 "
            "while a crawl holds the archive."
        ),
    )
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="extraction processes (default: one per core; 1: no pool)",
    )
    p.set_defaults(func=cmd_reparse)

    p = sub.add_parser(
        "status",
        help="the last runs, their health and alerts, the archive's size and newest article",
        description=(
            "Show the last crawl runs (outcome, field health, counts, duration, bytes), the "
            "field health of the latest judged run against its baseline, open alerts, the "
            "archive's size and newest article, and what to do next. Read-only, except --accept "
            "RUN, which writes to the archive: it makes a run the new baseline of drift "
            "detection (after an intended site change). "
            "Exit status 0 when there is nothing to look at, 3 when there is (open alerts or "
            "next steps), 2 for a missing or foreign file."
        ),
    )
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument("--json", action="store_true", help="print the report as JSON, for scripts")
    p.add_argument(
        "--runs", type=positive_int, default=10, help="how many runs to show (default: 10)"
    )
    p.add_argument(
        "--accept", type=int, metavar="RUN", help="accept run RUN as the new drift baseline"
    )
    p.set_defaults(func=cmd_status)

    from lpscrape.cite import DEFAULT_ARCHIVE_URL, FORMATS

    p = sub.add_parser(
        "cite",
        help="a citation of an archived article (text, BibTeX or CSL-JSON)",
        description=(
            "Cite an archived article: author(s), title, Lord's Press, publication date, the "
            "original URL, when the cited version was archived and its permalink in the archive "
            "(the address `lpscrape serve` gives it; set --archive-url, or LPSCRAPE_ARCHIVE_URL, "
            "to the archive's public address). URL is the article's address on the site."
        ),
    )
    p.add_argument("url", metavar="URL", help="the article's URL (or its path, /2025/09/10/slug/)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    p.add_argument(
        "--version", type=positive_int, help="cite this version, 1 or more (default: the latest)"
    )
    p.add_argument(
        "--publication",
        metavar="NAME",
        help="the publication whose article it is, when its path is in several publications",
    )
    p.add_argument(
        "--archive-url",
        metavar="URL",
        help="where the archive is served, an http(s) URL, for the permalink (default: "
        f"$LPSCRAPE_ARCHIVE_URL, else {DEFAULT_ARCHIVE_URL})",
    )
    p.set_defaults(func=cmd_cite)
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line's arguments; an argument nobody knows is refused (one line, exit 2)
    by the parser of the command it was given to (`lpscrape status --bogus`: status's)."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        where = parser  # given before the command: the top level's
        if args.command in argv and argv.index(args.command) < argv.index(unknown[0]):
            where = parser.commands[args.command]
        where.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


# The commands that read or write an archive at --db, and those that may create it.
CREATES_ARCHIVE = ("crawl", "store", "demo")


def check_db(args: argparse.Namespace) -> None:
    """Refuse a --db that is a folder, or in a folder that does not exist, in one line, before
    anything starts (the same check and words for every command)."""
    from lpscrape.archive.store import not_a_folder

    if getattr(args, "db", None) is None:
        return
    db = Path(args.db)
    not_a_folder(db)
    if not db.parent.is_dir():
        what = "create" if args.command in CREATES_ARCHIVE else "read"
        raise ArchiveError(
            f"cannot {what} archive {db}: the folder {db.parent} does not exist "
            "(create it, or give --db a file in a folder that does)"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input is one line on stderr and a non-zero exit."""
    args = parse(argv)
    try:
        if args.command != "crawl":  # the crawl checks it where a refusal is alerted
            check_db(args)
        return args.func(args)
    except ArchiveBusy as exc:
        print(f"lpscrape: {printable(exc)}", file=sys.stderr)
        return EXIT_BUSY
    except (UserError, ArchiveError) as exc:  # may quote a URL or a page's text
        print(f"lpscrape: {printable(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.DatabaseError as exc:
        print(f"lpscrape: {getattr(args, 'db', 'the database')}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `lpscrape extract page.html | head`
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:  # an unwritable output, a vanished file
        where = f" {exc.filename}" if exc.filename else ""
        print(f"lpscrape: cannot write or read{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lpscrape: interrupted", file=sys.stderr)
        return 130
