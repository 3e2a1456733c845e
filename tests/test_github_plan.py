"""The planner of every GitHub write (`bot.github.plan`), fed plain `GitHubState` values built
from the 2026-04-24 bring-up: R-3..R-9 #663-#669, MEGA #672, R-0 #660, RT-1 #673, RT-2 #674.

No HTTP, no git, no fake server: a state is what GitHub would hold, a plan is data, and
`settle` says what GitHub holds once a write is made."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.config import HandoverDocs, Instance
from bot.github.markers import (MEGA_MARKER, child_marker, closed_by_bot, pr_marker, read_section, read_state,
                                render_marker, write_state)
from bot.github.ops import IssueCreate, Operation
from bot.github.plan import pending, plan_run, settle
from bot.model import IssueState
from tests.github_plan_support import (BASE, PARENT, GitHubAnswers, apply_in_memory, bot_pull, branch_holding,
                                       bring_up, by_key, github_of, keys, no_mega, ops_of, tracked,
                                       world_of)
from tests.test_tracker import CONFIG, ISSUES, MEGA, pulls_for

CLOSING = replace(CONFIG, close_children=True)
GATED = replace(CONFIG, gates={**CONFIG.gates, "R-8": ("RT-1",)})  # R-8's fix waits for RT-1's decision
FLEET = replace(CONFIG, instances=(Instance("l4-a", "dir:/srv/a"), Instance("l4-b", "dir:/srv/b")))
HANDOVER = replace(CONFIG, docs=replace(CONFIG.docs, handover=HandoverDocs()))
RT3 = {"key": "RT-3", "title": "Whisper on the CPU?"}  # declared by title: the bot opens its issue
DECLARED = replace(CONFIG, tracker=replace(CONFIG.tracker, research=({"key": "RT-1", "issue": 673}, RT3)))
CHILDREN = (663, 664, 666, 667, 668, 669)


def without(report, child: str):
    """The report once `child`'s live fixes are in main."""
    return replace(report, divergences=tuple(d for d in report.divergences if d.child != child))


def backlog_line(body: str, child: str) -> str:
    return next(line for line in body.splitlines() if line.startswith("- [") and f" {child} · " in line)


def with_pr(world, slug: str, number: int, branch=None, **pull: object):
    """GitHub holding the bot's open pull request for `slug`, its branch holding exactly its files."""
    branch = branch or branch_holding(world, slug)
    return tracked(pulls=(bot_pull(world, slug, number, **pull),), branches={branch.name: branch})


def r8_left_open():
    """The bring-up once R-8's fixes are gone from the host, its pull request #704 still open."""
    body = render_marker({"slug": "r-8", "fingerprint": "x", "children": ["R-8"]})
    state = with_pr(world_of(), "r-8", 704, branch_holding(world_of(), "r-8", head="8" * 40), body=body)
    return world_of(report=without(bring_up(), "R-8")), state


def after_first_apply(world=None, state=None):
    world = world or world_of()
    state = state or tracked()
    return apply_in_memory(plan_run(world, state), world, state)


# --- pull requests ------------------------------------------------------------------------------


def test_a_child_with_no_pull_request_gets_one_created_holding_its_branchs_files() -> None:
    world = world_of()
    op = by_key(plan_run(world, tracked()))["pr:drift/r-3"]
    assert (op.op, op.target, op.reason) == ("create", "drift/r-3", "no pull request carries these live fixes yet")
    assert op.push and op.files == world.changes["r-3"] and list(op.files) == ["voice/.env.example"]
    assert pr_marker(op.body) == {"slug": "r-3", "fingerprint": op.pr.fingerprint, "children": ["R-3"]}
    assert "Refs #663" in op.message and "Part of #672" in op.message


def test_an_open_pull_request_whose_live_fixes_changed_is_updated_in_place() -> None:
    world = world_of()
    marker = {"slug": "r-3", "fingerprint": "an-older-value", "children": ["R-3"]}
    op = by_key(plan_run(world, with_pr(world, "r-3", 701, marker=marker)))["pr:drift/r-3"]
    assert (op.op, op.target, op.number) == ("update", "#701", 701)
    assert op.reason == "the live fixes changed since it was written"
    assert not op.push  # its branch already holds the files


def test_a_pull_request_whose_branch_lags_main_is_rebuilt_on_it() -> None:
    world = world_of()
    stale = replace(branch_holding(world, "r-3"), parent="f" * 40)
    op = by_key(plan_run(world, with_pr(world, "r-3", 701, stale)))["pr:drift/r-3"]
    assert (op.op, op.reason, op.push, op.branch_head) == ("update", f"main moved on ({BASE[:7]})", True, stale.head)


def test_an_up_to_date_pull_request_needs_nothing() -> None:
    world = world_of()
    plan = plan_run(world, with_pr(world, "r-3", 701))
    op = by_key(plan)["pr:drift/r-3"]
    assert (op.op, op.target, op.reason) == ("nothing", "#701", "up to date")
    assert op not in plan.writes


def test_a_bot_pull_request_nothing_calls_for_any_more_is_closed_and_its_branch_deleted() -> None:
    op = by_key(plan_run(*r8_left_open()))["pr:drift/r-8"]
    assert (op.op, op.target, op.number, op.branch, op.branch_head) == ("close", "#704", 704, "drift/r-8", "8" * 40)
    assert op.reason == "none of its divergences is left: main caught up or the host was reverted"
    assert pr_marker(op.body)["closed_by_bot"] is True  # a later run does not take it for a human's close


def test_a_pull_request_a_human_opened_on_the_bots_branch_blocks_it_and_is_not_touched() -> None:
    world = world_of()
    theirs = replace(bot_pull(world, "r-3", 650), marker=None, author="alice")
    plan = plan_run(world, tracked(pulls=(theirs,)))
    op = by_key(plan)["pr:drift/r-3"]
    assert op.op == "blocked" and "#650" in op.reason and "was not opened by drift-bot" in op.reason
    assert op not in plan.writes and plan.has_changes


def test_a_branch_of_that_name_another_author_pushed_blocks_it() -> None:
    world = world_of()
    foreign = replace(branch_holding(world, "r-3"), author_email="alice@example.com")
    op = by_key(plan_run(world, tracked(branches={"drift/r-3": foreign})))["pr:drift/r-3"]
    assert op.op == "blocked" and "alice@example.com" in op.reason


# --- gates ------------------------------------------------------------------------------------


def test_a_gated_childs_pull_request_is_held_back_while_what_it_waits_for_is_open() -> None:
    op = by_key(plan_run(world_of(GATED), tracked()))["pr:drift/r-8"]
    assert op.op == "nothing"
    assert op.reason.startswith("held back: R-8 waits for RT-1, still open")


def test_a_gated_childs_pull_request_is_created_once_what_it_waits_for_is_closed() -> None:
    decided = {**tracked().issues, 673: replace(ISSUES[673], state="closed")}
    op = by_key(plan_run(world_of(GATED), tracked(issues=decided)))["pr:drift/r-8"]
    assert op.op == "create"


# --- closed stays closed ----------------------------------------------------------------------


def human_closed(world, **marker: object):
    pull = bot_pull(world, "r-3", 690, state="closed")
    return replace(pull, marker={**pull.marker, **marker})


def test_a_pull_request_a_human_closed_unmerged_holds_back_the_same_fixes() -> None:
    world = world_of()
    op = by_key(plan_run(world, tracked(pulls=(human_closed(world),))))["pr:drift/r-3"]
    assert (op.op, op.number) == ("nothing", 690)
    assert "#690 with these same fixes was closed without merging" in op.reason and "/drift reopen R-3" in op.reason


def test_reopen_lifts_the_hold_of_a_human_close() -> None:
    world = world_of()
    op = by_key(plan_run(world, tracked(pulls=(human_closed(world),)), reopen=frozenset({"r-3"})))["pr:drift/r-3"]
    assert (op.op, op.reason) == ("create", "reopened on request")


def test_a_human_close_of_other_fixes_holds_nothing_back() -> None:
    world = world_of()
    op = by_key(plan_run(world, tracked(pulls=(human_closed(world, fingerprint="older-values"),))))["pr:drift/r-3"]
    assert (op.op, op.reason) == ("create", "no pull request carries these live fixes yet")


def test_a_pull_request_the_bot_closed_itself_holds_nothing_back() -> None:
    world = world_of()
    op = by_key(plan_run(world, tracked(pulls=(human_closed(world, closed_by_bot=True),))))["pr:drift/r-3"]
    assert (op.op, op.reason) == ("create", "no pull request carries these live fixes yet")


# --- the MEGA and its sub-issues --------------------------------------------------------------


def test_with_no_mega_configured_or_found_the_mega_is_created_first() -> None:
    plan = plan_run(world_of(no_mega()), github_of(mega=None))
    create = plan.operations[0]
    assert isinstance(create, IssueCreate) and (create.key, create.op) == ("mega", "issue-create")
    assert create.marker == MEGA_MARKER and create.body == MEGA_MARKER + "\n"
    assert "mega" not in plan.later  # the number it is about to be given is its own


def test_a_configured_mega_that_is_not_found_is_not_created_in_its_place() -> None:
    plan = plan_run(world_of(), github_of(mega=None))
    assert not ops_of(plan, "issue-create") and not ops_of(plan, "issue-edit") and not ops_of(plan, "comment-create")


def test_the_mega_is_made_a_sub_issue_of_r0() -> None:
    link = by_key(plan_run(world_of(), github_of(), pulls=False))["link:mega"]
    assert (link.op, link.parent, link.child, link.child_id) == ("sub-issue-link", 660, 672, MEGA.id)


def test_each_research_issue_is_made_a_sub_issue_of_the_mega() -> None:
    plan = plan_run(world_of(), tracked(mega_subs=()), pulls=False)
    links = [(w.key, w.parent, w.child, w.child_id) for w in ops_of(plan, "sub-issue-link")]
    assert links == [("link:research:RT-1", 672, 673, ISSUES[673].id), ("link:research:RT-2", 672, 674, ISSUES[674].id)]


def test_research_sub_issues_out_of_the_configured_order_are_moved_into_it() -> None:
    plan = plan_run(world_of(), tracked(mega_subs=(ISSUES[674], ISSUES[673])), pulls=False)
    moves = ops_of(plan, "sub-issue-move")
    assert moves and {m.parent for m in moves} == {672}
    state = tracked(mega_subs=(ISSUES[674], ISSUES[673]))
    for move in moves:
        state = settle(state, move, world_of())
    assert [i.number for i in state.mega_subs] == [673, 674]


def test_a_research_item_declared_by_title_is_created_then_linked_under_the_mega() -> None:
    plan = plan_run(world_of(DECLARED), tracked(mega_subs=(ISSUES[673],)), pulls=False)
    create, link = by_key(plan)["research:RT-3"], by_key(plan)["link:research:RT-3"]
    assert (create.op, create.title, create.labels) == ("issue-create", RT3["title"], ("drift-bot",))
    assert "<!-- drift-bot:research RT-3 -->" in create.body and "Part of #672" in create.body
    assert (link.parent, link.child) == (672, create.number)
    assert link.key in plan.later and create.key not in plan.later  # the link needs the number GitHub gives


def test_the_mega_body_is_written_when_it_holds_only_a_humans_words() -> None:
    edit = by_key(plan_run(world_of(), tracked()))["mega:body"]
    assert (edit.op, edit.number, edit.reason) == ("issue-edit", 672, "its sections are not written yet")
    assert edit.body.startswith(MEGA_MARKER + "\nHuman intro.\n")
    for name in ("status", "backlog", "children", "research", "gates"):
        assert read_section(edit.body, name) is not None


def test_a_mega_whose_status_section_a_human_deleted_is_edited_to_restore_it() -> None:
    held = after_first_apply()
    cut = re.sub(r"<!-- drift-bot:begin status -->.*?<!-- drift-bot:end status -->\n*", "", held.mega.body, flags=re.S)
    assert cut != held.mega.body and read_section(cut, "status") is None
    plan = plan_run(world_of(), replace(held, mega=replace(held.mega, body=cut)))
    (edit,) = plan.writes
    assert (edit.op, edit.number) == ("issue-edit", 672)
    assert read_section(edit.body, "status") == read_section(held.mega.body, "status")


def test_a_box_a_human_ticked_in_the_backlog_stays_ticked_in_the_planned_body() -> None:
    held = after_first_apply()
    line = backlog_line(held.mega.body, "R-3")
    assert line.startswith("- [ ]")
    ticked = held.mega.body.replace(line, line.replace("- [ ]", "- [x]", 1))
    r3 = by_key(plan_run(world_of(), held))["pr:drift/r-3"].number
    review = {r3: (("ann", "APPROVED"),)}  # something else changed: the body is written again
    human_ticked = replace(held, mega=replace(held.mega, body=ticked), reviews=review)
    edit = by_key(plan_run(world_of(), human_ticked))["mega:body"]
    assert "approved by ann" in edit.body
    assert backlog_line(edit.body, "R-3").startswith("- [x]")
    assert backlog_line(edit.body, "R-5").startswith("- [ ]")


# --- closes -----------------------------------------------------------------------------------


def test_a_child_whose_pr_merged_is_closed_when_close_children_is_on() -> None:
    merged = pulls_for(bring_up(), merged=("drift/r-8",))
    plan = plan_run(world_of(CLOSING, without(bring_up(), "R-8")), tracked(pulls=merged))
    (close,) = ops_of(plan, "issue-close")
    assert (close.key, close.number, close.name, close.state_reason) == ("close:668", 668, "R-8", "completed")
    assert "#704 merged" in close.comment
    # the MEGA shows it closed in this same run
    assert "#668 (closed)" in by_key(plan)["mega:body"].body


def test_without_close_children_a_merged_childs_issue_is_left_open() -> None:
    merged = pulls_for(bring_up(), merged=("drift/r-8",))
    plan = plan_run(world_of(CONFIG, without(bring_up(), "R-8")), tracked(pulls=merged))
    assert not ops_of(plan, "issue-close")


def all_done(r10: str = "closed"):
    """Every child and research issue closed, R-10 as given, R-0 open, nothing live-only."""
    closed = {n: replace(i, state="closed") for n, i in ISSUES.items()}
    r10_issue = IssueState(670, 10_670, "R-10: bring-up verification", r10)
    issues = {**closed, 660: PARENT, 670: r10_issue}
    state = tracked(issues=issues, mega_subs=(closed[673], closed[674]),
                    parent_subs=(MEGA, *(closed[n] for n in CHILDREN), r10_issue))
    return world_of(CLOSING, replace(bring_up(), divergences=())), state


def test_r0_is_closed_once_its_gates_are_satisfied_and_its_children_closed() -> None:
    plan = plan_run(*all_done())
    (close,) = ops_of(plan, "issue-close")
    assert (close.key, close.number, close.name, close.reason) == ("close:660", 660, "R-0", "its gates are satisfied")


def test_r0_stays_open_while_the_gate_it_waits_for_is_open() -> None:
    assert not ops_of(plan_run(*all_done(r10="open")), "issue-close")


# --- child comments ---------------------------------------------------------------------------


def test_a_child_with_live_fixes_and_no_comment_gets_one() -> None:
    plan = plan_run(world_of(), tracked())
    comment = by_key(plan)["comment:R-8"]
    assert (comment.op, comment.issue, comment.marker) == ("comment-create", 668, child_marker("R-8"))
    assert comment.body.startswith(child_marker("R-8"))


def test_a_remembered_comment_whose_text_changed_is_edited_by_its_id() -> None:
    remembers = write_state(MEGA.body, {"comments": {"R-8": {"id": 5001, "issue": 668, "hash": "an-older-text"}}})
    plan = plan_run(world_of(), tracked(mega=replace(MEGA, body=remembers)))
    edit = by_key(plan)["comment:R-8"]
    assert (edit.op, edit.comment_id, edit.issue) == ("comment-edit", 5001, 668)
    assert edit.body.startswith(child_marker("R-8"))


def test_a_comment_found_by_its_marker_is_edited_not_posted_again() -> None:
    found = {child_marker("R-8"): (5002, child_marker("R-8") + "\nan older text")}
    plan = plan_run(world_of(), tracked(comments=found))
    edit = by_key(plan)["comment:R-8"]
    assert (edit.op, edit.comment_id, edit.issue) == ("comment-edit", 5002, 668)
    assert read_state(by_key(plan)["mega:body"].body)["comments"]["R-8"]["id"] == 5002  # remembered from now on


def test_a_comment_found_by_its_marker_with_the_right_text_is_left_alone_and_remembered() -> None:
    body = by_key(plan_run(world_of(), tracked(), pulls=False))["comment:R-8"].body
    plan = plan_run(world_of(), tracked(comments={child_marker("R-8"): (5003, body)}), pulls=False)
    assert "comment:R-8" not in keys(plan)
    assert read_state(by_key(plan)["mega:body"].body)["comments"]["R-8"]["id"] == 5003


# --- docs -------------------------------------------------------------------------------------


def test_with_docs_handover_a_handover_entry_is_proposed_in_a_docs_pull_request() -> None:
    plan = plan_run(world_of(HANDOVER), tracked(files={BASE: {}}))
    docs = by_key(plan)["docs:drift/handover-bring-up"]
    assert (docs.op, docs.action, docs.branch, docs.number, docs.push) == \
        ("docs-pull", "create", "drift/handover-bring-up", None, True)
    assert "apps/docs/content/docs/operations/handover-1970-01-01-bring-up.mdx" in docs.files
    assert docs.title == "docs: handover 1970-01-01 (bring-up)"
    assert plan.operations[-1] is docs  # after the pull requests and the tracker it describes


def test_without_docs_handover_no_docs_pull_request_is_planned() -> None:
    assert not ops_of(plan_run(world_of(), tracked(files={BASE: {}})), "docs-pull")


# --- a fleet ----------------------------------------------------------------------------------


def test_in_a_fleet_the_mega_edit_touches_only_this_instances_sections() -> None:
    other = world_of(FLEET, instance="l4-b")
    held = apply_in_memory(plan_run(other, tracked()), other, tracked())
    before = held.mega.body
    edit = by_key(plan_run(world_of(FLEET, instance="l4-a"), held))["mega:body"]
    for name in ("status", "findings", "backlog", "children"):
        assert read_section(edit.body, f"{name}:l4-b") == read_section(before, f"{name}:l4-b") is not None
        assert read_section(edit.body, f"{name}:l4-a") is not None and read_section(before, f"{name}:l4-a") is None
        assert read_section(edit.body, name) is None
    assert read_state(edit.body, "state:l4-b") == read_state(before, "state:l4-b")
    assert read_section(edit.body, "status:l4-a").startswith("**l4-a** · ")


def test_in_a_fleet_each_instance_comments_under_its_own_marker() -> None:
    comment = by_key(plan_run(world_of(FLEET, instance="l4-a"), tracked()))["comment:R-8"]
    assert comment.marker == child_marker("R-8", "l4-a") == "<!-- drift-bot:child R-8:l4-a -->"


def test_a_fleet_instance_that_only_reports_plans_no_pull_request() -> None:
    reporting = replace(FLEET, instances=(FLEET.instances[0], replace(FLEET.instances[1], apply=False)))
    plan = plan_run(world_of(reporting, instance="l4-b"), tracked())
    assert plan.writes and not any(isinstance(op, Operation) for op in plan.operations)
    assert read_section(by_key(plan)["mega:body"].body, "status:l4-b") is not None


# --- placeholders: numbers GitHub gives only on creation --------------------------------------


def test_on_a_first_run_the_writes_that_need_the_megas_number_wait_for_it() -> None:
    plan = plan_run(world_of(no_mega()), github_of(mega=None))
    mega = plan.operations[0].number
    needs_it = [w.key for w in plan.writes if w.key != "mega" and re.search(rf"{mega}\b", repr(w))]
    assert "link:mega" in needs_it and "pr:drift/r-3" in needs_it and "mega:body" in needs_it
    assert set(needs_it) <= plan.later
    assert all(pending(w) for w in plan.writes if w.key in plan.later)
    json = plan.to_json()["operations"]
    assert [op.get("known_after_apply", False) for op in json] == [w.key in plan.later for w in plan.operations]


def test_once_github_gives_the_mega_its_number_the_same_writes_are_planned_with_it() -> None:
    world, nothing = world_of(no_mega()), github_of(mega=None)
    first = plan_run(world, nothing)
    create = first.operations[0]
    answer = {"issue": IssueState(900, 90_900, create.title, "open", create.body)}
    answered = settle(nothing, create, world, answer=answer)
    again = plan_run(world, answered)
    assert keys(again) == [k for k in keys(first) if k != "mega"]
    link = by_key(again)["link:mega"]
    assert (link.parent, link.child, link.child_id) == (660, 900, 90_900) and not pending(link)
    for pr in ops_of(again, "create"):
        assert "Part of #900" in pr.message and not pending(pr)
    assert all(w.parent == 900 and not pending(w) for w in ops_of(again, "sub-issue-link") if w.key != "link:mega")
    # what is still known only after apply waits for the pull requests' numbers, no longer the MEGA's
    assert again.later == {k for k in keys(again) if k.startswith("comment:")} | {"mega:body"}
    assert by_key(again)["mega:body"].number == 900


# --- convergence ------------------------------------------------------------------------------

SCENARIOS = {
    "the bring-up, MEGA configured": lambda: (world_of(), github_of()),
    "a first run, no MEGA yet": lambda: (world_of(no_mega()), github_of(mega=None)),
    "a research item declared by title": lambda: (world_of(DECLARED), tracked(mega_subs=(ISSUES[673],))),
    "research out of order": lambda: (world_of(), tracked(mega_subs=(ISSUES[674], ISSUES[673]))),
    "a gated child": lambda: (world_of(GATED), tracked()),
    "a handover entry": lambda: (world_of(HANDOVER), tracked(files={BASE: {}})),
    "a child's PR merged, close_children on": lambda: (
        world_of(CLOSING, without(bring_up(), "R-8")), tracked(pulls=pulls_for(bring_up(), merged=("drift/r-8",)))),
    "everything done, R-0 closes": lambda: all_done(),
    "one host of a fleet": lambda: (world_of(FLEET, instance="l4-a"), tracked()),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_plan_settled_into_the_state_leaves_nothing_to_write(scenario: str) -> None:
    world, state = SCENARIOS[scenario]()
    plan = plan_run(world, state)
    assert plan.writes
    again = plan_run(world, apply_in_memory(plan, world, state))
    assert not again.writes, [(w.op, w.key, w.reason) for w in again.writes]
    assert not again.has_changes


def test_after_a_first_apply_every_pull_request_and_comment_is_known_by_its_real_number() -> None:
    held = after_first_apply(world_of(no_mega()), github_of(mega=None))
    assert held.mega is not None and held.mega.number > 900
    assert [i.number for i in held.parent_subs] == [held.mega.number]
    assert sorted(p.number for p in held.pulls) == list(range(902, 907))
    remembered = read_state(held.mega.body)
    assert sorted(remembered["comments"]) == ["R-3", "R-4", "R-5", "R-6", "R-8", "R-9"]
    assert all(c["id"] > 500_000 for c in remembered["comments"].values())
    assert not re.search(r"-1\d{6}\b", held.mega.body)


# --- failed writes, and the narrower plans ----------------------------------------------------


def test_a_failed_write_is_left_out_and_the_rest_planned_on_a_state_without_it() -> None:
    plan = plan_run(world_of(), tracked(), failed=frozenset({"pr:drift/r-3"}))
    assert "pr:drift/r-3" not in {op.key for op in plan.operations}
    assert "pr:drift/r-5" in keys(plan)
    body = by_key(plan)["mega:body"].body
    assert backlog_line(body, "R-3").endswith("→ no PR yet <!-- d:0d41f075b077 -->")
    assert "no pull request yet" in by_key(plan)["comment:R-3"].body


def test_a_failed_mega_create_leaves_out_every_write_that_needs_the_mega() -> None:
    plan = plan_run(world_of(no_mega()), github_of(mega=None), failed=frozenset({"mega"}))
    assert {w.op for w in plan.writes} == {"create"}
    assert not plan.later and not any("Part of #" in w.message for w in plan.writes)


def test_a_failed_comment_does_not_keep_the_mega_body_from_being_written() -> None:
    """GitHub refused R-3's comment: the MEGA body planned without it must not remember an id
    for it, or it holds a placeholder no answer fills in and apply does not write it at all."""
    world = world_of()
    planned = by_key(plan_run(world, tracked(), failed=frozenset({"comment:R-3"})))["mega:body"]
    assert read_state(planned.body)["comments"]["R-3"]["id"] is None, "an id for a comment that is never made"
    held = apply_in_memory(plan_run(world, tracked()), world, tracked(), refused=frozenset({"comment:R-3"}))
    assert read_section(held.mega.body, "status") is not None, "the MEGA body was not written this run"


def test_the_reason_of_a_drift_close_is_kept_in_the_mega() -> None:
    reason = "Whisper's cache already lives on the models volume"
    plan = plan_run(world_of(), tracked(), closed_now={"R-9": reason})
    assert not ops_of(plan, "issue-close")  # `/drift close` closes it itself
    assert read_state(by_key(plan)["mega:body"].body)["closed"] == {"R-9": reason}


def test_only_plans_the_pull_requests_of_the_named_children_and_nothing_else() -> None:
    world = world_of()
    leftover = bot_pull(world, "r-8", 704, head="drift/r-7")
    plan = plan_run(world, github_of(pulls=(leftover,)), only=frozenset({"R-4"}))
    assert [(op.op, op.key) for op in plan.operations] == [("create", "pr:drift/r-4-r-6")]


def test_pulls_false_plans_the_tracker_alone() -> None:
    plan = plan_run(world_of(HANDOVER), github_of(files={BASE: {}}), pulls=False)
    assert plan.writes and not any(isinstance(op, Operation) for op in plan.operations)
    assert not ops_of(plan, "docs-pull")


def test_an_unchanged_state_is_no_change() -> None:
    held = after_first_apply()
    plan = plan_run(world_of(), held)
    assert not plan.has_changes and not plan.later
    assert [op["op"] for op in plan.to_json()["operations"]] == ["nothing"] * 5


def test_settle_keeps_the_number_github_gave_a_pull_request() -> None:
    world = world_of()
    create = by_key(plan_run(world, tracked()))["pr:drift/r-3"]
    answer = GitHubAnswers()(create, world)
    state = settle(tracked(), create, world, answer=answer)
    assert [p.number for p in state.pulls] == [answer["pull"].number]
    assert state.branches["drift/r-3"] == replace(branch_holding(world, "r-3"), head=answer["commit"])


def test_settle_of_a_close_marks_the_pull_request_closed_by_the_bot_and_drops_its_branch() -> None:
    world, state = r8_left_open()
    close = by_key(plan_run(world, state))["pr:drift/r-8"]
    after = settle(state, close, world)
    (pull,) = after.pulls
    assert pull.state == "closed" and pull.marker["closed_by_bot"] and "drift/r-8" not in after.branches
    assert pull.body == closed_by_bot(state.pulls[0].body)


def test_a_failed_close_leaves_the_issue_open_in_the_planned_mega_body() -> None:
    plan = plan_run(*SCENARIOS["a child's PR merged, close_children on"](), failed=frozenset({"close:668"}))
    assert "close:668" not in keys(plan)
    assert "| #668 (open) |" in by_key(plan)["mega:body"].body, "the MEGA says #668 is closed though its close failed"
