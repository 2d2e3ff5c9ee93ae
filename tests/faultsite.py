"""A hostile Lord's Press for the reliability tests: the sample site, smaller, whose any path
can answer with an error page, a PDF, a gzip bomb, a redirect loop, a dropped connection…"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from lpscrape.demo.content import LONDON, Article
from lpscrape.demo.site import HTML, DemoSite, RequestRecord, Response

# A WordPress page that cannot reach its database, as `wp_die()` prints it (answered 200 by
# page caches and some proxies).
DB_ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="UTF-8"><title>Database Error</title></head>
<body id="error-page"><div class="wp-die-message"><h1>Error establishing a database connection</h1>
</div></body></html>"""
NGINX_502 = b"""<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"""
PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class Drop(ConnectionAbortedError):
    """Raised inside the handler: the server closes the connection without an answer."""


class Pass:
    """An answer that lets the sample site answer as usual."""


Answer = Response | type[Drop] | type[Pass] | Callable[[], Response]


def html(body: bytes, status: int = 200, **headers: str) -> Response:
    """An HTML answer."""
    return Response(status, {"Content-Type": HTML, **headers}, body)


def redirect(location: str, status: int = 301) -> Response:
    """A redirect."""
    return Response(status, {"Location": location, "Content-Type": HTML}, b"")


def gzip_bomb(megabytes: int) -> Response:
    """A small gzip body that inflates to `megabytes` of zeros."""
    body = gzip.compress(b"\0" * (megabytes * 1024 * 1024), compresslevel=9)
    return Response(200, {"Content-Type": HTML, "Content-Encoding": "gzip"}, body)


class FaultSite(DemoSite):
    """The sample site cut to its newest `size` articles, with per-path answers and
    rewrites, and a timed log of every request it saw."""

    def __init__(self, size: int = 6, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.size = size
        self.answers: dict[str, list[Answer]] = {}
        self.rewrites: dict[str, Callable[[bytes], bytes]] = {}
        self.removed: set[str] = set()
        self.timeline: list[tuple[float, str, int]] = []  # (time.monotonic(), path, status)
        self._faults_lock = threading.Lock()

    @property
    def articles(self) -> tuple[Article, ...]:
        """The newest `size` articles, minus those removed."""
        newest = super().articles[-self.size :]
        return tuple(a for a in newest if a.path not in self.removed)

    def reset(self) -> None:
        """Back to a well-behaved site."""
        self.answers.clear()
        self.rewrites.clear()
        self.removed.clear()
        self.faults.clear()
        self.delays.clear()
        self.requests.clear()
        self.timeline.clear()
        self.clock = lambda: datetime.now(LONDON)

    def answer(self, path: str, *answers: Answer) -> None:
        """Answer `path` with these, in turn; the last one for good."""
        self.answers[path] = list(answers)

    def respond(self, method: str, path: str, headers: dict[str, str]) -> Response:
        """The hostile answer for this path if there is one, else the sample site's."""
        started = time.monotonic()
        bare = urlsplit(path).path
        with self._faults_lock:
            queue = self.answers.get(path) or self.answers.get(bare)
            answer = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
        if answer is None and bare in self.removed:
            answer = self._not_found(bare)
        if answer is None or answer is Pass:
            response = super().respond(method, path, headers)
            rewrite = self.rewrites.get(bare)
            if rewrite and response.status == 200:
                body = rewrite(response.body)
                response = Response(
                    200, {**response.headers, "Content-Length": str(len(body))}, body
                )
        else:
            if delay := self.delays.get(path, self.delays.get(bare)):
                time.sleep(delay)
            if answer is Drop:
                self.timeline.append((started, path, 0))
                raise Drop(path)
            response = answer() if callable(answer) else answer
            out = {"Content-Length": str(len(response.body)), **response.headers}
            response = Response(response.status, out, response.body)
            self.requests.append(self.record(method, path, response, headers))
        self.timeline.append((started, path, response.status))
        return response

    @staticmethod
    def record(
        method: str, path: str, response: Response, headers: dict[str, str]
    ) -> RequestRecord:
        """The request log entry the sample site keeps."""
        return RequestRecord(method, path, response.status, len(response.body), headers)
