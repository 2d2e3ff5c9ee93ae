"""Serve a DemoSite over HTTP on loopback: in a background thread, or in the foreground."""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from .site import DemoSite


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's DemoSite; logs nothing to stderr."""

    server: _Server
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, headers, body = self.server.site.respond(
            self.command, self.path, dict(self.headers.items())
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the site keeps its own request log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: DemoSite) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up mid-answer are normal in tests; say nothing."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class DemoServer:
    """A running sample site: `.base_url`, `.site`, `.close()`; also a context manager."""

    def __init__(self, site: DemoSite, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._server = _Server((host, port), site)
        self.host, self.port = self._server.server_address[:2]  # type: ignore[misc]
        self.base_url = f"http://{self.host}:{self.port}"
        site.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"lpscrape-demo-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(site: DemoSite | None = None, host: str = "127.0.0.1", port: int = 0) -> DemoServer:
    """Start serving `site` (a new edition-1 site if None) on `host:port` (0 = any free port)."""
    return DemoServer(site or DemoSite(), host, port)


def main(argv: list[str] | None = None) -> int:
    """Serve the sample site in the foreground until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m lpscrape.demo.server", description="Serve the Lord's Press sample site."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--edition", type=int, choices=(1, 2), default=1)
    parser.add_argument("--no-rest-api", action="store_true", help="answer /wp-json/ with 404")
    args = parser.parse_args(argv)
    try:
        server = serve(
            DemoSite(edition=args.edition, rest_api=not args.no_rest_api), args.host, args.port
        )
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"Lord's Press sample site (edition {args.edition}) at {server.base_url}/", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
