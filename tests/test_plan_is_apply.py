"""`drift plan` shows everything `drift apply` does, and apply does nothing else (Terraform's
contract): for generated situations — live edits, earlier runs, merges, human closes, a MEGA
section a person deleted, a box a person ticked — the writes the plan lists are exactly the
writes GitHub then receives (the fake's request log), and after apply the plan is empty."""
from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakegithub import FakeGitHub
from tests.github_world import World, make_world
from tests.test_convergence import EDITS

# The REST calls each kind of planned write makes, as the fake's request log names them.
PULLS, PULL, ISSUES = "/repos/{owner}/{repo}/pulls", "/repos/{owner}/{repo}/pulls/{pull_number}", "/repos/{owner}/{repo}/issues"
ISSUE, COMMENTS = f"{ISSUES}/{{issue_number}}", f"{ISSUES}/{{issue_number}}/comments"
CALLS = {
    "create": [("POST", PULLS)],
    "update": [("PATCH", PULL)],
    "close": [("POST", COMMENTS), ("PATCH", PULL)],
    "issue-create": [("POST", ISSUES)],
    "issue-edit": [("PATCH", ISSUE)],
    "issue-close": [("POST", COMMENTS), ("PATCH", ISSUE)],
    "sub-issue-link": [("POST", f"{ISSUE}/sub_issues")],
    "sub-issue-move": [("PATCH", f"{ISSUE}/sub_issues/priority")],
    "comment-create": [("POST", COMMENTS)],
    "comment-edit": [("PATCH", f"{ISSUES}/comments/{{comment_id}}")],
}


def planned_calls(plan: dict) -> Counter:
    calls: Counter = Counter()
    for op in plan["operations"]:
        kind = op["op"]
        if kind == "docs-pull":
            kind = "create" if op["action"] == "create" else "update"
        for call in CALLS.get(kind, []):
            calls[call] += 1
    return calls


def made_calls(fake: FakeGitHub) -> Counter:
    return Counter((e.method, e.template) for e in fake.requests("writes"))


def plan_then_apply(world: World) -> None:
    plan = world.plan_json()
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert code == 0, err
    assert made_calls(world.fake) == planned_calls(plan), (out, plan["operations"])
    code, out, err = world.drift("plan")
    assert code == 0, out + err  # nothing left to do


SITUATIONS = ["applied before", "merged one", "human closed one", "status section deleted", "box ticked",
              "main moved", "comment ids lost"]


def arrange(world: World, situation: str) -> None:
    """Bring GitHub into `situation` as people and earlier runs leave it."""
    gh = world.gh()
    mega = next((i for i in gh.get_issues(state="all", labels=["drift-bot"]) if "<!-- drift-bot:mega -->" in (i.body or "")),
                None)
    open_pulls = sorted(world.pulls("open"), key=lambda p: p.number)
    if situation == "merged one" and open_pulls:
        gh.get_pull(open_pulls[0].number).merge(merge_method="merge")
    elif situation == "human closed one" and open_pulls:
        gh.get_pull(open_pulls[-1].number).edit(state="closed")
    elif situation == "status section deleted" and mega is not None:
        body = re.sub(r"<!-- drift-bot:begin status -->.*?<!-- drift-bot:end status -->\n?", "", mega.body, flags=re.S)
        gh.get_issue(mega.number).edit(body=body)
    elif situation == "box ticked" and mega is not None:
        gh.get_issue(mega.number).edit(body=mega.body.replace("- [ ] ", "- [x] ", 1))
    elif situation == "main moved":
        world.push_main({"NOTES.md": "a human's note\n"})
    elif situation == "comment ids lost" and mega is not None:
        gh.get_issue(mega.number).edit(body=re.sub(r"<!-- drift-bot:state \{.*?\} -->\n?", "", mega.body, flags=re.S))


def test_a_first_run_plans_every_write_it_makes(tracked_world: World) -> None:
    # No MEGA yet: it is created, linked, and everything it shows is known only after apply.
    plan = tracked_world.plan_json()
    kinds = [op["op"] for op in plan["operations"]]
    assert kinds[0] == "issue-create" and "sub-issue-link" in kinds and "issue-edit" in kinds
    assert any(op.get("known_after_apply") for op in plan["operations"])
    plan_then_apply(tracked_world)
    # The MEGA exists before the pull requests are opened: each of them says it is part of it.
    (mega,) = [i for i in tracked_world.gh().get_issues(state="all", labels=["drift-bot"])
               if "<!-- drift-bot:mega -->" in (i.body or "")]
    bodies = [p.body or "" for p in tracked_world.pulls("open")]
    assert bodies and all(f"Part of #{mega.number}" in body for body in bodies)


def test_a_deleted_mega_section_is_a_planned_write_not_nothing_to_do(tracked_world: World) -> None:
    code, out, err = tracked_world.drift("apply")
    assert code == 0, err
    arrange(tracked_world, "status section deleted")
    code, out, err = tracked_world.drift("plan")
    assert code == 2, out + err
    assert "issue-edit" in out, out
    plan_then_apply(tracked_world)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.sampled_from(sorted(EDITS)), unique=True, max_size=3),
       before=st.lists(st.sampled_from(SITUATIONS), max_size=3))
def test_generated_situations_plan_exactly_what_apply_writes(fake_github_factory, edits: list[str],
                                                              before: list[str]) -> None:
    fake: FakeGitHub = fake_github_factory()
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(fake, Path(tmp), tracker=True)
        for name in edits:
            path, old, new = EDITS[name]
            if old in (world.instance / path).read_text():
                world.edit_live(path, old, new)
        for situation in before:
            if situation == "applied before":
                assert world.drift("apply")[0] == 0
            else:
                arrange(world, situation)
        plan_then_apply(world)
