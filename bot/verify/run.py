"""Running the probes: the one part of `drift verify` with I/O. Each request goes through
`bot.adapters.http.send` (or a stand-in) and its answer to the pure `evaluate`."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.adapters.http import HttpAnswer
from bot.adapters.http import send as http_send
from bot.verify.judge import ProbeResult, evaluate
from bot.verify.spec import Probe, parse_probes

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

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
