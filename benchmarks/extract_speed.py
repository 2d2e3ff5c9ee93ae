"""Pages/s of lpscrape's extractor and of `trafilatura.extract` over the same pages, one run.

Usage: python benchmarks/extract_speed.py [--rounds N]

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


def main() -> None:
    """Print both speeds and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    pages = article_pages()
    ours = pages_per_second(lambda h, u: extract_article(h, u), pages, args.rounds)
    theirs = pages_per_second(
        lambda h, u: trafilatura.extract(h, url=u, include_comments=False), pages, args.rounds
    )
    print(f"pages: {len(pages)} article pages from tests/pages, best of {args.rounds} rounds")
    print(f"lpscrape extract_article : {ours:8.1f} pages/s")
    print(f"trafilatura.extract      : {theirs:8.1f} pages/s")
    print(f"ratio                    : {ours / theirs:8.2f}x")


if __name__ == "__main__":
    main()
