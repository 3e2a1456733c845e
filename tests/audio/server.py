"""A real HTTP server on 127.0.0.1 (a random port) that answers the way a voice stack does —
or the ways it breaks: wrong status, wrong bytes, a lying Content-Length, a slow answer.

Each route maps a path to a `Reply`, or to a function of the received `Request` returning one
(the speech route speaks the posted `input`). Every request is recorded for the test to read.
Sleeping handlers wake when the server stops, so a timeout test does not hold the suite.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "audio/wav"
    delay: float = 0.0  # seconds before the status line
    trickle: float = 0.0  # seconds between 1 KiB pieces of the body
    length: int | None = None  # the Content-Length to announce; default: the body's


Route = Reply | Callable[[Request], Reply]


class AnswerServer:
    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, dict(self.headers.items()), self.rfile.read(size))
                server.requests.append(request)
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    reply = Reply(404, b"not found\n", "text/plain")
                else:
                    reply = route(request) if callable(route) else route
                if reply.delay and server.stopping.wait(reply.delay):
                    return
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body) if reply.length is None else reply.length))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if not reply.trickle:
                    self.wfile.write(reply.body)
                    return
                for at in range(0, len(reply.body), 1024):
                    self.wfile.write(reply.body[at : at + 1024])
                    self.wfile.flush()
                    if server.stopping.wait(reply.trickle):
                        return

            do_GET = do_POST = do_HEAD = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> AnswerServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
