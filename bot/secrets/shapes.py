"""Where a secret stands inside one string, whatever key holds it: by its shape (a provider's token
format, a private key block, credentials in a URL, a password hash, a long random string), by the
name written before it in the same string (`--api-key X`, `TOKEN=X`, `"auth": "X"`, `?token=X`).

Every function here takes a string and returns the spans to hide; nothing is replaced here.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

from bot.secrets.names import flag_name, holds_secret, is_reference, program_flags

Span = tuple[int, int]

# Token formats of the usual providers, after the rule lists public secret scanners publish
# (gitleaks, detect-secrets, GitHub's secret scanning), in one alternation: one pass per string.
_TOKENS = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub classic, fine-grained
    r"|gl(?:pat|dt|rt|ptt|cbt|oas|imt|soat|ft|agent|ffct)-[A-Za-z0-9_\-]{20,}|GR1348941[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{20,}"  # Slack
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}"  # Stripe
    r"|hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)[0-9]{2}-)?[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r"|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_\-]{50,}"  # npm, PyPI
    r"|(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])"  # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key
    r"|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{30,}"  # SendGrid
    r"|(?:SK|AC)[0-9a-f]{32}(?![A-Za-z0-9])"  # Twilio
    r"|key-[0-9a-zA-Z]{32}(?![A-Za-z0-9])"  # Mailgun
    r"|AGE-SECRET-KEY-1[0-9A-Z]{58}"  # age
    r"|dop_v1_[a-f0-9]{64}|shpat_[a-fA-F0-9]{32}|glc_[A-Za-z0-9+/]{32,}={0,2}"  # DigitalOcean, Shopify, Grafana
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"  # JWT (also unsigned)
    r"|[MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,}"  # Discord bot token
    r")"
    # Password hashes: bcrypt, argon2, Apache's apr1 and the crypt(3) SHA family, htpasswd's {SHA}.
    r"|\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}"
    r"|\$argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
    r"|\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|\$[56]\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}"
    r"|\{SSHA?\}[A-Za-z0-9+/]{20,}={0,2}"
    # Webhook URLs carry their secret in the path.
    r"|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+\-]{20,}"
    r"|https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_\-]{20,}"
    # Azure: a storage account key or connection string part, a SAS signature.
    r"|(?<=AccountKey=)[A-Za-z0-9+/]{40,}={0,2}|(?<=SharedAccessKey=)[A-Za-z0-9+/]{20,}={0,2}"
)
_PRIVATE_KEY = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)")
_QUERY = re.compile(r"(?:^|[?&;])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<value>[^&#\s\"']+)")
# An assignment inside a string: `NAME=value`, `NAME: value`, `"name": "value"` (JSON in a value).
_ASSIGN = re.compile(
    r"""(?P<q>["']?)(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P=q)\s*(?P<sep>=|:\s)\s*(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s,;"'}\]]+)""")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_\-]{24,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
# Names under which a long hex string is a digest, not a key.
_DIGEST_WORDS = re.compile(r"(?i)sha|digest|hash|commit|revision|rev|checksum|etag|_id$|^id$|fingerprint")
# A cheap look before the costlier passes: only strings that may name a secret inside.
_NAME_PROBE = re.compile(r"(?i)pass|secret|token|key|auth|cred|priv|pwd|sig|cookie|salt|pin\b|(?:^|\s)-[pau]|--user")


def _entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for c in s:
        counts[c] = counts.get(c, 0) + 1
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


def _random_looking(s: str) -> bool:
    if s.startswith(("/", "./", "sha256", "sha512")) or re.fullmatch(r"[0-9a-fA-F]+", s):
        return False  # paths and hex digests (image ids, checksums) are not secrets by shape alone
    if "/" in s and re.search(r"[-.]", s):
        return False  # model and image names (org/Name-3B-2507) read like paths, not keys
    if re.fullmatch(r"[A-Za-z]+(?:[-_][A-Za-z0-9]+)+", s) and not re.search(r"[0-9].*[A-Za-z].*[0-9]", s):
        return False  # words joined by dashes (`max-num-batched-tokens-per-step`)
    classes = sum(bool(re.search(p, s)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 3 and _entropy(s) >= 4.0


# What every shape needs somewhere in the string: a run of 16 token characters, a URL, a key
# block, a password hash's `$…$`. Most values of a compose file have none and are passed at once.
_MAYBE_SHAPE = re.compile(r"[A-Za-z0-9+/_\-.=]{16}|://|PRIVATE KEY|\$(?:2[abxy]?|argon2|apr1|[56])\$|\{SSHA?\}")


_DELIMITERS = " \t\n=:\"'"


@lru_cache(maxsize=1)
def _library() -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]:
    """The token formats detect-secrets keeps (see bot.secrets.library): one alternation to look
    with, and the patterns one by one to find where. Read on first need only."""
    return _library_look(), _library_rules()


@lru_cache(maxsize=1)
def _library_texts() -> tuple[tuple[str, int], ...]:
    from bot.secrets.library import token_rule_texts

    return tuple(token_rule_texts())


@lru_cache(maxsize=1)
def _library_look() -> re.Pattern[str]:
    flags = {re.IGNORECASE: "i", re.VERBOSE: "x", re.DOTALL: "s", re.MULTILINE: "m"}
    parts = ["(?%s:%s)" % ("".join(c for f, c in flags.items() if fl & f) or "-i", p) for p, fl in _library_texts()]
    return re.compile("|".join(parts))


@lru_cache(maxsize=1)
def _library_rules() -> tuple[re.Pattern[str], ...]:
    # Compiled only for a value the alternation finds something in: most runs never need them.
    return tuple(re.compile(p, fl) for p, fl in _library_texts())


# What a string needs before detect-secrets' rules are worth trying: each of its token formats
# holds a run of 20 token characters or one of these words. Its alternation costs ~10 µs a value,
# this look a twentieth of that; tests/test_secrets_shapes.py holds the look to the library's rules.
LIBRARY_PROBE = re.compile(r"[A-Za-z0-9_\-+=]{20}|BEGIN|PuTTY|AccountKey|_authToken")


def _library_spans(value: str) -> list[Span]:
    if not LIBRARY_PROBE.search(value):
        return []
    if not _library_look().search(value):
        return []
    out: list[Span] = []
    for pattern in _library_rules():
        for m in pattern.finditer(value):
            s, e = m.span()
            while s < e and value[s] in _DELIMITERS:  # some rules take the delimiters with the token
                s += 1
            while e > s and value[e - 1] in _DELIMITERS:
                e -= 1
            out.append((s, e))
    return out


def shape_spans(value: str) -> list[Span]:
    """Spans of `value` that are secrets by their shape alone."""
    if not _MAYBE_SHAPE.search(value):
        return []
    out: list[Span] = [m.span() for m in _TOKENS.finditer(value)] + _library_spans(value)
    if "PRIVATE KEY" in value:
        out += [m.span() for m in _PRIVATE_KEY.finditer(value)]
    if "://" in value:
        out += _url_credentials(value)
    if "=" in value:  # a query string, in a URL or on its own (an Azure SAS token)
        for m in _QUERY.finditer(value):
            if holds_secret(m.group("name"), m.group("value")) or m.group("name") in ("sig", "X-Amz-Signature"):
                out.append(m.span("value"))
    out += [m.span() for m in _CANDIDATE.finditer(value) if _random_looking(m.group())]
    return out


_WORD_END = re.compile(r"[\s\"'`]")


def _url_credentials(value: str) -> list[Span]:
    """`scheme://user:password@host`: the password (which may hold `/`, `:`, `%` and `@`: the last
    `@` of the word ends it), or a user part that is a token (`https://TOKEN@host`)."""
    out: list[Span] = []
    at = value.find("://")
    while at != -1:
        start = at + 3
        end = _WORD_END.search(value, start)
        word_end = end.start() if end else len(value)
        last_at = value.rfind("@", start, word_end)
        if last_at != -1:
            colon = value.find(":", start, last_at)
            user = value[start : last_at if colon == -1 else colon]
            if any(c in user for c in "/?#"):
                pass  # the `@` stands in the path or the query, not after credentials
            elif colon != -1:
                if last_at > colon + 1 and not is_reference(value[colon + 1 : last_at]):
                    out.append((colon + 1, last_at))
            elif _userinfo_token(user):
                out.append((start, last_at))
        at = value.find("://", word_end)
    return out


def _userinfo_token(user: str) -> bool:
    """`https://TOKEN@host`: a user part long and random enough to be a token, not `git@`."""
    return len(user) >= 16 and not is_reference(user) and (bool(_TOKENS.fullmatch(user)) or _entropy(user) >= 3.5)


def whole_value_secret(name: str | None, value: str) -> bool:
    """A value that is a secret as a whole: by the name holding it, or a long hex or random
    string under a name that does not call it a digest."""
    if name is not None and holds_secret(name, value):
        return True
    text = value.strip()
    if _HEX.fullmatch(text) and not (name and _DIGEST_WORDS.search(name)):
        return True
    return False


def _unquoted(value: str, start: int, end: int) -> Span:
    if end - start >= 2 and value[start] == value[end - 1] and value[start] in "\"'":
        return start + 1, end - 1
    return start, end


def words(value: str) -> list[tuple[str, int, int]]:
    """Shell-like words with their spans: whitespace outside quotes separates them."""
    out: list[tuple[str, int, int]] = []
    start, quote = None, ""
    for i, c in enumerate(value):
        if quote:
            if c == quote:
                quote = ""
            continue
        if c.isspace():
            if start is not None and value[start:i] != "\\":  # a line continuation is no word
                out.append((value[start:i], start, i))
            start = None
            continue
        if start is None:
            start = i
        if c in "\"'":
            quote = c
    if start is not None and value[start:] != "\\":
        out.append((value[start:], start, len(value)))
    return out


def word_list_spans(items: list[str]) -> dict[int, list[Span]]:
    """For a command as a list of words (compose's `command: [...]`): per item, the spans that
    follow a secret flag (`--api-key X`, `--token=X`, `mysql -pX`, `curl -u user:pw`)."""
    out: dict[int, list[Span]] = {}
    special = program_flags(items)
    for i, item in enumerate(items):
        name = flag_name(item)
        if name is None:
            continue
        flag, eq, rest = item.partition("=")
        attached = next((f for f, how in special.items() if how == "attached" and item.startswith(f) and item != f), None)
        how = special.get(flag)
        nxt = items[i + 1] if i + 1 < len(items) else None
        if attached is not None:
            out.setdefault(i, []).append((len(attached), len(item)))
        elif eq and rest and (holds_secret(flag.lstrip("-"), _unquote(rest)) or how is not None):
            out.setdefault(i, []).append(_unquoted(item, len(flag) + 1, len(item)))
        # The word after a flag is its value unless it is a long flag itself: a password may
        # begin with `-` (`--api-key -x7Ab…`), which a short-flag reading would let through.
        elif nxt is not None and not nxt.startswith("--") and not eq:
            if how == "userinfo":
                if ":" in nxt:
                    out.setdefault(i + 1, []).append(_unquoted(nxt, nxt.index(":") + 1, len(nxt)))
            elif (how == "next" or holds_secret(name, _unquote(nxt))) and not is_reference(_unquote(nxt)):
                out.setdefault(i + 1, []).append(_unquoted(nxt, 0, len(nxt)))
    return {k: [sp for sp in v if sp[1] > sp[0]] for k, v in out.items()}


def _unquote(word: str) -> str:
    s, e = _unquoted(word, 0, len(word))
    return word[s:e]


def inner_spans(value: str) -> list[Span]:
    """Spans of a string that are secrets by what is written before them inside it: a command
    line's flags and assignments, JSON or YAML pasted into a value."""
    if not _NAME_PROBE.search(value):
        return []
    out: list[Span] = []
    for m in _ASSIGN.finditer(value):
        start, end = _unquoted(value, m.start("value"), m.end("value"))
        if holds_secret(m.group("name"), value[start:end]):
            out.append((start, end))
    ws = words(value)
    if len(ws) > 1:
        for i, spans in word_list_spans([w for w, _, _ in ws]).items():
            out += [(ws[i][1] + s, ws[i][1] + e) for s, e in spans]
    return out


def merged(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def secret_spans(value: str) -> list[Span]:
    """Every span of `value` to hide, by shape or by what precedes it inside the string."""
    return merged(shape_spans(value) + inner_spans(value))

