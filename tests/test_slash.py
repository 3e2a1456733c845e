"""`drift slash` on realistic issue_comment payloads against the fake GitHub: who may,
what happens, what is answered — and that nothing in a comment is ever run."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import run
from tests.github_world import BOT, HUMAN, REPO, World

READER, TRIAGER, OUTSIDER_BOT = "rita", "tom", "renovate[bot]"


@pytest.fixture
def room(world: World, tmp_path: Path) -> tuple[World, int]:
    """The world plus an issue to comment on, and people of each role."""
    world.fake.add_user(READER)
    world.fake.grant(REPO, READER, "read")
    world.fake.add_user(TRIAGER)
    world.fake.grant(REPO, TRIAGER, "triage")
    world.fake.add_user(OUTSIDER_BOT, "Bot")
    world.fake.grant(REPO, OUTSIDER_BOT, "write")
    issue = world.fake.add_issue(REPO, "R-0: voice stack bring-up", "Tracking.", user=HUMAN)
    return world, issue.number


def slash(world: World, number: int, who: str, body: str, tmp_path: Path, action: str = "created", **kw) -> tuple[int, str, str]:
    event = tmp_path / "event.json"
    world.fake.issue_comment_event(REPO, number, who, body, action=action, path=event, **kw)
    world.fake.reset_log()
    return run("slash", "--event", str(event), "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env=world.env)


def replies(world: World, number: int) -> list[str]:
    return [c.body for c in world.fake.issue(REPO, number).comments if c.user.login == BOT]


def reactions(world: World, number: int) -> list[str]:
    comment = [c for c in world.fake.issue(REPO, number).comments if c.user.login != BOT][-1]
    return [r.content for r in comment.reactions]


def test_a_maintainers_plan_is_answered_with_the_plan_and_a_rocket(room, tmp_path: Path) -> None:
    world, number = room
    code, out, err = slash(world, number, HUMAN, "/drift plan", tmp_path)
    assert (code, err) == (0, ""), err
    (reply,) = replies(world, number)
    assert reply.startswith("<!-- drift-bot:reply ") and f"@{HUMAN} ### drift plan" in reply
    assert "| create | `drift/r-3` |" in reply
    assert reactions(world, number) == ["eyes", "rocket"]
    assert world.pulls() == []  # a plan changes nothing


def test_a_maintainers_apply_of_one_child_opens_only_that_pr(room, tmp_path: Path) -> None:
    world, number = room
    code, out, err = slash(world, number, HUMAN, "/drift apply R-3", tmp_path)
    assert code == 0, err
    assert [p.pull.head_ref for p in world.pulls()] == ["drift/r-3"]
    assert "created #" in replies(world, number)[0]


def test_a_read_only_users_apply_is_refused_politely_and_nothing_else_happens(room, tmp_path: Path) -> None:
    world, number = room
    code, out, err = slash(world, number, READER, "/drift apply", tmp_path)
    assert code == 0 and out.startswith("refused")
    (reply,) = replies(world, number)
    assert "need **write** access" in reply and "yours is **read**" in reply
    assert world.fake.count("writes", kind="any") == 1  # the reply, nothing else
    assert reactions(world, number) == []
    assert world.pulls() == []


def test_triage_is_not_enough_either(room, tmp_path: Path) -> None:
    world, number = room
    slash(world, number, TRIAGER, "/drift plan", tmp_path)
    assert "yours is **triage**" in replies(world, number)[0]


def test_a_bots_command_is_refused_without_asking_github_who_it_is(room, tmp_path: Path) -> None:
    world, number = room
    code, out, _ = slash(world, number, OUTSIDER_BOT, "/drift apply", tmp_path)
    assert code == 0 and "is a bot" in out
    assert "does not take commands from bots" in replies(world, number)[0]
    assert world.fake.count("writes", kind="any") == 1


def test_apply_can_be_reserved_to_maintainers(room, tmp_path: Path) -> None:
    world, number = room
    world.fake.add_user("wendy")
    world.fake.grant(REPO, "wendy", "write")
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text() + "\nslash:\n  roles: {apply: maintain}\n")
    slash(world, number, "wendy", "/drift apply", tmp_path)
    assert "need **maintain** access" in replies(world, number)[0] and world.pulls() == []


def test_an_unknown_command_is_answered_with_help(room, tmp_path: Path) -> None:
    world, number = room
    slash(world, number, HUMAN, "/drift deploy everything", tmp_path)
    reply = replies(world, number)[0]
    assert "`deploy` is not a command" in reply and "| `/drift plan` |" in reply
    assert reactions(world, number) == ["eyes", "confused"]


def test_help_lists_every_command(room, tmp_path: Path) -> None:
    world, number = room
    slash(world, number, HUMAN, "/drift help", tmp_path)
    reply = replies(world, number)[0]
    for command in ("help", "status", "snapshot", "plan", "apply", "reopen"):
        assert f"`/drift {command}" in reply


@pytest.mark.parametrize("body", [
    "/drift apply $(touch {canary})",
    "/drift apply `touch {canary}`",
    "/drift apply ${{{{ github.token }}}} ; touch {canary}",
    "/drift plan; touch {canary}",
    "/drift apply R-3 && touch {canary}",
])
def test_injection_attempts_run_nothing(room, tmp_path: Path, body: str) -> None:
    world, number = room
    canary = tmp_path / "pwned"
    slash(world, number, HUMAN, body.format(canary=canary), tmp_path)
    assert not canary.exists()
    assert world.pulls() == []
    reply = replies(world, number)[0]
    assert "could not read that" in reply
    quoted = reply.split("could not read that: ", 1)[1].split("\n", 1)[0]
    assert quoted.count("`") == 2  # the offending word is quoted back once, with its own backticks removed
    assert reactions(world, number) == ["eyes", "confused"]


def test_only_the_first_line_is_a_command(room, tmp_path: Path) -> None:
    world, number = room
    slash(world, number, HUMAN, "/drift plan\n/drift apply", tmp_path)
    assert world.pulls() == [] and "### drift plan" in replies(world, number)[0]


def test_a_megabyte_comment_is_read_no_further_than_its_first_line(room, tmp_path: Path) -> None:
    world, number = room
    code, out, _ = slash(world, number, HUMAN, "/drift status\n" + "x" * 1_000_000, tmp_path)
    assert code == 0 and len(replies(world, number)) == 1
    assert len(replies(world, number)[0]) < 65_536


def test_a_megabyte_first_line_is_refused(room, tmp_path: Path) -> None:
    world, number = room
    slash(world, number, HUMAN, "/drift apply " + "R-3 " * 300_000, tmp_path)
    assert "longer than 1000 characters" in replies(world, number)[0] and world.pulls() == []


@pytest.mark.parametrize("action", ["edited", "deleted"])
def test_edited_and_deleted_comments_are_ignored(room, tmp_path: Path, action: str) -> None:
    world, number = room
    first = world.fake.add_comment(REPO, number, "/drift plan", user=HUMAN)
    code, out, _ = slash(world, number, HUMAN, "/drift apply", tmp_path, action=action, comment_id=first.id)
    assert code == 0 and out.startswith("ignored")
    assert world.fake.count("all", kind="any") == 0


def test_a_comment_that_is_not_a_command_is_ignored_without_a_token(room, tmp_path: Path) -> None:
    world, number = room
    event = tmp_path / "event.json"
    world.fake.issue_comment_event(REPO, number, HUMAN, "thanks, looks good", path=event)
    code, out, err = run("slash", "--event", str(event), "--repo", str(world.checkout))
    assert (code, out) == (0, "ignored: not a /drift comment\n")


def test_a_comment_on_a_pull_request_works_the_same(room, tmp_path: Path) -> None:
    world, _ = room
    world.drift("apply", "--only", "R-9")
    pr_number = world.pulls()[0].number
    code, out, err = slash(world, pr_number, HUMAN, "/drift status", tmp_path)
    assert code == 0, err
    assert "divergences between `main` and live" in replies(world, pr_number)[0]


def test_reopen_proposes_again_what_a_human_closed(room, tmp_path: Path) -> None:
    world, number = room
    world.drift("apply", "--only", "R-3")
    pr = world.pulls()[0]
    world.gh().get_pull(pr.number).edit(state="closed")
    slash(world, number, HUMAN, "/drift apply R-3", tmp_path)
    assert len(world.pulls("open")) == 0
    slash(world, number, HUMAN, "/drift reopen R-3", tmp_path)
    assert [p.pull.head_ref for p in world.pulls("open")] == ["drift/r-3"]


def test_an_unknown_child_is_a_clear_answer(room, tmp_path: Path) -> None:
    world, number = room
    slash(world, number, HUMAN, "/drift apply R-42", tmp_path)
    assert "R-42 is not a child in .drift.yml" in replies(world, number)[0]
    assert reactions(world, number) == ["eyes", "confused"]


def test_a_broken_event_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("{}")
    code, out, err = run("slash", "--event", str(bad))
    assert code == 1 and err.startswith("drift: error: ") and "is not an issue_comment event payload" in err


def test_a_role_that_is_not_githubs_is_an_error_never_write() -> None:
    from types import SimpleNamespace

    from bot.errors import DriftError
    from bot.slash.handle import required_role
    from bot.slash.parse import parse_command

    command = parse_command("/drift apply")
    assert required_role(command, SimpleNamespace(slash_roles={"apply": "maintain"})) == "maintain"
    assert required_role(command, SimpleNamespace(slash_roles={})) == "write"
    assert required_role(parse_command("/drift unlock"), SimpleNamespace(slash_roles={})) == "maintain"
    for bad in ({"apply": "Maintain"}, {"apply": ["admin"]}):
        with pytest.raises(DriftError, match="slash.roles.apply must be one of read, triage, write, maintain, admin"):
            required_role(command, SimpleNamespace(slash_roles=bad))
