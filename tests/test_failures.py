"""Why a fetch failed: error pages served with 200, non-pages, statuses, download errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)

from lpscrape.failures import exception_failure, is_error_page, response_failure

FILES = Path(__file__).parent / "files"
PAGES = Path(__file__).parent / "pages"
HTML = "text/html; charset=UTF-8"


@pytest.mark.parametrize("name", sorted(p.name for p in (FILES / "errors").glob("*.html")))
def test_error_pages_served_with_200_are_failures(name: str) -> None:
    body = (FILES / "errors" / name).read_bytes()
    assert response_failure("article", 200, body, HTML) == "error_page"


# WordPress's maintenance page (503 from WordPress, 200 from some page caches).
MAINTENANCE = "theme3_maintenance.html"


@pytest.mark.parametrize(
    "name", sorted(p.name for p in PAGES.glob("*.html") if p.name != MAINTENANCE)
)
def test_real_pages_are_not_error_pages(name: str) -> None:
    assert not is_error_page((PAGES / name).read_bytes())


def test_the_maintenance_page_served_with_200_is_an_error_page() -> None:
    assert (
        response_failure("article", 200, (PAGES / MAINTENANCE).read_bytes(), HTML) == "error_page"
    )


def test_an_article_about_a_database_error_is_not_an_error_page() -> None:
    text = " ".join(["The ministry said its registry showed"] * 150)
    body = f"<html><body><article><h1>Outage</h1><p>Error establishing a database connection was \
the message visitors saw. {text}</p></article></body></html>".encode()
    assert response_failure("article", 200, body, HTML) is None


@pytest.mark.parametrize(
    ("kind", "status", "body", "content_type", "reason"),
    [
        ("article", 200, b"%PDF-1.7 ...", "application/pdf", "not_html"),
        ("article", 200, b"\xff\xd8\xff\xe0JFIF", HTML, "not_html"),
        ("article", 200, b"  \n", HTML, "empty"),
        ("article", 503, b"<h1>busy</h1>", HTML, "http_503"),
        ("article", 404, b"<h1>gone</h1>", HTML, None),  # the store marks it gone
        ("article", 304, b"", None, None),
        ("feed", 404, b"", HTML, None),  # a site without a feed
        ("api", 401, b"{}", "application/json", None),  # a REST API switched off
        ("api", 500, b"{}", "application/json", "http_500"),
        ("robots", 200, b"", "text/plain", None),  # an empty robots.txt allows everything
        ("sitemap", 200, b"<?xml version='1.0'?><urlset/>", "application/xml", None),
    ],
)
def test_what_a_response_means(
    kind: str, status: int, body: bytes, content_type: str | None, reason: str | None
) -> None:
    assert response_failure(kind, status, body, content_type) == reason


def test_download_errors_by_reason() -> None:
    bomb = IgnoreRequest("Ignored response: exceeded DOWNLOAD_MAXSIZE during decompression")
    bomb.__cause__ = ValueError("The number of bytes decompressed so far exceeded")
    assert [
        exception_failure(e)
        for e in (
            DownloadTimeoutError(),
            DownloadCancelledError(),
            DownloadConnectionRefusedError(),
            bomb,
            RuntimeError(),
        )
    ] == ["timeout", "too_large", "connection", "decompression_bomb", "error"]
