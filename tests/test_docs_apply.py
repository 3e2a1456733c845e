"""`drift apply` keeping the docs pull requests `docs:` asks for: the handover entry (rewritten
only when what it says changes, not when the clock does) and the legacy-docs migration."""
from __future__ import annotations

import re

from tests.github_world import World

HANDOVER = "drift/handover-voice-bring-up"
MIGRATION = "drift/docs-migration"
PAGE = re.compile(r"apps/docs/content/docs/operations/handover-(\d{4}-\d\d-\d\d)-voice-bring-up\.mdx")


def configure(world: World, docs: str) -> None:
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text().replace("docs:\n", "docs:\n" + docs, 1))


def open_on(world: World, branch: str) -> list:
    return [p for p in world.pulls("open") if p.pull.head_ref == branch]


def files_on(world: World, branch: str) -> list[str]:
    from tests.fakegithub.gitcli import run_git

    return run_git("diff", "--name-only", "--no-renames", f"main...{branch}", cwd=world.fake.git_path("fragjulia/voice-platform")).stdout.split()


def test_apply_opens_the_handover_pr_with_the_page_and_meta_json(tracked_world: World) -> None:
    world = tracked_world
    configure(world, "  handover: {slug: voice-bring-up}\n")
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    [pull] = open_on(world, HANDOVER)
    assert pull.title.startswith("docs: handover ") and pull.title.endswith("(voice-bring-up)")
    changed = files_on(world, HANDOVER)
    page = next(p for p in changed if PAGE.fullmatch(p))
    assert "apps/docs/content/docs/operations/meta.json" in changed
    text = world.branch_file(HANDOVER, page)
    assert "[//]: # (drift-bot:handover date=" in text  # the hidden as-of line: date, capture time, commit
    # The page says what the run left behind: each child's pull request, opened by this same run.
    for child_pull in (p for p in world.pulls("open") if p.pull.head_ref.startswith("drift/r-")):
        assert f"/pull/{child_pull.number})" in text, child_pull.pull.head_ref


def test_a_second_apply_writes_nothing_though_the_capture_time_moved(tracked_world: World) -> None:
    world = tracked_world
    configure(world, "  handover: {slug: voice-bring-up}\n")
    world.drift("apply")
    world.drift("apply")  # settles what the first run's own writes changed (PR states in the page)
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert out == "nothing to do: GitHub already matches the live host\n"
    assert world.fake.count("writes", kind="any") == 0


def test_news_rewrites_the_open_entry_in_place(tracked_world: World) -> None:
    world = tracked_world
    configure(world, "  handover: {slug: voice-bring-up}\n")
    world.drift("apply")
    world.drift("apply")
    [before] = [p for p in files_on(world, HANDOVER) if PAGE.fullmatch(p)]
    world.edit_live("docker-compose.yml", "retries: 30", "retries: 40")
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert f"updated #{open_on(world, HANDOVER)[0].number} ({HANDOVER})" in out
    [after] = [p for p in files_on(world, HANDOVER) if PAGE.fullmatch(p)]
    assert after == before  # the same entry, not a second page
    assert "40" in world.branch_file(HANDOVER, after)
    assert len([p for p in world.pulls() if p.pull.head_ref == HANDOVER]) == 1


def test_a_merged_entry_is_not_proposed_again_until_there_is_news(tracked_world: World) -> None:
    world = tracked_world
    configure(world, "  handover: {slug: voice-bring-up}\n")
    world.drift("apply")
    world.drift("apply")
    world.gh().get_pull(open_on(world, HANDOVER)[0].number).merge()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert not open_on(world, HANDOVER)
    world.edit_live("docker-compose.yml", "retries: 30", "retries: 40")
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert len(open_on(world, HANDOVER)) == 1


def test_an_entry_a_human_closed_is_not_opened_again_for_the_same_content(tracked_world: World) -> None:
    world = tracked_world
    configure(world, "  handover: {slug: voice-bring-up}\n")
    world.drift("apply")
    world.drift("apply")
    world.gh().get_pull(open_on(world, HANDOVER)[0].number).edit(state="closed")
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert not open_on(world, HANDOVER)
    assert world.fake.count("writes", kind="any") == 0


def test_apply_opens_the_migration_pr_once_and_stops_when_it_merged(tracked_world: World) -> None:
    world = tracked_world
    configure(world, "  migrate: [voice/DEPLOY-AWS.md, voice/CREDENTIALS-CHECKLIST.md]\n")
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    [pull] = open_on(world, MIGRATION)
    assert "Refs #671" in pull.body  # R-12, under `issues:` in .drift.yml
    changed = files_on(world, MIGRATION)
    assert {"voice/DEPLOY-AWS.md", "voice/CREDENTIALS-CHECKLIST.md",
            "apps/docs/content/docs/operations/deploy-aws.mdx",
            "apps/docs/content/docs/operations/credentials-checklist.mdx"} <= set(changed)
    world.fake.reset_log()
    world.drift("apply")
    assert world.fake.count("writes", endpoint="/repos/{owner}/{repo}/pulls") == 0
    world.gh().get_pull(pull.number).merge()
    world.fake.reset_log()
    code, out, err = world.drift("apply")
    assert (code, err) == (0, ""), err
    assert not open_on(world, MIGRATION)
    assert world.fake.count("writes", endpoint="/repos/{owner}/{repo}/pulls") == 0


def test_a_bad_docs_setting_is_one_line_naming_it(tracked_world: World) -> None:
    configure(tracked_world, "  handover: {slug: [not, a, name]}\n")
    code, out, err = tracked_world.drift("apply")
    assert code == 1
    assert err.startswith("drift: error: .drift.yml line ") and "docs.handover" in err and err.count("\n") == 1
