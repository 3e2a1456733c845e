"""What is left to do after the bring-up, in the order a careful engineer would do it (see
`bot.handover`): ready work before gated work, live-only fixes first, then other open issues,
then the tracker's empty attachment slots."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.github.markers import slot_content
from bot.handover.changes import PullItem
from bot.handover.issues import _Refs, Ref
from bot.model import IssueState
from bot.tracker import SLOTS


@dataclass(frozen=True)
class FollowUp:
    kind: str  # close | pr | issue | attach | gate
    ref: Ref | None = None
    pull: PullItem | None = None
    reason: str | None = None
    after: tuple[Ref, ...] = ()  # decisions it waits for
    then: tuple[Ref, ...] = ()  # what waits for it
    slots: tuple[tuple[str, str], ...] = ()  # (key, label) of attachment slots still empty
    known: bool = True  # False: GitHub was not consulted, so it may be done already
    probes: tuple[str, ...] = ()


def _follow_ups(config: Config, refs: _Refs, items: Sequence[PullItem], doc_only: Mapping[str, str],
                parent: Ref | None, mega: Ref | None, issues: Mapping[int, IssueState] | None) -> tuple[FollowUp, ...]:
    known = issues is not None
    pending = lambda names: tuple(r for n in names for r in [refs.by_name(n)] if not r.closed)  # noqa: E731
    ready: list[tuple[tuple[Any, ...], FollowUp]] = []
    gated: list[tuple[tuple[Any, ...], FollowUp]] = []
    order = {c.name: i for i, c in enumerate(config.children)}

    def add(rank: tuple[Any, ...], item: FollowUp, names: Sequence[str]) -> None:
        waits = tuple(dict.fromkeys(a for n in names for a in pending(config.gates.get(n, ()))))
        if waits:
            gated.append(((_depth(config.gates, names), *rank), FollowUp(**{**item.__dict__, "after": waits})))
        else:
            ready.append((rank, item))

    covered: set[str] = set()
    for item in items:
        names = [c.name or "" for c in item.children]
        covered.update(names)
        if item.state == "merged":
            continue
        first = min(order.get(n, len(order)) for n in names)
        size = (len(item.children), len(item.files), len(item.changes), first)
        if item.doc_only:
            add((0, 0, *size), FollowUp("close", item.children[0], item, item.doc_only), names)
        else:
            add((0, 1, *size), FollowUp("pr", pull=item), names)
    for child in config.children:  # open children with nothing live-only left: a note closes them
        ref = refs.by_name(child.name)
        if child.name in covered or ref.number is None or ref.state != "open":
            continue
        covered.add(child.name)
        reason = doc_only.get(child.name) or "nothing of it is live-only any more"
        add((0, 0, 0, 0, 0, order[child.name]), FollowUp("close", ref, reason=reason), [child.name])

    special = {n for n in (parent.number if parent else None, mega.number if mega else None) if n}
    research = {item if isinstance(item, int) else item.get("issue") for item in config.tracker.research} - {None}
    gate_names = set(config.gates) | {a for after in config.gates.values() for a in after}
    for number in sorted(set((issues or {}).keys()) | set(refs.names)):
        ref = refs.by_number(number)
        if number in special or number in research or ref.name in covered or ref.name in gate_names:
            continue
        if ref.name is None or ref.name in order or (known and ref.state != "open"):
            continue
        add((1, 0, number), FollowUp("issue", ref, known=known and ref.state is not None), [ref.name])

    if mega is not None:
        slots = _open_slots(issues.get(mega.number) if issues else None)
        if slots:
            ready.append(((2,), FollowUp("attach", mega, slots=tuple(slots),
                                         known=bool(issues and mega.number in issues))))

    parent_name = parent.name if parent else None
    for name in config.gates:
        ref = refs.by_name(name)
        after = config.gates[name]
        if name == parent_name or name in covered or ref.closed or (parent and ref.number == parent.number):
            continue
        if after and all(a in config.gates for a in after):
            continue  # it waits only for gated work: said with that work ("… can close after it")
        then = tuple(refs.by_name(k) for k, after in config.gates.items() if name in after)
        probes = tuple(str(p.get("name")) for p in config.verify)
        add((9, 0), FollowUp("gate", ref, then=then, probes=probes, known=known and ref.state is not None), [name])
    return tuple(f for _, f in sorted(ready, key=lambda x: x[0])) + tuple(f for _, f in sorted(gated, key=lambda x: x[0]))


def _depth(gates: Mapping[str, Sequence[str]], names: Sequence[str], seen: frozenset[str] = frozenset()) -> int:
    """How many gates deep a name sits (a gate after a gate comes later); cycles stop counting."""
    return max((1 + _depth(gates, gates.get(n, ()), seen | {n}) for n in names if n in gates and n not in seen), default=0)


def _open_slots(mega: IssueState | None) -> list[tuple[str, str]]:
    if mega is None:
        return list(SLOTS)
    out = []
    for key, label in SLOTS:
        content = slot_content(mega.body, key)
        if content is None or not content.strip() or content.strip().startswith("_not attached yet"):
            out.append((key, label))
    return out
