"""The Fleet section of the MEGA: one row per host and what the hosts have live in common,
rendered by whichever host runs, from the state lines every host keeps in the body."""
from __future__ import annotations

import json
import re
from dataclasses import replace

from bot.config import Instance
from bot.model import DiffReport, Divergence, Finding
from bot.github.markers import read_section, read_state
from bot.fleet import fleet_overlaps, fleet_rows
from bot.render import BODY_LIMIT
from bot.tracker import TrackerView, plan_tracker
from tests.cli_support import assert_golden, run
from tests.github_world import World, two_host_fleet
from tests.test_tracker import CONFIG, ISSUES, MEGA, RESEARCH, example_report, pulls_for, render
from tests.test_tracker_github import mega_of

FLEET = replace(CONFIG, instances=(Instance("l4-a", "dir:/srv/a"), Instance("l4-b", "dir:/srv/b", apply=False)))
RETRIES = "/services/vllm-voxtral/healthcheck/retries"


def host_a() -> DiffReport:
    return example_report()


def host_b() -> DiffReport:
    """The second L4: R-3's .env change is not there, its healthcheck was fixed with another
    value, and its VRAM check fails outright."""
    a = example_report()
    divergences = tuple(replace(d, after=20) if d.pointer == RETRIES else d for d in a.divergences if d.child != "R-3")
    return replace(a, snapshot_id="snap-0b0b0b0b0b0b", host="gpu-l4-02", captured_at="2026-04-24T18:45:00Z",
                   divergences=divergences,
                   findings=a.findings[:1] + (Finding("vram-0", "vram", "error", "GPU 0 (L4): 24.1 / 23.0 GiB claimed"),))


def view(body: str = MEGA.body) -> TrackerView:
    return TrackerView(replace(MEGA, body=body), ISSUES, pulls_for(host_a()))


def run_host(name: str, report: DiffReport, body: str = MEGA.body, config=FLEET):
    return plan_tracker(report, config, view(body), RESEARCH, render, instance=name)


def fleet_of(body: str) -> str:
    section = read_section(body, "fleet")
    assert section is not None, "no Fleet section"
    return section


def both_ran() -> str:
    return run_host("l4-b", host_b(), run_host("l4-a", host_a()).body).body


def test_the_fleet_section_of_a_two_host_mega_matches_its_golden_page() -> None:
    body = both_ran()
    # One section for the whole fleet, above the hosts' own sections that it sums up.
    assert body.count("<!-- drift-bot:begin fleet -->") == 1
    assert body.index("<!-- drift-bot:begin fleet -->") < body.index("<!-- drift-bot:begin status:l4-a -->")
    assert_golden("mega-fleet.md", fleet_of(body) + "\n")


def test_a_row_per_configured_host_in_config_order_with_its_counts_and_open_prs() -> None:
    rows = [line for line in fleet_of(both_ran()).splitlines() if line.startswith("| l4-")]
    assert rows == [
        "| l4-a | `snap-c37dce301470` seen 2026-04-24T18:40:00Z | 12 | 3 / 0 | #701, #702, #703, #704, #705 |",
        "| l4-b | `snap-0b0b0b0b0b0b` seen 2026-04-24T18:45:00Z | 11 | 1 / 1 | reports only |",  # apply: false
    ]


def test_a_host_fixed_differently_from_another_is_named_with_each_value() -> None:
    fleet = fleet_of(both_ran())
    different = fleet.split("**Live on more than one host, with different values**")[1].split("\n\n")[0]
    assert re.fullmatch(r"[^\n]*:\n- `voice/docker-compose.yml` `/services/vllm-voxtral/healthcheck/retries`: "
                        r"l4-a `[0-9a-f]{8}` · l4-b `[0-9a-f]{8}`", different)
    same = fleet.split("**Live-only on more than one host, with the same value:**\n")[1].split("\n\n")[0]
    assert same.startswith("- l4-a, l4-b: `voice/agent/Dockerfile` ")
    assert "/AGENT_INSTRUCTIONS" not in fleet  # live-only on l4-a alone: nothing to compare
    assert RETRIES not in same


def test_every_host_renders_the_same_fleet_text_from_the_same_state_lines() -> None:
    body = both_ran()
    from_a = run_host("l4-a", host_a(), body)
    from_b = run_host("l4-b", host_b(), body)
    assert fleet_of(from_a.body) == fleet_of(from_b.body) == fleet_of(body)
    # The order the hosts ran in does not matter either.
    b_first = run_host("l4-a", host_a(), run_host("l4-b", host_b()).body).body
    assert fleet_of(b_first) == fleet_of(body)


def test_a_run_that_changes_nothing_leaves_the_body_alone() -> None:
    body = both_ran()
    later = replace(host_a(), captured_at="2026-04-25T09:00:00Z")  # the same live state, captured again
    assert not run_host("l4-a", later, body).body_changed
    assert not run_host("l4-b", host_b(), body).body_changed


def test_a_host_that_never_ran_says_it_has_not_reported_yet() -> None:
    fleet = fleet_of(run_host("l4-a", host_a()).body)
    assert "| l4-b | not reported yet | — | — | reports only |" in fleet
    assert "Divergences are compared across hosts once two hosts have reported theirs." in fleet


def test_a_state_line_written_before_the_roll_up_still_renders_and_says_what_is_unknown() -> None:
    old = ('<!-- drift-bot:state:l4-b {"backlog":{},"comments":{},"seen_at":"2026-04-20T07:00:00Z",'
           '"snapshot":"snap-01d01d01d01d"} -->')
    fleet = fleet_of(run_host("l4-a", host_a(), MEGA.body + old + "\n").body)
    assert "| l4-b | `snap-01d01d01d01d` seen 2026-04-20T07:00:00Z | unknown | unknown | reports only |" in fleet
    assert ("_Unknown_: the last run of l4-b came from a drift-bot without this roll-up; "
            "the next run there fills the row in.") in fleet
    assert "Divergences are compared across hosts once two hosts have reported theirs." in fleet
    applying = replace(FLEET, instances=(FLEET.instances[0], Instance("l4-b", "dir:/srv/b")))
    fleet = fleet_of(run_host("l4-a", host_a(), MEGA.body + old + "\n", applying).body)
    assert "| l4-b | `snap-01d01d01d01d` seen 2026-04-20T07:00:00Z | unknown | unknown | unknown |" in fleet


def test_the_state_line_keeps_counts_prs_and_a_short_hash_of_each_live_value_never_the_value() -> None:
    state = read_state(run_host("l4-a", host_a()).body, "state:l4-a")
    facts = state["fleet"]
    assert {k: facts[k] for k in ("live", "unrouted", "warnings", "errors", "prs")} == \
        {"live": 12, "unrouted": 0, "warnings": 3, "errors": 0, "prs": [701, 702, 703, 704, 705]}
    compose = facts["hashes"]["voice/docker-compose.yml"]
    assert set(compose) >= {RETRIES, "/services/vllm-voxtral/image"}
    assert all(re.fullmatch(r"[0-9a-f]{8}", h) for pointers in facts["hashes"].values() for h in pointers.values())
    line = json.dumps(facts)
    assert "vllm/vllm-omni" not in line and "concise voice assistant" not in line


def test_secrets_compare_by_presence_so_each_host_keeps_its_own() -> None:
    def with_token(report: DiffReport, redacted: str) -> DiffReport:
        token = Divergence("voice/.env.example", "added", "/HF_TOKEN", None, redacted, secret=True, child="R-3")
        return replace(report, divergences=report.divergences + (token,))

    body = run_host("l4-a", with_token(host_a(), "<redacted hmac:1111aaaa>")).body
    body = run_host("l4-b", with_token(host_b(), "<redacted hmac:2222bbbb>"), body).body
    assert read_state(body, "state:l4-a")["fleet"]["hashes"]["voice/.env.example"]["/HF_TOKEN"] == "secret"
    assert "1111aaaa" not in body.split("<!-- drift-bot:state:l4-a")[1].split("-->")[0]
    fleet = fleet_of(body)
    same = fleet.split("with the same value:**\n")[1]
    assert "`voice/.env.example` `/HF_TOKEN`" in same
    assert "/HF_TOKEN" not in fleet.split("with the same value:**")[0]


def test_three_hosts_group_the_hosts_that_hold_the_same_value() -> None:
    def line(name: str, values: dict) -> str:
        facts = {"live": 1, "unrouted": 0, "warnings": 0, "errors": 0, "prs": [], "hashes": values}
        return f'<!-- drift-bot:state:{name} {json.dumps({"snapshot": f"snap-{name}", "seen_at": "t", "fleet": facts})} -->\n'

    config = replace(CONFIG, instances=tuple(Instance(n, f"dir:/srv/{n}") for n in ("a", "b", "c")))
    body = (line("c", {"f.yml": {"/x": "1111aaaa", "/y": "3333cccc"}}) + line("a", {"f.yml": {"/x": "1111aaaa", "/y": "3333cccc"}})
            + line("b", {"f.yml": {"/x": "2222bbbb", "/y": "3333cccc"}, "g.env": {"/Z": "4444dddd"}}))
    shared, different = fleet_overlaps(fleet_rows(config, body))
    assert different == [{"file": "f.yml", "pointer": "/x", "groups": [("1111aaaa", ["a", "c"]), ("2222bbbb", ["b"])]}]
    assert shared == [{"hosts": ["a", "b", "c"], "divergences": [{"file": "f.yml", "pointer": "/y"}]}]


def test_a_single_host_config_has_no_fleet_section_and_keeps_no_fleet_facts() -> None:
    one = replace(CONFIG, instances=(Instance("l4-a", "dir:/srv/a"),))
    for config, instance in ((CONFIG, None), (one, None), (one, "l4-a")):
        body = plan_tracker(host_a(), config, view(), RESEARCH, render, instance=instance).body
        assert "drift-bot:begin fleet" not in body and '"fleet"' not in body


def test_a_huge_fleet_stays_under_githubs_limit_and_says_what_it_compared() -> None:
    many = tuple(Divergence("voice/docker-compose.yml", "added", f"/services/svc-{i:05d}/environment/K", None, "v" * 40,
                            child="R-9") for i in range(4000))
    a, b = replace(host_a(), divergences=many), replace(host_b(), divergences=many)
    body = run_host("l4-b", b, run_host("l4-a", a).body).body
    assert len(body) < BODY_LIMIT
    # Each host cuts only its own lines, to fit beside the others'; a second round settles nothing new.
    assert not run_host("l4-a", a, body).body_changed and not run_host("l4-b", b, body).body_changed
    fleet = fleet_of(body)
    assert re.search(r"Compared on the first \d+ divergences of l4-a only: \d+ more were left out", fleet)
    assert "| l4-a | `snap-c37dce301470` seen 2026-04-24T18:40:00Z | 4000 |" in fleet


# --- against the fake GitHub ---------------------------------------------------------


def test_a_fleet_on_github_shares_one_fleet_section_that_no_host_fights_over(tracked_world: World) -> None:
    two_host_fleet(tracked_world)

    def apply(instance: str) -> None:
        code, _, err = run("apply", "--instance", instance, "--repo", str(tracked_world.checkout), env=tracked_world.env)
        assert (code, err) == (0, ""), err

    apply("l4-a")
    fleet = fleet_of(mega_of(tracked_world).body)
    assert "| l4-b | not reported yet |" in fleet
    open_prs = sorted(p.number for p in tracked_world.pulls("open"))
    assert f"| {', '.join(f'#{n}' for n in open_prs)} |" in fleet.splitlines()[3]  # l4-a's row

    apply("l4-b")
    body = mega_of(tracked_world).body
    fleet = fleet_of(body)
    assert body.count("<!-- drift-bot:begin fleet -->") == 1
    assert re.search(r"- `voice/docker-compose.yml` `/services/vllm-voxtral/healthcheck/retries`: "
                     r"l4-a `[0-9a-f]{8}` · l4-b `[0-9a-f]{8}`", fleet)
    assert "| l4-b | `snap-" in fleet and "| reports only |" in fleet

    tracked_world.fake.reset_log()
    apply("l4-a")
    apply("l4-b")
    assert tracked_world.fake.count("writes", kind="any") == 0  # the same states: the same Fleet text
    assert fleet_of(mega_of(tracked_world).body) == fleet
