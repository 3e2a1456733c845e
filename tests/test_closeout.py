"""Close-out on the fake GitHub: gates block and release, landed children close, `/drift close`
records its reason, and R-0 waits for its gates."""
from __future__ import annotations

from pathlib import Path

from tests.cli_support import run
from tests.fakegithub.gitcli import run_git
from tests.github_world import HUMAN, REPO, World
from tests.test_tracker_github import mega_of


def comment_and_handle(world: World, number: int, body: str, tmp_path: Path) -> str:
    event = tmp_path / "event.json"
    world.fake.issue_comment_event(REPO, number, HUMAN, body, path=event)
    code, out, err = run("slash", "--event", str(event), "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                         env=world.env)
    return [c.body for c in world.fake.issue(REPO, number).comments if "drift-bot:reply" in c.body][-1]


def close(world: World, real: int) -> None:
    world.gh().get_issue(world.numbers[real]).edit(state="closed", state_reason="completed")


def enable_closing(world: World) -> None:
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text() + "\nclose_children: true\n")


def test_the_mega_shows_each_gate(tracked_world: World) -> None:
    tracked_world.drift("apply")
    body = mega_of(tracked_world).body
    assert f"| RT-1 | #{tracked_world.numbers[673]} | ▶️ ready |" in body
    assert f"| R-10 | #{tracked_world.numbers[670]} | ⏸️ blocked by RT-1 |" in body
    assert f"| R-0 | #{tracked_world.numbers[660]} | ⏸️ blocked by R-10 |" in body


def test_a_gate_blocks_apply_of_r10_until_rt1_is_closed(tracked_world: World, tmp_path: Path) -> None:
    number = tracked_world.numbers[660]
    reply = comment_and_handle(tracked_world, number, "/drift apply R-10", tmp_path)
    assert "not now: R-10 waits for RT-1, still open" in reply
    close(tracked_world, 673)
    reply = comment_and_handle(tracked_world, number, "/drift apply R-10", tmp_path)
    assert "R-10 carries no pull requests, so there is nothing to apply; nothing holds it back any more." in reply
    tracked_world.drift("tracker")
    assert f"| R-10 | #{tracked_world.numbers[670]} | ▶️ ready |" in mega_of(tracked_world).body


def test_a_plain_apply_does_not_open_the_pr_of_a_gated_child_until_its_gate_opens(tracked_world: World) -> None:
    world = tracked_world
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text().replace("gates:\n", "gates:\n  R-9: {after: [RT-2]}\n"))
    code, out, err = world.drift("plan")
    assert code == 2, err
    assert "held back: R-9 waits for RT-2, still open (gates in .drift.yml)" in out
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert "drift/r-9" not in [p.pull.head_ref for p in world.pulls()]
    assert len(world.pulls("open")) == 4
    close(world, 674)
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert [p.pull.head_ref for p in world.pulls("open")].count("drift/r-9") == 1


def test_a_child_is_closed_with_its_evidence_once_its_pr_merged(tracked_world: World) -> None:
    enable_closing(tracked_world)
    tracked_world.drift("apply")
    pull = next(p for p in tracked_world.pulls("open") if p.pull.head_ref == "drift/r-3")
    tracked_world.gh().get_pull(pull.number).merge()
    run_git("pull", "--quiet", "--ff-only", cwd=tracked_world.checkout)
    code, out, err = tracked_world.drift("apply")
    assert code == 0, err
    assert f"closed #{tracked_world.numbers[663]} (R-3)" in out
    r3 = tracked_world.issue(663)
    assert r3.state == "closed"
    assert f"#{pull.number} merged as " in r3.comments[-1].body
    others = [tracked_world.issue(n) for n in (664, 666, 667, 668, 669)]
    assert all(i.state == "open" for i in others)
    tracked_world.fake.reset_log()
    tracked_world.drift("apply")
    assert tracked_world.fake.count("writes", kind="any") == 0


def test_without_close_children_nothing_is_closed(tracked_world: World) -> None:
    tracked_world.drift("apply")
    pull = next(p for p in tracked_world.pulls("open") if p.pull.head_ref == "drift/r-3")
    tracked_world.gh().get_pull(pull.number).merge()
    run_git("pull", "--quiet", "--ff-only", cwd=tracked_world.checkout)
    tracked_world.drift("apply")
    assert tracked_world.issue(663).state == "open"


def test_drift_close_records_its_reason_in_the_mega(tracked_world: World, tmp_path: Path) -> None:
    tracked_world.drift("apply")
    reply = comment_and_handle(tracked_world, tracked_world.numbers[669], '/drift close R-9 --reason "whisper is already not baked: doc-only"', tmp_path)
    assert f"closed #{tracked_world.numbers[669]} (R-9): whisper is already not baked: doc-only" in reply
    r9 = tracked_world.issue(669)
    assert r9.state == "closed" and "whisper is already not baked" in r9.comments[-2].body + r9.comments[-1].body
    body = mega_of(tracked_world).body
    assert f"#{tracked_world.numbers[669]} (closed: whisper is already not baked: doc-only)" in body
    tracked_world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")
    tracked_world.drift("apply")
    assert "whisper is already not baked: doc-only" in mega_of(tracked_world).body  # remembered


def test_r0_is_not_closed_while_r10_is_open_and_is_once_everything_is_done(tracked_world: World) -> None:
    enable_closing(tracked_world)
    for real in (663, 664, 666, 667, 668, 669, 673):
        close(tracked_world, real)
    tracked_world.drift("tracker")
    assert tracked_world.issue(660).state == "open"
    close(tracked_world, 670)
    code, out, err = tracked_world.drift("tracker")
    assert code == 0, err
    assert tracked_world.issue(660).state == "closed" and "closed" in out and "(R-0)" in out


def test_r0_waits_for_every_sub_issue_not_only_the_configured_children(tracked_world: World) -> None:
    enable_closing(tracked_world)
    extra = tracked_world.fake.add_issue(REPO, "R-12: docs migration", "by hand", user=HUMAN)
    repo = tracked_world.gh()
    repo.get_issue(tracked_world.numbers[660]).add_sub_issue(repo.get_issue(extra.number).id)
    for real in (663, 664, 666, 667, 668, 669, 673, 670):
        close(tracked_world, real)
    tracked_world.drift("tracker")
    assert tracked_world.issue(660).state == "open"  # R-12 is still open under it
    repo.get_issue(extra.number).edit(state="closed")
    tracked_world.drift("tracker")
    assert tracked_world.issue(660).state == "closed"


def test_a_child_comment_is_found_by_its_marker_when_the_mega_forgot_it(tracked_world: World) -> None:
    import re

    tracked_world.drift("apply")
    mega = mega_of(tracked_world)
    forgetful = re.sub(r"<!-- drift-bot:state .*? -->", "", mega.body, flags=re.S)
    tracked_world.gh().get_issue(mega.number).edit(body=forgetful)
    tracked_world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")
    tracked_world.drift("apply")
    for real in (663, 664, 666, 667, 668, 669):
        assert len([c for c in tracked_world.issue(real).comments if "drift-bot:child" in c.body]) == 1, real
