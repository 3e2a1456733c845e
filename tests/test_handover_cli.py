"""`drift handover` as a user runs it: pages and meta.json written into the checkout, idempotently."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tests.cli_support import run
from tests.conftest import commit_all

OPS = "apps/docs/content/docs/operations"


def clock(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    """The capture time of the next runs (`drift` reads the clock when it captures)."""
    monkeypatch.setattr("bot.capture.now_utc", lambda: moment)


def test_handover_writes_the_pages_and_meta_json_and_a_second_run_changes_nothing(checkout: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("handover", "--repo", str(checkout), "--source", "dir:../instance", "--date", "2026-04-24", "--slug", "voice-bringup",
            "--architecture")
    clock(monkeypatch, "2026-04-24T18:40:00Z")
    code, out, err = run(*args, cwd=checkout)
    assert (code, err) == (0, ""), err
    assert f"wrote {OPS}/handover-2026-04-24-voice-bringup.mdx" in out and f"wrote {OPS}/voice-stack-architecture.mdx" in out
    meta = json.loads((checkout / OPS / "meta.json").read_text())
    assert meta["pages"][:2] == ["voice-stack-architecture", "handover-2026-04-24-voice-bringup"]
    page = (checkout / OPS / "handover-2026-04-24-voice-bringup.mdx").read_text()
    assert page.startswith("---\ntitle: ") and "22.4 / 23.0 GiB = 97 %" in page
    before = {p: p.read_bytes() for p in (checkout / OPS).iterdir()}

    clock(monkeypatch, "2026-04-25T07:00:00Z")  # a later capture of the same host: nothing new to say
    code, out, _ = run(*args, cwd=checkout)
    assert code == 0 and "wrote" not in out and out.count("unchanged") == 3, out
    assert {p: p.read_bytes() for p in (checkout / OPS).iterdir()} == before  # byte for byte
    code, out, _ = run(*args[:5], "--slug", "voice-bringup", "--architecture", cwd=checkout)  # no --date: the newest entry
    assert code == 0 and "wrote" not in out and f"unchanged {OPS}/handover-2026-04-24-voice-bringup.mdx" in out, out
    assert {p: p.read_bytes() for p in (checkout / OPS).iterdir()} == before

    # news: a live-only change is gone (fixed in main by hand), so the entry is written again, as of now
    (checkout / "voice" / ".env.example").write_text(
        (checkout / "voice" / ".env.example").read_text().replace("consise", "concise"))
    commit_all(checkout, "wording")
    code, out, _ = run(*args, cwd=checkout)
    assert code == 0 and f"wrote {OPS}/handover-2026-04-24-voice-bringup.mdx" in out, out
    page = (checkout / OPS / "handover-2026-04-24-voice-bringup.mdx").read_text()
    assert "captured 2026-04-25T07:00:00Z" in page and "11 changes" in page


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


def page_of(checkout: Path, *args: str) -> str:
    code, out, err = run("handover", "--repo", str(checkout), "--date", "2026-04-24", *args, cwd=checkout)
    assert (code, err) == (0, ""), err
    return (checkout / OPS / "handover-2026-04-24-bring-up.mdx").read_text()


def set_config(checkout: Path, **keys: object) -> None:
    raw = yaml.safe_load((checkout / ".drift.yml").read_text())
    for key, value in keys.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    (checkout / ".drift.yml").write_text(yaml.safe_dump(raw, sort_keys=False))


def test_the_page_names_the_instance_not_the_machine_that_read_a_dir_source(checkout: Path) -> None:
    here = os.uname().nodename
    page = page_of(checkout, "--source", "dir:../instance")
    assert "description: \"gpu-l4-01: " in page and "of `gpu-l4-01`" in page  # `host:` in .drift.yml
    if here != "gpu-l4-01":
        assert f"`{here}`" not in page

    set_config(checkout, host=None, instances=[{"name": "gpu-l4-02", "source": "dir:../instance"},
                                               {"name": "gpu-l4-03", "source": "dir:../instance", "host": "l4-03.lab"}])
    assert "of `gpu-l4-02`" in page_of(checkout, "--instance", "gpu-l4-02")  # the instance's name
    assert "of `l4-03.lab`" in page_of(checkout, "--instance", "gpu-l4-03")  # its own `host:`
    # nothing else known: the machine that read the folder is all there is to say
    assert f"of `{here}`" in page_of(checkout, "--source", "dir:../instance")

    set_config(checkout, host="gpu l4")
    code, _, err = run("handover", "--repo", str(checkout), "--source", "dir:../instance", cwd=checkout)
    assert code == 1 and err.count("\n") == 1 and "`host` must be a host name" in err


def test_a_saved_snapshot_keeps_the_host_its_capture_recorded() -> None:
    from bot.config import Instance
    from bot.handover_run import page_host
    from bot.model import Snapshot
    from tests.test_handover import CONFIG

    engine = Snapshot("ssh://deploy@gpu-l4-07?project=voice", "gpu-l4-07", "2026-04-24T18:40:00Z", "1", ())
    folder = Snapshot("dir:/srv/voice", "laptop", "2026-04-24T18:40:00Z", "1", ())
    bare = replace(CONFIG, host=None)
    assert page_host(bare, engine, None) == "gpu-l4-07"  # what the manifest recorded
    assert page_host(bare, folder, None) == "laptop"  # nothing else known
    assert page_host(CONFIG, engine, None) == "gpu-l4-01"  # `host:` says it
    fleet = replace(bare, instances=(Instance("a", "dir:/srv/a"), Instance("b", "dir:/srv/b", host="b.lab")))
    assert page_host(fleet, folder, "a") == "a" and page_host(fleet, folder, "b") == "b.lab"
    assert page_host(fleet, engine, "a") == "gpu-l4-07"


def test_research_questions_show_their_titles_without_github(checkout: Path) -> None:
    page = page_of(checkout, "--source", "dir:../instance")
    assert "- RT-1 ([#673](https://github.com/fragjulia/voice-platform/issues/673), GPU VRAM architecture viability on L4): " in page
    assert "- RT-2 ([#674](https://github.com/fragjulia/voice-platform/issues/674), turn-detector / HF-cache lifecycle): " in page
