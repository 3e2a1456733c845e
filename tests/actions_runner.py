"""A small GitHub Actions runner for the tests: runs a workflow's jobs and a composite action's
steps for real, with bash, as the runner does — contexts, `${{ }}` expressions, `if:`, step
outputs through GITHUB_OUTPUT, the job summary, needs and matrix. The few actions a workflow
names are stood in for by what they do here: actions/checkout clones the repository from the fake
GitHub (no credentials kept), actions/setup-python leaves the machine's python3, and
actions/upload-artifact checks that the folder it would keep is there. Anything else fails."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION_NAME = "fragjulia/drift-bot@v1"


# --- expressions ----------------------------------------------------------------------------

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>\|\||&&|==|!=|!|\(|\)|,)|"
                   r"(?P<name>[A-Za-z_][\w-]*(?:\.[\w-]+|\[\s*'[^']*'\s*\])*))")


def _truthy(value: Any) -> bool:
    return value not in (None, "", 0, False)


def evaluate(expression: str, contexts: dict[str, Any]) -> Any:
    """The subset of GitHub's expression language the workflows here use: contexts, string
    literals, ||, &&, ==, !=, !, parentheses, and always(), startsWith(), fromJSON(), toJSON()."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = expression.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read expression {expression!r} at {text[pos:]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    tokens = [t for t in tokens if t[1].strip()]
    index = 0

    def peek() -> str | None:
        return tokens[index][1] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        index += 1
        return tokens[index - 1]

    def lookup(name: str) -> Any:
        parts = re.findall(r"[\w-]+|\[\s*'[^']*'\s*\]", name)
        value: Any = contexts
        for part in parts:
            key = part.strip("[]' ")
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def primary() -> Any:
        kind, value = take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return int(value)
        if value == "(":
            out = disjunction()
            assert take()[1] == ")"
            return out
        if value == "!":
            return not _truthy(primary())
        if kind == "name" and peek() == "(":
            take()
            args = []
            while peek() != ")":
                args.append(disjunction())
                if peek() == ",":
                    take()
            take()
            return call(value, args)
        if kind == "name":
            literals = {"true": True, "false": False, "null": None}
            return literals[value] if value in literals else lookup(value)
        raise ValueError(f"unexpected {value!r} in {expression!r}")

    def call(name: str, args: list[Any]) -> Any:
        if name in ("always", "success"):
            return True
        if name == "failure" or name == "cancelled":
            return False
        if name == "startsWith":
            return str(args[0] or "").lower().startswith(str(args[1]).lower())
        if name == "fromJSON":
            return json.loads(args[0])
        if name == "toJSON":
            return json.dumps(args[0])
        raise ValueError(f"function {name} is not known to this runner")

    def comparison() -> Any:
        left = primary()
        while peek() in ("==", "!="):
            op = take()[1]
            right = primary()
            same = str(left if left is not None else "").lower() == str(right if right is not None else "").lower()
            left = same if op == "==" else not same
        return left

    def conjunction() -> Any:
        left = comparison()
        while peek() == "&&":
            take()
            right = comparison()
            left = right if _truthy(left) else left
        return left

    def disjunction() -> Any:
        left = conjunction()
        while peek() == "||":
            take()
            right = conjunction()
            left = left if _truthy(left) else right
        return left

    result = disjunction()
    if index != len(tokens):
        raise ValueError(f"cannot read expression {expression!r}")
    return result


def expand(value: Any, contexts: dict[str, Any]) -> Any:
    """`${{ … }}` inside a string, as text; a string that is only an expression keeps its value."""
    if isinstance(value, dict):
        return {k: expand(v, contexts) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, contexts) for v in value]
    if not isinstance(value, str):
        return value
    whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", value, re.S)
    if whole:
        return evaluate(whole.group(1), contexts)

    def text(m: re.Match[str]) -> str:
        out = evaluate(m.group(1), contexts)
        return "" if out is None else (str(out).lower() if isinstance(out, bool) else str(out))

    return re.sub(r"\$\{\{(.*?)\}\}", text, value, flags=re.S)


def condition(step: dict[str, Any], contexts: dict[str, Any]) -> bool:
    raw = step.get("if")
    if raw is None:
        return True
    raw = str(raw).strip()
    raw = raw[3:-2] if raw.startswith("${{") else raw
    return _truthy(evaluate(raw, contexts))


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


# --- files the runner hands to a step --------------------------------------------------------

def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks."""
    out: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            i += 1
            while lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            out[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


@dataclass
class StepRun:
    name: str
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Job:
    """One job's run: its steps, their outputs, its summary."""
    name: str
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str
    step_outputs: dict[str, dict[str, str]]

    @property
    def ok(self) -> bool:
        return all(s.code == 0 for s in self.steps)

    @property
    def log(self) -> str:
        return "".join(s.stdout + s.stderr for s in self.steps)


@dataclass
class Runner:
    """A runner for a repository on the fake GitHub: `env` holds what GitHub sets (GITHUB_*), the
    token is the job's GITHUB_TOKEN, and the tool cache is kept between jobs, as on a self-hosted
    runner (so the action installs itself once)."""
    fake: Any
    repository: str
    token: str
    work: Path
    tool_cache: Path
    event_name: str
    event: dict[str, Any]
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    jobs_run: int = 0

    def _base_env(self, workspace: Path, temp: Path, event_path: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GITHUB_", "RUNNER_", "DRIFT_", "PYTEST_", "VIRTUAL_ENV"))}
        # A runner's PATH: no virtualenv of the test session on it.
        venv_bin = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
        env.update(CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(workspace), GITHUB_REPOSITORY=self.repository,
                   GITHUB_REPOSITORY_OWNER=self.repository.split("/")[0], GITHUB_API_URL=self.fake.api_url,
                   GITHUB_SERVER_URL="https://github.com", GITHUB_EVENT_NAME=self.event_name,
                   GITHUB_EVENT_PATH=str(event_path), GITHUB_RUN_ID=str(1000 + self.jobs_run), GITHUB_RUN_ATTEMPT="1",
                   RUNNER_TEMP=str(temp), RUNNER_TOOL_CACHE=str(self.tool_cache), RUNNER_OS="Linux",
                   NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        return env

    def run_workflow(self, workflow: dict[str, Any]) -> dict[str, list[Job]]:
        """Every job whose `if:` holds, in the order of `needs`, each matrix entry once."""
        done: dict[str, list[Job]] = {}
        jobs = dict(workflow["jobs"])
        while jobs:
            ready = [n for n, j in jobs.items() if all(d in done for d in _needs(j))]
            assert ready, f"jobs wait for each other: {sorted(jobs)}"
            for name in ready:
                job = jobs.pop(name)
                needs = {d: {"outputs": done[d][-1].outputs if done[d] else {}} for d in _needs(job)}
                done[name] = []
                if not all(j.ok for d in _needs(job) for j in done[d]):
                    continue  # a job whose needs failed is skipped, as on GitHub
                for matrix in self._matrix(job, needs):
                    contexts = self._contexts(needs=needs, matrix=matrix)
                    if not condition(job, contexts):
                        continue
                    done[name].append(self._run_job(name, job, needs, matrix))
        return done

    def _matrix(self, job: dict[str, Any], needs: dict[str, Any]) -> list[dict[str, Any]]:
        strategy = job.get("strategy") or {}
        if "matrix" not in strategy:
            return [{}]
        matrix = expand(strategy["matrix"], self._contexts(needs=needs))
        assert isinstance(matrix, dict) and set(matrix) == {"include"}, f"only include: matrices here, not {matrix}"
        return list(matrix["include"])

    def _contexts(self, **extra: Any) -> dict[str, Any]:
        return {"github": {"token": self.token, "repository": self.repository, "event": self.event,
                           "event_name": self.event_name, "api_url": self.fake.api_url,
                           "repository_owner": self.repository.split("/")[0]},
                "vars": dict(self.variables), "secrets": dict(self.secrets), "env": {}, "runner": {"os": "Linux"},
                **extra}

    def _run_job(self, name: str, job: dict[str, Any], needs: dict[str, Any], matrix: dict[str, Any]) -> Job:
        self.jobs_run += 1
        base = self.work / f"job-{self.jobs_run}-{name}"
        workspace, temp = base / "workspace", base / "temp"
        workspace.mkdir(parents=True)
        temp.mkdir()
        event_path = temp / "event.json"
        event_path.write_text(json.dumps(self.event), encoding="utf-8")
        summary = temp / "step_summary.md"
        summary.touch()
        env = self._base_env(workspace, temp, event_path)
        env["GITHUB_STEP_SUMMARY"] = str(summary)
        steps: dict[str, dict[str, Any]] = {}
        runs: list[StepRun] = []
        for number, step in enumerate(job["steps"]):
            contexts = self._contexts(needs=needs, matrix=matrix, steps=steps)
            if not condition(step, contexts):
                continue
            run = self._step(step, contexts, env, workspace, temp, f"{name}-{number}")
            runs.append(run)
            if step.get("id"):
                steps[step["id"]] = {"outputs": run.outputs, "outcome": "success" if run.code == 0 else "failure"}
            if run.code != 0:
                break
        contexts = self._contexts(needs=needs, matrix=matrix, steps=steps)
        outputs = {k: as_text(expand(v, contexts)) for k, v in (job.get("outputs") or {}).items()}
        return Job(name, runs, outputs, summary.read_text(encoding="utf-8"), {k: v["outputs"] for k, v in steps.items()})

    def _step(self, step: dict[str, Any], contexts: dict[str, Any], env: dict[str, str], workspace: Path, temp: Path,
              label: str) -> StepRun:
        uses = step.get("uses")
        name = str(step.get("name") or uses or "run")
        if uses is None:
            return self._shell(name, expand(step["run"], contexts), {**env, **{k: as_text(v) for k, v in
                                                                            expand(step.get("env") or {}, contexts).items()}},
                               workspace, temp, label)
        with_ = {k: as_text(v) for k, v in expand(step.get("with") or {}, contexts).items()}
        if uses.startswith("actions/checkout@"):
            return self._checkout(name, with_, workspace)
        if uses.startswith("actions/upload-artifact@"):
            path = Path(with_["path"])
            ok = path.is_dir() and (path / "manifest.json").is_file()
            return StepRun(name, 0 if ok else 1, "", "" if ok else f"upload-artifact: no snapshot at {path}\n")
        if uses in (ACTION_NAME, "./"):
            action_path = ROOT if uses == ACTION_NAME else workspace
            return self._composite(name, action_path, with_, env, workspace, temp, label)
        raise AssertionError(f"this runner does not stand in for {uses}")

    def _checkout(self, name: str, with_: dict[str, str], workspace: Path) -> StepRun:
        assert with_.get("persist-credentials") == "false", "checkout must not keep the token in .git/config"
        from tests.fakegithub.gitcli import run_git

        header = self.fake.git_auth_header(self._login(), "basic")
        proc = run_git("clone", "--quiet", self.fake.git_url(self.repository), str(workspace), header=header, check=False)
        return StepRun(name, proc.returncode, proc.stdout, proc.stderr)

    def _login(self) -> str:
        user = self.fake._user_for_token(self.token)
        return user.login

    def _app_token(self, with_: dict[str, str]) -> str:
        """What actions/create-github-app-token does: a JWT signed with the app's key (issuer: the
        client or app ID), the repository's installation looked up, an installation token made
        with the permissions asked for."""
        import time

        import jwt
        import requests

        now = int(time.time())
        assertion = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": with_["client-id"]}, with_["private-key"],
                               algorithm="RS256")
        headers = {"Authorization": f"Bearer {assertion}", "Accept": "application/vnd.github+json"}
        api = self.fake.api_url
        found = requests.get(f"{api}/repos/{self.repository}/installation", headers=headers, timeout=10)
        found.raise_for_status()
        permissions = {k.removeprefix("permission-").replace("-", "_"): v for k, v in with_.items()
                       if k.startswith("permission-")}
        made = requests.post(f"{api}/app/installations/{found.json()['id']}/access_tokens", headers=headers,
                             json={"permissions": permissions}, timeout=10)
        made.raise_for_status()
        return made.json()["token"]

    def _shell(self, name: str, script: str, env: dict[str, str], workspace: Path, temp: Path, label: str,
               cwd: Path | None = None) -> StepRun:
        output = temp / f"output-{label}"
        output.write_text("")
        env = {**env, "GITHUB_OUTPUT": str(output)}
        script_file = temp / f"step-{label}.sh"
        script_file.write_text(script)
        # The runner's `shell: bash`: bash --noprofile --norc -eo pipefail {0}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)], cwd=cwd or workspace,
                              env=env, capture_output=True, text=True, timeout=900)
        return StepRun(name, proc.returncode, proc.stdout, proc.stderr, read_outputs(output))

    def _composite(self, name: str, action_path: Path, with_: dict[str, str], env: dict[str, str], workspace: Path,
                   temp: Path, label: str) -> StepRun:
        action = yaml.safe_load((action_path / "action.yml").read_text())
        assert action["runs"]["using"] == "composite"
        unknown = set(with_) - set(action["inputs"])
        assert not unknown, f"inputs the action does not declare: {unknown}"
        inputs = {k: as_text(with_.get(k, _default(v, self._contexts()))) for k, v in action["inputs"].items()}
        steps: dict[str, dict[str, Any]] = {}
        out, err = [], []
        code = 0
        for number, step in enumerate(action["runs"]["steps"]):
            contexts = {**self._contexts(), "inputs": inputs, "steps": steps}
            if not condition(step, contexts):
                continue
            uses = step.get("uses")
            if uses is not None:
                if uses.startswith("actions/setup-python@"):
                    continue  # the machine's python3 is the runner's
                if uses.startswith("actions/create-github-app-token@"):
                    token = self._app_token({k: as_text(v) for k, v in expand(step.get("with") or {}, contexts).items()})
                    steps[step["id"]] = {"outputs": {"token": token}}
                    continue
                raise AssertionError(f"the action's step {step.get('name') or uses} is not stood in for here")
            step_env = {**env, "GITHUB_ACTION_PATH": str(action_path),
                        **{k: as_text(v) for k, v in expand(step.get("env") or {}, contexts).items()}}
            run = self._shell(str(step.get("name")), expand(step["run"], contexts), step_env, workspace, temp,
                              f"{label}-{number}")
            out.append(run.stdout)
            err.append(run.stderr)
            if step.get("id"):
                steps[step["id"]] = {"outputs": run.outputs}
            if run.code != 0:
                code = run.code
                break
        contexts = {**self._contexts(), "inputs": inputs, "steps": steps}
        outputs = {k: as_text(expand(v["value"], contexts)) for k, v in (action.get("outputs") or {}).items()}
        return StepRun(name, code, "".join(out), "".join(err), outputs)


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _default(spec: dict[str, Any], contexts: dict[str, Any]) -> Any:
    return expand(spec.get("default", ""), contexts)


def readme_workflows() -> dict[str, dict[str, Any]]:
    """The workflows the README gives a user to copy: its yaml blocks whose first line names
    the file (`# .github/workflows/NAME.yml`), read as a user's repository would hold them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = {}
    for block in re.findall(r"^( *)```yaml\n(.*?)^\1```", text, re.S | re.M):
        indent, body = block
        lines = [line[len(indent):] for line in body.splitlines()]
        first = lines[0].strip() if lines else ""
        m = re.fullmatch(r"# (\.github/workflows/[\w.-]+\.yml)", first)
        if m:
            found[m.group(1)] = load_workflow("\n".join(lines) + "\n")
    return found


def load_workflow(text: str) -> dict[str, Any]:
    doc = yaml.safe_load(text)
    doc["on"] = doc.pop(True, doc.get("on"))  # PyYAML reads `on:` as True (YAML 1.1)
    return doc


def fresh_tool_cache(base: Path) -> Path:
    folder = base / "tool-cache"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
