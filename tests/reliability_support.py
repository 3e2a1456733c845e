"""What the reliability tests share: the GitHub state signature a crashed-and-resumed apply must
reproduce, the write points of a run, a fault that lets the write happen and holds the answer
(so the bot can be killed at that very point), and the crash table written under build/.

The signature keeps what a person looking at the repository would see — pull requests, branches
and their trees, issue bodies, sub-issue links, comments, reactions, labels, every ref — and drops
what legitimately differs between two runs: capture times, commit shas, snapshot ids (they hash
the source path), issue and comment numbers (a PR opened by the re-run gets a later number; it is
named by its branch instead), and the ids in the MEGA's hidden state line (each is replaced by
what it points at, so a dangling id still shows).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import run_git

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
SNAP_RE = re.compile(r"\bsnap-[0-9a-f]{12}\b")
HEX_RE = re.compile(r"\b[0-9a-f]{7,40}\b")
NUMBER_RE = re.compile(r"#(\d+)\b")
STATE_RE = re.compile(r"<!-- drift-bot:(state(?::[^ ]+)?) (\{.*?\}) -->", re.S)


# --- the state signature ------------------------------------------------------------------


def _git(bare: Path, *args: str) -> str:
    return run_git(*args, cwd=bare).stdout


def _names(issues: Iterable[Any]) -> dict[int, str]:
    """Issue and PR numbers -> what they are: a PR by its branch, an issue by its title."""
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        base = f"PR {issue.pull.head_ref}" if issue.is_pr else f"issue {issue.title!r}"
        seen[base] = seen.get(base, 0) + 1
        out[issue.number] = base if seen[base] == 1 else f"{base} (copy {seen[base]})"
    return out


class _Normaliser:
    def __init__(self, fake: FakeGitHub, repo: str, paths: dict[str, str]):
        r = fake.repo(repo)
        self.issues = list(r.issues.values())
        self.names = _names(self.issues)
        self.comments = {c.id: (issue, k, c) for issue in self.issues for k, c in enumerate(issue.comments, 1)}
        bare = fake.git_path(repo)
        self.commits = set(_git(bare, "rev-list", "--all").split())
        self.paths = sorted(paths.items(), key=lambda kv: -len(kv[0]))

    def name(self, number: int) -> str:
        return self.names.get(number, f"unknown #{number}")

    def _state(self, value: Any, key: str | None = None, parent: Any = None) -> Any:
        if isinstance(value, dict):
            if key == "reviews":  # keyed by pull request number: named like every other number
                return {self.name(int(k)) if str(k).isdigit() else k: self._state(v, None, value) for k, v in value.items()}
            out = {k: self._state(v, k, value) for k, v in value.items()}
            if key is not None and "id" in value and "hash" in value and isinstance(value.get("id"), int):
                hit = self.comments.get(value["id"])
                digest = hashlib.sha256(hit[2].body.encode()).hexdigest()[:16] if hit else None
                out["hash"] = "matches its comment" if digest == value["hash"] else "does not match its comment"
            return out
        if isinstance(value, list):
            return [self._state(v, key, parent) for v in value]
        if isinstance(value, int) and not isinstance(value, bool):
            if key == "id":
                hit = self.comments.get(value)
                return f"comment {hit[1]} on {self.name(hit[0].number)}" if hit else "a comment that does not exist"
            if key in ("pr", "issue", "number", "mega"):
                return self.name(value)
        return value

    def text(self, text: str | None) -> str | None:
        if text is None:
            return None

        text = STATE_RE.sub(lambda m: f"<!-- drift-bot:{m.group(1)} (under 'hidden state') -->", text)
        for path, name in self.paths:
            text = text.replace(path, name)
        text = TIME_RE.sub("<time>", text)
        text = SNAP_RE.sub("snap-<id>", text)
        text = HEX_RE.sub(lambda m: "<commit>" if any(c.startswith(m.group(0)) for c in self.commits) else m.group(0), text)
        return NUMBER_RE.sub(lambda m: f"#<{self.name(int(m.group(1)))}>", text)

    def states(self, text: str | None) -> dict[str, Any]:
        """The hidden state lines of a body, parsed, their ids replaced by what they point at."""
        out: dict[str, Any] = {}
        for m in STATE_RE.finditer(text or ""):
            try:
                data = json.loads(m.group(2))
            except ValueError:
                data = {"unparsable": m.group(2)}
            out[m.group(1)] = json.loads(self.text(json.dumps(self._state(data), sort_keys=True)))
        return out

    def comment_list(self, issue: Any) -> list[dict[str, Any]]:
        return [{"author": c.user.login, "body": self.text(c.body),
                 "reactions": sorted(f"{r.user.login}:{r.content}" for r in c.reactions)} for c in issue.comments]


def state_signature(fake: FakeGitHub, repo: str, paths: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything on the fake GitHub that a run of the bot may change, free of what differs
    between two runs; `paths` maps run-specific strings (the instance folder) to placeholders."""
    norm = _Normaliser(fake, repo, paths or {})
    bare = fake.git_path(repo)
    refs: dict[str, Any] = {}
    main = _git(bare, "rev-parse", "refs/heads/main").strip()
    for line in _git(bare, "for-each-ref", "--format=%(refname) %(objectname)").splitlines():
        ref, sha = line.split(" ")
        if not ref.startswith("refs/heads/"):
            refs[ref] = "present"
            continue
        parents = _git(bare, "rev-list", "--parents", "-n", "1", sha).split()[1:]
        ahead = len(_git(bare, "rev-list", f"{main}..{sha}").split())
        refs[ref] = {"tree": _git(bare, "rev-parse", f"{sha}^{{tree}}").strip(),
                     "parent": "main" if parents == [main] else ("root" if not parents else "not main's tip"),
                     "commits ahead of main": ahead,
                     "author": _git(bare, "show", "-s", "--format=%ae", sha).strip()}
    pulls: dict[str, Any] = {}
    issues: dict[str, Any] = {}
    for issue in sorted(norm.issues, key=lambda i: i.number):
        key = norm.name(issue.number)
        common = {"title": issue.title, "state": issue.state, "author": issue.user.login,
                  "labels": sorted(label.name for label in issue.labels), "body": norm.text(issue.body),
                  "hidden state": norm.states(issue.body),
                  "comments": norm.comment_list(issue),
                  "reactions": sorted(f"{r.user.login}:{r.content}" for r in issue.reactions)}
        if issue.is_pr:
            p = issue.pull
            pulls[key] = {**common, "head": p.head_ref, "base": p.base_ref, "merged": p.merged, "draft": p.draft,
                          "head is the branch tip": refs.get(f"refs/heads/{p.head_ref}") is not None
                          and _git(bare, "rev-parse", f"refs/heads/{p.head_ref}").strip() == p.head_sha}
        else:
            issues[key] = {**common, "state_reason": issue.state_reason,
                           "parent": norm.name(issue.parent.number) if issue.parent else None,
                           "sub-issues": [norm.name(s.number) for s in issue.sub_issues]}
    return {"refs": refs, "pulls": pulls, "issues": issues}


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two signatures differ, one line each: `path: expected …, got …`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for k in expected.keys() - actual.keys():
            out.append(f"{path}/{k}: missing")
        for k in actual.keys() - expected.keys():
            out.append(f"{path}/{k}: not in a clean run")
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{path}/{k}")
        # What a person notices first (something extra or missing, a count) before what it caused.
        return sorted(out, key=lambda d: (not any(w in d for w in ("item(s)", "missing", "not in a clean run")), d))
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) != len(actual):
        return [f"{path}: {len(actual)} item(s) where a clean run has {len(expected)}"]
    if isinstance(expected, list) and isinstance(actual, list):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual and "\n" in expected + actual:
        import difflib

        changed = [l for l in difflib.unified_diff(expected.splitlines(), actual.splitlines(), lineterm="", n=0)
                   if l[:1] in "+-" and not l.startswith(("---", "+++"))]
        return [f"{path}: lines differ from a clean run: " + " / ".join(_short(l, 200) for l in changed[:4])]
    if expected != actual:
        return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _short(value: Any, n: int = 120) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= n else text[: n - 1] + "…"


# --- write points -------------------------------------------------------------------------


@dataclass(frozen=True)
class WritePoint:
    """The `occurrence`-th request of (method, template) in a run: what `fake.inject(nth=)` counts."""

    index: int
    kind: str  # api | git
    method: str
    template: str
    occurrence: int
    label: str

    @property
    def id(self) -> str:
        return f"w{self.index:02d}-" + re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-")


def record_write_points(fake: FakeGitHub, repo: str) -> Callable[[], list[WritePoint]]:
    """Watch the fake from now on; the returned function lists the writes seen, labelled by
    what they did (which ref a push moved, which issue a comment went to)."""
    seen: list[tuple[str, str, str, str, Any, dict[str, str], dict[str, str]]] = []
    original = fake._process
    git = fake.repo(repo).git

    def refs() -> dict[str, str]:
        return {name: sha for name, sha, _ in git.refs("refs/")}

    def process(method: str, raw_path: str, headers: dict[str, str], body: bytes):  # noqa: ANN202
        push = method == "POST" and raw_path.split("?")[0].endswith("/git-receive-pack")
        before = refs() if push else {}
        out = original(method, raw_path, headers, body)
        if push:
            seen.append(("git", method, raw_path, "", None, before, refs()))
        elif method in ("POST", "PATCH", "PUT", "DELETE") and not raw_path.split("?")[0].endswith(".git/git-upload-pack"):
            try:
                data = json.loads(body) if body.strip() else None
            except ValueError:
                data = None
            seen.append(("api", method, raw_path, "", data, {}, {}))
        return out

    fake._process = process  # type: ignore[method-assign]

    def done() -> list[WritePoint]:
        fake._process = original  # type: ignore[method-assign]
        writes = [e for e in fake.requests("writes", kind="any")]
        assert len(writes) == len(seen), (len(writes), len(seen))
        r = fake.repo(repo)
        short = {i.number: (f"PR {i.pull.head_ref}" if i.is_pr else i.title.split(":")[0]) for i in r.issues.values()}
        by_id = {i.id: short[i.number] for i in r.issues.values()}
        points: list[WritePoint] = []
        counts: dict[tuple[str, str], int] = {}
        for entry, (kind, method, path, _, data, before, after) in zip(writes, seen):
            key = (entry.method, entry.template)
            counts[key] = counts.get(key, 0) + 1
            points.append(WritePoint(len(points) + 1, kind, entry.method, entry.template, counts[key],
                                     _label(kind, entry.path, data, before, after, short, by_id)))
        return points

    return done


def _label(kind: str, path: str, data: Any, before: dict[str, str], after: dict[str, str],
           short: dict[int, str], by_id: dict[int, str]) -> str:
    if kind == "git":
        moved = sorted(set(before.items()) ^ set(after.items()))
        names = sorted({ref for ref, _ in moved})
        if names == ["refs/drift-bot/lock"]:
            return "take the run lock" if "refs/drift-bot/lock" in after else "release the run lock"
        return "push " + ", ".join(n.removeprefix("refs/heads/") for n in names)
    number = re.search(r"/issues/(\d+)", path)
    target = short.get(int(number.group(1)), "?") if number else ""
    if path.endswith("/pulls"):
        return f"open the PR of {data.get('head')}"
    if path.endswith("/issues"):
        return f"create issue {str(data.get('title')).split(':')[0]}"
    if path.endswith("/sub_issues"):
        return f"link {by_id.get(data.get('sub_issue_id'), '?')} under {target}"
    if path.endswith("/sub_issues/priority"):
        return f"reorder the sub-issues of {target}"
    if path.endswith("/comments"):
        return f"comment on {target}"
    if path.endswith("/reactions"):
        return f"react on {target}"
    if number and path.endswith(number.group(0)):
        return f"edit {target}"
    return f"{path}"


# --- a fault that lets the write happen and holds the answer ------------------------------


@dataclass
class Hold:
    """The nth request of (method, template) is performed, then its answer is held until
    `release()`: the client sits waiting for an answer to a write that has already landed.

    The fake's `apply_then="delay"` sleeps *before* performing the request, so a client killed
    during that sleep would see its write land later, after the re-run; this wraps the fake's
    dispatcher instead and counts with the fake's own fault matching (a zero-second delay).
    """

    fake: FakeGitHub
    method: str
    template: str
    nth: int
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.fault = self.fake.inject(self.method, self.template, nth=self.nth, fault="delay", seconds=0)
        self._original = self.fake._process

        def process(method: str, raw_path: str, headers: dict[str, str], body: bytes):  # noqa: ANN202
            before = self.fault.fired
            out = self._original(method, raw_path, headers, body)
            if self.fault.fired > before and not self.reached.is_set():
                self.reached.set()
                self.released.wait(120)
            return out

        self.fake._process = process  # type: ignore[method-assign]

    def release(self) -> None:
        self.released.set()
        self.fake._process = self._original  # type: ignore[method-assign]


# --- the crash table ----------------------------------------------------------------------

KINDS = ("500", "secondary_rate_limit", "403 no retry-after", "429 no retry-after", "html", "reset", "lost answer",
         "kill")
# The fake's fault behind each kind that is one (the others: "lost answer" is apply_then="reset",
# "kill" is Hold and SIGKILL).
FAULT_OF = {"500": "500", "secondary_rate_limit": "secondary_rate_limit",
            "403 no retry-after": "secondary_rate_limit_no_retry_after",
            "429 no retry-after": "secondary_rate_limit_429_no_retry_after", "html": "html_502", "reset": "reset"}
# Kinds only the API tells apart: git reads neither retry-after nor JSON, so at a push they are
# `secondary_rate_limit` and `500` again (an error status, nothing done) and are not run twice.
API_ONLY = frozenset({"403 no retry-after", "429 no retry-after", "html"})


def runs(kind: str, point: WritePoint, points: list[WritePoint]) -> bool:
    """Whether the table runs `kind` at `point`. The API-only kinds take turns along the API's
    write points (403 and HTML at one, 429 at the next): each still meets every kind of write
    (pull request, issue, comment, sub-issue), and the table stays within CI's minutes."""
    if kind not in API_ONLY:
        return True
    if point.kind == "git":
        return False
    turn = [p.index for p in points if p.kind != "git"].index(point.index) % 2
    return kind == ("429 no retry-after" if turn else "403 no retry-after") or (kind == "html" and not turn)


def scenarios(points: list[WritePoint]) -> list[tuple[str, WritePoint]]:
    """Every (fault kind, write point) the table holds, point by point."""
    return [(kind, p) for p in points for kind in KINDS if runs(kind, p, points)]


@dataclass
class Cell:
    kind: str
    point: dict[str, Any]
    ok: bool
    seconds: float
    first_exit: int | None
    problems: list[str]


def _run_dir() -> Path:
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID") or os.environ.get("DRIFT_CRASH_RUN") or f"serial-{os.getppid()}-{os.getpid()}"
    return BUILD / "crash-cells" / re.sub(r"[^\w.-]", "_", uid)


def record_cell(cell: Cell) -> None:
    folder = _run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{cell.point['index']:02d}-{re.sub(r'[^a-z0-9]+', '-', cell.kind)}.json"
    (folder / name).write_text(json.dumps(asdict(cell), indent=1))


def write_table(points: list[WritePoint]) -> str:
    """Rebuild build/crash-table.md from every cell recorded in this run; returns the table."""
    folder = _run_dir()
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".crash-table.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cells = {}
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            data = json.loads(path.read_text())
            cells[(data["point"]["index"], data["kind"])] = data
        text = render_table(points, cells)
        tmp = BUILD / "crash-table.md.tmp"
        tmp.write_text(text)
        tmp.replace(BUILD / "crash-table.md")
        # Nothing may be there yet: this item can run before, or without, any other.
        for old in (BUILD / "crash-cells").iterdir() if (BUILD / "crash-cells").is_dir() else ():
            if old != folder and old.is_dir() and time.time() - old.stat().st_mtime > 3600:
                for f in old.iterdir():
                    f.unlink()
                old.rmdir()
    return text


def verdict(problems: list[str]) -> str:
    """A failed cell in a few words: what a person would notice on GitHub."""
    out: list[str] = []
    doubled = [m.group(1).split(":")[0] for p in problems
               if (m := re.match(r"/issues/issue '([^']*)'/comments: (\d+) item\(s\) where a clean run has (\d+)", p))
               and int(m.group(2)) > int(m.group(3))]
    if doubled:
        out.append("duplicate comment on " + ", ".join(doubled))
    if any(p.startswith("/refs/refs/drift-bot/lock: not in a clean run") for p in problems):
        out.append("lock ref left on the remote")
    failed = next((p for p in problems if p.startswith("the re-run failed")), None)
    if failed:
        out.append(failed.split(": drift: error: ")[-1][:110])
    missing = [p.split("/")[2] for p in problems if p.startswith("/pulls/") and p.endswith(": missing")]
    if missing:
        out.append(f"{len(missing)} PR(s) missing")
    return "; ".join(out) or problems[0][:120]


def render_table(points: list[WritePoint], cells: dict[tuple[int, str], dict[str, Any]]) -> str:
    head = "| # | write point | request | " + " | ".join(KINDS) + " |"
    rule = "| --- | --- | --- | " + " | ".join("---" for _ in KINDS) + " |"
    rows = [head, rule]
    for p in points:
        marks = []
        for kind in KINDS:
            cell = cells.get((p.index, kind))
            if kind in API_ONLY and p.kind == "git":
                marks.append("as `secondary_rate_limit` / `500` (git)")
            elif not runs(kind, p, points):
                marks.append("at the next write point")
            elif cell is None:
                marks.append("not run")
            elif cell["ok"]:
                marks.append(f"pass ({cell['seconds']:.1f} s)")
            else:
                marks.append("**FAIL**: " + verdict(cell["problems"]).replace("|", "\\|"))
        rows.append(f"| {p.index} | {p.label} | `{p.method} {p.template}` #{p.occurrence} | " + " | ".join(marks) + " |")
    done = [c for c in cells.values()]
    passed = sum(1 for c in done if c["ok"])
    total = len(scenarios(points))
    seconds = sum(c["seconds"] for c in done)
    summary = (f"{passed} of {len(done)} scenarios passed ({total} planned: {len(points)} write points × {len(KINDS)} "
               f"fault kinds, the API-only kinds by turns at the API's write points); {seconds:.0f} s of scenario time")
    return "# Crash consistency: write points × fault kinds\n\n" + summary + "\n\n" + "\n".join(rows) + "\n"


def print_crash_table(terminalreporter: Any) -> None:
    """A `pytest_terminal_summary` hook: show build/crash-table.md after a run that ran the
    crash-consistency tests (in conftest: `from tests.reliability_support import print_crash_table
    as pytest_terminal_summary`)."""
    ran = any("test_crash_consistency.py" in str(getattr(report, "nodeid", ""))
              for reports in terminalreporter.stats.values() for report in reports)
    table = BUILD / "crash-table.md"
    if ran and table.exists():
        terminalreporter.write_sep("=", "crash consistency (build/crash-table.md)")
        terminalreporter.write(table.read_text())
