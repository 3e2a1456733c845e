"""The runtime check against a real engine: a compose file edited on disk without `up` leaves
a stale container, and the finding names it and when it started, in the checks and in
`drift diff --format json`."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from bot.capture.docker import capture_engine
from bot.capture.runtime import parse_timestamp
from bot.checks import finding_id, run_checks
from bot.config import parse_config
from bot.render import evidence
from tests.cli_support import run
from tests.conftest import commit_all
from tests.dockerenv import ComposeProject

COMPOSE = """\
services:
  app:
    image: {image}
    init: true
    command: ["sleep", "3600"]
"""
DRIFT_YML = "version: 1\nfiles:\n  docker-compose.yml: app/docker-compose.yml\n"
FILES = [("docker-compose.yml", "app/docker-compose.yml")]


def edited(image: str) -> str:
    """The operator's edit, not applied: another command, and a service never brought up."""
    return (COMPOSE.format(image=image).replace('"3600"', '"7200"')
            + f"  worker:\n    image: {image}\n    init: true\n    command: [\"sleep\", \"3600\"]\n")


def started_at(project: ComposeProject, service: str) -> str:
    stamp = parse_timestamp(project.inspect(service)["State"]["StartedAt"])
    assert stamp is not None
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


def test_a_compose_edit_not_applied_is_a_stale_container_finding(compose_project: Callable[..., ComposeProject],
                                                                  busybox_image: str) -> None:
    project = compose_project({"docker-compose.yml": COMPOSE.format(image=busybox_image)})
    container, since = f"{project.name}-app-1", started_at(project, "app")
    project.write("docker-compose.yml", edited(busybox_image))

    snap = capture_engine(project.source, FILES, tool_version="test")
    config = parse_config(DRIFT_YML, Path("/r/.drift.yml"))
    found = {f.id: f for f in run_checks(config, snap, {"app/docker-compose.yml": COMPOSE.format(image=busybox_image)},
                                         "f" * 40) if f.check == "runtime"}
    stale = found.pop(finding_id("runtime", f"app/{container}:stale"))
    missing = found.pop(finding_id("runtime", "worker/-:missing"))
    assert found == {}

    assert stale.severity == "warning"
    assert stale.message == (f"app is stale: container {container}, started {since}, differs from the compose file on "
                             "disk in command, so the file's version is not what runs; `docker compose up -d app` "
                             "recreates it from the file, replacing what runs now")
    ev = stale.evidence
    assert (ev["container"], ev["started_at"], ev["captured_at"]) == (container, since, snap.captured_at)
    assert (ev["image"], ev["fields"], ev["state"]) == (busybox_image, ["command"], "running")
    assert (ev["side"], ev["at"], ev["file"], ev["line"]) == ("live", snap.id, "app/docker-compose.yml", 5)
    assert evidence(ev) == f"`app/docker-compose.yml:5` in snapshot `{snap.id}`; container `{container}` started {since}"
    assert missing.severity == "warning" and missing.evidence["line"] == 6

    # Once applied, the facts are gone: the findings go with them.
    project.up()
    snap = capture_engine(project.source, FILES, tool_version="test")
    assert [f for f in run_checks(config, snap, {}, "f" * 40) if f.check == "runtime"] == []


def test_drift_diff_json_carries_the_runtime_finding(compose_project: Callable[..., ComposeProject], busybox_image: str,
                                                     tmp_path: Path) -> None:
    project = compose_project({"docker-compose.yml": COMPOSE.format(image=busybox_image)})
    container, since = f"{project.name}-app-1", started_at(project, "app")
    project.write("docker-compose.yml", edited(busybox_image))

    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / ".drift.yml").write_text(DRIFT_YML)
    (repo / "app" / "docker-compose.yml").write_text(COMPOSE.format(image=busybox_image))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    commit_all(repo, "main")

    code, out, err = run("diff", "--repo", str(repo), "--source", project.source, "--format", "json")
    assert code == 2, err  # the edit itself is drift against main
    report = json.loads(out)
    by_id = {f["id"]: f for f in report["findings"]}
    stale = by_id[finding_id("runtime", f"app/{container}:stale")]
    assert stale["check"] == "runtime" and stale["severity"] == "warning"
    assert stale["message"].startswith(f"app is stale: container {container}, started {since}, differs")
    assert stale["evidence"]["container"] == container and stale["evidence"]["started_at"] == since
    assert stale["evidence"]["captured_at"] == report["snapshot"]["captured_at"]
    assert stale["evidence"]["fields"] == ["command"]
    assert by_id[finding_id("runtime", "worker/-:missing")]["evidence"]["service"] == "worker"
