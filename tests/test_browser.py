"""Real-browser checks: headless Chromium over `lpscrape serve` — home, search, article, the
diff page, the charts, the page as captured (inert) and the citation. Screenshots go to each
test's temporary folder (and to $LPSCRAPE_SCREENSHOTS when set)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import ROOT, free_port, query, run_cli, wait_for

from lpscrape.demo import theme
from lpscrape.demo.content import EDITED_IN_2, EDITS_IN_2, LONDON, articles

FIRST = {a.id: a for a in articles(1)}
SECOND = {a.id: a for a in articles(2)}

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
        ]

    def dom(self, url: str, wait_ms: int = 0, tz: str | None = None) -> str:
        """The page's DOM after it loaded and ran its scripts (and `wait_ms` of virtual time,
        for pages that fetch and draw after loading), in the time zone `tz` if given."""
        extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
        result = subprocess.run(
            [*self.args, "--window-size=1280,1600", *extra, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=90,
            env={**os.environ, "TZ": tz} if tz else None,
        )
        assert result.returncode == 0 and "</html>" in result.stdout, result.stderr[-2000:]
        return result.stdout

    def screenshot(self, url: str, path: Path, wait_ms: int = 0, height: int = 1600) -> Path:
        """A PNG of the page as a reader sees it."""
        extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
        size = [f"--window-size=1280,{height}"]
        subprocess.run(
            [*self.args, *size, *extra, f"--screenshot={path}", url],
            capture_output=True,
            timeout=90,
            check=True,
        )
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
        if os.environ.get("LPSCRAPE_SCREENSHOTS"):
            keep = Path(os.environ["LPSCRAPE_SCREENSHOTS"])
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, keep / path.name)
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
    link = re.search(r'class="lp-article-link" href="([^"]+)"', rows[0])  # its permalink
    assert link, rows[0][:500]

    page_url = served + html.unescape(link[1])  # redirects to the article's page
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


def save_as(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: the test's folder, named for what it shows."""
    return tmp_path / f"{name}.png"


def test_the_diff_page_marks_removed_and_added_words(served: str, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    post_id = EDITS_IN_2["correction"]
    old, new = FIRST[post_id], SECOND[post_id]
    article = browser.dom(f"{served}/archive/article{old.path}")  # the permalink
    history = re.search(r'class="lp-history" href="([^"]+)"', article)
    assert history, "the article page links to its changes"
    url = served + html.unescape(history[1])
    page = browser.dom(url)
    browser.screenshot(url, save_as(tmp_path, "diff-page"), height=1200)
    removed = " ".join(text(d) for d in re.findall(r'<del class="lp-del">(.*?)</del>', page, re.S))
    added = " ".join(text(i) for i in re.findall(r'<ins class="lp-ins">(.*?)</ins>', page, re.S))
    assert " ".join(old.paragraphs[1].split()) in removed
    assert " ".join(new.paragraphs[1].split()) in added
    assert "correction" in text(page)


def test_the_charts_are_drawn(served: str, demo_archive: Path, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    url = f"{served}/-/dashboards/archive"
    page = browser.dom(url, wait_ms=15_000, tz="America/New_York")  # a reader far from UTC
    browser.screenshot(url, save_as(tmp_path, "charts"), wait_ms=15_000, height=1500)
    charts = re.split(r'<svg[^>]*class="marks"', page)[1:]
    assert len(charts) == 6, len(charts)  # per month, places, changes, weather, crawls, fields
    for chart in charts:
        drawn = re.findall(
            r'<g class="mark-(?:rect|line|symbol) role-mark[^>]*>\s*<path[^>]* d="(M[^"]+)"', chart
        )
        assert drawn, chart[:300]  # bars, lines or points were drawn, not an empty frame
    # The bars say what they show: the places chart's ANTWERP bar counts its articles.
    antwerp = sum(a.dateline == "ANTWERP" for a in articles(3))
    assert f'aria-label="articles: {antwerp}; dateline: ANTWERP"' in page
    assert "Articles per month of publication" in text(page)
    # The weather chart's axis says UTC, and is: the capture's time, on a 24-hour clock,
    # whatever the reader's own zone.
    [(observed,)] = query(
        demo_archive,
        "SELECT DISTINCT weather_observed_at FROM captures "
        "WHERE weather_observed_at IS NOT NULL LIMIT 1",
    )
    weather = page[page.index("The page header's weather widget") :]
    axis = re.findall(r">([^<>]+)</text>", weather[: weather.index("observed at (UTC)</text>")])
    assert any(datetime.fromisoformat(observed).strftime("%H:%M") in label for label in axis), axis


def test_the_article_page_offers_a_citation(served: str, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    article = next(a for a in articles(3) if a.id == EDITS_IN_2["byline"])
    url = f"{served}/archive/article{article.path}"
    page = browser.dom(url)
    browser.screenshot(url, save_as(tmp_path, "article-with-citation"), height=2600)
    cited = re.search(r'<pre class="lp-cite-text">(.*?)</pre>', page, re.S)
    assert cited, "the article page shows its citation"
    citation = text(cited[1])
    assert citation.startswith(f"{' and '.join(article.author_names)}. “{article.title}.”")
    assert "Lord's Press, 28 April 2025." in citation
    assert f"/archive/article{article.path}version/2." in citation


HOSTILE_HTML = """
<script>document.documentElement.setAttribute("data-pwned", "inline");
fetch("{beacon}/fetch");</script>
<script src="{beacon}/script.js"></script>
<img src="{beacon}/image.png" alt="">
<link rel="stylesheet" href="{beacon}/style.css">
<iframe src="{beacon}/frame"></iframe>
<meta http-equiv="refresh" content="0; url={beacon}/refresh">
<img src="x" onerror="document.documentElement.setAttribute('data-pwned', 'onerror')">
<form action="{beacon}/form" method="get"><input name="q" value="x" autofocus></form>
"""


class _Beacon(BaseHTTPRequestHandler):
    """Counts every request that reaches it: a captured page must make none."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _HostileSite(BaseHTTPRequestHandler):
    """One article page that tries to run scripts and reach an outside server."""

    beacon = ""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        article = articles(1)[0]
        now = datetime.now(LONDON)
        if self.path == "/robots.txt":
            body, kind = "User-agent: *\nAllow: /\n", "text/plain"
        elif self.path == "/":
            body = theme.listing_page(
                base=base, now=now, root="/", posts=[article], page=1, pages=1,
                heading=None, body_class="home", rest_api=False,
            )  # fmt: skip
            kind = "text/html; charset=UTF-8"
        elif self.path == article.path:
            page = theme.article_page(article, [article], base, now, rest_api=False)
            hostile = HOSTILE_HTML.format(beacon=self.beacon)
            body, kind = page.replace("</body>", hostile + "</body>"), "text/html; charset=UTF-8"
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _start(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_captured_page_runs_no_script_and_reaches_no_server(tmp_path: Path) -> None:
    beacon = _start(_Beacon)
    _HostileSite.beacon = f"http://127.0.0.1:{beacon.server_address[1]}"
    site = _start(_HostileSite)
    db = tmp_path / "archive.db"
    try:
        base = f"http://127.0.0.1:{site.server_address[1]}/"
        run_cli("crawl", "--start-url", base, "--db", str(db), "--delay", "0")
    finally:
        site.shutdown()
        site.server_close()
    [(capture_id,)] = query(db, "SELECT id FROM captures WHERE kind = 'article' AND status = 200")
    assert _Beacon.hits == []  # the crawler fetched the page, nothing it points to
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        served = f"http://127.0.0.1:{port}"
        wait_for(served + "/")
        browser = Browser(tmp_path / "profile")
        framed = f"{served}/archive/capture/{capture_id}"
        page = browser.dom(framed, wait_ms=5000)
        browser.screenshot(framed, save_as(tmp_path, "captured-page"), wait_ms=5000, height=1400)
        assert 'sandbox=""' in re.search(r"<iframe [^>]*>", page)[0]
        raw = browser.dom(f"{framed}/raw", wait_ms=5000)  # the bytes, opened on their own
        assert articles(1)[0].title in text(raw)  # the captured page is there…
        for dom in (raw, page):  # …and no script ran: the attribute they would set is absent
            assert not re.search(r"<html[^>]*data-pwned", dom)
        assert _Beacon.hits == []  # no request left the page: no image, style, frame, refresh
    finally:
        server.terminate()
        server.wait(timeout=10)
        beacon.shutdown()
        beacon.server_close()
