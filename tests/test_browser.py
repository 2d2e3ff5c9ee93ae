"""One real-browser check: headless Chromium over `lpscrape serve` — home, search, article."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from lpscrape.demo.content import EDITED_IN_2, articles

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed: `apt-get install chromium` (Debian) to run the browser check",
)


class Browser:
    """Headless Chromium, one page load per call, with its own throwaway profile."""

    def __init__(self, profile: Path) -> None:
        self.args = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1280,1600",
        ]

    def dom(self, url: str) -> str:
        """The page's DOM after it loaded and ran its scripts."""
        result = subprocess.run(
            [*self.args, "--dump-dom", url], capture_output=True, text=True, timeout=90
        )
        assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-2000:]
        return result.stdout

    def screenshot(self, url: str, path: Path) -> Path:
        """A PNG of the page as a reader sees it."""
        subprocess.run(
            [*self.args, f"--screenshot={path}", url], capture_output=True, timeout=90, check=True
        )
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
        return path


def text(fragment: str) -> str:
    """What a reader reads in an HTML fragment: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_reader_searches_and_reads_an_article(served: str, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    article = next(a for a in articles(2) if a.id == EDITED_IN_2[2])

    home = browser.dom(served + "/")
    browser.screenshot(served + "/", tmp_path / "home.png")
    assert "Lord's Press: the archive" in text(home)
    form = re.search(r'<form class="lp-search" action="([^"]+)"[^>]*>(.*?)</form>', home, re.S)
    assert form, "the home page offers a search box"
    field = re.search(r'<input[^>]*type="search"[^>]*name="([^"]+)"', form[2])[1]
    search_url = f"{served}{form[1]}?{urllib.parse.urlencode({field: 'horse-drawn carriage'})}"

    results = browser.dom(search_url)
    browser.screenshot(search_url, tmp_path / "search.png")
    body = results[results.index("<tbody>") : results.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(rows) == 1 and article.title in text(rows[0])  # the one right article
    link = re.search(r'<td class="col-url type-pk"><a href="([^"]+)"', rows[0])  # the row page
    assert link, rows[0][:500]

    page_url = served + html.unescape(link[1])
    page = browser.dom(page_url)
    shot = browser.screenshot(page_url, tmp_path / "article.png")
    assert shot.stat().st_size > 10_000
    title = re.search(r'<h1 class="lp-title">(.*?)</h1>', page, re.S)
    assert title and text(title[1]) == article.title
    body_html = page[page.index('<div class="lp-body">') : page.index("</article>")]
    paragraphs = [text(p) for p in re.findall(r"<p>(.*?)</p>", body_html, re.S)]
    assert paragraphs == [" ".join(b.split()) for b in article.body_blocks]
    assert f"By {article.byline}" in text(page)
    assert re.search(
        r'class="lp-original" href="http://127\.0\.0\.1:\d+' + re.escape(article.path), page
    )
    assert 'class="lp-versions"' in page and 'class="lp-captures"' in page
