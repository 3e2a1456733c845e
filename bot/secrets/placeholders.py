"""Placeholders: what stands in a text where a secret stood.

No digest by default (`<redacted>`): an unsalted hash of a weak password is reversed in moments,
and placeholders are public in pull requests. With the host's key, a keyed digest
(`<redacted hmac:1a2b3c4d>`) that nobody without the key can test a guess against.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.secrets.shapes import Span

# Also the digest of versions before 0.3 (`sha256:`), so that an old snapshot is read, and re-redacted.
PLACEHOLDER_RE = re.compile(r"<redacted(?: (?:hmac|sha256):[0-9a-f]{8})?>")
LEGACY = re.compile(r"<redacted sha256:[0-9a-f]{8}>")
PLAIN = "<redacted>"


@dataclass(frozen=True)
class Redactor:
    key: bytes | None = None

    def placeholder(self, value: str) -> str:
        if self.key is None:
            return PLAIN
        return f"<redacted hmac:{hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()[:8]}>"

    def mask(self, value: str, spans: Iterable[Span]) -> str:
        out, pos = [], 0
        for s, e in sorted(spans):
            if s < pos:
                continue
            piece = value[s:e]
            out += [value[pos:s], piece if PLACEHOLDER_RE.fullmatch(piece) else self.placeholder(piece)]
            pos = e
        out.append(value[pos:])
        return "".join(out)

    def same(self, placeholder: str, value: str) -> bool | None:
        """Whether `placeholder` stands for `value`: None when no key lets that be known."""
        if self.key is None or not placeholder.startswith("<redacted hmac:"):
            return None
        return hmac.compare_digest(placeholder, self.placeholder(value))


@dataclass(frozen=True)
class Redaction:
    text: str
    count: int  # how many secret values were replaced


def canonical(text: str) -> str:
    """Every placeholder spelt alike: two redactions compare equal (a rotated secret is no divergence)."""
    return PLACEHOLDER_RE.sub(PLAIN, text)
