"""verify: the probes `drift verify` runs against the instance, and what their answers mean.

Three parts, only the middle one touching the network:
- spec: `verify:` items of `.drift.yml` -> `Probe` values, every mistake a one-line ConfigError
  naming the probe and the key;
- run: `run_probes` sends each request through `bot.adapters.http.send` (or a stand-in) and
  hands the answer to `evaluate`, which is pure: status, content type, text, and — for speech
  endpoints — the WAV itself, parsed with the standard `wave` module, never trusted from a
  content type;
- output: `ProbeResult` -> findings for the snapshot and the MEGA, and text/json/markdown.

Nothing here shows a secret: URLs lose their credentials and secret-looking query values,
header values are never repeated, and a quoted answer is redacted before it is cut to 40
printable characters.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import struct
import wave
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.adapters.http import HttpAnswer
from bot.adapters.http import send as http_send
from bot.secrets import is_secret_name, redact
from bot.checks import finding_id
from bot.errors import ConfigError
from bot.model import Finding

CHECK = "verify"
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 600.0
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_PROBE_KEYS = {"name", "request", "expect"}
_REQUEST_KEYS = {"method", "url", "headers", "json", "body", "timeout"}
_EXPECT_KEYS = {"status", "content_type", "body_contains", "wav"}
_WAV_KEYS = {"sample_rate", "channels", "min_seconds", "max_seconds"}
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_QUOTE = 40  # printable characters of an answer a detail may quote


# --- spec -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WavExpectation:
    sample_rate: int | None = None
    channels: int | None = None
    min_seconds: float | None = None
    max_seconds: float | None = None


@dataclass(frozen=True)
class Expectation:
    status: tuple[int, ...] = ()  # empty: any 2xx
    content_type: tuple[str, ...] = ()  # media types, lower case, without parameters; any of them
    body_contains: str | None = None
    wav: WavExpectation | None = None


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()  # values may hold ${ENV} references, resolved at run time
    body: bytes | None = None
    timeout: float = DEFAULT_TIMEOUT
    expect: Expectation = Expectation()


def parse_probes(items: Iterable[Mapping[str, Any]], *, where: str = ".drift.yml") -> tuple[Probe, ...]:
    """Validate `verify:` items (as `Config.verify` holds them) into probes."""
    probes: list[Probe] = []
    for i, item in enumerate(items):
        probe = parse_probe(item, index=i, where=where)
        if any(p.name == probe.name for p in probes):
            raise ConfigError(f"{where}: verify probe `{probe.name}` is declared twice; names must be unique")
        probes.append(probe)
    return tuple(probes)


def parse_probe(item: Mapping[str, Any], *, index: int = 0, where: str = ".drift.yml") -> Probe:
    name = item.get("name") if isinstance(item, Mapping) else None
    label = f"`{name}`" if isinstance(name, str) and name.strip() else f"#{index + 1}"

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: verify probe {label}: `{key}` {message}")

    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: verify probe {label} must be a mapping with name, request and expect")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "must be a non-empty string")
    _known(item, _PROBE_KEYS, "", fail)

    request = item.get("request")
    if not isinstance(request, Mapping):
        raise fail("request", "must be a mapping with at least `url`")
    _known(request, _REQUEST_KEYS, "request.", fail)
    url = request.get("url")
    if not isinstance(url, str) or not url.strip():
        raise fail("request.url", "must be an http:// or https:// URL")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url.strip()):
        raise fail("request.url", f"must be an http:// or https:// URL with a host, not {_short(url)!r}")
    try:
        parts.port
    except ValueError:
        raise fail("request.url", f"has a bad port in {parts.netloc!r}") from None

    if "json" in request and "body" in request:
        raise fail("request.body", "and `request.json` cannot both be given")
    body: bytes | None = None
    content_type: str | None = None
    if "json" in request:
        try:
            body = json.dumps(request["json"], ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise fail("request.json", f"cannot be sent as JSON: {exc}") from None
        content_type = "application/json"
    elif "body" in request:
        if not isinstance(request["body"], str):
            raise fail("request.body", "must be a string (use `json:` for structured data)")
        body = request["body"].encode()

    method = request.get("method", "POST" if body is not None else "GET")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise fail("request.method", f"must be one of {', '.join(sorted(_METHODS))}")
    method = method.upper()
    if body is not None and method in ("GET", "HEAD"):
        raise fail("request.method", f"{method} cannot carry a body; use POST (or leave `method` out)")

    headers = request.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise fail("request.headers", "must map header names to values")
    header_list: list[tuple[str, str]] = []
    for key, value in headers.items():
        if not isinstance(key, str) or not _HEADER_NAME.match(key):
            raise fail(f"request.headers.{key}", "is not a valid header name")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise fail(f"request.headers.{key}", "must be a string")
        if "\r" in str(value) or "\n" in str(value):
            raise fail(f"request.headers.{key}", "must be one line")
        header_list.append((key, str(value)))
    if content_type and not any(k.lower() == "content-type" for k, _ in header_list):
        header_list.append(("Content-Type", content_type))

    timeout = _number(request.get("timeout", DEFAULT_TIMEOUT), "request.timeout", fail)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise fail("request.timeout", f"must be seconds between 0 and {MAX_TIMEOUT:g}")

    return Probe(name=name.strip(), method=method, url=url.strip(), headers=tuple(header_list), body=body,
                 timeout=float(timeout), expect=_expectation(item.get("expect"), fail))


def _expectation(raw: Any, fail: Callable[[str, str], ConfigError]) -> Expectation:
    if raw is None:
        return Expectation()
    if not isinstance(raw, Mapping):
        raise fail("expect", "must be a mapping (status, content_type, body_contains, wav)")
    _known(raw, _EXPECT_KEYS, "expect.", fail)

    status = raw.get("status")
    statuses = status if isinstance(status, list) else [] if status is None else [status]
    for s in statuses:
        if isinstance(s, bool) or not isinstance(s, int) or not 100 <= s <= 599:
            raise fail("expect.status", "must be an HTTP status (100-599) or a list of them")

    ctype = raw.get("content_type")
    ctypes = ctype if isinstance(ctype, list) else [] if ctype is None else [ctype]
    for c in ctypes:
        if not isinstance(c, str) or not re.fullmatch(r"[\w.+\-]+/[\w.+\-]+", c.strip()):
            raise fail("expect.content_type", "must be a media type such as audio/wav, or a list of them")

    contains = raw.get("body_contains")
    if contains is not None and (not isinstance(contains, str) or not contains):
        raise fail("expect.body_contains", "must be a non-empty string")

    wav = None
    if "wav" in raw:
        spec = raw["wav"] if raw["wav"] is not None else {}
        if spec is True:
            spec = {}
        if not isinstance(spec, Mapping):
            raise fail("expect.wav", "must be a mapping (sample_rate, channels, min_seconds, max_seconds)")
        _known(spec, _WAV_KEYS, "expect.wav.", fail)
        rate, channels = spec.get("sample_rate"), spec.get("channels")
        for key, value in (("sample_rate", rate), ("channels", channels)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise fail(f"expect.wav.{key}", "must be a positive whole number")
        low = None if spec.get("min_seconds") is None else _number(spec["min_seconds"], "expect.wav.min_seconds", fail)
        high = None if spec.get("max_seconds") is None else _number(spec["max_seconds"], "expect.wav.max_seconds", fail)
        for key, value in (("min_seconds", low), ("max_seconds", high)):
            if value is not None and value < 0:
                raise fail(f"expect.wav.{key}", "must not be negative")
        if low is not None and high is not None and high < low:
            raise fail("expect.wav.max_seconds", "is below `expect.wav.min_seconds`")
        wav = WavExpectation(rate, channels, low, high)

    return Expectation(tuple(statuses), tuple(c.strip().lower() for c in ctypes), contains, wav)


def _known(raw: Mapping[str, Any], known: set[str], prefix: str, fail: Callable[[str, str], ConfigError]) -> None:
    for key in raw:
        if key not in known:
            raise fail(f"{prefix}{key}", f"is not a known key (known: {', '.join(sorted(known))})")


def _number(value: Any, key: str, fail: Callable[[str, str], ConfigError]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(key, "must be a number of seconds")
    return float(value)


# --- WAV ------------------------------------------------------------------------------------


class NotWav(ValueError):
    """The bytes are no WAV, or one whose header cannot be read; the message is the detail."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    sample_width: int  # bytes per sample
    frames: int  # whole frames present in the answer
    declared_frames: int | None  # what the header's data chunk announces; None: not declared (streamed)
    format: str = "pcm"

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def declared_seconds(self) -> float | None:
        if self.declared_frames is None or not self.sample_rate:
            return None
        return self.declared_frames / self.sample_rate

    @property
    def truncated(self) -> bool:
        return self.declared_frames is not None and self.frames < self.declared_frames


_FORMATS = {1: "pcm", 3: "float", 6: "a-law", 7: "mu-law", 0xFFFE: "extensible"}
# Servers that stream a WAV before they know its length write one of these as the data size.
_UNKNOWN_SIZES = {0, 0xFFFFFFFF, 0x7FFFFFFF}


def read_wav(data: bytes) -> WavInfo:
    """Parse a WAV from its bytes: the `wave` module reads the RIFF header and the PCM format;
    the data chunk's announced size is compared with the bytes actually present."""
    if not data:
        raise NotWav("not a WAV: the answer is empty")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        if data[:4] == b"RIFF" and len(data) < 12:
            raise NotWav(f"WAV truncated: the answer ends after {len(data)} bytes of the RIFF header")
        raise NotWav(f"not a WAV: starts with {quote_start(data)}")
    span = _data_chunk(data)
    if span is None:
        raise NotWav(f"WAV truncated: no data chunk in {len(data)} bytes")
    offset, announced = span
    if int.from_bytes(data[4:8], "little") in _UNKNOWN_SIZES:
        data = data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:]  # streamed: RIFF size not known yet
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        fmt = "pcm"
    except wave.Error as exc:
        # Python 3.11's wave reads PCM only; IEEE float and WAVE_FORMAT_EXTENSIBLE are valid
        # WAVs a TTS server may send, so their fmt chunk is read by hand.
        if not str(exc).startswith("unknown format"):
            raise NotWav(f"not a readable WAV: {exc}") from None
        rate, channels, width, fmt = _fmt_chunk(data)
    except (EOFError, struct.error):
        raise NotWav(f"WAV truncated: the header ends after {len(data)} bytes") from None
    if not rate or not channels or not width:
        raise NotWav(f"not a readable WAV: {rate} Hz, {channels} channels, {width * 8}-bit samples")
    frame = channels * width
    present = max(0, len(data) - offset)
    if announced in _UNKNOWN_SIZES and (announced or present):  # a placeholder, not a length
        declared = None
    else:
        declared = announced // frame
        present = min(present, announced)
    return WavInfo(rate, channels, width, present // frame, declared, fmt)


def _chunks(data: bytes) -> Iterable[tuple[bytes, int, int]]:
    """(id, offset of the chunk's data, announced size) of each RIFF chunk in the WAVE form."""
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        yield cid, pos + 8, size
        pos += 8 + size + (size & 1)


def _data_chunk(data: bytes) -> tuple[int, int] | None:
    return next(((at, size) for cid, at, size in _chunks(data) if cid == b"data"), None)


def _fmt_chunk(data: bytes) -> tuple[int, int, int, str]:
    for cid, at, size in _chunks(data):
        if cid == b"fmt " and size >= 16 and at + 16 <= len(data):
            tag, channels, rate, _rate, _align, bits = struct.unpack_from("<HHIIHH", data, at)
            if tag == 0xFFFE and size >= 40 and at + 26 <= len(data):
                tag = struct.unpack_from("<H", data, at + 24)[0]  # the sub-format GUID's first two bytes
            if tag not in (1, 3):
                raise NotWav(f"not a readable WAV: sample format {_FORMATS.get(tag, hex(tag))}")
            return rate, channels, (bits + 7) // 8, _FORMATS[tag]
    raise NotWav("not a readable WAV: no fmt chunk")


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


# --- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    url: str  # as shown: no credentials, secret query values redacted
    status: int | None
    detail: str  # one line: what failed, or what was seen when all passed
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "url": self.url, "status": self.status,
                "detail": self.detail, "evidence": self.evidence}


def evaluate(probe: Probe, answer: HttpAnswer, *, now: str | datetime) -> ProbeResult:
    """Judge one answer against its probe's expectations; pure."""
    url = display_url(probe.url)
    ctype = _media_type(answer.header("Content-Type"))
    evidence: dict[str, Any] = {
        "url": url, "method": probe.method, "status": answer.status, "content_type": ctype,
        "bytes": len(answer.body), "elapsed_s": round(answer.elapsed, 3), "time": _stamp(now),
    }
    wav_expected = probe.expect.wav
    if wav_expected is not None:
        evidence.update(sample_rate=None, channels=None, seconds=None)

    def result(problems: list[str], summary: str) -> ProbeResult:
        return ProbeResult(probe.name, not problems, url, answer.status, "; ".join(problems) or summary, evidence)

    if answer.error:
        evidence["error"] = answer.error
        return result([answer.error], "")
    allowed = probe.expect.status
    if (answer.status not in allowed) if allowed else not (200 <= (answer.status or 0) < 300):
        want = " or ".join(str(s) for s in allowed) if allowed else "2xx"
        said = f": {quote_start(answer.body)}" if answer.body else ""
        return result([f"status {answer.status}, expected {want}{said}"], "")

    problems: list[str] = []
    if probe.expect.content_type and ctype not in probe.expect.content_type:
        want = " or ".join(probe.expect.content_type)
        problems.append(f"content type {ctype}, expected {want}" if ctype else f"no content type, expected {want}")
    if probe.expect.body_contains is not None:
        if probe.expect.body_contains not in answer.body.decode("utf-8", errors="replace"):
            problems.append(f"answer does not contain {_short(probe.expect.body_contains)!r}")
    summary = f"{answer.status} {ctype or 'without content type'}, {_size(len(answer.body))}"
    if wav_expected is not None:
        try:
            info = read_wav(answer.body)
        except NotWav as exc:
            problems.append(str(exc))
        else:
            evidence.update(sample_rate=info.sample_rate, channels=info.channels, seconds=round(info.seconds, 3),
                            bits=info.sample_width * 8, format=info.format)
            if info.declared_frames is not None and info.truncated:
                evidence["declared_seconds"] = round(info.declared_seconds or 0.0, 3)
            problems.extend(_judge_wav(info, wav_expected, frame=info.channels * info.sample_width))
            summary = (f"{answer.status} {ctype or 'without content type'}, WAV {info.sample_rate} Hz "
                       f"{_channels(info.channels)} {info.seconds:.2f} s, {_size(len(answer.body))}")
    return result(problems, summary)


def _judge_wav(info: WavInfo, want: WavExpectation, *, frame: int) -> list[str]:
    if info.truncated:
        declared = info.declared_frames or 0
        # A cut file says nothing reliable about the rest; its length is the only finding.
        return [f"WAV truncated: header declares {info.declared_seconds:.2f} s ({declared * frame} bytes of samples), "
                f"only {info.seconds:.2f} s ({info.frames * frame} bytes) present"]
    problems = []
    if want.sample_rate is not None and info.sample_rate != want.sample_rate:
        problems.append(f"sample rate {info.sample_rate} Hz, expected {want.sample_rate} Hz")
    if want.channels is not None and info.channels != want.channels:
        problems.append(f"{_channels(info.channels)}, expected {_channels(want.channels)}")
    if want.min_seconds is not None and info.seconds < want.min_seconds:
        problems.append(f"{info.seconds:.2f} s of audio, expected at least {want.min_seconds:g} s")
    if want.max_seconds is not None and info.seconds > want.max_seconds:
        problems.append(f"{info.seconds:.2f} s of audio, expected at most {want.max_seconds:g} s")
    return problems


# --- run (the one place with I/O) -------------------------------------------------------------

Send = Callable[..., HttpAnswer]


def run_probes(probes: Iterable[Probe | Mapping[str, Any]], *, now: str | datetime,
               env: Mapping[str, str] | None = None, send: Send | None = None) -> list[ProbeResult]:
    """Run every probe in order and judge its answer. Raw `verify:` mappings are validated
    first, all of them, so a malformed probe stops the run before any request is sent.

    `env` resolves `${NAME}` in header values (default: the process environment); `send` is
    the transport (default: `bot.adapters.http.send`), replaceable in tests.
    """
    items = list(probes)
    parsed = iter(parse_probes([p for p in items if not isinstance(p, Probe)]))
    ready = [p if isinstance(p, Probe) else next(parsed) for p in items]
    send = http_send if send is None else send
    env = os.environ if env is None else env
    results = []
    for probe in ready:
        headers, missing = resolve_headers(probe.headers, env)
        if missing:
            answer = HttpAnswer(None, (), b"", 0.0, f"header {missing[0]} needs ${{{missing[1]}}}, which is not set")
        else:
            answer = send(probe.method, probe.url, headers=headers, body=probe.body, timeout=probe.timeout)
        results.append(evaluate(probe, answer, now=now))
    return results


def resolve_headers(headers: Sequence[tuple[str, str]], env: Mapping[str, str]) -> tuple[tuple[tuple[str, str], ...], tuple[str, str] | None]:
    """Header values with `${NAME}` taken from `env`; or the (header, NAME) first left unset."""
    out = []
    for key, value in headers:
        for ref in _ENV_REF.findall(value):
            if env.get(ref) is None:
                return (), (key, ref)
        out.append((key, _ENV_REF.sub(lambda m: env[m.group(1)], value)))
    return tuple(out), None


# --- output ---------------------------------------------------------------------------------


def probe_findings(results: Iterable[ProbeResult]) -> tuple[Finding, ...]:
    """One finding per probe: `error` when it failed, `info` when it passed; the id depends on
    the probe's name only, so a probe that starts passing updates the same finding."""
    out = []
    for r in results:
        verdict = "passed" if r.ok else "failed"
        out.append(Finding(finding_id(CHECK, r.name), CHECK, "info" if r.ok else "error",
                           f"probe {r.name} {verdict}: {r.detail}", {"probe": r.name, "ok": r.ok, **r.evidence}))
    return tuple(out)


def all_passed(results: Sequence[ProbeResult]) -> bool:
    """True when there were probes and every one passed (what may close the verification child)."""
    return bool(results) and all(r.ok for r in results)


def exit_code(results: Sequence[ProbeResult]) -> int:
    """`drift verify`'s exit code for a finished run: 0 all passed, 2 a probe failed."""
    return 0 if all(r.ok for r in results) else 2


def render_probes(results: Sequence[ProbeResult], fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps({"probes": [r.to_json() for r in results]}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _text(results, color)
    if fmt == "markdown":
        return _markdown(results)
    raise ValueError(f"unknown format {fmt!r} (text, json or markdown)")


def _text(results: Sequence[ProbeResult], color: bool) -> str:
    import click

    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    if not results:
        return "no probes: add a `verify:` list to .drift.yml\n"
    width = max(len(r.name) for r in results)
    lines = []
    for r in results:
        mark = style("ok  ", fg="green") if r.ok else style("FAIL", fg="red", bold=True)
        method = r.evidence.get("method", "")
        lines.append(f"{mark} {r.name:<{width}}  {method} {r.url}".rstrip())
        lines.append(f"     {'':<{width}}  {r.detail}  ({r.evidence.get('elapsed_s', 0):.2f} s)")
    failed = sum(not r.ok for r in results)
    total = f"{len(results)} probe{'' if len(results) == 1 else 's'}"
    lines.append(style(f"{total}: all passed", fg="green", bold=True) if not failed
                 else style(f"{total}: {failed} failed", fg="red", bold=True))
    return "\n".join(lines) + "\n"


def _markdown(results: Sequence[ProbeResult]) -> str:
    from bot.render import md_cell, md_code

    if not results:
        return "No verification probes are declared.\n"
    rows = ["| probe | result | request | status | detail |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        request = f"`{md_code(str(r.evidence.get('method', '')) + ' ' + r.url)}`"
        rows.append(f"| {md_cell(r.name)} | {'✅ pass' if r.ok else '❌ fail'} | {request} | "
                    f"{r.status if r.status is not None else '—'} | {md_cell(r.detail)} |")
    return "\n".join(rows) + "\n"


# --- small pure helpers -----------------------------------------------------------------------


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


def _media_type(value: str | None) -> str | None:
    return value.split(";", 1)[0].strip().lower() or None if value else None


def _stamp(now: str | datetime) -> str:
    if isinstance(now, datetime):
        now = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
        return now.isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(now)


def _channels(n: int) -> str:
    return {1: "mono", 2: "stereo"}.get(n, f"{n} channels")


def _size(n: int) -> str:
    return f"{n} bytes" if n < 10_000 else f"{n / 1024:.0f} KiB" if n < 10 * 1024 * 1024 else f"{n / 1048576:.1f} MiB"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _QUOTE else text[:_QUOTE] + "…"
