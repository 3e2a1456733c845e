"""Handover, architecture and changelog pages: golden pages of the bring-up, follow-up order
from the data, GitHub state or none, and every page compiled by the real MDX compiler."""
from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.git_base import read_base
from bot.capture import capture
from bot.checks import run_checks
from bot.config import Config, DocsConfig, parse_config
from bot.docs_meta import meta_updates
from bot.errors import DriftError
from bot.handover import gather, handover_pages
from bot.mdx import WORD_JOINER
from bot.model import DiffReport, Divergence, Finding, IssueState, PullRequestState
from bot.pipeline import build_report
from bot.plan import proposed_prs
from tests.cli_support import assert_golden
from tests.test_mdx import assert_site_page, compile_pages, flat, hostile, mdx_compiler, prose_text  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parent.parent
DATE, SLUG = "2026-04-24", "voice-bringup"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SNAPSHOT = "snap-0a1b2c3d4e5f"  # the real id changes whenever the example's files do
# What `.drift.yml` says for the handover pages; kept here as a default so that the goldens do
# not depend on the order in which that file gains them.
HANDOVER_DOCS = {
    "changelog": "apps/docs/content/docs/changelog",
    "sidebar": "newest-first",
    "head": ["index", "voice-stack-architecture"],
    "architecture": "voice-stack-architecture",
    "doc_only": {"R-9": "Whisper's model needs no baking into an image, its cache already lives on the models volume"},
}
RESEARCH_TITLES = {673: "GPU VRAM architecture viability on L4", 674: "turn-detector / HF-cache lifecycle"}


def example_config(**docs: object) -> Config:
    raw = yaml.safe_load((ROOT / ".drift.yml").read_text())
    raw["docs"] = {**HANDOVER_DOCS, **(raw.get("docs") or {}), **docs}
    for item in raw["tracker"]["research"]:  # research items may carry their title (.drift.yml)
        if isinstance(item, dict) and item.get("issue") in RESEARCH_TITLES:
            item.setdefault("title", RESEARCH_TITLES[item["issue"]])
    return parse_config(yaml.safe_dump(raw, sort_keys=False), ROOT / ".drift.yml")


CONFIG = example_config()


def example() -> tuple[DiffReport, dict[str, str]]:
    """The bring-up as drift sees it: the 12 live-only changes and the checks' findings."""
    snapshot = capture("dir:examples/instance", CONFIG.files, relative_to=ROOT)
    snapshot = replace(snapshot, host="gpu-l4-01", captured_at="2026-04-24T18:40:00Z")
    _, base = read_base(ROOT, "HEAD", [p for _, p in CONFIG.files])
    report = build_report(CONFIG, snapshot, "main", COMMIT, base)
    report = replace(report, findings=run_checks(CONFIG, snapshot, base, COMMIT))
    live = {f.repo_path: f.text for f in snapshot.files if f.text is not None}
    return report, live


def scrub(pages: dict[str, str], report: DiffReport) -> dict[str, str]:
    return {path: text.replace(report.snapshot_id or "", SNAPSHOT) for path, text in pages.items()}


def github_state(report: DiffReport, merged: tuple[str, ...] = (), closed: tuple[str, ...] = ()):
    pulls = []
    for n, pr in enumerate(proposed_prs(report, CONFIG), start=701):
        state = "closed" if pr.branch in merged + closed else "open"
        pulls.append(PullRequestState(n, state, pr.branch in merged, pr.branch, "main", pr.title, "drift-bot[bot]",
                                      {"slug": pr.slug}))
    titles = {660: "R-0: voice stack on the L4", 663: "R-3: .env example", 664: "R-4: Voxtral image", 666: "R-5: guard tuning",
              667: "R-6: agent Dockerfile", 668: "R-8: Caddy health", 669: "R-9: Whisper", 670: "R-10: bring-up verification",
              671: "R-12: docs migration", 672: "MEGA: voice stack close-out",
              673: "RT-1: GPU VRAM architecture viability on L4", 674: "RT-2: turn-detector / HF-cache lifecycle"}
    mega_body = ("<!-- drift-bot:slot session-memory -->_not attached yet_<!-- drift-bot:slot-end -->\n"
                 "<!-- drift-bot:slot transcript -->_not attached yet_<!-- drift-bot:slot-end -->\n")
    issues = {n: IssueState(n, 10_000 + n, t, "open", mega_body if n == 672 else "") for n, t in titles.items()}
    return tuple(pulls), issues


def pages_of(report: DiffReport, live: dict[str, str], **kw: object) -> dict[str, str]:
    return scrub(handover_pages(report, CONFIG, date=DATE, slug=SLUG, live=live, architecture=True, **kw), report)


HANDOVER = f"apps/docs/content/docs/operations/handover-{DATE}-{SLUG}.mdx"
ARCHITECTURE = "apps/docs/content/docs/operations/voice-stack-architecture.mdx"
CHANGELOG = f"apps/docs/content/docs/changelog/{DATE}-{SLUG}.mdx"


def test_the_bring_up_pages_match_their_golden_files() -> None:
    report, live = example()
    pulls, issues = github_state(report)
    pages = pages_of(report, live, pulls=pulls, issues=issues)
    assert sorted(pages) == sorted([HANDOVER, ARCHITECTURE, CHANGELOG])
    assert_golden(f"handover-{DATE}-{SLUG}.mdx", pages[HANDOVER])
    assert_golden("architecture-voice-stack.mdx", pages[ARCHITECTURE])
    assert_golden(f"changelog-{DATE}-{SLUG}.mdx", pages[CHANGELOG])


def test_without_github_the_handover_says_so_and_claims_no_state() -> None:
    report, live = example()
    page = pages_of(report, live)[HANDOVER]
    assert_golden("handover-offline.mdx", page)
    assert "GitHub was not consulted" in page
    assert page.count("not opened yet") == 5 and "[#70" not in page


def test_the_pages_carry_the_facts_of_the_bring_up() -> None:
    report, live = example()
    pulls, issues = github_state(report)
    pages = pages_of(report, live, pulls=pulls, issues=issues)
    handover, arch = flat(pages[HANDOVER]), flat(pages[ARCHITECTURE])
    assert "12 changes" in handover and "`voice/docker-compose.yml`: 7" in handover and "`voice/agent/Dockerfile`: 2" in handover
    assert "`voice/voxtral/stage-overlay.yaml`: exists only on the host" in handover
    assert "22.4 / 23.0 GiB = 97 %" in handover and "22.4 / 23.0 GiB = 97 %" in arch
    for row in ("| vllm-voxtral | 0.55 × 23.0 GiB | 12.65 |", "| vllm-whisper | 0.40 × 23.0 GiB | 9.20 |",
                "| voice-agent | 0.55 GiB, stated | 0.55 |"):
        assert row in arch
    assert "`/cache/hf`" in arch and "lives only in the container" in arch
    assert "`consise` → `concise`" in handover and "`…8080/healthz` → `…8081/healthz`" in handover
    for n in (701, 702, 703, 704, 705):
        assert f"[#{n}](https://github.com/fragjulia/voice-platform/pull/{n}) (open)" in handover
    assert "RT-1 ([#673]" in handover and "RT-2 ([#674]" in handover and "R-12 ([#671]" in handover


def follow_up_keys(report: DiffReport, **kw: object) -> list[str]:
    facts = gather(report, CONFIG, date=DATE, **kw)
    out = []
    for f in facts.follow_ups:
        subject = "+".join(c.name for c in f.pull.children) if f.pull and f.kind == "pr" else (f.ref.name or f"#{f.ref.number}")
        out.append(f"{f.kind}:{subject}")
    return out


def test_follow_ups_go_smallest_first_and_the_verification_last() -> None:
    report, _ = example()
    assert follow_up_keys(report) == [
        "close:R-9",  # doc-only: a note closes it
        "pr:R-3", "pr:R-5", "pr:R-8",  # one child each, by files then changes
        "pr:R-4+R-6",  # atomic, several children
        "issue:R-12", "attach:#672",  # open work under the parent, then bookkeeping
        "gate:R-10",  # after RT-1's decision; R-0 closes after it
    ]


def test_the_order_follows_the_data_not_a_list() -> None:
    report, _ = example()
    # R-5 grows to three files' worth of changes: it moves behind the one-file PRs.
    more = tuple(Divergence(f"voice/extra-{i}.txt", "added", "", None, "x", child="R-5") for i in range(3))
    assert follow_up_keys(replace(report, divergences=report.divergences + more))[1:5] == ["pr:R-3", "pr:R-8", "pr:R-5", "pr:R-4+R-6"]
    # RT-1 decided: R-10 waits for nothing more, and still comes last: it verifies the result.
    pulls, issues = github_state(report)
    issues[673] = replace(issues[673], state="closed")
    facts = gather(report, CONFIG, date=DATE, pulls=pulls, issues=issues)
    assert facts.follow_ups[-1].ref.name == "R-10" and facts.follow_ups[-1].after == ()
    # R-10 done: it is no follow-up any more.
    issues[670] = replace(issues[670], state="closed")
    assert "gate:R-10" not in follow_up_keys(report, pulls=pulls, issues=issues)


def test_github_state_merged_and_closed_pull_requests() -> None:
    report, live = example()
    pulls, issues = github_state(report, merged=("drift/r-3",), closed=("drift/r-8",))
    issues[672] = replace(issues[672], body=issues[672].body.replace("_not attached yet_", "[memory](https://x.example/m)", 1))
    page = flat(pages_of(report, live, pulls=pulls, issues=issues)[HANDOVER])
    keys = follow_up_keys(report, pulls=pulls, issues=issues)
    assert "pr:R-3" not in keys  # merged: nothing to do
    assert "Decide on R-8" in page and "/drift reopen R-8" in page
    assert "Attach the raw session transcript to" in page and "session memory" not in page.split("Attach")[1].split(".")[0]
    assert "[#701](https://github.com/fragjulia/voice-platform/pull/701) (merged)" in page


def test_every_example_page_compiles_with_frontmatter() -> None:
    report, live = example()
    pulls, issues = github_state(report)
    pages = {**pages_of(report, live, pulls=pulls, issues=issues),
             **{"offline/" + k: v for k, v in pages_of(report, live).items()}}
    nothing = replace(report, divergences=(), findings=())
    pages.update({"clean/" + k: v for k, v in pages_of(nothing, {}).items()})
    out = compile_pages(pages)
    for name, page in pages.items():
        assert_site_page(out[name], page)  # the docs site's frontmatter schema, plain headings
    backlog = [h["text"] for h in out[HANDOVER]["headings"] if h["depth"] == 3]
    assert backlog == ["R-3 · .env example wording", "R-5 · Voxtral startup guards",
                       "R-4 + R-6 · Voxtral image and stage overlay; voice-agent Dockerfile", "R-8 · Caddy health route",
                       "R-9 · Whisper model cache"]
    # each issue's link is the first line under its heading instead
    assert "### R-3 · .env example wording\n\nIssue: [#663](https://github.com/fragjulia/voice-platform/issues/663). " \
           "Pull request: [#701](https://github.com/fragjulia/voice-platform/pull/701) (open)" in pages[HANDOVER]
    assert "Issues: R-4 [#664](https://github.com/fragjulia/voice-platform/issues/664), R-6 [#667](" in pages[HANDOVER]
    # a check's `…` is code on the page, never a literal backtick
    assert '`:8080 { respond /healthz "ok" 200 }`' in pages[HANDOVER] and "\\`" not in pages[HANDOVER]
    assert "`:8080 { respond /healthz \"ok\" 200 }`" not in flat(out[HANDOVER]["text"])
    assert "Nothing: the running stack matches" in pages["clean/" + HANDOVER]
    assert "reported no claims" in pages["clean/" + ARCHITECTURE]


def test_pages_and_their_meta_files() -> None:
    report, live = example()
    pages = pages_of(report, live)
    existing = {"apps/docs/content/docs/operations/meta.json":
                '{"title": "Operations", "pages": ["index", "handover-2026-03-02-gpu", "runbook"]}\n'}
    metas = meta_updates(pages, CONFIG.docs, existing.get)
    ops = metas["apps/docs/content/docs/operations/meta.json"]
    assert '"pages": [\n    "index",\n    "voice-stack-architecture",\n    "handover-2026-04-24-voice-bringup",\n    "handover-2026-03-02-gpu"' in ops
    assert metas["apps/docs/content/docs/changelog/meta.json"].count("2026-04-24-voice-bringup") == 1
    again = meta_updates(pages, CONFIG.docs, {**existing, **metas}.get)
    assert again == {}


def test_a_bad_date_slug_or_folder_is_an_error_in_one_sentence() -> None:
    report, _ = example()
    with pytest.raises(DriftError, match="--date must be a date like 2026-04-24"):
        handover_pages(report, CONFIG, date="24/04/2026")
    with pytest.raises(DriftError, match="--slug must contain letters or digits"):
        handover_pages(report, CONFIG, date=DATE, slug="---")
    with pytest.raises(DriftError, match="--date must be a date"):
        handover_pages(report, CONFIG, date="20260424")
    with pytest.raises(DriftError, match="docs.doc_only must map a child"):
        handover_pages(report, example_config(doc_only=["R-9"]), date=DATE)
    with pytest.raises(DriftError, match="docs.dir must be a folder inside the repository"):
        handover_pages(report, example_config(dir="../elsewhere"), date=DATE)


def test_a_team_template_folder_wins(tmp_path: Path) -> None:
    report, _ = example()
    (tmp_path / "handover.mdx.j2").write_text('---\ntitle: {{ "Ours" | yaml_str }}\n---\n\n{{ facts.report.host | mdx }}\n')
    pages = handover_pages(report, CONFIG, date=DATE, templates=str(tmp_path))
    page = pages[f"apps/docs/content/docs/operations/handover-{DATE}-bring-up.mdx"]
    ours, _, as_of = page.partition("\n\n[//]: # (drift-bot:handover ")
    assert ours == '---\ntitle: "Ours"\n---\n\ngpu-l4-01'  # the team's page, with only the as-of line added
    assert as_of.startswith(f"date={DATE} ")
    assert "## Follow-ups" in pages[f"apps/docs/content/docs/changelog/{DATE}-bring-up.mdx"]  # the rest: ours


def test_without_a_vram_finding_the_architecture_page_says_so() -> None:
    report, live = example()
    report = replace(report, findings=tuple(f for f in report.findings if f.check != "vram"))
    page = pages_of(report, live)[ARCHITECTURE]
    assert "the vram check reported nothing for this run" in page and "reported no claims" in page


# --- hostile values from the host and from GitHub -----------------------------------------

@settings(max_examples=int(os.environ.get("MDX_EXAMPLES", "3")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(hostile, min_size=8, max_size=8, unique=True))
def test_hostile_values_compile_and_come_out_as_text(mdx_compiler: str, values: list[str]) -> None:
    """Service names, env values, PR and issue titles, finding messages, host names: whatever
    the host or GitHub holds, every page compiles, nothing becomes code, and each value reads
    as itself."""
    svc, env_value, pr_title, message, issue_title, child_title, host, reason = values
    base, _ = example()
    compose_svc = svc.replace("/", "_")  # a compose service name cannot hold `/`
    divergences = (
        Divergence("voice/docker-compose.yml", "changed", f"/services/{compose_svc.replace('~', '~0')}/image", "a:1", env_value, child="R-4"),
        Divergence("voice/.env.example", "changed", "/AGENT_INSTRUCTIONS", "x", env_value, line=5, child="R-3"),
        Divergence("voice/docker-compose.yml", "added", "/services/caddy/environment/K", None, env_value, child=None),
    )
    findings = (Finding("f1", "health", "warning", message, {"side": "live", "at": "snap-1", "file": "voice/docker-compose.yml",
                                                              "line": 3, "service": compose_svc}),
                Finding("f2", "vram", "info", message, {"gpu": "0", "model": host, "memory_gib": 23.0, "total_gib": 1.0,
                                                        "threshold": 0.9, "services": [{"service": compose_svc, "fraction": None,
                                                        "explicit_gib": 1.0, "gib": 1.0, "source": env_value}]}),
                Finding("f3", "model_cache", "warning", message, {"service": compose_svc, "cache_path": env_value}))
    report = replace(base, divergences=divergences, findings=findings, host=host)
    raw = yaml.safe_load((ROOT / ".drift.yml").read_text())
    raw["children"]["R-4"]["title"] = child_title
    raw["docs"] = {**HANDOVER_DOCS, "doc_only": {"R-3": reason}}
    config = parse_config(yaml.safe_dump(raw), ROOT / ".drift.yml")
    pulls = tuple(PullRequestState(800 + i, "open", False, pr.branch, "main", pr_title, "bot", {})
                  for i, pr in enumerate(proposed_prs(report, config)))
    issues = {671: IssueState(671, 1, f"R-12: {issue_title}", "open"), 673: IssueState(673, 2, f"RT-1: {issue_title}", "open")}
    live = {"voice/docker-compose.yml": yaml.safe_dump({"services": {compose_svc: {"image": env_value, "ports": ["8000:8000"],
                                                                                  "environment": {"HF_HOME": env_value}}}})}
    pages = {}
    for github in (True, False):
        got = handover_pages(report, config, date=DATE, slug="x", live=live, architecture=True,
                             pulls=pulls if github else (), issues=issues if github else None)
        pages.update({f"{github}:{k}": v for k, v in got.items()})
    out = compile_pages(pages)
    texts = {}
    for name, page in pages.items():
        assert_site_page(out[name], page)  # the child's title heads a backlog section: still plain text
        texts[name] = flat(out[name]["text"].replace(WORD_JOINER, ""))

    def shows(name: str, value: str) -> bool:
        return flat(re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]", " ", value)) in texts[name]

    handover = "True:apps/docs/content/docs/operations/handover-2026-04-24-x.mdx"
    for value in (compose_svc, env_value, pr_title, issue_title, child_title, host, reason):
        assert shows(handover, value), f"{value!r} is not in the handover page's text"
    assert shows(handover, prose_text(message)), f"{message!r} is not in the handover page's text"  # `…` shown as code
    arch = "True:apps/docs/content/docs/operations/voice-stack-architecture.mdx"
    assert shows(arch, compose_svc) and shows(arch, host)


# --- the docs site's conventions: URLs between pages, icons ------------------------------

def test_pages_link_each_other_at_the_urls_the_site_serves() -> None:
    from bot.handover import site_url

    assert site_url("apps/docs/content/docs/operations/voice-stack-architecture.mdx", DocsConfig()) == "/docs/operations/voice-stack-architecture"
    assert site_url("apps/docs/content/docs/(ops)/runbooks/index.mdx", DocsConfig()) == "/docs/runbooks"
    assert site_url("site/content/handbook/ops/x.mdx", DocsConfig(base_url="/handbook", content_root="content/handbook")) == "/handbook/ops/x"
    assert site_url("docs/operations/x.mdx", DocsConfig()) is None  # not under the content root: named by path
    assert site_url("apps/docs/content/docs/a b/x.mdx", DocsConfig()) is None  # a URL would have to escape it
    with pytest.raises(DriftError, match=r"docs.base_url must be a path like /docs"):
        site_url("apps/docs/content/docs/x.mdx", DocsConfig(base_url="https://x.io/(docs)"))
    report, live = example()
    plain = pages_of(report, live)  # no changelog link without a site URL: the path in code, as before
    outside = scrub(handover_pages(report, example_config(dir="docs/operations", changelog="docs/changelog"), date=DATE,
                                   slug=SLUG, live=live, architecture=True), report)
    assert "](/docs/operations/voice-stack-architecture)" in plain[HANDOVER]
    for page in outside.values():  # only GitHub is linked: the pages name each other by path
        assert {u for u in re.findall(r"\]\(([^)]*)\)", page) if not u.startswith("https://github.com/")} == set()
    assert "`docs/operations/handover-2026-04-24-voice-bringup.mdx`" in outside["docs/changelog/2026-04-24-voice-bringup.mdx"]


def test_icons_can_be_left_out_or_named() -> None:
    report, live = example()
    without = handover_pages(report, example_config(icons=False), date=DATE, slug=SLUG, live=live, architecture=True)
    assert all("\nicon: " not in page for page in without.values())
    named = handover_pages(report, example_config(icons={"handover": "Handshake"}), date=DATE, slug=SLUG, live=live)
    assert '\nicon: "Handshake"\n' in named[HANDOVER]
    with pytest.raises(DriftError, match="docs.icons must be"):
        handover_pages(report, example_config(icons={"sidebar": "X"}), date=DATE, slug=SLUG, live=live)
