"""Serve the fixture web over HTTP/1.1 (keep-alive, threads) and log every request for tests."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from synthetic.fixture_web.site import FixtureWeb, Reply, build, respond, warm

DEFAULT_PORT = 8751


class FixtureHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], web_args: argparse.Namespace) -> None:
        super().__init__(address, FixtureHandler)
        host, port = self.server_address[:2]
        base = f"http://{host!s}:{port}"
        self.web: FixtureWeb = build(
            base, web_args.docs, web_args.seed, web_args.crawl_delay, web_args.slow_s
        )
        self.log: list[dict[str, object]] = []
        self.lock = threading.Lock()


class FixtureHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffered: a reply's head and body leave in one send (http.server flushes after each
    # request); unbuffered, every reply cost two system calls.
    wbufsize = 1 << 16
    server: FixtureHTTPServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/_fixture/") and parts.path != "/_fixture/truth":
            self._control(parts.path, parts.query)
            return
        if not parts.path.startswith("/_fixture/"):
            self._record()
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = respond(self.server.web, parts.path, parts.query, headers)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self._send(reply)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self._control(parts.path, parts.query)

    def _record(self) -> None:
        entry = {
            "t": time.time(),
            "path": self.path,
            "if_none_match": self.headers.get("If-None-Match"),
            "if_modified_since": self.headers.get("If-Modified-Since"),
            "user_agent": self.headers.get("User-Agent"),
        }
        with self.server.lock:
            self.server.log.append(entry)

    def _control(self, path: str, query: str) -> None:
        params = parse_qs(query)
        if path == "/_fixture/log":
            with self.server.lock:
                body = json.dumps(self.server.log)
                if params.get("clear"):
                    self.server.log.clear()
        elif path == "/_fixture/change":
            self.server.web.changed = params.get("on", ["1"])[0] == "1"
            body = json.dumps({"changed": self.server.web.changed})
        else:
            self._send(Reply(404, (("Content-Type", "text/plain"),), b"no such control"))
            return
        self._send(Reply(200, (("Content-Type", "application/json"),), body.encode()))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request log above is what tests read; stderr stays quiet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m synthetic.fixture_web")
    parser.add_argument("--host", default="127.0.0.1")
    # The sites file names this port, so `crawl fixture-wenku --sites synthetic/fixture_web/sites.toml`
    # works against a server started by hand; tests and the demo pass 0 (a free port).
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: a free one")
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--crawl-delay", type=float, default=0.1)
    parser.add_argument("--slow-s", type=float, default=1.0)
    parser.add_argument("--warm", action="store_true", help="render every page before serving")
    args = parser.parse_args(argv)
    server = FixtureHTTPServer((args.host, args.port), args)
    if args.warm:
        warm(server.web)
    # The parent reads this one line to learn the port.
    print(json.dumps({"url": server.web.base, "documents": len(server.web.docs)}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)
