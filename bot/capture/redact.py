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
from functools import lru_cache

TOKEN_RE = re.compile(r"<redacted sha256:[0-9a-f]{8}>")

# A name is read word by word (`LIVEKIT_API_SECRET`, `x-api-key`, `accessToken`), so that a
# count of tokens (`MAX_TOKENS`, `max-num-batched-tokens`), a tokenizer setting or compose's
# `secrets:` section is not taken for a secret.
_NAME_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# A word that holds a secret by itself, also as the end of a longer word (`APITOKEN`, `DBPASSWORD`).
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "ACCESSKEY", "PRIVATEKEY")
_SECRET_WORD = {"PWD", "CREDENTIAL", "CREDENTIALS", "AUTHORIZATION", "COOKIE", "PASSPHRASE"}
# Two words that hold a secret together.
_SECRET_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("AUTH", "KEY"), ("SESSION", "KEY"),
                 ("SIGNING", "KEY"), ("ENCRYPTION", "KEY")}
# A last word that points at a secret instead of holding it (`GITHUB_TOKEN_FILE`, `TOKEN_TTL`).
_POINTER_WORDS = {"FILE", "PATH", "DIR", "URL", "ENDPOINT", "NAME", "ID", "HEADER", "ENV", "TTL", "EXPIRY", "LENGTH"}
# Shell variables that are words of a secret only by accident.
_SHELL_NAMES = {"PWD", "OLDPWD"}


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
# Cheap substring probes for is_secret_name, so only lines that may name a secret are matched.
_NAME_PROBES = ("secret", "token", "passw", "pwd", "apikey", "accesskey", "privatekey", "credential", "authorization",
                "cookie", "passphrase") + tuple(
    (first + sep + second).lower() for first, second in sorted(_SECRET_PAIRS) for sep in "_-.")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_\-]{24,}={0,2}")
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}?$")


def token_for(value: str) -> str:
    return f"<redacted sha256:{hashlib.sha256(value.encode()).hexdigest()[:8]}>"


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    words = [w.upper() for w in _NAME_WORDS.findall(name)]
    if not words or words[-1] in _POINTER_WORDS or name.upper() in _SHELL_NAMES:
        return False
    return any(w in _SECRET_WORD or w.endswith(_SECRET_WORDS) for w in words) or any(
        pair in _SECRET_PAIRS for pair in zip(words, words[1:]))


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


# KEY=value (dotenv, compose list environment, Dockerfile ENV/ARG), KEY: value (YAML, JSON),
# and `Name value` (Caddyfile directives such as `header Authorization "Bearer …"`, command-line
# flags, Dockerfile `ENV NAME value`). A name is tried at every word start, so that a secret
# after another name on the line is found too.
_NAME = re.compile(r"(?<![A-Za-z0-9_.\-])-{0,2}[A-Za-z_][A-Za-z0-9_.\-]*")  # with a flag's dashes (`--api-key`)
_SEP = re.compile(r"""\s*=\s*|["']?\s*:\s+|\s+""")
_QUOTED = re.compile(r"""(?P<q>["'])(?P<value>[^\n"']*)(?P=q)""")
# An unquoted value runs to a quote, a comment, the end of the line or the next NAME=; inside
# a flow collection (`{API_KEY: x, LOG_LEVEL: info}`) also to `,` `}` `]`.
_PLAIN = re.compile(r"""(?P<value>[^"'\s#][^"'\n]*?)(?=["']|\s+\#|\s*$|\s+[A-Za-z_][A-Za-z0-9_]*=)""")
_PLAIN_IN_FLOW = re.compile(r"""(?P<value>[^"'\s#,\[\]{}][^"'\n,\[\]{}]*?)(?=\s*[,\]}"']|\s+\#|\s*$)""")
# After `Name ` (no `=` or `:`) an unquoted value is one word.
_WORD = re.compile(r"""(?P<value>[^"'\s#,\[\]{}][^"'\s,\[\]{}]*)(?=[\s,\]}]|$)""")
_DOCKERFILE_ASSIGN = re.compile(r"\s*(?:ENV|ARG)\s+", re.IGNORECASE)
# After `NAME:` these start YAML structure (a collection, a block scalar, an anchor, an alias,
# a tag), not a value; after `Name ` a Caddy placeholder `{…}`.
_STRUCTURE = tuple("{[|>&*!")
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*")


def _in_flow(line: str, pos: int) -> bool:
    """Whether `pos` stands inside a `{…}` or `[…]` opened earlier on the line."""
    depth, quote = 0, ""
    for ch in line[:pos]:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]" and depth:
            depth -= 1
    return depth > 0


def _spaced_value(line: str, name: re.Match[str], at: int) -> re.Match[str] | None:
    """The value after `Name ` (a space, no `=` or `:`), where prose cannot be taken for one.

    `ENV NAME value` holds the rest of the line. Elsewhere a quoted value follows a name with
    a capital (`Authorization "Bearer …"`), and one word follows a name spelt like a setting
    (`--api-key x`, `NPM_TOKEN x`, `apiKey x`): "the token (see below)" in a README is prose.
    """
    word = name.group()
    if _DOCKERFILE_ASSIGN.fullmatch(line, 0, name.start()):
        return _PLAIN.match(line, at)
    quoted = _QUOTED.match(line, at)
    if quoted is not None:
        return None if word.islower() else quoted
    setting = word.startswith("-") or any(c in "_-." for c in word) or any(c.isupper() for c in word[1:])
    return _WORD.match(line, at) if setting else None


def _redact_names(line: str, *, comment: bool = False) -> tuple[str, int, bool]:
    """The line with every value under a secret name replaced, how many, and whether the line
    opens a YAML block scalar under a secret name (its lines below are the value)."""
    count, out, pos, block = 0, [], 0, False
    for name in _NAME.finditer(line):
        if name.start() < pos or not is_secret_name(name.group()):
            continue
        sep = _SEP.match(line, name.end())
        if sep is None:
            continue
        if not sep.group().strip():
            if comment:
                continue  # in a comment only NAME=value and NAME: value are assignments, not prose
            m = _spaced_value(line, name, sep.end())
        else:
            m = _QUOTED.match(line, sep.end())
            if m is None:
                m = (_PLAIN_IN_FLOW if _in_flow(line, name.start()) else _PLAIN).match(line, sep.end())
                if m is not None and ":" in sep.group() and m.group("value").startswith(_STRUCTURE):
                    opens = bool(_BLOCK_SCALAR.fullmatch(m.group("value").strip()))
                    block = block or (opens and not comment)
                    continue
        if m is None:
            continue
        value = m.group("value")
        if not value.strip() or is_reference(value) or TOKEN_RE.fullmatch(value.strip()):
            continue
        out.append(line[pos : m.start("value")])
        out.append(token_for(value))
        pos = m.end("value")
        count += 1
    out.append(line[pos:])
    return "".join(out), count, block


def _redact_block(lines: list[str], number: int) -> int:
    """Replace the lines of a block scalar below line `number`, each by its own token."""
    indent = len(lines[number]) - len(lines[number].lstrip(" "))
    count = 0
    for n in range(number + 1, len(lines)):
        body = lines[n].strip()
        if body and len(lines[n]) - len(lines[n].lstrip(" ")) <= indent:
            break
        if body and not TOKEN_RE.fullmatch(body):
            lines[n] = lines[n][: len(lines[n]) - len(lines[n].lstrip())] + token_for(body)
            count += 1
    return count


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
        # An old value kept in a comment "for reference" is a credential all the same.
        redacted, n, block = _redact_names(line, comment=line.lstrip().startswith("#"))
        lines[number] = redacted
        total += n + (_redact_block(lines, number) if block else 0)
    return "\n".join(lines), total
