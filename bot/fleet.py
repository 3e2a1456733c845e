"""fleet: the MEGA's roll-up across the hosts of `instances:`.

Each host's state line carries, under `fleet`, what the roll-up needs; the Fleet section is
then a pure function of the body's state lines, so whichever host runs renders the same text.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from bot.config import Config
from bot.model import DiffReport, Divergence
from bot.github.markers import read_state, replace_section, section_before_the_others

if TYPE_CHECKING:
    from bot.tracker import BacklogItem



def live_value_hash(d: Divergence) -> str:
    """Enough of a live value to tell two hosts apart, never the value. A secret is compared by
    presence only, as everywhere else: each host keeps its own, and no hash of one is stored."""
    if d.secret:
        return "secret"
    return hashlib.sha256(json.dumps(d.after, sort_keys=True, default=str).encode()).hexdigest()[:8]


def fleet_facts(report: DiffReport, items: list[BacklogItem], applies: bool, limit: int) -> dict[str, Any]:
    """What one host's state line keeps for the roll-up: counts, the PRs it has open, and per
    divergence (file -> pointer) a short hash of the live value, the first `limit` of them."""
    divergences = sorted(report.divergences, key=lambda d: (d.file, d.pointer))
    hashes: dict[str, dict[str, str]] = {}
    for d in divergences[:limit]:
        hashes.setdefault(d.file, {})[d.pointer] = live_value_hash(d)
    severity = Counter(f.severity for f in report.findings)
    facts: dict[str, Any] = {
        "live": len(report.routed), "unrouted": len(report.unrouted),
        "warnings": severity["warning"], "errors": severity["error"],
        "prs": sorted({i.pr for i in items if i.pr is not None and i.pr_state == "open"}) if applies else [],
        "hashes": hashes,
    }
    if len(divergences) > limit:
        facts["cut"] = len(divergences) - limit
    return facts


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def fleet_rows(config: Config, body: str) -> list[dict[str, Any]]:
    """One row per configured instance, in config order, from its state line in the body.
    A host that never ran is `reported: False`; one whose line predates the roll-up (no `fleet`
    key) is `known: False`, and its counts are None."""
    rows = []
    for instance in config.instances:
        state = read_state(body, f"state:{instance.name}")
        facts = state.get("fleet") if isinstance(state.get("fleet"), dict) else None
        hashes = (facts or {}).get("hashes")
        rows.append({
            "name": instance.name, "applies": instance.apply, "reported": bool(state), "known": facts is not None,
            "snapshot": state.get("snapshot"), "seen_at": state.get("seen_at"),
            **{key: _count((facts or {}).get(key)) for key in ("live", "unrouted", "warnings", "errors", "cut")},
            "prs": [n for n in (facts or {}).get("prs") or [] if _count(n) is not None],
            "hashes": {f: p for f, p in hashes.items() if isinstance(p, dict)} if isinstance(hashes, dict) else {},
        })
    return rows


def fleet_overlaps(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Divergences live-only on more than one host. Those with the same live value everywhere,
    grouped by the hosts that carry them; and those whose live values differ between hosts, each
    value (its short hash) with the hosts that hold it."""
    hosts_at: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:  # config order, so hosts are named in that order
        for file, pointers in row["hashes"].items():
            for pointer, digest in pointers.items():
                hosts_at.setdefault((file, pointer), {})[row["name"]] = str(digest)
    same: dict[tuple[str, ...], list[dict[str, str]]] = {}
    different = []
    for (file, pointer), hosts in sorted(hosts_at.items()):
        if len(hosts) < 2:
            continue
        groups: dict[str, list[str]] = {}
        for host, digest in hosts.items():
            groups.setdefault(digest, []).append(host)
        if len(groups) == 1:
            same.setdefault(tuple(hosts), []).append({"file": file, "pointer": pointer})
        else:
            different.append({"file": file, "pointer": pointer, "groups": list(groups.items())})
    order = [row["name"] for row in rows]
    shared = [{"hosts": list(hosts), "divergences": found}
              for hosts, found in sorted(same.items(), key=lambda kv: [order.index(h) for h in kv[0]])]
    return shared, different


def with_fleet(body: str, content: str) -> str:
    """The Fleet section, placed once before the bot's first section (it sums up all of them),
    then rewritten in place like every other."""
    return replace_section(section_before_the_others(body, "fleet"), "fleet", content)
