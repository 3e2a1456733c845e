"""Secret values are replaced before a capture is written anywhere.

Two nets: a key whose name says it holds a secret (`LIVEKIT_API_SECRET=…`, `Authorization …`)
and a value whose shape says it is one (`hf_…`, `ghp_…`, AWS keys, private keys, long
high-entropy strings). The replacement keeps a short hash so that a rotated value is still
visible as "changed" to someone comparing two snapshots, without the value itself.
"""
from __future__ import annotations

import bisect
import hashlib
import math
import re

TOKEN_RE = re.compile(r"<redacted sha256:[0-9a-f]{8}>")

_SECRET_NAME = re.compile(
    r"(?i)(secret|token|passw(?:or)?d|passwd|pwd|api[_-]?key|private[_-]?key|credential|access[_-]?key"
    r"|authorization|auth[_-]?key|client[_-]?secret|session[_-]?key|signing[_-]?key|cookie)"
)
# Names that match the pattern above but point at a secret instead of holding it.
_POINTER_SUFFIX = re.compile(r"(?i)(_file|_path|_dir|_url|_endpoint|_name|_id|_header|_env|_ttl|_expiry|_length)$")

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)")  # user:password@ in a URL
# Token formats of the usual providers, in one alternation: one pass over a large file.
_TOKENS = re.compile(
    r"(?=[ghsAxe])(?<![A-Za-z0-9_])(?:"
    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|hf_[A-Za-z0-9]{20,}"
    r"|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
)
_SHAPES = [_PRIVATE_KEY, _TOKENS, _URL_CREDENTIALS]
# Cheap substring probes for _SECRET_NAME, so only lines that may match are matched.
_NAME_PROBES = ("secret", "token", "passw", "pwd", "api_key", "api-key", "apikey", "private_key", "private-key",
                "credential", "access_key", "access-key", "accesskey", "authorization", "auth_key", "auth-key",
                "session_key", "session-key", "signing_key", "signing-key", "cookie")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_\-]{24,}={0,2}")
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}?$")


def token_for(value: str) -> str:
    return f"<redacted sha256:{hashlib.sha256(value.encode()).hexdigest()[:8]}>"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _POINTER_SUFFIX.search(name)


def is_reference(value: str) -> bool:
    """`${KEY}` and `$KEY` name a secret that lives elsewhere; they are not secrets themselves."""
    return bool(_REFERENCE.match(value.strip()))


def _entropy(s: str) -> float:
    counts = {c: s.count(c) for c in set(s)}
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


def _high_entropy(s: str) -> bool:
    if s.startswith(("/", "./", "sha256", "sha512")) or re.fullmatch(r"[0-9a-fA-F]+", s):
        return False  # paths and hex digests (image ids, checksums) are not secrets
    if "/" in s and re.search(r"[-.]", s):
        return False  # model and image names (org/Name-3B-2507) read like paths, not keys
    classes = sum(bool(re.search(p, s)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 3 and _entropy(s) >= 4.0


def looks_secret(value: str) -> bool:
    if not value or TOKEN_RE.fullmatch(value.strip()):
        return False
    if any(p.search(value) for p in _SHAPES):
        return True
    return any(_high_entropy(m.group()) for m in _CANDIDATE.finditer(value))


def has_redaction(value: object) -> bool:
    return isinstance(value, str) and bool(TOKEN_RE.search(value))


def _redact_shapes(text: str) -> tuple[str, int]:
    count = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        if TOKEN_RE.fullmatch(m.group()):
            return m.group()
        count += 1
        return token_for(m.group())

    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY.sub(sub, text)
    text = _TOKENS.sub(sub, text)
    if "://" in text:
        text = _URL_CREDENTIALS.sub(sub, text)

    def sub_entropy(m: re.Match[str]) -> str:
        return sub(m) if _high_entropy(m.group()) else m.group()

    return _CANDIDATE.sub(sub_entropy, text), count


# KEY=value (dotenv, compose list environment, Dockerfile ENV/ARG), KEY: value (YAML),
# and `Name value` (Caddyfile directives such as `header Authorization "Bearer …"`).
_ASSIGN = re.compile(
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<sep>\s*=\s*|["']?\s*:\s+|\s+)(?P<q>["']?)(?P<value>[^"'\s#][^"'\n]*?|[^\n"']*?)(?P=q)(?=["'\],]|\s+\#|\s*$|\s+[A-Za-z_][A-Za-z0-9_]*=)"""
)


def _redact_names(line: str) -> tuple[str, int]:
    count = 0
    out: list[str] = []
    pos = 0
    for m in _ASSIGN.finditer(line):
        name, value = m.group("name"), m.group("value")
        if not is_secret_name(name) or not value.strip() or is_reference(value) or TOKEN_RE.fullmatch(value.strip()):
            continue
        if m.group("sep").strip() == "" and name.upper() in {"ENV", "ARG"}:
            continue
        out.append(line[pos : m.start("value")])
        out.append(token_for(value))
        pos = m.end("value")
        count += 1
    out.append(line[pos:])
    return "".join(out), count


_LINE_PREFIX = re.compile(r"^\s*(?:-\s+|export\s+|(?:ENV|ARG)\s+)?")


def redact_text(text: str) -> tuple[str, int]:
    """Return the text with every secret value replaced, and how many were replaced."""
    text, total = _redact_shapes(text)
    # Only lines that carry a secret-looking name can hold a secret by name: find them in one
    # pass over the text instead of matching every line of a 20,000-line compose file.
    lower = text.lower()
    starts = []
    for probe in _NAME_PROBES:
        at = lower.find(probe)
        while at != -1:
            starts.append(at)
            at = lower.find(probe, at + 1)
    if not starts:
        return text, total
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    for number in sorted({bisect.bisect_right(offsets, s) - 1 for s in starts}):
        line = lines[number]
        if line.lstrip().startswith("#"):
            continue
        cut = _LINE_PREFIX.match(line).end()  # type: ignore[union-attr]
        rest, n = _redact_names(line[cut:])
        total += n
        lines[number] = line[:cut] + rest
    return "\n".join(lines), total
