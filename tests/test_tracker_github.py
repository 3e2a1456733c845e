"""The MEGA close-out tracker on the fake GitHub: created once, linked, kept true, and the
humans' words, ticks and attachments left alone."""
from __future__ import annotations

import re

from tests.fakegithub.gitcli import run_git
from tests.github_world import HUMAN, REPO, World, two_host_fleet

PR_COUNT = 5


def mega_of(world: World):
    megas = [i for i in world.fake.repo(REPO).issues.values() if not i.is_pr and "<!-- drift-bot:mega -->" in (i.body or "")]
    assert len(megas) == 1, f"{len(megas)} MEGA issues"
    return megas[0]


def gh_issue(world: World, number: int):
    return world.gh(HUMAN).get_issue(number)


def test_first_apply_creates_the_mega_links_it_and_its_research(tracked_world: World) -> None:
    code, out, err = tracked_world.drift("apply")
    assert (code, err) == (0, ""), err
    mega = mega_of(tracked_world)
    assert f"created MEGA #{mega.number}" in out
    assert [label.name for label in mega.labels] == ["drift-bot"]
    parent = tracked_world.issue(660)
    assert mega in parent.sub_issues
    assert [i.number for i in mega.sub_issues] == [tracked_world.numbers[673], tracked_world.numbers[674]]
    body = mega.body
    for section in ("status", "findings", "backlog", "children", "research", "attachments"):
        assert f"<!-- drift-bot:begin {section} -->" in body
    assert body.count("- [ ] ") == 12 + 2  # the live-only backlog and the two open research questions
    assert "RT-1: GPU VRAM" in body and "decision pending" in body
    assert "<!-- drift-bot:slot session-memory -->" in body and "<!-- drift-bot:slot transcript -->" in body
    assert len(body) < 65536


def test_each_child_with_live_only_changes_gets_one_comment_naming_its_pr(tracked_world: World) -> None:
    tracked_world.drift("apply")
    for real in (663, 664, 666, 667, 668, 669):
        comments = [c for c in tracked_world.issue(real).comments if "drift-bot:child" in c.body]
        assert len(comments) == 1, real
        assert re.search(r"carried back by #\d+ \(open, awaiting review\)", comments[0].body)
    assert not [c for c in tracked_world.issue(670).comments]  # R-10 has nothing live-only


def test_a_second_run_writes_nothing_and_reads_a_constant_few(tracked_world: World) -> None:
    tracked_world.drift("apply")
    tracked_world.fake.reset_log()
    code, out, err = tracked_world.drift("apply")
    assert (code, err) == (0, "") and out == "nothing to do: GitHub already matches the live host\n"
    assert tracked_world.fake.count("writes", kind="any") == 0
    assert tracked_world.fake.count("all", kind="api") <= 5
    tracked_world.fake.reset_log()
    code, out, _ = tracked_world.drift("tracker")
    assert code == 0 and tracked_world.fake.count("writes", kind="any") == 0


def test_the_mega_is_found_again_by_its_marker_not_recreated(tracked_world: World) -> None:
    tracked_world.drift("apply")
    number = mega_of(tracked_world).number
    gh_issue(tracked_world, number).edit(title="renamed by a human")
    tracked_world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")
    tracked_world.drift("apply")
    assert mega_of(tracked_world).number == number


def test_human_text_outside_the_markers_survives(tracked_world: World) -> None:
    tracked_world.drift("apply")
    mega = mega_of(tracked_world)
    status_before = re.search(r"live state `(snap-\w+)`", mega.body).group(1)
    issue = gh_issue(tracked_world, mega.number)
    issue.edit(body="Written by Julia before the bot's sections.\n\n" + mega.body + "\nAnd a closing note.\n")
    tracked_world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")
    tracked_world.drift("apply")
    body = mega_of(tracked_world).body
    assert body.startswith("Written by Julia before the bot's sections.")
    assert "And a closing note." in body
    status_after = re.search(r"live state `(snap-\w+)`", body).group(1)
    assert status_after != status_before  # the bot's own sections were rewritten around the humans' text


def test_a_box_a_human_ticked_stays_ticked(tracked_world: World) -> None:
    tracked_world.drift("apply")
    mega = mega_of(tracked_world)
    lines = mega.body.splitlines()
    target = next(i for i, l in enumerate(lines) if l.startswith("- [ ] R-9 "))
    lines[target] = lines[target].replace("- [ ] ", "- [x] ", 1)
    gh_issue(tracked_world, mega.number).edit(body="\n".join(lines) + "\n")
    tracked_world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")  # forces a re-render
    tracked_world.drift("apply")
    assert any(l.startswith("- [x] R-9 ") for l in mega_of(tracked_world).body.splitlines())


def test_a_merged_pr_ticks_its_items_and_keeps_them_listed(tracked_world: World) -> None:
    tracked_world.drift("apply")
    pull = next(p for p in tracked_world.pulls("open") if p.pull.head_ref == "drift/r-3")
    tracked_world.gh().get_pull(pull.number).merge()
    run_git("pull", "--quiet", "--ff-only", cwd=tracked_world.checkout)
    tracked_world.drift("apply")
    body = mega_of(tracked_world).body
    r3 = [l for l in body.splitlines() if l.startswith("- [") and " R-3 " in l]
    assert len(r3) == 1 and r3[0].startswith("- [x] ") and f"#{pull.number} (merged)" in r3[0]
    comment = next(c for c in tracked_world.issue(663).comments if "drift-bot:child" in c.body)
    assert "nothing is live-only any more" in comment.body
    assert len([c for c in tracked_world.issue(663).comments if "drift-bot:child" in c.body]) == 1  # edited, not re-posted


def test_sub_issue_links_are_repaired(tracked_world: World) -> None:
    tracked_world.drift("apply")
    mega = mega_of(tracked_world)
    repo = tracked_world.gh()
    parent = repo.get_issue(tracked_world.numbers[660])
    parent.remove_sub_issue(repo.get_issue(mega.number).id)
    rt1 = repo.get_issue(tracked_world.numbers[673])
    repo.get_issue(mega.number).remove_sub_issue(rt1.id)
    code, out, err = tracked_world.drift("tracker")
    assert code == 0, err
    assert mega_of(tracked_world) in tracked_world.issue(660).sub_issues
    assert [i.number for i in mega_of(tracked_world).sub_issues] == [tracked_world.numbers[673], tracked_world.numbers[674]]


def test_a_research_issue_closed_by_a_human_shows_its_decision_taken(tracked_world: World) -> None:
    tracked_world.drift("apply")
    gh_issue(tracked_world, tracked_world.numbers[673]).edit(state="closed", state_reason="completed")
    tracked_world.drift("tracker")
    line = next(l for l in mega_of(tracked_world).body.splitlines() if "RT-1" in l and l.startswith("- ["))
    assert line.startswith("- [x] ") and "decision taken (completed)" in line


def test_attachment_slots_belong_to_the_humans_once_written(tracked_world: World) -> None:
    tracked_world.drift("apply")
    mega = mega_of(tracked_world)
    filled = re.sub(r"(<!-- drift-bot:slot session-memory -->).*?(<!-- drift-bot:slot-end -->)",
                    r"\1[memory.md](https://example.com/memory.md)\2", mega.body)
    gh_issue(tracked_world, mega.number).edit(body=filled)
    tracked_world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")
    tracked_world.drift("apply")
    assert "[memory.md](https://example.com/memory.md)" in mega_of(tracked_world).body


def test_a_configured_mega_written_by_humans_is_adopted(tracked_world: World) -> None:
    existing = tracked_world.fake.add_issue(REPO, "MEGA close-out (by hand)", "Findings so far, by Julia.\n", user=HUMAN)
    config = tracked_world.checkout / ".drift.yml"
    config.write_text(config.read_text().replace("  research:", f"  mega: {existing.number}\n  research:"))
    code, out, err = tracked_world.drift("tracker")
    assert code == 0, err
    body = tracked_world.fake.issue(REPO, existing.number).body
    assert body.startswith("<!-- drift-bot:mega -->\nFindings so far, by Julia.")
    assert "created MEGA" not in out


def test_a_research_item_declared_by_title_is_created_once_and_linked_in_order(tracked_world: World) -> None:
    config = tracked_world.checkout / ".drift.yml"
    rt1, rt2 = tracked_world.numbers[673], tracked_world.numbers[674]
    text = config.read_text()
    rt1_line = f"    - {{key: RT-1, issue: {rt1}, title: GPU VRAM architecture viability on L4}}"
    assert rt1_line in text
    config.write_text(text.replace(rt1_line, rt1_line + '\n    - {key: RT-3, title: "RT-3: Whisper batch size under load", body: "Decide the batch size."}', 1))
    code, out, err = tracked_world.drift("tracker")
    assert code == 0, err
    assert "created research issue" in out
    mega = mega_of(tracked_world)
    subs = mega.sub_issues
    assert [i.title for i in subs][1] == "RT-3: Whisper batch size under load"
    assert [i.number for i in subs][0::2] == [rt1, rt2]
    assert "Decide the batch size." in subs[1].body and f"Part of #{mega.number}" in subs[1].body
    tracked_world.fake.reset_log()
    tracked_world.drift("tracker")
    assert tracked_world.fake.count("writes", kind="any") == 0


def test_a_fleet_keeps_one_set_of_sections_per_host_and_they_do_not_fight(tracked_world: World) -> None:
    two_host_fleet(tracked_world)
    env = tracked_world.env
    from tests.cli_support import run

    def drift(*args: str) -> tuple[int, str, str]:
        return run(*args, "--repo", str(tracked_world.checkout), env=env)

    code, out, _ = drift("instances")
    assert code == 0 and '"instance": "l4-b"' in out and '"apply": false' in out
    assert drift("apply", "--instance", "l4-a")[0] == 0
    assert drift("apply", "--instance", "l4-b")[0] == 0
    body = mega_of(tracked_world).body
    for host in ("l4-a", "l4-b"):
        assert f"<!-- drift-bot:begin status:{host} -->" in body and f"<!-- drift-bot:begin backlog:{host} -->" in body
    assert len(tracked_world.pulls()) == 5  # only l4-a opens pull requests
    tracked_world.fake.reset_log()
    assert drift("apply", "--instance", "l4-a")[0] == 0 and drift("apply", "--instance", "l4-b")[0] == 0
    assert tracked_world.fake.count("writes", kind="any") == 0  # the two hosts leave each other's sections alone


def test_a_review_shows_in_the_mega_and_the_child_comment_and_quiet_runs_read_none(tracked_world: World) -> None:
    world = tracked_world
    world.drift("apply")
    world.drift("apply")
    pull = next(p for p in world.pulls("open") if p.pull.head_ref == "drift/r-5")
    # GitHub's times have one-second resolution: a review in the very second of the bot's last
    # write to the PR leaves updated_at as it was (a known limit); a human's review comes later.
    world.fake.clock.advance(2)
    world.fake.add_user("voice-lead")
    world.fake.grant(REPO, "voice-lead", "write")
    world.fake.github_client("voice-lead").get_repo(REPO).get_pull(pull.number).create_review(event="APPROVE")
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    # Only the pull request whose updated_at moved is asked for its reviews (by the look before
    # the lock and again under it, where GitHub answers 304).
    asked = world.fake.requests("reads", endpoint="/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
    assert {e.path.rsplit("/", 2)[-2] for e in asked} == {str(pull.number)}
    assert f"| #{pull.number} | open · approved by voice-lead |" in mega_of(world).body
    [comment] = [c for c in world.issue(666).comments if "drift-bot:child" in c.body]
    assert f"carried back by #{pull.number} (open, approved by voice-lead)" in comment.body
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, out, err) == (0, "nothing to do: GitHub already matches the live host\n", "")
    assert world.fake.count("reads", endpoint="/repos/{owner}/{repo}/pulls/{pull_number}/reviews") == 0
