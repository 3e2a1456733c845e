"""One HTTP request, sent the way a probe means it: the only module of `drift verify` that
touches the network.

It never raises for what the network does: a refused connection, a timeout, a reset or a body
cut short all come back as an `HttpAnswer` whose `error` says so in one line, with whatever
status and bytes had arrived. The timeout bounds the whole exchange (connect, send, headers and
body), not each socket read, so a server that trickles bytes cannot hold a probe forever.

Deliberately plain `http.client`: no proxy from the environment (a probe talks to exactly the
address it names — an `http_proxy` meant for the internet must not carry a request for
127.0.0.1), no redirects followed (a 302 to a login page is an answer worth seeing), no retries.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BYTES = 64 * 1024 * 1024  # a minute of 24 kHz float32 stereo is 11 MiB; more is a broken answer
_CHUNK = 64 * 1024
USER_AGENT = "drift-bot verify"


@dataclass(frozen=True)
class HttpAnswer:
    status: int | None  # None when no status line arrived
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float  # seconds from the first connect attempt to the last byte (or the failure)
    error: str | None = None  # the transport failed; one line, no traceback

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left


def send(method: str, url: str, *, headers: Sequence[tuple[str, str]] = (), body: bytes | None = None,
         timeout: float = 10.0, max_bytes: int = MAX_BYTES) -> HttpAnswer:
    """Send one request and read the whole answer within `timeout` seconds."""
    started = time.monotonic()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return HttpAnswer(None, (), b"", 0.0, f"bad URL: {exc}")
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = _Deadline(timeout)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    status: int | None = None
    got: tuple[tuple[str, str], ...] = ()
    chunks: list[bytes] = []
    received = 0

    def answer(error: str | None = None) -> HttpAnswer:
        return HttpAnswer(status, got, b"".join(chunks), round(time.monotonic() - started, 6), error)

    try:
        conn.connect()
        # Kept apart from `conn`: http.client drops conn.sock once the answer says it will close
        # the connection, while the body is still read through the same socket.
        sock = conn.sock
        sock.settimeout(deadline.left())
        sent = {k.lower() for k, _ in headers}
        conn.putrequest(method, path, skip_host="host" in sent, skip_accept_encoding=True)  # gzip would hide the bytes we judge
        if "user-agent" not in sent:
            conn.putheader("User-Agent", USER_AGENT)
        for key, value in headers:
            conn.putheader(key, value)
        if body is not None and "content-length" not in sent:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        sock.settimeout(deadline.left())
        response = conn.getresponse()
        status, got = response.status, tuple(response.getheaders())
        while True:
            sock.settimeout(deadline.left())
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > max_bytes:
                return answer(f"answer larger than {max_bytes // (1024 * 1024)} MiB; stopped reading")
        if response.length:  # Content-Length promised more than arrived before the close
            return answer(f"connection closed after {received} of {received + response.length} bytes (Content-Length)")
        return answer()
    except http.client.IncompleteRead as exc:
        chunks.append(exc.partial)
        return answer(f"connection closed in the middle of a chunked answer, after {received + len(exc.partial)} bytes")
    except (TimeoutError, socket.timeout):
        if status is None:
            return answer(f"no answer within {timeout:g} s")
        return answer(f"answer not complete within {timeout:g} s (status {status}, {received} bytes so far)")
    except ConnectionRefusedError:
        return answer(f"connection refused by {where}")
    except socket.gaierror as exc:
        return answer(f"cannot resolve {host}: {exc.strerror or exc}")
    except ssl.SSLError as exc:
        return answer(f"TLS with {where} failed: {getattr(exc, 'reason', None) or exc}")
    except http.client.RemoteDisconnected:
        return answer(f"{where} closed the connection without an answer")
    except http.client.HTTPException as exc:
        return answer(f"not an HTTP answer from {where}: {type(exc).__name__} {str(exc)[:60]}".rstrip())
    except OSError as exc:
        return answer(f"{where}: {exc.strerror or exc}")
    finally:
        conn.close()
