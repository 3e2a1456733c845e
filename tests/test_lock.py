"""The run lock on the remote never spins: a refused push is one line at once, a killed run's
lock is taken over, a live one is waited for with growing pauses until the deadline, and
`drift unlock` / `/drift unlock` release a stuck one, saying who held it."""
from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.cli_support import run
from tests.fakegithub.gitcli import run_git
from tests.github_world import BOT, HUMAN, REPO, World

LOCK = "refs/drift-bot/lock"


def plant_lock(world: World, message: str) -> str:
    bare = world.fake.git_path(REPO)
    main = run_git("rev-parse", "main", cwd=bare).stdout.strip()
    held = run_git("commit-tree", f"{main}^{{tree}}", "-p", main, "-m", message, cwd=bare).stdout.strip()
    run_git("update-ref", LOCK, held, cwd=bare)
    return held


def lock_held(world: World) -> bool:
    return LOCK in run_git("for-each-ref", cwd=world.fake.git_path(REPO)).stdout


def lock_pushes(world: World) -> int:
    # A push asks for the receive-pack service first; a refused one ends there with 403.
    return len([e for e in world.fake.requests("all", kind="git") if e.method == "GET" and "receive-pack" in str(e.query)])


def comment_and_handle(world: World, body: str, login: str, tmp_path: Path) -> str:
    number = world.fake.add_issue(REPO, "bring-up", "notes", user=HUMAN).number
    event = tmp_path / f"event-{login}.json"
    world.fake.issue_comment_event(REPO, number, login, body, path=event)
    code, out, err = run("slash", "--event", str(event), "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                         env=world.env)
    assert code == 0, err
    return [c.body for c in world.fake.issue(REPO, number).comments if "drift-bot:reply" in c.body][-1]


def apply_with(world: World, extra: dict[str, str]) -> tuple[int, str, str]:
    return run("apply", "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env={**world.env, **extra})


def test_a_lock_push_the_remote_refuses_is_one_line_at_once(world: World) -> None:
    world.fake.grant(REPO, BOT, "read")  # a read-only token: the remote refuses every push
    world.fake.reset_log()
    started = time.monotonic()
    code, out, err = apply_with(world, {"DRIFT_LOCK_WAIT": "300"})
    assert code == 1 and err.count("\n") == 1, err
    assert "the run lock cannot be taken" in err and "refs/drift-bot/*" in err
    assert time.monotonic() - started < 30  # not the 300 s of the wait, not 1,393 pushes
    assert lock_pushes(world) == 1
    assert world.pulls() == []


def test_the_lock_of_a_killed_run_on_this_machine_is_taken_over_before_it_expires(world: World) -> None:
    dead = 4_000_000  # above any pid_max: no process has it
    plant_lock(world, f"drift-bot lock\n\nholder: {socket.gethostname()} pid {dead} #0badc0de\n"
                      f"expires: {int(time.time()) + 900}\nhost: {socket.gethostname()}\npid: {dead}\n")
    code, out, err = apply_with(world, {"DRIFT_LOCK_WAIT": "0"})
    assert code == 0, err
    assert len(world.pulls("open")) == 5
    assert not lock_held(world)


def test_the_lock_of_a_workflow_run_that_ended_is_taken_over_before_it_expires(world: World) -> None:
    world.fake.add_workflow_run(REPO, 8812, status="completed", conclusion="cancelled")
    plant_lock(world, f"drift-bot lock\n\nholder: runner-7 pid 2211 run 8812 #1c2d\nexpires: {int(time.time()) + 900}\n"
                      "host: runner-7\npid: 2211\nrun: 8812\n")
    code, out, err = apply_with(world, {"DRIFT_LOCK_WAIT": "0"})
    assert code == 0, err
    assert len(world.pulls("open")) == 5 and not lock_held(world)


def test_a_live_lock_is_waited_for_with_growing_pauses_and_the_deadline_kept(world: World) -> None:
    world.fake.add_workflow_run(REPO, 42, status="in_progress")  # its run is still going
    plant_lock(world, f"drift-bot lock\n\nholder: ci-runner pid 7 run 42 #cafe\nexpires: {int(time.time()) + 900}\n"
                      "host: ci-runner\npid: 7\nrun: 42\n")
    world.fake.reset_log()
    started = time.monotonic()
    code, out, err = apply_with(world, {"DRIFT_LOCK_WAIT": "4"})
    took = time.monotonic() - started
    assert code == 1 and "another drift run holds the lock (ci-runner pid 7 run 42 #cafe, until" in err, err
    assert "drift unlock" in err and err.count("\n") == 1
    assert 4 <= took < 30
    looks = len([e for e in world.fake.requests("all", kind="git") if "upload-pack" in e.path and e.method == "GET"])
    assert looks <= 12  # pauses of 1, 2, 1 s (the deadline): a handful of looks, not a spin
    assert lock_pushes(world) == 0 and world.pulls() == []


def test_drift_unlock_releases_a_stuck_lock_and_says_who_held_it(world: World) -> None:
    plant_lock(world, f"drift-bot lock\n\nholder: ci-runner pid 7 run 42 #cafe\nexpires: {int(time.time()) + 900}\n")
    code, out, err = run("unlock", "--repo", str(world.checkout), env=world.env)
    assert (code, err) == (0, ""), err
    assert out.startswith("released the run lock held by ci-runner pid 7 run 42 #cafe, until ")
    assert not lock_held(world)
    code, out, err = run("unlock", "--repo", str(world.checkout), env=world.env)
    assert (code, out, err) == (0, "no run holds the lock: nothing to release\n", "")
    code, out, err = apply_with(world, {"DRIFT_LOCK_WAIT": "0"})
    assert code == 0 and len(world.pulls("open")) == 5, err


def test_slash_unlock_is_for_maintainers(world: World, tmp_path: Path) -> None:
    plant_lock(world, f"drift-bot lock\n\nholder: ci-runner pid 7 #cafe\nexpires: {int(time.time()) + 900}\n")
    world.fake.add_user("bob")
    world.fake.grant(REPO, "bob", "write")
    reply = comment_and_handle(world, "/drift unlock", "bob", tmp_path)
    assert "need **maintain** access" in reply and "nothing was done" in reply and lock_held(world)
    reply = comment_and_handle(world, "/drift unlock", HUMAN, tmp_path)  # alice maintains the repository
    assert "released the run lock held by ci-runner pid 7 #cafe" in reply
    assert not lock_held(world)
