"""verify: the probes `drift verify` runs against the instance, and what their answers mean.

Three stages, only `run` touching the network:
- spec: `verify:` items of `.drift.yml` -> `Probe` values, every mistake a one-line ConfigError
  naming the probe and the key;
- run: `run_probes` sends each request through `bot.adapters.http.send` (or a stand-in) and
  hands the answer to `judge.evaluate`, which is pure: status, content type, text, and — for
  speech endpoints — the WAV itself, parsed by `wav` with the standard `wave` module, never
  trusted from a content type;
- report: `ProbeResult` -> findings for the snapshot and the MEGA, and text/json/markdown.

Nothing here shows a secret (`display`): URLs lose their credentials and secret-looking query
values, header values are never repeated, and a quoted answer is redacted before it is cut to
40 printable characters.
"""
from __future__ import annotations

from bot.verify.judge import ProbeResult, evaluate
from bot.verify.report import all_passed, exit_code, probe_findings, render_probes
from bot.verify.run import run_probes
from bot.verify.spec import Probe, parse_probe, parse_probes

# The names `drift verify`, the pipeline and the templates use; the parts are importable alone.
__all__ = ["Probe", "ProbeResult", "all_passed", "evaluate", "exit_code", "parse_probe", "parse_probes",
           "probe_findings", "render_probes", "run_probes"]
