"""The offline plan: one PR per child, one per atomic group, as data apply can execute."""
from __future__ import annotations

from pathlib import Path

from bot.config import parse_config
from bot.model import DiffReport, Divergence
from bot.github.plan import offline_plan
from bot.plan import proposed_prs

CONFIG = parse_config(
    """
files: {docker-compose.yml: voice/docker-compose.yml}
children:
  R-3: {issue: 663, match: [voice/.env.example]}
  R-4: {issue: 664, match: ["voice/docker-compose.yml#/services/vllm-voxtral/**"]}
  R-6: {issue: 667, match: [voice/agent/Dockerfile]}
  R-9: {issue: 669, match: ["voice/docker-compose.yml#/services/vllm-whisper/**"]}
groups: [[R-4, R-6]]
""",
    Path("/r/.drift.yml"),
)


def report(*items: Divergence) -> DiffReport:
    return DiffReport("main", None, "dir:x", None, None, None, tuple(items))


def d(child: str | None, pointer: str = "/x", file: str = "voice/docker-compose.yml") -> Divergence:
    return Divergence(file, "changed", pointer, "a", "b", child=child)


def test_one_pr_per_child_in_config_order() -> None:
    prs = proposed_prs(report(d("R-9"), d("R-3", file="voice/.env.example")), CONFIG)
    assert [(p.branch, p.children, p.issues) for p in prs] == [("drift/r-3", ("R-3",), (663,)), ("drift/r-9", ("R-9",), (669,))]


def test_a_group_lands_as_one_pr_even_when_one_member_has_drift() -> None:
    prs = proposed_prs(report(d("R-6", "/L1", "voice/agent/Dockerfile")), CONFIG)
    assert [(p.branch, p.children, p.issues) for p in prs] == [("drift/r-4-r-6", ("R-4", "R-6"), (664, 667))]


def test_a_group_carries_the_divergences_of_all_its_members() -> None:
    prs = proposed_prs(report(d("R-4", "/services/vllm-voxtral/image"), d("R-6", "/L1", "voice/agent/Dockerfile")), CONFIG)
    assert len(prs) == 1 and len(prs[0].divergences) == 2


def test_offline_plan_creates_every_pr_and_lists_unrouted() -> None:
    plan = offline_plan(report(d("R-9"), d(None, "/services/caddy/image")), CONFIG)
    assert not plan.github_visible and plan.has_changes
    assert [(op.op, op.target) for op in plan.operations] == [("create", "drift/r-9")]
    assert "no GITHUB_TOKEN" in plan.operations[0].reason
    assert [x.pointer for x in plan.unrouted] == ["/services/caddy/image"]
    assert plan.to_json()["operations"][0]["op"] == "create"


def test_nothing_routed_means_nothing_to_do() -> None:
    plan = offline_plan(report(d(None)), CONFIG)
    assert not plan.has_changes and plan.operations == ()


def test_the_fingerprint_names_the_set_of_changes_not_their_order() -> None:
    a = proposed_prs(report(d("R-9", "/a"), d("R-9", "/b")), CONFIG)[0]
    b = proposed_prs(report(d("R-9", "/b"), d("R-9", "/a")), CONFIG)[0]
    c = proposed_prs(report(d("R-9", "/a"), Divergence("voice/docker-compose.yml", "changed", "/b", "a", "c", child="R-9")), CONFIG)[0]
    assert a.fingerprint == b.fingerprint != c.fingerprint
