"""`drift handover` as a user runs it: pages and meta.json written into the checkout, idempotently."""
from __future__ import annotations

import json
from pathlib import Path

from tests.cli_support import run

OPS = "apps/docs/content/docs/operations"


def test_handover_writes_the_pages_and_meta_json_and_a_second_run_changes_nothing(checkout: Path) -> None:
    args = ("handover", "--repo", str(checkout), "--source", "dir:../instance", "--date", "2026-04-24", "--slug", "voice-bringup",
            "--architecture")
    code, out, err = run(*args, cwd=checkout)
    assert (code, err) == (0, ""), err
    assert f"wrote {OPS}/handover-2026-04-24-voice-bringup.mdx" in out and f"wrote {OPS}/voice-stack-architecture.mdx" in out
    meta = json.loads((checkout / OPS / "meta.json").read_text())
    assert meta["pages"][:2] == ["voice-stack-architecture", "handover-2026-04-24-voice-bringup"]
    page = (checkout / OPS / "handover-2026-04-24-voice-bringup.mdx").read_text()
    assert page.startswith("---\ntitle: ") and "22.4 / 23.0 GiB = 97 %" in page
    before = (checkout / OPS / "handover-2026-04-24-voice-bringup.mdx").read_text()
    code, out, _ = run(*args, cwd=checkout)
    assert code == 0 and "meta.json" not in out  # the sidebar already lists the pages: untouched
    after = (checkout / OPS / "handover-2026-04-24-voice-bringup.mdx").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert all("captured" in a for a, _ in changed)  # only the capture time moved


def test_an_existing_meta_json_keeps_its_entries_and_keys(checkout: Path) -> None:
    (checkout / OPS).mkdir(parents=True)
    (checkout / OPS / "meta.json").write_text(json.dumps({"title": "Ops", "icon": "Wrench", "pages": ["index", "runbook", "..."]}))
    code, _, err = run("handover", "--repo", str(checkout), "--source", "dir:../instance", "--date", "2026-04-25", cwd=checkout)
    assert code == 0, err
    meta = json.loads((checkout / OPS / "meta.json").read_text())
    assert meta["icon"] == "Wrench" and meta["title"] == "Ops"
    assert meta["pages"] == ["index", "handover-2026-04-25-bring-up", "runbook", "..."]


def test_a_broken_meta_json_is_named_and_left_alone(checkout: Path) -> None:
    (checkout / OPS).mkdir(parents=True)
    (checkout / OPS / "meta.json").write_text("{not json")
    code, out, err = run("handover", "--repo", str(checkout), "--source", "dir:../instance", "--date", "2026-04-25", cwd=checkout)
    assert code == 1 and "meta.json" in err and err.count("\n") == 1
    assert (checkout / OPS / "meta.json").read_text() == "{not json"


def test_handover_pr_puts_the_pages_into_one_pull_request(world, tmp_path: Path) -> None:
    from tests.fakegithub.gitcli import run_git
    from tests.github_world import REPO

    code, out, err = world.drift("handover", "--date", "2026-04-24", "--slug", "voice-bringup", "--architecture", "--pr")
    assert (code, err) == (0, ""), err
    (pull,) = world.pulls()
    assert pull.pull.head_ref == "drift/handover-voice-bringup"  # one branch per entry name, whatever the date
    names = run_git("diff", "--name-only", "main...drift/handover-voice-bringup", cwd=world.fake.git_path(REPO)).stdout
    assert f"{OPS}/handover-2026-04-24-voice-bringup.mdx" in names and f"{OPS}/meta.json" in names
    assert not (world.checkout / OPS).exists()  # the working tree is left alone


def test_the_drift_handover_command_answers_with_its_pull_request(world, tmp_path: Path) -> None:
    from tests.github_world import HUMAN, REPO

    issue = world.fake.add_issue(REPO, "R-0", "x", user=HUMAN)
    event = tmp_path / "event.json"
    world.fake.issue_comment_event(REPO, issue.number, HUMAN, "/drift handover", path=event)
    code, out, err = run("slash", "--event", str(event), "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                         env=world.env)
    assert code == 0, err
    reply = [c.body for c in world.fake.issue(REPO, issue.number).comments if "drift-bot:reply" in c.body][0]
    assert "`/drift handover`: opened #" in reply and "(drift/handover-" in reply
