"""Pages/s of lpscrape's extractor and of `trafilatura.extract` over the same pages, one run.

Usage: python benchmarks/extract_speed.py [--rounds N]  (all pages, then by group)

The pages are the saved article pages of tests/pages/ (the theme layer handles them all);
the figure that matters is the ratio, measured in the same process on the same input.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from lpscrape.extract import extract_article

PAGES = Path(__file__).resolve().parent.parent / "tests" / "pages"


def article_pages() -> list[tuple[str, bytes]]:
    """(url, html) of every saved page that is an article, at the URL it was saved from."""
    pages = []
    for path in sorted(PAGES.glob("*.html")):
        html = path.read_bytes()
        url = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))["url"]
        if extract_article(html, url).is_article:
            pages.append((url, html))
    return pages


def pages_per_second(fn: Callable[[bytes, str], object], pages: list, rounds: int) -> float:
    """Best of `rounds` passes over all pages."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for url, html in pages:
            fn(html, url)
        best = min(best, time.perf_counter() - start)
    return len(pages) / best


def theme_fixture(url: str) -> bool:
    """A page written in a news or page-builder theme's markup (`theme*.html`)."""
    return _NAMES[url].startswith("theme")


_NAMES = {
    json.loads(p.read_text(encoding="utf-8"))["url"]: p.name for p in PAGES.glob("*.expected.json")
}


def main() -> None:
    """Print both speeds and their ratio, over all pages and by group of pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    pages = article_pages()
    groups = {
        "all": pages,
        "Lord's Press, classic and block themes": [p for p in pages if not theme_fixture(p[0])],
        "news and page-builder themes (theme*)": [p for p in pages if theme_fixture(p[0])],
    }
    print(f"article pages from tests/pages, best of {args.rounds} rounds")
    for label, group in groups.items():
        ours = pages_per_second(lambda h, u: extract_article(h, u), group, args.rounds)
        theirs = pages_per_second(
            lambda h, u: trafilatura.extract(h, url=u, include_comments=False), group, args.rounds
        )
        print(f"{label} ({len(group)} pages)")
        print(f"  lpscrape extract_article : {ours:8.1f} pages/s")
        print(f"  trafilatura.extract      : {theirs:8.1f} pages/s")
        print(f"  ratio                    : {ours / theirs:8.2f}x")


if __name__ == "__main__":
    main()
