"""The `verify:` items of `.drift.yml` -> `Probe` values, every mistake a one-line ConfigError
naming the probe and the key."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.verify.display import _short

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 600.0
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_PROBE_KEYS = {"name", "request", "expect"}
_REQUEST_KEYS = {"method", "url", "headers", "json", "body", "timeout"}
_EXPECT_KEYS = {"status", "content_type", "body_contains", "wav"}
_WAV_KEYS = {"sample_rate", "channels", "min_seconds", "max_seconds"}
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


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
