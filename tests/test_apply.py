"""`drift apply` against the fake GitHub: one PR per child or group, minimal, idempotent,
following the host, main and the routing, and respecting what humans did."""
from __future__ import annotations

import json

from tests.github_world import BOT, REPO, World

PULLS = "/repos/{owner}/{repo}/pulls"


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """The removed and added lines of a unified diff, headers left out."""
    lines = [l for l in diff.splitlines() if not l.startswith(("---", "+++"))]
    return [l[1:] for l in lines if l.startswith("-")], [l[1:] for l in lines if l.startswith("+")]
LOCK_PUSHES = 2  # a run that writes takes the lock ref and releases it
BRANCHES = ["drift/r-3", "drift/r-4-r-6", "drift/r-5", "drift/r-8", "drift/r-9"]


def test_first_apply_opens_one_pr_per_child_and_group(world: World) -> None:
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    pulls = world.pulls("open")
    assert sorted(p.pull.head_ref for p in pulls) == BRANCHES
    by_branch = {p.pull.head_ref: p for p in pulls}
    group = by_branch["drift/r-4-r-6"]
    assert "Refs #664" in group.body and "Refs #667" in group.body
    assert group.title == "drift: bring the live fixes of R-4 + R-6 back to main"
    assert "snap-" in group.body and "sha256" in group.body and "Reviewer checklist" in group.body
    # Writes: a push and a create per PR, plus taking and releasing the run lock; nothing else.
    assert world.fake.count("writes", endpoint=PULLS) == 5
    assert world.fake.count("writes", kind="git") == 5 + LOCK_PUSHES
    assert world.fake.count("writes", kind="api") == 5


def test_each_branch_changes_exactly_its_childs_lines(world: World) -> None:
    world.drift("apply")
    assert changed_lines(world.branch_diff("drift/r-3")) == (
        ["AGENT_INSTRUCTIONS=You are a consise voice assistant; answer in one or two sentences."],
        ["AGENT_INSTRUCTIONS=You are a concise voice assistant; answer in one or two sentences."])
    r5 = world.branch_diff("drift/r-5")
    assert "-      retries: 10\n-      start_period: 120s\n+      retries: 30\n+      start_period: 5m\n" in r5
    assert "image" not in r5
    group = world.branch_diff("drift/r-4-r-6")
    assert "+ENV HF_HOME=/cache/hf" in group and "livekit-plugins-turn-detector==1.2.6" in group
    assert "+    image: vllm/vllm-omni:v0.11.2" in group and "voice/voxtral/stage-overlay.yaml" in group
    assert "retries" not in group and "HF_HUB_OFFLINE" not in group
    # Comments and untouched lines of main stay as they were.
    compose = world.branch_file("drift/r-9", "voice/docker-compose.yml")
    assert compose.startswith("# Voice stack on one NVIDIA L4")
    assert changed_lines(world.branch_diff("drift/r-9")) == ([], ['      HF_HUB_OFFLINE: "1"'])
    assert changed_lines(world.branch_diff("drift/r-8")) == (
        ['      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"]'],
        ["", "# container healthcheck target; not exposed outside the host", ":8081 {", '\trespond /healthz "ok" 200', "}",
         '      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8081/healthz"]'])


def test_the_live_secrets_never_reach_git_or_github(world: World) -> None:
    world.drift("apply")
    secrets = ["Zx4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0Sa4We7Qt2Yu", "hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za", "APIq7Rk2Vd9XwLm4"]
    every_object = world.fake.git_path(REPO)
    from tests.fakegithub.gitcli import run_git

    dump = run_git("log", "--all", "-p", cwd=every_object).stdout
    bodies = " ".join(json.dumps(e.body) for e in world.fake.requests("writes") if getattr(e, "body", None))
    for secret in secrets:
        assert secret not in dump and secret not in bodies


def test_a_second_apply_writes_nothing(world: World) -> None:
    world.drift("apply")
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, "")
    assert out == "nothing to do: GitHub already matches the live host\n"
    assert world.fake.count("writes", kind="any") == 0
    assert world.plan_json()["operations"] and all(op["op"] == "nothing" for op in world.plan_json()["operations"])
    code, _, _ = world.drift("plan")
    assert code == 0


def test_a_no_op_run_reads_github_a_constant_few_times(world: World) -> None:
    world.drift("apply")
    world.fake.reset_log()
    world.drift("apply")
    assert world.fake.count("all", kind="api") <= 5


def test_a_changed_live_value_rewrites_the_branch_and_the_body_in_place(world: World) -> None:
    world.drift("apply")
    world.edit_live("docker-compose.yml", "retries: 30", "retries: 40")
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert "updated #" in out and "the live fixes changed" in out
    assert "+      retries: 40" in world.branch_diff("drift/r-5")
    assert world.fake.count("writes", kind="git") == 1 + LOCK_PUSHES
    assert world.fake.count("writes", kind="api") == 1  # the body, edited in place
    assert len(world.pulls()) == 5


def test_when_main_moves_on_every_branch_is_rebuilt_on_it(world: World) -> None:
    world.drift("apply")
    new_main = world.push_main({"voice/README.md": "notes\n"})
    code, out, err = world.drift("apply")
    assert code == 0, err
    assert out.count("updated #") == 5 and "main moved on" in out
    from tests.fakegithub.gitcli import run_git

    for branch in BRANCHES:
        parent = run_git("rev-parse", f"{branch}^", cwd=world.fake.git_path(REPO)).stdout.strip()
        assert parent == new_main


def test_a_divergence_that_disappears_closes_its_pr_and_deletes_its_branch(world: World) -> None:
    world.drift("apply")
    world.edit_live("docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n', "")
    code, out, err = world.drift("apply")
    assert code == 0, err
    (closed,) = [p for p in world.pulls("closed")]
    assert closed.pull.head_ref == "drift/r-9"
    assert "none of its divergences is left" in closed.comments[-1].body
    from tests.fakegithub.gitcli import run_git

    assert "drift/r-9" not in run_git("branch", cwd=world.fake.git_path(REPO)).stdout
    world.fake.reset_log()
    world.drift("apply")
    assert world.fake.count("writes", kind="any") == 0


def test_a_pr_a_human_closed_is_not_proposed_again_until_live_changes(world: World) -> None:
    world.drift("apply")
    number = next(p.number for p in world.pulls() if p.pull.head_ref == "drift/r-3")
    world.gh().get_pull(number).edit(state="closed")
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert code == 0 and world.fake.count("writes", kind="any") == 0
    plan = world.plan_json()
    r3 = next(op for op in plan["operations"] if op.get("branch") == "drift/r-3")
    assert r3["op"] == "nothing" and "closed without merging" in r3["reason"] and "/drift reopen R-3" in r3["reason"]
    world.edit_live(".env", "one or two sentences", "one or two short sentences")
    code, out, err = world.drift("apply")
    assert code == 0 and "created #" in out
    assert len([p for p in world.pulls("open") if p.pull.head_ref == "drift/r-3"]) == 1


def test_when_routing_moves_a_divergence_both_prs_follow(world: World) -> None:
    world.drift("apply")
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text().replace(
        'match: ["voice/docker-compose.yml#/services/vllm-voxtral/healthcheck/**"]',
        'match: ["voice/docker-compose.yml#/services/vllm-voxtral/healthcheck/retries"]'))
    code, out, err = world.drift("apply")
    assert code == 0, err
    assert changed_lines(world.branch_diff("drift/r-5")) == (["      retries: 10"], ["      retries: 30"])
    assert "      start_period: 5m" in changed_lines(world.branch_diff("drift/r-4-r-6"))[1]


def test_a_branch_of_that_name_that_is_not_the_bots_is_an_error_not_an_overwrite(world: World) -> None:
    world.fake.commit(REPO, "drift/r-3", {"voice/notes.txt": "mine\n"}, "a human's work", author="alice",
                      parent=world.fake.repo(REPO).git.resolve("main") if hasattr(world.fake.repo(REPO).git, "resolve") else None)
    code, out, err = world.drift("apply")
    assert code == 1
    assert "drift/r-3: branch drift/r-3 exists and is not drift-bot's" in err
    assert len(world.pulls("open")) == 4  # the others went ahead
    assert world.branch_file("drift/r-3", "voice/notes.txt") == "mine\n"


def test_a_run_whose_only_operation_is_blocked_still_says_so_and_fails(world: World) -> None:
    world.fake.commit(REPO, "drift/r-3", {"voice/notes.txt": "mine\n"}, "a human's work", author="alice")
    code, out, err = world.drift("apply", "--only", "R-3")
    assert code == 1 and "drift/r-3: branch drift/r-3 exists and is not drift-bot's" in err, (out, err)
    assert world.pulls() == []


def test_prs_the_bot_did_not_open_are_never_touched(world: World) -> None:
    from tests.fakegithub.gitcli import push_branch

    work = world.checkout
    push_branch(world.fake, REPO, work, "feature/x", {"voice/x.txt": "x\n"}, "human", login="alice", base="main")
    human = world.gh().create_pull(title="human PR", body="mine", head="feature/x", base="main")
    world.drift("apply")
    world.edit_live("docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n', "")
    world.drift("apply")
    pr = world.gh().get_pull(human.number)
    assert (pr.state, pr.title, pr.body) == ("open", "human PR", "mine")


def test_a_github_failure_is_one_line_naming_the_operation_and_the_rest_goes_on(world: World) -> None:
    for nth in (2, 3, 4):  # the create and both of its retries fail
        world.fake.inject("POST", PULLS, nth=nth, fault="500")
    code, out, err = world.drift("apply")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("drift: error: create drift/") and "GitHub answered 500" in lines[0]
    assert len(world.pulls("open")) == 4
    code, out, err = world.drift("apply")  # the next run completes the work
    assert code == 0 and len(world.pulls("open")) == 5


def test_the_token_is_never_stored_or_printed(world: World) -> None:
    token = world.fake.token_for(BOT)
    code, out, err = world.drift("apply")
    assert token not in out + err
    assert token not in (world.checkout / ".git" / "config").read_text()


def test_plan_with_a_token_lists_the_exact_operations(world: World) -> None:
    plan = world.plan_json()
    assert plan["github"] is True
    assert sorted((op["op"], op["target"]) for op in plan["operations"]) == [("create", b) for b in BRANCHES]
    code, out, _ = world.drift("apply", "--dry-run")
    assert code == 0 and "create " in out  # apply exits 0 or 1; the 2 of planned changes is `drift plan`'s
    assert world.pulls() == []


def test_two_applies_started_together_end_as_one(world: World) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, **world.env, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "bot", "apply", "--repo", str(world.checkout), "--source", f"dir:{world.instance}"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sorted(p.pull.head_ref for p in world.pulls()) == BRANCHES  # five PRs, not ten
    assert sum(out.count("created #") for out, _ in outs) == 5
    from tests.fakegithub.gitcli import run_git

    assert "drift-bot/lock" not in run_git("for-each-ref", cwd=world.fake.git_path(REPO)).stdout  # released


def test_a_lock_left_by_a_killed_run_expires(world: World) -> None:
    from tests.fakegithub.gitcli import run_git

    bare = world.fake.git_path(REPO)
    main = run_git("rev-parse", "main", cwd=bare).stdout.strip()
    stale = run_git("commit-tree", f"{main}^{{tree}}", "-p", main, "-m", "drift-bot lock\n\nholder: killed\nexpires: 1000\n",
                    cwd=bare).stdout.strip()
    run_git("update-ref", "refs/drift-bot/lock", stale, cwd=bare)
    code, out, err = world.drift("apply")
    assert code == 0, err
    assert len(world.pulls("open")) == 5


def test_a_live_lock_makes_a_second_run_wait_then_give_up_in_one_line(world: World, monkeypatch) -> None:
    import time

    from tests.fakegithub.gitcli import run_git

    bare = world.fake.git_path(REPO)
    main = run_git("rev-parse", "main", cwd=bare).stdout.strip()
    held = run_git("commit-tree", f"{main}^{{tree}}", "-p", main, "-m",
                   f"drift-bot lock\n\nholder: ci run 42\nexpires: {int(time.time()) + 600}\n", cwd=bare).stdout.strip()
    run_git("update-ref", "refs/drift-bot/lock", held, cwd=bare)
    code, out, err = run_apply_with(world, {"DRIFT_LOCK_WAIT": "0"})
    assert code == 1 and "another drift run holds the lock (ci run 42, until" in err and err.count("\n") == 1
    assert world.pulls() == []


def run_apply_with(world: World, extra: dict[str, str]):
    from tests.cli_support import run

    return run("apply", "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env={**world.env, **extra})


def test_a_transient_failure_of_a_create_is_retried_without_a_duplicate(world: World) -> None:
    world.fake.inject("POST", PULLS, nth=2, fault="502")
    world.fake.inject("POST", PULLS, nth=4, apply_then="reset")  # made, but the answer is lost
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert sorted(p.pull.head_ref for p in world.pulls()) == BRANCHES  # five, none twice


def test_a_secondary_rate_limit_is_waited_out_as_github_asks(world: World) -> None:
    world.fake.inject("POST", PULLS, nth=1, fault="secondary_rate_limit", seconds=1)
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert len(world.pulls("open")) == 5


def test_a_run_stops_cleanly_under_the_budget_floor_and_the_next_completes_it(world: World) -> None:
    world.fake.set_rate_limit(BOT, remaining=58, reset_in=1800)
    code, out, err = run_apply_with(world, {"DRIFT_RATE_FLOOR": "55"})
    assert code == 1
    assert "GitHub's API budget is down to" in err and "run again after" in err
    assert len(world.pulls()) < 5
    world.fake.set_rate_limit(BOT, remaining=5000, reset_in=3600)
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert sorted(p.pull.head_ref for p in world.pulls()) == BRANCHES


def test_a_pr_the_bot_closed_itself_is_proposed_again_when_the_drift_returns(world: World) -> None:
    world.drift("apply")
    world.edit_live("docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n', "")
    world.drift("apply")  # the bot closes drift/r-9: its change is gone
    world.edit_live("docker-compose.yml", "      HF_HOME: /models/hf\n    volumes:\n      - models:/models\n    ports:\n      - 127.0.0.1:8001",
                    '      HF_HOME: /models/hf\n      HF_HUB_OFFLINE: "1"\n    volumes:\n      - models:/models\n    ports:\n      - 127.0.0.1:8001')
    code, out, err = world.drift("apply")
    assert code == 0 and "created #" in out, err
    assert len([p for p in world.pulls("open") if p.pull.head_ref == "drift/r-9"]) == 1


def test_a_human_closed_pr_stays_closed_when_main_only_gains_an_unrelated_line(world: World) -> None:
    world.drift("apply")
    number = next(p.number for p in world.pulls() if p.pull.head_ref == "drift/r-4-r-6")
    world.gh().get_pull(number).edit(state="closed")
    dockerfile = world.main_file("voice/agent/Dockerfile")
    world.push_main({"voice/agent/Dockerfile": "# maintained by the voice team\n" + dockerfile})
    code, out, err = world.drift("apply")
    assert code == 0, err
    assert not [p for p in world.pulls("open") if p.pull.head_ref == "drift/r-4-r-6"]


def test_an_unreadable_live_file_closes_nothing_and_rewrites_nothing_it_touches(world: World) -> None:
    world.drift("apply")
    world.fake.reset_log()
    live = world.instance / "docker-compose.yml"
    live.write_text(live.read_text().replace("    image: caddy:2.8.4-alpine\n", "    image: [caddy\n"))
    code, out, err = world.drift("apply")
    assert code == 1 and "cannot be read" in err
    assert len(world.pulls("open")) == 5
    assert world.fake.count("writes", endpoint="/repos/{owner}/{repo}/pulls/{pull_number}") == 0
