"""The `lpscrape` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

from lpscrape.extract import extract_article

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input is one line on stderr and a non-zero exit."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"lpscrape: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lpscrape: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `lpscrape extract page.html | head`
        sys.stderr.close()
        return EXIT_OK
