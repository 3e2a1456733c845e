"""The pure middle of a run: a snapshot and main's files in, a routed DiffReport out."""
from __future__ import annotations

from collections.abc import Mapping

from bot.checks import run_checks
from bot.compare import compare_snapshot
from bot.config import Config
from bot.model import DiffReport, Snapshot
from bot.route import route_divergences


def verification_findings(snapshot: Snapshot) -> tuple:
    """Probe results captured with the snapshot (`drift snapshot --verify`) as findings."""
    if not snapshot.verification:
        return ()
    from bot.verify import ProbeResult, probe_findings

    return probe_findings(ProbeResult(r["name"], bool(r["ok"]), r.get("url", ""), r.get("status"), r.get("detail", ""),
                                      dict(r.get("evidence") or {})) for r in snapshot.verification)


def _by_severity(findings: tuple) -> tuple:
    order = {"error": 0, "warning": 1, "info": 2}
    return tuple(sorted(findings, key=lambda f: order.get(f.severity, 3)))


def build_report(config: Config, snapshot: Snapshot, base_ref: str, base_commit: str | None,
                 base_files: Mapping[str, str | None]) -> DiffReport:
    divergences, errors = compare_snapshot(snapshot, base_files, config.ignore)
    return DiffReport(
        base=base_ref,
        base_commit=base_commit,
        source=snapshot.source,
        snapshot_id=snapshot.id,
        host=snapshot.host,
        captured_at=snapshot.captured_at,
        divergences=route_divergences(divergences, config.children),
        runtime=snapshot.runtime,
        findings=_by_severity(run_checks(config, snapshot, base_files, base_commit) + verification_findings(snapshot)),
        errors=errors,
    )
