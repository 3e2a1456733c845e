"""Every body the bot sends fits GitHub's 65,536 characters: a child with hundreds of live-only
changes gets a pull request whose table is cut, saying how many rows were left out and where
they all are — not a 422 on every run, re-pushing its branch each time."""
from __future__ import annotations

from tests.github_world import World

LIMIT = 65_536


def test_a_child_with_hundreds_of_live_only_changes_gets_a_pull_request_that_fits(world: World) -> None:
    env = world.instance / ".env"
    # Long harmless values: one table row of the body is about 300 characters.
    env.write_text(env.read_text() + "".join(f"FEATURE_FLAG_{i:03d}=" + "on-" * 60 + f"{i}\n" for i in range(420)))
    code, out, err = world.drift("apply")
    assert code == 0, err
    (pull,) = [p for p in world.pulls("open") if p.pull.head_ref == "drift/r-3"]
    body = pull.body or ""
    assert len(body) <= LIMIT
    assert "more changes, left out to keep this pull request under GitHub's size limit" in body
    assert body.count("FEATURE_FLAG_") < 420
    # The branch carries them all: the cut is the body's only.
    assert world.branch_file("drift/r-3", "voice/.env.example").count("FEATURE_FLAG_") == 420
    code, out, err = world.drift("apply")
    assert (code, out) == (0, "nothing to do: GitHub already matches the live host\n"), err
