"""The workflows and the composite action: linted by actionlint and zizmor with zero findings,
least privilege, one run at a time, and no comment text ever inside a shell line."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.actions_runner import ACTION_NAME, Runner, load_workflow, read_outputs, readme_workflows
from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import run_git
from tests.github_world import BOT, HUMAN, REPO, make_world

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    return load_workflow((WORKFLOWS / name).read_text())


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
    drift = next(s for s in steps if s.get("uses") == "./")
    assert drift["with"]["command"] == "apply"


def test_the_command_workflow_runs_only_for_new_drift_comments_and_passes_the_body_by_file() -> None:
    wf = load("drift-command.yml")
    assert wf["on"] == {"issue_comment": {"types": ["created"]}}
    job = wf["jobs"]["command"]
    assert job["if"] == "startsWith(github.event.comment.body, '/drift')"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    (step,) = [s for s in job["steps"] if s.get("uses") == "./"]
    assert step["with"]["command"] == "slash"
    assert "run" not in str(job["steps"])  # the comment is read from the event file by the action, never a run: line
    assert "concurrency" not in wf  # a workflow-level group would let any comment cancel a pending run
    assert job["concurrency"]["group"] == load("drift-scheduled.yml")["concurrency"]["group"]


def test_no_workflow_installs_the_repository_it_runs_in() -> None:
    """`pip install .` installs whatever repository the workflow runs in: in a user's, not drift-bot."""
    for path in [*WORKFLOWS.glob("*.yml"), ROOT / "action.yml"]:
        assert "pip install --quiet ." not in path.read_text() and "pip install ." not in path.read_text(), path


def test_no_run_line_expands_an_expression_in_any_workflow_or_the_action() -> None:
    docs = [load(p.name) for p in WORKFLOWS.glob("*.yml")] + [yaml.safe_load((ROOT / "action.yml").read_text())]
    docs += list(readme_workflows().values())
    runs = []
    for doc in docs:
        steps = [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])] + doc.get("runs", {}).get("steps", [])
        runs += [s["run"] for s in steps if "run" in s]
    assert runs
    for run in runs:
        assert not re.search(r"\$\{\{", run), f"an expression inside a run: line:\n{run}"


def test_the_action_declares_its_inputs_and_outputs_and_pins_what_it_uses() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"command", "source", "instance", "config", "diff", "verify", "token", "app-id",
                                     "private-key", "python-version"}
    assert set(action["outputs"]) == {"drift-found", "pull-requests", "pull-request-numbers", "snapshot", "matrix"}
    uses = [s["uses"] for s in action["runs"]["steps"] if "uses" in s]
    assert {u.split("@")[0] for u in uses} == {"actions/setup-python", "actions/create-github-app-token"}
    assert all(re.fullmatch(r"[\w/-]+@[0-9a-f]{40}", u) for u in uses), uses
    text = (ROOT / "action.yml").read_text()
    assert "cache: pip" in text and "/bin/pip\" install --quiet --disable-pip-version-check \"$GITHUB_ACTION_PATH\"" in text


def test_the_readme_workflows_are_this_repositorys_with_the_published_action() -> None:
    """What a user copies is what this repository runs, but for `uses: ./`."""
    readme = readme_workflows()
    assert set(readme) == {".github/workflows/drift-scheduled.yml", ".github/workflows/drift-command.yml"}
    for path, copy in readme.items():
        own = load(Path(path).name)
        text = json.dumps(own).replace('"uses": "./"', f'"uses": "{ACTION_NAME}"')
        assert json.loads(text) == copy, path


def test_actionlint_finds_nothing_in_the_readme_workflows(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    text = (ROOT / "README.md").read_text()
    for path, _ in readme_workflows().items():
        block = re.search(r"^( *)```yaml\n\1# " + re.escape(path) + r"\n(.*?)^\1```", text, re.S | re.M)
        assert block
        (tmp_path / path).write_text("\n".join(line[len(block.group(1)):] for line in block.group(2).splitlines()) + "\n")
    # The runner label of the self-hosted runner, as a user declares it for actionlint too.
    (tmp_path / ".github" / "actionlint.yaml").write_text((ROOT / ".github" / "actionlint.yaml").read_text())
    files = sorted(str(f) for f in folder.glob("*.yml"))
    proc = subprocess.run([_tool("actionlint"), "-no-color", "-config-file", str(tmp_path / ".github" / "actionlint.yaml"), *files], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert len(files) == 2 and proc.returncode == 0, proc.stdout + proc.stderr


# --- the README's workflows, run for real in a user's repository -----------------------------

@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's tool cache, shared by the session's workers (the action installs itself
    there once, keyed by its files, as on a self-hosted runner): the first test installs it."""
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent / "drift-action-tool-cache"
    shared.mkdir(exist_ok=True)
    with open(shared.parent / "drift-action-tool-cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        action = yaml.safe_load((ROOT / "action.yml").read_text())
        install = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
        temp = tmp_path_factory.mktemp("install")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "VIRTUAL_ENV"))}
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != str(BIN))
        env.update(GITHUB_ACTION_PATH=str(ROOT), RUNNER_TOOL_CACHE=str(shared), RUNNER_TEMP=str(temp),
                   GITHUB_OUTPUT=str(temp / "out"), PIP_DISABLE_PIP_VERSION_CHECK="1")
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", install["run"]], cwd=temp, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # Installs of earlier versions of the action (other sessions' files) are not kept.
        import shutil
        import time

        current = Path(read_outputs(temp / "out")["drift"]).parent.parent
        for old in (shared / "drift-bot").iterdir():
            if old != current and time.time() - old.stat().st_mtime > 6 * 3600:
                shutil.rmtree(old, ignore_errors=True)
    return shared


def _users_repository(fake: FakeGitHub, tmp_path: Path):
    """A repository holding a voice stack and its .drift.yml, no drift-bot source; its
    `source:` names the live host (a folder here)."""
    world = make_world(fake, tmp_path)
    config = world.main_file(".drift.yml")
    fake.commit(REPO, "main", {".drift.yml": config.replace("source: dir:examples/instance", f"source: dir:{world.instance}")},
                "point drift-bot at the live host", author=HUMAN)
    assert "bot/" not in run_git("ls-tree", "-r", "--name-only", "main", cwd=fake.git_path(REPO)).stdout
    return world


def _no_git_identity() -> None:
    proc = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True)
    assert proc.returncode != 0 and proc.stdout == "", "this machine's git must know no user for these tests"


def _bot_commits(fake: FakeGitHub, branches: list[str]) -> set[str]:
    return {run_git("log", "-1", "--format=%an <%ae> %cn <%ce>", b, cwd=fake.git_path(REPO)).stdout.strip() for b in branches}


def _step(job, name: str):
    return next(s for s in job.steps if s.name == name)


BOT_IDENTITY = "drift-bot <drift-bot@users.noreply.github.com> drift-bot <drift-bot@users.noreply.github.com>"


def test_the_readme_scheduled_workflow_runs_in_a_users_repository(fake_github: FakeGitHub, tmp_path: Path,
                                                                   tool_cache: Path) -> None:
    _no_git_identity()
    world = _users_repository(fake_github, tmp_path)
    runner = Runner(fake_github, REPO, fake_github.token_for(BOT), tmp_path / "runner", tool_cache, "schedule",
                    {"schedule": "17 * * * *"})
    workflow = readme_workflows()[".github/workflows/drift-scheduled.yml"]
    jobs = runner.run_workflow(workflow)
    (hosts,) = jobs["hosts"]
    assert all(s.code == 0 for s in hosts.steps), hosts.log
    assert json.loads(hosts.outputs["matrix"]) == {"include": [{"instance": "", "source": f"dir:{world.instance}", "apply": True}]}
    (job,) = jobs["drift"]
    assert all(s.code == 0 for s in job.steps), job.log
    drift = job.step_outputs["drift"]
    pulls = json.loads(drift["pull-requests"])
    opened = world.pulls()
    assert len(pulls) == len(opened) == 5
    assert sorted(p["branch"] for p in pulls) == sorted(p.pull.head_ref for p in opened)
    assert {p["operation"] for p in pulls} == {"created"}
    assert all(p["url"] == f"https://github.com/{REPO}/pull/{p['number']}" for p in pulls)
    assert drift["pull-request-numbers"] == " ".join(str(p["number"]) for p in pulls)
    assert drift["drift-found"] == "true" and (Path(drift["snapshot"]) / "manifest.json").is_file()
    # The summary: the drift report, then what apply did, each pull request linked.
    assert "12 divergences between `main` and live" in job.summary
    assert "### drift apply" in job.summary
    first = pulls[0]
    assert f"created [#{first['number']}]({first['url']}) ({first['branch']})" in job.summary
    # Findings as annotations on file and line.
    assert re.search(r"^::warning file=voice/docker-compose\.yml,line=\d+,title=drift-bot%3A vram::GPU 0", job.log, re.M)
    # Every commit is the bot's, on a machine whose git knows no user; the token stayed out of .git/config.
    assert _bot_commits(fake_github, [p["branch"] for p in pulls]) == {BOT_IDENTITY}
    workspace = runner.work / "job-2-drift" / "workspace"
    assert fake_github.token_for(BOT) not in (workspace / ".git" / "config").read_text()
    assert not (workspace / "bot").exists()

    # The next hour: nothing changed, nothing is written.
    fake_github.reset_log()
    again = runner.run_workflow(workflow)["drift"][0]
    assert all(s.code == 0 for s in again.steps), again.log
    assert fake_github.count("writes", kind="any") == 0
    assert json.loads(again.step_outputs["drift"]["pull-requests"]) == []
    assert again.step_outputs["drift"]["pull-request-numbers"] == ""
    assert "nothing to do" in again.summary


def test_with_the_app_configured_the_pull_requests_are_the_apps(fake_github: FakeGitHub, tmp_path: Path,
                                                                   tool_cache: Path) -> None:
    """`vars.DRIFT_APP_ID` and `secrets.DRIFT_APP_PRIVATE_KEY` set as the README says: the
    action's token is the app's installation token (made as actions/create-github-app-token makes
    it), so the pull requests are the app's, and their CI runs."""
    world = _users_repository(fake_github, tmp_path)
    app = fake_github.add_app("voice-drift", [REPO])
    runner = Runner(fake_github, REPO, fake_github.token_for(BOT), tmp_path / "runner", tool_cache, "workflow_dispatch", {},
                    variables={"DRIFT_APP_ID": str(app.id)}, secrets={"DRIFT_APP_PRIVATE_KEY": app.private_key_pem})
    fake_github.reset_log()
    (job,) = runner.run_workflow(readme_workflows()[".github/workflows/drift-scheduled.yml"])["drift"]
    assert job.ok, job.log
    assert len(app.tokens) == 1
    assert {p.user.login for p in world.pulls()} == {"voice-drift[bot]"} and len(world.pulls()) == 5
    pushes = fake_github.requests("writes", kind="git")
    assert pushes and {e.login for e in pushes} == {"voice-drift[bot]"}
    assert app.private_key_pem.splitlines()[1] not in job.log and app.tokens[0] not in job.log


def test_the_readme_command_workflow_runs_in_a_users_repository(fake_github: FakeGitHub, tmp_path: Path,
                                                                 tool_cache: Path) -> None:
    _no_git_identity()
    world = _users_repository(fake_github, tmp_path)
    issue = fake_github.add_issue(REPO, "R-0: voice stack bring-up", "Tracking.", user=HUMAN)
    workflow = readme_workflows()[".github/workflows/drift-command.yml"]

    def comment(body: str) -> Runner:
        event = fake_github.issue_comment_event(REPO, issue.number, HUMAN, body)
        return Runner(fake_github, REPO, fake_github.token_for(BOT), tmp_path / f"runner-{event['comment']['id']}",
                      tool_cache, "issue_comment", event)

    assert comment("thanks, looks good").run_workflow(workflow)["command"] == []  # not a /drift comment: no job

    (job,) = comment("/drift apply").run_workflow(workflow)["command"]
    assert all(s.code == 0 for s in job.steps), job.log
    drift = job.step_outputs["drift"]
    pulls = json.loads(drift["pull-requests"])
    assert len(pulls) == len(world.pulls()) == 5 and {p["operation"] for p in pulls} == {"created"}
    assert drift["pull-request-numbers"].split() == [str(p["number"]) for p in pulls]
    assert "### drift slash" in job.summary and f"[#{pulls[0]['number']}]({pulls[0]['url']})" in job.summary
    assert drift["drift-found"] == ""  # the diff is not run for a comment
    assert _bot_commits(fake_github, [p["branch"] for p in pulls]) == {BOT_IDENTITY}
    replies = [c.body for c in fake_github.issue(REPO, issue.number).comments if c.user.login == BOT]
    assert replies and "/drift apply" in replies[-1]

    # The same command again: it is answered, and no pull request or branch is written.
    fake_github.reset_log()
    (again,) = comment("/drift apply").run_workflow(workflow)["command"]
    assert all(s.code == 0 for s in again.steps), again.log
    assert fake_github.count("writes", kind="git") == 0
    assert fake_github.count("writes", endpoint="/repos/{owner}/{repo}/pulls") == 0
    assert fake_github.count("writes", endpoint="/repos/{owner}/{repo}/pulls/{pull_number}") == 0
    assert json.loads(again.step_outputs["drift"]["pull-requests"]) == []


def test_a_usage_error_fails_the_step_instead_of_passing_as_drift(fake_github: FakeGitHub, tmp_path: Path,
                                                                   tool_cache: Path) -> None:
    """Exit 2 passes (drift is news); a typo is 1 and fails, never read as drift found."""
    _users_repository(fake_github, tmp_path)
    runner = Runner(fake_github, REPO, fake_github.token_for(BOT), tmp_path / "runner", tool_cache, "workflow_dispatch", {})
    workflow = load_workflow(
        "name: t\non: workflow_dispatch\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v9\n        with:\n          persist-credentials: false\n"
        f"      - id: drift\n        uses: {ACTION_NAME}\n        with:\n          command: plann\n")
    (job,) = runner.run_workflow(workflow)["t"]
    failed = job.steps[-1]
    assert failed.code == 1 and "the command input is diff, plan, apply, tracker, slash or instances" in failed.stderr
