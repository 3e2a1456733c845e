"""The MEGA body and child comments as pure functions of the report and what GitHub holds."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.adapters.git_base import read_base
from bot.github.markers import render_marker
from bot.capture import capture
from bot.config import load_config
from bot.model import DiffReport, Divergence, IssueState, PullRequestState
from bot.pipeline import build_report
from bot.plan import proposed_prs
from bot.render import render_template
from bot.github.markers import read_state
from bot.github.markers import MEGA_MARKER
from bot.render import BODY_LIMIT
from bot.tracker import Review, TrackerView, known_reviews, plan_tracker, review_summary
from tests.cli_support import assert_golden

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load_config(ROOT)


def render(name: str, **context) -> str:
    return render_template(name, **context)


def example_report() -> DiffReport:
    snapshot = capture("dir:examples/instance", CONFIG.files, relative_to=ROOT)
    snapshot = replace(snapshot, host="gpu-l4-01", captured_at="2026-04-24T18:40:00Z")
    _, base = read_base(ROOT, "HEAD", [p for _, p in CONFIG.files])
    return build_report(CONFIG, snapshot, "main", "0123456789abcdef0123", base)  # a fixed sha: goldens stay put


def pulls_for(report: DiffReport, merged: tuple[str, ...] = ()) -> tuple[PullRequestState, ...]:
    out = []
    for n, pr in enumerate(proposed_prs(report, CONFIG), start=701):
        marker = {"slug": pr.slug, "fingerprint": pr.fingerprint, "children": list(pr.children)}
        done = pr.branch in merged
        out.append(PullRequestState(n, "closed" if done else "open", done, pr.branch, "main", pr.title, "drift-bot[bot]", marker))
    return tuple(out)


ISSUES = {n: IssueState(n, 10_000 + n, t, "open") for n, t in
          [(663, "R-3"), (664, "R-4"), (666, "R-5"), (667, "R-6"), (668, "R-8"), (669, "R-9"),
           (673, "RT-1: GPU VRAM architecture viability on L4"), (674, "RT-2: turn-detector / HF-cache lifecycle")]}
MEGA = IssueState(672, 99, "MEGA", "open", "Human intro.\n")
RESEARCH = {"RT-1": 673, "RT-2": 674}


def test_the_mega_body_of_the_bring_up_matches_its_golden_page() -> None:
    report = example_report()
    pulls = pulls_for(report)
    reviews = {pulls[1].number: Review("2026-04-24T19:02:11Z", "approved by voice-lead"),
               pulls[2].number: Review("2026-04-24T19:05:40Z", "changes requested by gpu-ops")}
    plan = plan_tracker(report, CONFIG, TrackerView(MEGA, ISSUES, pulls, reviews=reviews), RESEARCH, render)
    assert plan.body.startswith(MEGA_MARKER + "\nHuman intro.\n")
    assert "| open · approved by voice-lead |" in plan.body
    assert_golden("mega.md", plan.body)


def test_a_reviewers_standing_is_their_latest_approval_or_request_for_changes() -> None:
    assert review_summary([]) == "awaiting review"
    assert review_summary([("ann", "COMMENTED"), ("bob", "PENDING")]) == "awaiting review"
    assert review_summary([("ann", "CHANGES_REQUESTED"), ("ann", "COMMENTED")]) == "changes requested by ann"
    assert review_summary([("ann", "CHANGES_REQUESTED"), ("ann", "APPROVED")]) == "approved by ann"
    assert review_summary([("ann", "APPROVED"), ("ann", "DISMISSED")]) == "awaiting review"
    assert (review_summary([("zoe", "APPROVED"), ("bob", "CHANGES_REQUESTED"), ("ann", "APPROVED")])
            == "changes requested by bob; approved by ann, zoe")


def test_reviews_are_remembered_while_the_pull_request_has_not_moved() -> None:
    report = example_report()
    pull = replace(pulls_for(report)[0], updated_at="2026-04-24T19:00:00Z")
    view = TrackerView(MEGA, ISSUES, (pull,), reviews={pull.number: Review(pull.updated_at, "approved by ann")})
    body = plan_tracker(report, CONFIG, view, RESEARCH, render).body
    assert known_reviews(body, (pull,)) == {pull.number: Review(pull.updated_at, "approved by ann")}
    moved = replace(pull, updated_at="2026-04-24T19:30:00Z")  # a review arrived, or a push
    assert known_reviews(body, (moved,)) == {}
    assert known_reviews(body, (replace(pull, updated_at=""),)) == {}  # no time known: read again


def test_a_child_comment_matches_its_golden_page() -> None:
    report = example_report()
    plan = plan_tracker(report, CONFIG, TrackerView(MEGA, ISSUES, pulls_for(report)), RESEARCH, render)
    by_child = {c.child: c for c in plan.comments}
    assert sorted(by_child) == ["R-3", "R-4", "R-5", "R-6", "R-8", "R-9"]
    assert all(c.changed and c.comment_id is None for c in plan.comments)
    assert_golden("child-comment-r8.md", by_child["R-8"].body)


def test_a_pr_body_matches_its_golden_page() -> None:
    report = example_report()
    pr = next(p for p in proposed_prs(report, CONFIG) if p.slug == "r-4-r-6")
    marker = render_marker({"slug": pr.slug, "fingerprint": pr.fingerprint, "children": list(pr.children)})
    evidence = [f for f in capture("dir:examples/instance", CONFIG.files, relative_to=ROOT).files
                if f.repo_path in {d.file for d in pr.divergences}]
    body = render_template("pr-body.md.j2", marker=marker, pr=pr, report=report, base="main", base_commit=report.base_commit,
                           mega=672, secrets=[], env_file=".env", evidence=evidence)
    assert_golden("pr-body-r4-r6.md", body)


def test_an_unchanged_state_renders_the_same_body_again() -> None:
    report = example_report()
    view = TrackerView(MEGA, ISSUES, pulls_for(report))
    first = plan_tracker(report, CONFIG, view, RESEARCH, render)
    later = replace(report, captured_at="2026-04-25T09:00:00Z")  # a later capture of the same content
    second = plan_tracker(later, CONFIG, replace(view, mega=replace(MEGA, body=first.body)), RESEARCH, render)
    assert not second.body_changed and second.body == first.body


def test_merged_items_stay_ticked_after_they_leave_the_diff() -> None:
    report = example_report()
    view = TrackerView(MEGA, ISSUES, pulls_for(report))
    first = plan_tracker(report, CONFIG, view, RESEARCH, render)
    after_merge = replace(report, divergences=tuple(d for d in report.divergences if d.child != "R-3"))
    second = plan_tracker(after_merge, CONFIG, replace(view, mega=replace(MEGA, body=first.body),
                                                       pulls=pulls_for(report, merged=("drift/r-3",))), RESEARCH, render)
    r3 = [line for line in second.body.splitlines() if line.startswith("- [") and " R-3 " in line]
    assert r3 == [line.replace("- [ ]", "- [x]").replace("#701 (open)", "#701 (merged), in `main` now") for line in
                  first.body.splitlines() if line.startswith("- [") and " R-3 " in line]


def test_nothing_left_is_said_in_one_line() -> None:
    report = replace(example_report(), divergences=(), findings=())
    plan = plan_tracker(report, CONFIG, TrackerView(MEGA, ISSUES, ()), RESEARCH, render)
    status = plan.body.split("<!-- drift-bot:begin status -->\n", 1)[1].split("\n<!-- drift-bot:end status -->")[0]
    assert status.startswith("✅ **Nothing left to do**") and "\n" not in status


def test_a_huge_backlog_is_cut_to_fit_githubs_limit_and_says_so() -> None:
    report = example_report()
    many = tuple(Divergence("voice/docker-compose.yml", "added", f"/services/svc-{i:05d}/environment/K", None, "v" * 40, child="R-9")
                 for i in range(4000))
    big = replace(report, divergences=many)
    plan = plan_tracker(big, CONFIG, TrackerView(MEGA, ISSUES, pulls_for(big)), RESEARCH, render)
    assert len(plan.body) < BODY_LIMIT
    assert "more, left out to keep this issue under GitHub's size limit" in plan.body
    assert len(read_state(plan.body)) > 0
