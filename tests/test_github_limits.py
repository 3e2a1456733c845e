"""GitHub's limits as GitHub applies them (issue 18), through `drift apply` and `drift slash`
against the strict fake: secondary limits as 403 or 429 with or without retry-after, the primary
limit, HTML where JSON was expected, the lag between a push and its pull request, a permission
look-up answered 404. The policy is `bot/adapters/github_limits.py`; what each case follows is
cited in tests/fakegithub/README.md.

No test sleeps through GitHub's waits: `Waits` takes the adapter's `pause`, records each wait with
the place it came in the fake's request log, and lets that much time pass on the fake's clock.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.adapters.github_limits import SECONDARY_WAIT, WRITE_GAP
from tests.cli_support import run
from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import run_git
from tests.github_world import BOT, REPO, World

PULLS = "/repos/{owner}/{repo}/pulls"
BRANCHES = ["drift/r-3", "drift/r-4-r-6", "drift/r-5", "drift/r-8", "drift/r-9"]


@dataclass
class Waits:
    fake: FakeGitHub
    seen: list[tuple[int, float]] = field(default_factory=list)  # (requests logged before it, seconds)

    def __call__(self, seconds: float) -> None:
        self.seen.append((len(self.fake.log), seconds))
        self.fake.clock.advance(seconds)

    @property
    def seconds(self) -> list[float]:
        return [s for _, s in self.seen]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch, fake_github: FakeGitHub) -> Waits:
    recorder = Waits(fake_github)
    monkeypatch.setattr("bot.adapters.github.pause", recorder, raising=False)
    return recorder


def apply(world: World, **env: str) -> tuple[int, str, str]:
    return run("apply", "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env={**world.env, **env})


def api_writes(fake: FakeGitHub) -> list[int]:
    """Positions in the request log of the API writes."""
    return [i for i, e in enumerate(fake.log) if e.kind == "api" and e.write]


def opened(world: World) -> list[str]:
    return sorted(p.pull.head_ref for p in world.pulls("open"))


@pytest.mark.parametrize("fault", ["secondary_rate_limit_no_retry_after", "secondary_rate_limit_429_no_retry_after"])
def test_a_secondary_limit_without_retry_after_is_waited_out_a_minute_and_the_create_sent_again(
        world: World, waits: Waits, fault: str) -> None:
    world.fake.inject("POST", PULLS, nth=2, fault=fault)
    code, out, err = apply(world)
    assert code == 0, err
    assert "waiting 60 s" in err and len(err.strip().splitlines()) == 1  # the pause says why, once
    assert SECONDARY_WAIT in waits.seconds and SECONDARY_WAIT >= 60
    assert opened(world) == BRANCHES and world.fake.count("writes", endpoint=PULLS) == 6


def test_the_same_limit_again_doubles_the_wait_and_then_stops_writing(world: World, waits: Waits) -> None:
    world.fake.inject("POST", PULLS, nth=1, times=3, fault="secondary_rate_limit_no_retry_after")
    code, out, err = apply(world)
    assert code == 1
    assert [s for s in waits.seconds if s >= 60] == [60.0, 120.0]  # a third would be 240 s, over the 120 s cap
    assert "no more writes in this run" in err and "DRIFT_RETRY_WAIT_MAX" in err
    assert world.fake.count("writes", endpoint=PULLS) == 3 and world.pulls() == []


@pytest.mark.parametrize("fault", ["secondary_rate_limit", "secondary_rate_limit_429"])
def test_a_retry_after_longer_than_the_cap_stops_writing_for_the_run_and_the_next_run_completes(
        world: World, waits: Waits, fault: str) -> None:
    world.fake.inject("POST", PULLS, nth=2, fault=fault, seconds=3600)
    code, out, err = apply(world)
    assert code == 1
    lines = [line for line in err.strip().splitlines() if "rate limit" in line]
    assert len(lines) == 1 and "asks to wait 3600 s, more than DRIFT_RETRY_WAIT_MAX (120 s)" in lines[0], err
    refused = next(i for i, e in enumerate(world.fake.log) if e.fault == fault)
    later = [e for e in world.fake.log[refused + 1:] if e.write and not e.path.endswith("git-receive-pack")]
    assert later == []  # not one more API write, nor a push of a PR branch
    assert all(s < 3600 for s in waits.seconds)
    assert len(world.pulls()) == 1
    assert apply(world)[0] == 0 and opened(world) == BRANCHES


def test_drift_retry_wait_max_is_the_longest_wait_a_run_makes(world: World, waits: Waits) -> None:
    world.fake.inject("POST", PULLS, nth=1, fault="secondary_rate_limit_no_retry_after")
    code, out, err = apply(world, DRIFT_RETRY_WAIT_MAX="30")
    assert code == 1 and "asks to wait 60 s, more than DRIFT_RETRY_WAIT_MAX (30 s)" in err
    assert all(s <= 30 for s in waits.seconds)
    code, out, err = apply(world, DRIFT_RETRY_WAIT_MAX="soon")
    assert code == 1 and "DRIFT_RETRY_WAIT_MAX must be a number of seconds" in err and len(err.splitlines()) == 1


def test_after_a_refusal_writes_never_come_in_a_burst(world: World, waits: Waits) -> None:
    world.fake.inject("POST", PULLS, nth=1, fault="secondary_rate_limit", seconds=2)
    code, out, err = apply(world)
    assert (code, err) == (0, ""), err
    writes = api_writes(world.fake)
    refused = next(i for i, e in enumerate(world.fake.log) if e.fault == "secondary_rate_limit")
    after = [i for i in writes if i > refused]
    assert len(after) >= 5
    for a, b in zip(after, after[1:]):  # a pause of up to a second before each of them
        assert any(a < at <= b and 0 < s <= WRITE_GAP for at, s in waits.seen), (a, b, waits.seen)


def test_the_primary_limit_is_waited_out_when_its_reset_is_near(world: World, waits: Waits,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    world.fake.set_rate_limit(BOT, remaining=0, reset_in=30)

    def until_the_reset(seconds: float) -> None:  # the budget is full again once the wait is over
        waits(seconds)
        world.fake.set_rate_limit(BOT, remaining=5000, reset_in=3600)

    monkeypatch.setattr("bot.adapters.github.pause", until_the_reset)
    code, out, err = apply(world)
    assert code == 0, err
    assert any(25 <= s <= 32 for s in waits.seconds), waits.seconds
    assert opened(world) == BRANCHES


def test_the_primary_limit_far_from_its_reset_is_one_line_and_writes_nothing(world: World, waits: Waits) -> None:
    world.fake.set_rate_limit(BOT, remaining=0, reset_in=3000, status=429)
    code, out, err = apply(world)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "primary rate limit asks to wait" in err and "the next run completes the work" in err
    assert world.fake.count("writes", kind="any") == 0 and waits.seconds == []


@pytest.mark.parametrize("fault", ["html_502", "html_200"])
def test_an_html_page_where_json_was_expected_is_one_line_naming_the_request_and_the_status(
        world: World, waits: Waits, fault: str) -> None:
    world.fake.inject("GET", PULLS, times=10, fault=fault)
    code, out, err = apply(world)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    status = fault.split("_")[1]
    assert f"list pull requests of {REPO}: GitHub answered {status} with an HTML page instead of JSON" in err
    assert "<" not in err and "AttributeError" not in err and "Unicorn" not in err


def test_a_proxy_page_after_a_create_landed_is_looked_up_not_made_twice(world: World, waits: Waits) -> None:
    world.fake.inject("POST", PULLS, nth=3, apply_then="html_200")
    world.fake.inject("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", apply_then="html_502")
    code, out, err = apply(world)
    assert (code, err) == (0, ""), err
    assert opened(world) == BRANCHES and len(world.pulls()) == 5


@pytest.mark.fake_github(push_lag=2.0)
def test_a_pull_request_refused_right_after_its_push_is_tried_once_more_after_a_short_wait(
        world: World, waits: Waits) -> None:
    code, out, err = apply(world)
    assert (code, err) == (0, ""), err
    assert opened(world) == BRANCHES
    assert waits.seconds.count(3.0) == 5  # one short wait per pull request, none longer
    assert world.fake.count("writes", endpoint=PULLS) == 10
    assert world.fake.count(endpoint=PULLS, method="POST", status=422) == 5


def test_a_commenter_github_answers_404_for_gets_the_one_polite_reply(world: World, tmp_path: Path) -> None:
    issue = world.fake.add_issue(REPO, "R-0: voice stack bring-up", "Tracking.")
    event = tmp_path / "event.json"
    world.fake.issue_comment_event(REPO, issue.number, "gone-user", "/drift apply", path=event)
    world.fake.delete_user("gone-user")
    code, out, err = run("slash", "--event", str(event), "--repo", str(world.checkout), "--source",
                         f"dir:{world.instance}", env=world.env)
    assert (code, err) == (0, ""), err
    (reply,) = [c.body for c in world.fake.issue(REPO, issue.number).comments if c.user.login == BOT]
    assert "@gone-user thanks for asking" in reply and "yours is **none**" in reply
    assert world.pulls() == []


def test_the_bots_pushes_carry_one_basic_x_access_token_header(world: World) -> None:
    world.fake.reset_log()
    code, out, err = apply(world)
    assert (code, err) == (0, ""), err
    pushes = world.fake.requests(kind="git")
    assert pushes and {e.status for e in pushes} == {200} and {e.login for e in pushes} == {BOT}


def test_a_checkout_with_actions_checkouts_persisted_header_still_pushes(world: World) -> None:
    """actions/checkout leaves `http.https://github.com/.extraheader` in .git/config unless
    `persist-credentials: false`; with the bot's own header git would send two, which GitHub
    refuses with 400 'Duplicate header: "Authorization"'."""
    token = world.fake.token_for(BOT)
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    run_git("config", "--local", f"http.{world.fake.api_url}/.extraheader", f"AUTHORIZATION: basic {basic}",
            cwd=world.checkout)
    code, out, err = apply(world)
    assert (code, err) == (0, ""), err
    assert opened(world) == BRANCHES
