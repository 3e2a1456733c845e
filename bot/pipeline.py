"""The pure middle of a run: a snapshot and main's files in, a routed DiffReport out."""
from __future__ import annotations

from collections.abc import Mapping

from bot.checks import run_checks
from bot.compare import compare_snapshot
from bot.config import Config
from bot.model import DiffReport, Snapshot
from bot.route import route_divergences


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
        findings=run_checks(config, snapshot, base_files, base_commit),
        errors=errors,
    )
