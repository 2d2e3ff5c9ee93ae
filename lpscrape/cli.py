"""The `lpscrape` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

from lpscrape.archive.store import ArchiveError
from lpscrape.extract import extract_article

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ALERT = 0, 1, 2, 3
DEFAULT_DB = "archive.db"


class UserError(Exception):
    """Bad input: reported as one line on stderr, never a traceback."""


def _read_page(source: str) -> tuple[bytes, str | None, str]:
    """A page's bytes, content type and URL, from a file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=30) as resp:
                return resp.read(), resp.headers.get("Content-Type"), resp.geturl()
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot fetch {source}: {exc}") from exc
    path = Path(source)
    try:
        return path.read_bytes(), None, path.resolve().as_uri()
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror or exc}") from exc


def cmd_extract(args: argparse.Namespace) -> int:
    """Print one page's extracted record as JSON."""
    body, content_type, fetched_url = _read_page(args.source)
    record = extract_article(body, args.url or fetched_url, content_type=content_type)
    sys.stdout.reconfigure(encoding="utf-8")
    json.dump(record.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the publication (or another start URL) into the archive."""
    from lpscrape.crawl import format_summary, run_crawl, run_summary

    overrides: dict[str, object] = {"LOG_LEVEL": "INFO" if args.verbose else "WARNING"}
    if args.delay is not None:
        overrides.update(DOWNLOAD_DELAY=args.delay, AUTOTHROTTLE_START_DELAY=args.delay)
    start_url = args.start_url or crawl_default_start_url()
    run_id = run_crawl(start_url, args.db, full=args.full, **overrides)
    summary = run_summary(args.db, run_id)
    if not summary:
        raise UserError(f"the crawl did not start a run in {args.db}")
    print(format_summary(summary))
    if summary["outcome"] != "completed":
        print(f"lpscrape: crawl {summary['outcome']}", file=sys.stderr)
        return EXIT_FAILED
    for alert in summary["alerts"]:
        print(f"lpscrape: ALERT: {alert}", file=sys.stderr)
    return EXIT_ALERT if summary["alerts"] else EXIT_OK


def crawl_default_start_url() -> str:
    """The live site's address, from the project settings."""
    from lpscrape import settings

    return settings.LPSCRAPE_DEFAULT_START_URL


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="lpscrape",
        description="The archive of record for Lord's Press: crawl, capture, extract, serve.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
            "known pages are asked for conditionally. Exit status: 0 completed, 1 failed or "
            "aborted, 2 bad input, 3 completed with alerts (extraction degraded, failures)."
        ),
    )
    p.add_argument("--start-url", help="base URL of the site (default: the live site)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive file (default: {DEFAULT_DB})")
    p.add_argument("--full", action="store_true", help="revisit every article, unconditionally")
    p.add_argument(
        "--delay", type=float, help="seconds between requests (default 1.0; AutoThrottle on top)"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show Scrapy's log")
    p.set_defaults(func=cmd_crawl)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input is one line on stderr and a non-zero exit."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UserError, ArchiveError) as exc:
        print(f"lpscrape: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lpscrape: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lpscrape extract page.html | head`
        sys.stderr.close()
        return EXIT_OK
