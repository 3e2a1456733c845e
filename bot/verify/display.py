"""What a probe's detail may show of a URL, an answer or a value: no credentials, no secret,
and at most 40 printable characters of an answer, redacted before it is cut."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.secrets import is_secret_name, redact

_QUOTE = 40  # printable characters of an answer a detail may quote


def display_url(url: str) -> str:
    """The URL without user:password@ and with secret-looking query values redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k) for k, _ in pairs):
            query = urlencode([(k, "<redacted>" if is_secret_name(k) else v) for k, v in pairs], safe="<>")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def quote_start(data: bytes) -> str:
    """How an answer begins, for a detail: at most 40 printable characters, secrets redacted
    before the cut (a token is recognised whole, not by its first few characters)."""
    head = data[:400].decode("utf-8", errors="replace")
    sample = head[:64]
    if sum(_readable(c) for c in sample) < len(sample) * 0.9:
        return "bytes " + " ".join(f"{b:02x}" for b in data[:8])
    # The first line: an error page's `<!DOCTYPE html>`, a JSON error's opening, a plain-text reason.
    line = next((ln for ln in redact(head, "text").text.splitlines() if ln.strip()), "")
    text = "".join(c for c in " ".join(line.split()) if _readable(c))
    if not text:
        return "whitespace"
    return text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…"


def _readable(c: str) -> bool:
    return (c.isprintable() and c != "\ufffd") or c in "\r\n\t"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _QUOTE else text[:_QUOTE] + "…"
