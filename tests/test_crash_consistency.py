"""Crash consistency (issue 9): an apply cut off at any write, in any way, is completed by the
next run, and GitHub ends exactly as after a run nothing went wrong with.

The write points are enumerated from a clean first `drift apply` of the bundled example in a
tracked world (API writes and git pushes, the run lock's two pushes included). At each one a
fault is injected and the same apply is run; then apply runs again without the fault, and the
GitHub state must equal the clean run's (`tests.reliability_support.state_signature`): no
duplicate PR, issue or comment, no orphan branch, no lock left behind. A third apply must then
write nothing. Fault kinds:

- `500`: GitHub answers 500 once and does nothing.
- `secondary_rate_limit`: a 403 with `retry-after: 1`; nothing done.
- `403 no retry-after`, `429 no retry-after`: a secondary limit that does not say how long; nothing
  done. The run must wait at least a minute before the write is sent again (GitHub's rule); the
  in-process runs record that wait instead of sleeping it (`bot.adapters.github.pause`).
- `html`: GitHub's 502 "Unicorn!" HTML page instead of JSON; nothing done.

The last three are run at the API's write points only: git reads neither `retry-after` nor JSON, so
at a push they are `secondary_rate_limit` and `500` again.
- `reset`: the connection is reset without an answer; nothing done.
- `lost answer`: the write lands, then the connection is reset (`apply_then="reset"`).
- `kill`: apply runs as `python -m bot apply` in its own process group; the fake performs the
  write and holds the answer; the process group is SIGKILLed. The killed run is started with
  `DRIFT_LOCK_TTL=1` so its abandoned lock expires at once instead of after 15 minutes
  (`test_a_lock_left_by_a_killed_run_expires` in test_apply.py covers the expiry itself).

Every (write point, fault kind) is one test item, so `pytest -n 2` spreads them evenly. The
table of outcomes is rebuilt into `build/crash-table.md` after every item.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run
from tests.fakegithub import FakeGitHub
from tests.github_world import REPO, World, make_world
from tests.reliability_support import (BUILD, FAULT_OF, ROOT, Cell, Hold, WritePoint, differences, record_cell,
                                       record_write_points, scenarios, state_signature, write_table)

LOCK_WAIT = "4"  # seconds an in-process run waits for a held lock before it gives up
KILL_GRACE = 0.2  # seconds between the write landing and the SIGKILL


def drift(world: World, *args: str, **extra: str) -> tuple[int, str, str]:
    env = {**world.env, "DRIFT_LOCK_WAIT": LOCK_WAIT, **extra}
    return run(*args, "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env=env)


def paths_of(world: World) -> dict[str, str]:
    return {str(world.instance): "<instance>", str(world.checkout): "<checkout>"}


@dataclass
class CleanRun:
    points: list[WritePoint]
    signature: dict[str, Any]
    code: int
    out: str
    err: str
    seconds: float


@functools.lru_cache(maxsize=1)
def clean_run() -> CleanRun:
    """The bundled example's first apply in a tracked world, nothing going wrong: its writes and
    the GitHub state it leaves. Computed once per process (at collection, to parametrize)."""
    fake = FakeGitHub()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            world = make_world(fake, Path(tmp), tracker=True)
            fake.reset_log()
            done = record_write_points(fake, REPO)
            started = time.monotonic()
            code, out, err = drift(world, "apply")
            seconds = time.monotonic() - started
            points = done()
            signature = state_signature(fake, REPO, paths_of(world))
            fake.check_contract()
            return CleanRun(points, signature, code, out, err, seconds)
    finally:
        fake.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "crash_point" not in metafunc.fixturenames:
        return
    try:
        points = clean_run().points
    except Exception as exc:  # noqa: BLE001 - one failing item says why, instead of a collection error
        metafunc.parametrize(("kind", "crash_point"), [pytest.param("clean run", exc, id="clean-run-failed")])
        return
    # Point-major order, so the slow `kill` items are spread over the xdist workers.
    metafunc.parametrize(("kind", "crash_point"),
                         [pytest.param(kind, p, id=f"{p.id}--{kind.replace(' ', '-')}") for kind, p in scenarios(points)])


def test_the_clean_first_apply_and_its_write_points() -> None:
    clean = clean_run()
    assert (clean.code, clean.err) == (0, ""), clean.err
    labels = [p.label for p in clean.points]
    assert labels[0] == "take the run lock" and labels[-1] == "release the run lock"
    pushes = [p for p in clean.points if p.kind == "git"]
    assert len(pushes) == 5 + 2
    assert sum(1 for p in clean.points if p.template == "/repos/{owner}/{repo}/pulls") == 5
    assert sum(1 for p in clean.points if p.template.endswith("/comments")) == 6
    assert sum(1 for p in clean.points if p.template.endswith("/sub_issues")) == 3
    assert len(clean.points) == len(set((p.method, p.template, p.occurrence) for p in clean.points))
    sig = clean.signature
    assert "refs/drift-bot/lock" not in sig["refs"]
    assert sorted(sig["pulls"]) == [f"PR drift/{s}" for s in ("r-3", "r-4-r-6", "r-5", "r-8", "r-9")]
    assert sum(len(i["comments"]) for i in sig["issues"].values()) == 6


def _kill_at(world: World, point: WritePoint) -> tuple[int | None, str, str, bool]:
    """Run apply in its own process group and SIGKILL it once the write has landed."""
    hold = Hold(world.fake, point.method, point.template, point.occurrence)
    env = {**os.environ, **world.env, "DRIFT_LOCK_TTL": "1", "DRIFT_LOCK_WAIT": LOCK_WAIT, "NO_COLOR": "1",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    cmd = [sys.executable, "-m", "bot", "apply", "--repo", str(world.checkout), "--source", f"dir:{world.instance}"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not hold.reached.wait(0.02):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
        reached = hold.reached.is_set()
        if reached:
            time.sleep(KILL_GRACE)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the bot and the git it may be running
        except ProcessLookupError:
            pass
        out, err = proc.communicate(timeout=30)
    finally:
        hold.release()
    return proc.returncode, out, err, reached


def _inject(fake: FakeGitHub, kind: str, point: WritePoint) -> Any:
    where = (point.method, point.template)
    if kind == "lost answer":
        return fake.inject(*where, nth=point.occurrence, apply_then="reset")
    return fake.inject(*where, nth=point.occurrence, fault=FAULT_OF[kind], seconds=1)


def test_a_cut_off_apply_is_completed(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      kind: str, crash_point: WritePoint) -> None:
    if kind == "clean run":
        raise crash_point  # the clean run itself failed: nothing to compare with
    clean = clean_run()
    point = crash_point
    started = time.monotonic()
    world = make_world(fake_github, tmp_path, tracker=True)
    fake_github.reset_log()
    problems: list[str] = []

    if kind == "kill":
        first_exit, out, err, reached = _kill_at(world, point)
        if not reached:
            problems.append(f"the run never reached the write point (exit {first_exit}: {err.strip()[-200:]})")
    else:
        waited: list[float] = []
        monkeypatch.setattr("bot.adapters.github.pause", waited.append)  # seen, not slept
        fault = _inject(fake_github, kind, point)
        first_exit, out, err = drift(world, "apply")
        fake_github.clear_faults()
        if not fault.fired:
            problems.append("the fault never fired: the run did not reach this write point")
        if kind.endswith("no retry-after") and point.kind == "api" and max(waited, default=0) < 60:
            problems.append(f"a secondary limit without retry-after was not waited out a minute (waits: {waited})")
        if "Traceback" in err or len(err.strip().splitlines()) > 10:
            problems.append(f"the faulty run's error output is not one line per problem: {err[:300]!r}")

    code, out2, err2 = drift(world, "apply")
    if (code, err2) != (0, ""):
        problems.append(f"the re-run failed (exit {code}): {err2.strip()[:300]}")
    signature = state_signature(fake_github, REPO, paths_of(world))
    problems += differences(clean.signature, signature)
    fake_github.reset_log()
    code3, _, err3 = drift(world, "apply")
    writes = fake_github.count("writes", kind="any")
    if code3 != 0 or writes:
        problems.append(f"a third apply still wrote {writes} time(s) (exit {code3}) {err3.strip()[:200]}")

    cell = Cell(kind, asdict(point), not problems, time.monotonic() - started, first_exit, problems)
    record_cell(cell)
    write_table(clean.points)
    assert not problems, (f"{kind} at write point {point.index} ({point.label}: {point.method} {point.template} "
                          f"#{point.occurrence}); the faulty run said:\n{out}{err}\n" + "\n".join(problems))


def test_the_table_is_written() -> None:
    table = write_table(clean_run().points)
    assert (BUILD / "crash-table.md").read_text() == table
    assert table.count("\n| ") == len(clean_run().points) + 2  # the header, its rule, a row per write point
