"""The workflows and the composite action: linted by actionlint and zizmor with zero findings,
least privilege, one run at a time, and no comment text ever inside a shell line."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    # PyYAML reads `on:` as the boolean True (YAML 1.1); both spellings are accepted here.
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in the test environment (pip install '.[test]')")
    return str(path)


def test_actionlint_finds_nothing() -> None:
    proc = subprocess.run([_tool("actionlint"), "-no-color"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing() -> None:
    proc = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--format", "plain", ".github/workflows", "action.yml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_scheduled_run_has_least_privilege_and_never_overlaps() -> None:
    wf = load("drift-scheduled.yml")
    assert set(wf["on"]) == {"schedule", "workflow_dispatch"}
    assert wf["permissions"] == {}
    assert wf["concurrency"]["cancel-in-progress"] is False
    assert wf["jobs"]["hosts"]["permissions"] == {"contents": "read"}
    job = wf["jobs"]["drift"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    assert job["strategy"]["max-parallel"] == 1 and "fromJSON(needs.hosts.outputs.matrix)" in job["strategy"]["matrix"]
    steps = job["steps"]
    assert any("upload-artifact" in s.get("uses", "") for s in steps)
    report = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert '"$code" -eq 2' in report["run"]  # drift found is not a failure


def test_the_command_workflow_runs_only_for_new_drift_comments_and_passes_the_body_by_file() -> None:
    wf = load("drift-command.yml")
    assert wf["on"] == {"issue_comment": {"types": ["created"]}}
    job = wf["jobs"]["command"]
    assert job["if"] == "startsWith(github.event.comment.body, '/drift')"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert any('drift slash --event "$GITHUB_EVENT_PATH"' in r for r in runs)
    assert "concurrency" not in wf  # a workflow-level group would let any comment cancel a pending run
    assert job["concurrency"]["group"] == load("drift-scheduled.yml")["concurrency"]["group"]


def test_no_run_line_expands_an_expression_in_any_workflow_or_the_action() -> None:
    docs = [load(p.name) for p in WORKFLOWS.glob("*.yml")] + [yaml.safe_load((ROOT / "action.yml").read_text())]
    runs = []
    for doc in docs:
        steps = [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])] + doc.get("runs", {}).get("steps", [])
        runs += [s["run"] for s in steps if "run" in s]
    assert runs
    for run in runs:
        assert not re.search(r"\$\{\{", run), f"an expression inside a run: line:\n{run}"


def test_the_action_declares_its_inputs_and_outputs() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"command", "source", "config", "token"}
    assert set(action["outputs"]) == {"drift-found", "pull-requests"}


def test_the_composite_action_runs_its_steps_for_real(tmp_path: Path) -> None:
    """Each step of action.yml run with bash as a runner would, on the bundled example (offline plan)."""
    import os

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(output), "GITHUB_TOKEN": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    inputs = {"command": "plan", "source": "dir:examples/instance", "config": str(ROOT), "token": ""}
    for step in action["runs"]["steps"]:
        step_env = {k: re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], str(v))
                    for k, v in (step.get("env") or {}).items()}
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=ROOT, env={**env, **step_env},
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"step {step['name']!r} failed:\n{proc.stdout}\n{proc.stderr}"
    assert "drift-found=true" in output.read_text() and "pull-requests=" in output.read_text()
    assert "12 divergences between `main` and live" in summary.read_text()
