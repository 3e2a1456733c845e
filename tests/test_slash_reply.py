"""The one reply to a `/drift` comment fits GitHub's 65,536-character limit: a reply that fits
is posted whole; a longer one is cut on a line boundary, says how much was left out and where
the whole output is (the Actions run, when the run is known), and leaves no table row or code
fence broken. GitHub counts characters, not bytes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from bot.github.ops import Operation, Plan
from bot.model import Divergence
from bot.github.plan import offline_plan
from bot.render import render_plan, render_report
from bot.github.markers import reply_marker
from bot.slash.handle import Event, cut, handle, run_link
from tests.cli_support import run
from tests.github_world import BOT, HUMAN, REPO, World
from tests.test_tracker import CONFIG, example_report

GITHUB_LIMIT = 65_536
RUN_ENV = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "14217760093"}
RUN_URL = f"https://github.com/{REPO}/actions/runs/14217760093"


@pytest.fixture
def in_a_run(monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in RUN_ENV.items():
        monkeypatch.setenv(key, value)
    return RUN_URL


@pytest.fixture
def outside_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in RUN_ENV:
        monkeypatch.delenv(key, raising=False)


def huge_status() -> str:
    """`/drift status` when someone pasted four thousand variables into vllm-whisper live."""
    report = example_report()
    pasted = tuple(Divergence("voice/docker-compose.yml", "added", f"/services/vllm-whisper/environment/WHISPER_OPT_{i:04d}",
                              None, f"value-{i:04d}-" + "x" * 24, line=58 + i, child="R-9") for i in range(4000))
    return render_report(replace(report, divergences=report.divergences + pasted), "markdown")


def huge_plan() -> str:
    """`/drift plan` with thousands of operations."""
    ops = tuple(Operation("close", f"#{1000 + i}", "none of its divergences is left: main caught up or the host was reverted",
                          number=1000 + i, branch=f"drift/r-{i}") for i in range(3000))
    return render_plan(Plan(ops, (), github_visible=True), "markdown")


def kept_and_tail(original: str, reply: str) -> tuple[list[str], str]:
    """The lines of the original the reply kept, and what the cut added after them."""
    lines = reply.split("\n")
    kept = 0
    while kept < len(lines) and original.startswith("\n".join(lines[: kept + 1]) + "\n"):
        kept += 1
    return lines[:kept], reply[len("\n".join(lines[:kept])):]


# --- what fits ----------------------------------------------------------------------------------


def test_the_plan_of_the_bring_up_is_posted_whole(outside_a_run) -> None:
    text = render_plan(offline_plan(example_report(), CONFIG), "markdown")
    assert cut(text) == text


def test_a_long_reply_that_still_fits_is_posted_whole(in_a_run) -> None:
    text = "| R-9 | `voice/docker-compose.yml` | added |\n" * 1300  # 58,500 characters
    assert len(text) < GITHUB_LIMIT - 4096
    assert cut(text) == text


def test_multibyte_characters_count_as_one_character_each(in_a_run) -> None:
    text = "🔒 secret redacted · Größe ≠ size\n" * 1800  # 59,400 characters, over 70 kB of UTF-8
    assert len(text.encode()) > GITHUB_LIMIT and len(text) < GITHUB_LIMIT
    assert cut(text) == text


def test_a_reply_of_exactly_the_limit_is_posted_whole(in_a_run) -> None:
    text = "| R-9 | `voice/docker-compose.yml` | added |\n" * 1456 + "That is the end\n"  # 65,536 characters
    assert len(text) == GITHUB_LIMIT
    assert cut(text) == text


# --- what does not fit --------------------------------------------------------------------------


@pytest.mark.parametrize("make", [huge_status, huge_plan], ids=["status", "plan"])
def test_an_oversized_reply_is_cut_under_the_limit_on_a_line_boundary(make, in_a_run) -> None:
    text = make()
    assert len(text) > 4 * GITHUB_LIMIT
    reply = cut(text)
    assert len(reply) <= GITHUB_LIMIT
    kept, tail = kept_and_tail(text, reply)
    assert len(kept) > 100 and reply.startswith(text[:1000])
    assert tail.strip(), "the cut says nothing about what is missing"


@pytest.mark.parametrize("make", [huge_status, huge_plan], ids=["status", "plan"])
def test_a_cut_never_leaves_half_a_table_row(make, in_a_run) -> None:
    text = make()
    kept, tail = kept_and_tail(text, cut(text))
    rows = set(text.split("\n"))
    assert all(line in rows for line in kept)
    assert not tail.lstrip("\n").startswith("|")
    assert tail.startswith("\n\n")  # a blank line ends the table before the note


def test_a_cut_says_how_much_was_left_out(in_a_run) -> None:
    text = huge_status()
    kept, tail = kept_and_tail(text, cut(text))
    left_out = {"line": len(text.rstrip("\n").split("\n")) - len(kept),
                "character": len(text) - len("\n".join(kept))}
    said = re.search(r"(\d[\d,]*) (?:more )?(line|character)s?\b", tail)
    assert said, f"the note does not say how much was left out: {tail!r}"
    assert int(said.group(1).replace(",", "")) == left_out[said.group(2)]


def test_a_cut_links_to_the_actions_run(in_a_run: str) -> None:
    assert run_link() == in_a_run
    text = huge_status()
    _, tail = kept_and_tail(text, cut(text))
    assert f"]({in_a_run})" in tail


def test_outside_a_run_the_cut_says_to_run_the_command_with_the_cli(outside_a_run) -> None:
    assert run_link() is None
    text = huge_status()
    reply = cut(text)
    assert len(reply) <= GITHUB_LIMIT
    _, tail = kept_and_tail(text, reply)
    assert "with the CLI" in tail and "actions/runs" not in tail and "None" not in tail


def test_a_run_id_without_its_server_and_repository_is_no_link(outside_a_run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "14217760093")
    assert run_link() is None
    assert "actions/runs" not in cut(huge_status())


def test_a_cut_inside_a_code_fence_closes_the_fence(in_a_run) -> None:
    diff = "".join(f"+      WHISPER_OPT_{i:04d}: value-{i:04d}\n" for i in range(5000))
    text = "`/drift status` of `voice/docker-compose.yml`:\n\n```diff\n" + diff + "```\n\nThat is all.\n"
    reply = cut(text)
    assert len(reply) <= GITHUB_LIMIT
    fences = [line for line in reply.split("\n") if line.startswith("```")]
    assert len(fences) % 2 == 0, "the reply ends inside an open code fence, so the note about the cut shows as code"


def test_a_cut_of_multibyte_text_is_measured_in_characters(in_a_run) -> None:
    text = "| R-8 | `voice/caddy/Caddyfile` | 🔒 Größe ≠ size — ⏎ |\n" * 4000
    reply = cut(text)
    assert len(reply) <= GITHUB_LIMIT
    assert len(reply) > GITHUB_LIMIT - 4096  # not cut to a fraction of the limit by counting bytes


def test_a_cut_keeps_every_line_that_fits(in_a_run) -> None:
    text = "| R-9 | `voice/docker-compose.yml` | added |\n" * 1700  # 76,500 characters
    reply = cut(text)
    kept, tail = kept_and_tail(text, reply)
    assert len(reply) <= GITHUB_LIMIT < len(reply) + len(kept[0]) + 1  # one more line would not fit


# --- handling a comment: the reply GitHub receives ---------------------------------------------


@dataclass
class CommentingGitHub:
    """Just enough of GitHub to handle one comment: a maintainer asks, the bot answers."""

    posted: list[tuple[int, str, str]] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)

    def permission(self, login: str) -> tuple[str, str]:
        return "maintain", "maintain"

    def react(self, comment_id: int, content: str) -> None:
        self.reactions.append(content)

    def post_comment(self, issue: int, body: str, marker: str) -> int:
        self.posted.append((issue, body, marker))
        return len(self.posted)


def test_the_posted_reply_of_a_huge_status_is_cut_and_still_findable_by_its_marker(in_a_run: str) -> None:
    gh = CommentingGitHub()
    event = Event("created", REPO, 660, 2_150_001, "/drift status", HUMAN, "User")
    outcome = handle(event, gh, CONFIG, lambda command: (True, huge_status()))
    ((issue, body, marker),) = gh.posted
    assert issue == 660 and marker == reply_marker(2_150_001)
    assert body.startswith(marker + f"\n@{HUMAN} ### drift: 4012 divergences")
    assert len(body) <= GITHUB_LIMIT and f"]({in_a_run})" in body
    assert outcome.code == 0 and gh.reactions == outcome.reactions == ["eyes", "rocket"]
    assert outcome.reply == body  # what was posted; the whole reply is kept for the run
    assert outcome.uncut is not None and outcome.uncut.startswith(body[:1000]) and "WHISPER_OPT_3999" in outcome.uncut


def test_a_reply_that_fits_is_posted_and_nothing_is_kept_for_the_run(in_a_run: str) -> None:
    gh = CommentingGitHub()
    event = Event("created", REPO, 660, 2_150_002, "/drift status", HUMAN, "User")
    outcome = handle(event, gh, CONFIG, lambda command: (True, "### drift: no divergences"))
    ((_, body, _),) = gh.posted
    assert outcome.reply == body == f"{reply_marker(2_150_002)}\n@{HUMAN} ### drift: no divergences\n"
    assert outcome.uncut is None


# --- end to end: `drift slash` against the fake GitHub -------------------------------------------


def paste_variables(world: World, count: int) -> None:
    """Someone pasted a few thousand variables into vllm-whisper's environment on the host."""
    lines = "".join(f'      WHISPER_OPT_{i:04d}: "value-{i:04d}-{"x" * 24}"\n' for i in range(count))
    world.edit_live("docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n', '      HF_HUB_OFFLINE: "1"\n' + lines)


def slash_status(world: World, tmp_path: Path, env: dict[str, str]) -> tuple[int, str, str, str]:
    number = world.fake.add_issue(REPO, "R-9: Whisper", "Whisper's model cache.", user=HUMAN).number
    event = tmp_path / "event.json"
    world.fake.issue_comment_event(REPO, number, HUMAN, "/drift status", path=event)
    code, out, err = run("slash", "--event", str(event), "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                         env={**world.env, "GITHUB_STEP_SUMMARY": "", **env})  # not the summary of a run the tests run in
    (reply,) = [c.body for c in world.fake.issue(REPO, number).comments if c.user.login == BOT]
    return code, out, err, reply


def test_a_huge_drift_status_is_answered_with_a_cut_reply_that_links_the_run(world: World, tmp_path: Path) -> None:
    paste_variables(world, 3000)
    code, out, err, reply = slash_status(world, tmp_path, RUN_ENV)
    assert code == 0, err
    assert reply.startswith("<!-- drift-bot:reply ") and f"@{HUMAN} ### drift: 3012 divergences" in reply
    assert len(reply) <= GITHUB_LIMIT
    assert f"]({RUN_URL})" in reply
    assert "WHISPER_OPT_0000" in reply and "WHISPER_OPT_2999" not in reply
    assert "WHISPER_OPT_2999" in out  # no job summary to write to: the whole reply is in the log


def test_the_run_a_cut_reply_links_to_holds_the_whole_output(world: World, tmp_path: Path) -> None:
    paste_variables(world, 3000)
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    code, out, err, reply = slash_status(world, tmp_path, {**RUN_ENV, "GITHUB_STEP_SUMMARY": str(summary)})
    assert code == 0, err
    assert "WHISPER_OPT_2999" not in reply and f"]({RUN_URL})" in reply
    in_the_run = out + err + summary.read_text()
    assert "WHISPER_OPT_2999" in in_the_run, "the reply sends readers to the run for the whole output, but the run does not have it"
    assert "WHISPER_OPT_2999" in summary.read_text() and "WHISPER_OPT_2999" not in out  # once, where GitHub shows it
