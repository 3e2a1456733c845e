"""gates: order between issues (`R-10: {after: [RT-1]}`), resolved against what GitHub holds.

Names are the children of `.drift.yml`, the keys of research items, `R-0` for the tracker's
parent, and anything listed under `issues:` (name -> number). An item is done when its issue
is closed, ready when everything it waits for is done, and otherwise blocked by what is open.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Config
from bot.model import IssueState


def issue_names(config: Config) -> dict[str, int]:
    names: dict[str, int] = {}
    if config.tracker.parent:
        names["R-0"] = config.tracker.parent
    for child in config.children:
        if child.issue:
            names[child.name] = child.issue
    for item in config.tracker.research:
        if isinstance(item, dict) and item.get("key") and item.get("issue"):
            names[str(item["key"])] = int(item["issue"])
    for name, number in config.issues.items():
        names[str(name)] = int(number)
    return names


@dataclass(frozen=True)
class GateState:
    item: str
    issue: int | None
    state: str  # done | ready | blocked
    blocked_by: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # names the gate refers to that no issue answers to

    @property
    def reason(self) -> str:
        if self.state == "blocked":
            waits = ", ".join(self.blocked_by)
            return f"{self.item} waits for {waits}, still open"
        return f"{self.item} is {self.state}"


def gate_states(config: Config, issues: Mapping[int, IssueState]) -> list[GateState]:
    """Every item that has a gate or is waited for, in the order the gates name them."""
    names = issue_names(config)

    def closed(name: str) -> bool | None:
        number = names.get(name)
        if number is None or number not in issues:
            return None
        return issues[number].state == "closed"

    order: list[str] = []
    for item, after in config.gates.items():
        for name in (*after, item):
            if name not in order:
                order.append(name)
    out = []
    for name in order:
        after = config.gates.get(name, ())
        unknown = tuple(a for a in after if a not in names)
        open_ones = tuple(a for a in after if a in names and closed(a) is not True)
        if closed(name):
            state = "done"
        elif open_ones or unknown:
            state = "blocked"
        else:
            state = "ready"
        out.append(GateState(name, names.get(name), state, open_ones + unknown, unknown))
    return out


def blocked(config: Config, issues: Mapping[int, IssueState], item: str) -> GateState | None:
    """The gate holding `item` back, or None when nothing does."""
    return next((g for g in gate_states(config, issues) if g.item == item and g.state == "blocked"), None)
