"""The small texts the bot posts — closing comments, the PR title, the MEGA's title, a research
issue's body — pinned in golden files, each rendered by the production code that builds its
context from the 2026-04-24 bring-up (R-8 #668, R-9 #669, R-10 #670, MEGA #672, RT-1 #673)."""
from __future__ import annotations

import io
import wave
from dataclasses import replace
from pathlib import Path

from bot.adapters.http import HttpAnswer
from bot.config import Config
from bot.github.access import author, title_from_template
from bot.github.markers import BOT_LABEL, MEGA_MARKER, research_marker
from bot.github.ops import IssueCreate
from bot.github.plan import plan_run
from bot.github.pulls import pull_writes
from bot.github.tracker import Numbers, tracker_writes
from bot.github.world import World as RunWorld
from bot.model import BranchState, DiffReport, GitHubState, IssueState, PullRequestState, Snapshot
from bot.plan import default_title, proposed_prs
from bot.tracker import Closure, TrackerView, plan_tracker
from bot.verify import probe_findings, run_probes
from tests.cli_support import assert_golden
from tests.github_world import World
from tests.test_closeout import comment_and_handle
from tests.test_tracker import CONFIG, ISSUES, MEGA, RESEARCH, example_report, pulls_for, render

R8_MERGE = "9f1c2ab3d4e5f60718293a4b5c6d7e8f90a1b2c3"  # the merge commit of #704, R-8's pull request
R8_HEAD = "3e7a91c0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2"  # the head of its branch drift/r-8
CLOSING = replace(CONFIG, close_children=True)
CHILD_ISSUES = (663, 664, 666, 667, 668, 669)


def run_world(config: Config, report: DiffReport) -> RunWorld:
    """What a run knows besides GitHub, for the planner: no file needs changing in these tests."""
    snapshot = Snapshot(str(report.source), str(report.host), str(report.captured_at), "test", ())
    return RunWorld(config, snapshot, report, {}, {}, default_title, author(config), None)


def closures_of(config: Config, report, issues: dict[int, IssueState], pulls: tuple[PullRequestState, ...],
                parent_subs: tuple[int, ...] = ()) -> dict[str, Closure]:
    plan = plan_tracker(report, config, TrackerView(MEGA, issues, pulls, parent_subs), RESEARCH, render)
    return {c.name: c for c in plan.closures}


# --- close-child.md.j2 ------------------------------------------------------------------------


def test_a_child_whose_pr_merged_is_closed_naming_the_pr_and_its_merge_commit() -> None:
    report = example_report()
    merged = tuple(replace(p, merge_commit=R8_MERGE) if p.head == "drift/r-8" else p
                   for p in pulls_for(report, merged=("drift/r-8",)))
    landed = replace(report, divergences=tuple(d for d in report.divergences if d.child != "R-8"))
    closures = closures_of(CLOSING, landed, ISSUES, merged)
    assert list(closures) == ["R-8"] and closures["R-8"].issue == 668
    comment = closures["R-8"].comment
    assert "- #704 merged as 9f1c2ab3d4e5" in comment
    assert_golden("close-child-r8-merged.md", comment)


def test_r0_is_closed_saying_that_every_child_is_closed_and_its_gates_are_satisfied() -> None:
    closed = {n: replace(i, state="closed") for n, i in ISSUES.items()}
    issues = {**closed, 660: IssueState(660, 10_660, "R-0: voice stack on the L4", "open"),
              670: IssueState(670, 10_670, "R-10: bring-up verification", "closed")}
    nothing_left = replace(example_report(), divergences=())
    closures = closures_of(CLOSING, nothing_left, issues, (), parent_subs=(*CHILD_ISSUES, 670, 672))
    assert list(closures) == ["R-0"] and closures["R-0"].issue == 660
    comment = closures["R-0"].comment
    assert comment.startswith("drift-bot is closing R-0: every child is closed and its gates are satisfied")
    assert_golden("close-child-r0.md", comment)


def test_drift_close_closes_a_doc_only_child_with_the_reason_it_was_given(tracked_world: World, tmp_path: Path) -> None:
    reason = "Whisper's model needs no baking into an image, its cache already lives on the models volume"
    reply = comment_and_handle(tracked_world, tracked_world.numbers[669], f'/drift close R-9 --reason "{reason}"', tmp_path)
    assert f"- closed #{tracked_world.numbers[669]} (R-9): {reason}" in reply
    r9 = tracked_world.issue(669)
    assert r9.state == "closed"
    comment = next(c.body for c in r9.comments if c.body.startswith("drift-bot is closing"))
    assert reason in comment
    assert_golden("close-child-r9-doc-only.md", comment)


# --- close-verified.md.j2 ---------------------------------------------------------------------


def speech_wav(seconds: float = 0.8, rate: int = 24_000) -> bytes:
    """What Voxtral's /v1/audio/speech answers: 16-bit mono PCM (silence is enough here)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


def test_r10_is_closed_with_the_evidence_of_each_probe_that_passed() -> None:
    answer = HttpAnswer(200, (("Content-Type", "audio/wav"),), speech_wav(), 0.412)
    results = run_probes(CONFIG.verify, now="2026-04-24T18:45:12Z", send=lambda *a, **kw: answer)
    assert [r.ok for r in results] == [True]
    report = example_report()
    verified = replace(report, findings=report.findings + probe_findings(results))
    issues = {**ISSUES, 670: IssueState(670, 10_670, "R-10: bring-up verification", "open"),
              673: replace(ISSUES[673], state="closed")}  # RT-1 decided: R-10's gate is open
    closures = closures_of(CONFIG, verified, issues, pulls_for(report))
    assert list(closures) == ["R-10"] and closures["R-10"].issue == 670
    comment = closures["R-10"].comment
    assert "against `gpu-l4-01` (snapshot `snap-c37dce301470`)" in comment
    assert "`tts-speech`" in comment and "24000 Hz" in comment and "2026-04-24T18:45:12Z" in comment
    assert_golden("close-verified-r10.md", comment)


# --- pr-close.md.j2 ---------------------------------------------------------------------------


def test_a_pr_whose_divergences_are_gone_is_closed_saying_why_and_which_branch_goes() -> None:
    report = example_report()
    base = str(report.base_commit)
    r8_branch = BranchState("drift/r-8", R8_HEAD, base, author(CONFIG)[1], {"voice/caddy/Caddyfile": "5d1e0c7"})
    state = GitHubState(base, pulls_for(report), {"drift/r-8": r8_branch})
    reverted = replace(report, divergences=tuple(d for d in report.divergences if d.child != "R-8"))
    ops = pull_writes(run_world(CONFIG, reverted), state)
    (close,) = [op for op in ops if op.op == "close"]
    assert (close.number, close.branch, close.branch_head) == (704, "drift/r-8", R8_HEAD)
    comment = close.comment
    assert "none of its divergences is left" in comment and "`drift/r-8` is deleted" in comment
    assert_golden("pr-close-r8.md", comment)


# --- pr-title.txt.j2 --------------------------------------------------------------------------


def test_the_pr_titles_of_the_bring_up_name_their_children_and_the_base() -> None:
    prs = proposed_prs(example_report(), CONFIG, title_from_template(None))
    titles = [pr.title for pr in prs]
    assert "drift: bring the live fixes of R-4 + R-6 back to main" in titles
    # The template and the built-in title (used by `drift plan` without templates) agree.
    assert titles == [default_title(pr.children, "main") for pr in prs]
    assert_golden("pr-titles-bring-up.txt", "".join(t + "\n" for t in titles))


# --- mega-title.txt.j2 and research-body.md.j2: what the bot creates when it finds none -------


def test_the_mega_is_created_with_a_title_that_says_what_it_closes_out() -> None:
    config = replace(CONFIG, tracker=replace(CONFIG.tracker, mega=None))
    report = example_report()
    nothing_yet = GitHubState(str(report.base_commit), (), {}, parent_subs=())
    create = plan_run(run_world(config, report), nothing_yet).operations[0]
    assert isinstance(create, IssueCreate) and create.key == "mega"
    # found again by its marker, never by its title
    assert (create.body, create.labels, create.marker) == (MEGA_MARKER + "\n", (BOT_LABEL,), MEGA_MARKER)
    assert "\n" not in create.title and create.title.startswith("MEGA close-out")
    assert_golden("mega-title.txt", create.title + "\n")


def created_research_body(entry: dict[str, str]) -> str:
    config = replace(CONFIG, tracker=replace(CONFIG.tracker, research=({"key": "RT-1", "issue": 673}, entry)))
    report = example_report()
    state = GitHubState(str(report.base_commit), (), {}, dict(ISSUES), MEGA, mega_subs=(ISSUES[673],))
    (create,) = [w for w in tracker_writes(run_world(config, report), state, Numbers()) if isinstance(w, IssueCreate)]
    assert (create.key, create.title, create.labels) == ("research:RT-2", entry["title"], (BOT_LABEL,))
    assert create.body.startswith(research_marker("RT-2") + "\n")
    return create.body


def test_a_research_issue_declared_by_title_is_created_as_a_decision_only_ticket_of_the_mega() -> None:
    body = created_research_body({"key": "RT-2", "title": "turn-detector / HF-cache lifecycle"})
    assert "Research question RT-2: turn-detector / HF-cache lifecycle." in body
    assert body.endswith("Part of #672. Closing this issue marks its decision as taken in the MEGA.\n")
    assert_golden("research-body-rt2.md", body)


def test_a_research_issue_declared_with_its_own_body_keeps_those_words_and_links_the_mega() -> None:
    words = ("Where should the turn-detector's ONNX model and the HF cache live, so that a "
             "`docker compose up --force-recreate` of voice-agent downloads nothing?\n\n"
             "Decide between a named volume at /cache/hf and baking the model into the image.")
    body = created_research_body({"key": "RT-2", "title": "turn-detector / HF-cache lifecycle", "body": words})
    assert words in body and "decision-only ticket" not in body
    assert body.endswith("Part of #672. Closing this issue marks its decision as taken in the MEGA.\n")
    assert_golden("research-body-rt2-own-words.md", body)
