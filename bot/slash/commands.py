"""What each `/drift` command does: the CLI's own stages, answered in markdown."""
from __future__ import annotations

from pathlib import Path

from bot.capture import take_snapshot
from bot.config import Config
from bot.gates import blocked, issue_names
from bot.github.cycle import Ask, apply_once, carry_docs, plan_once
from bot.github.observe import Link, observe
from bot.plan import proposed_prs
from bot.render import render_plan, render_report, render_template
from bot.slash.parse import Command


def make_runner(config: Config, repo: Path, link: Link, source: str | None = None, saved: Path | None = None):
    """A runner for `handle`: (command) -> (ok, markdown)."""

    def snapshot_now():
        return take_snapshot(config, source, saved, repo)

    def run(command: Command) -> tuple[bool, str]:
        if command.name == "snapshot":
            return snapshot_command(config, repo, snapshot_now())
        if command.name == "handover":
            return handover_command(config, repo, link, snapshot_now())
        if command.name == "unlock":
            held = link.git.force_unlock()
            return True, (f"released the run lock held by {held}." if held else "no run holds the lock: nothing to release.")
        snap = snapshot_now()  # the host is captured once; GitHub is read again under the lock
        if command.name in ("status", "plan"):
            world, _, the_plan = plan_once(config, repo, snap, link)
            if command.name == "status":
                return not world.report.errors, render_report(world.report, "markdown")
            return not world.report.errors, render_plan(the_plan, "markdown")
        refusal = gate_refusal(command, config, repo, snap, link)
        if refusal:
            return False, refusal
        if command.name == "close":
            return close_command(command, config, repo, snap, link)
        return apply_command(command, config, repo, snap, link)

    return run


def snapshot_command(config: Config, repo: Path, snap) -> tuple[bool, str]:
    from bot.capture.manifest import write_snapshot

    folder = write_snapshot(snap, repo / ".drift-snapshots" / snap.id)
    problems = [f for f in snap.files if f.problem]
    lines = [f"captured snapshot `{snap.id}` of `{snap.source}` on `{snap.host}` at {snap.captured_at}: "
             f"{sum(1 for f in snap.files if f.text is not None)} file(s), "
             f"{sum(f.redactions for f in snap.files)} secret value(s) redacted, kept in `{folder.relative_to(repo)}`."]
    lines += [f"- `{f.repo_path}`: live file {f.live_path} {f.problem}" for f in problems]
    return not problems, "\n".join(lines)


def handover_command(config: Config, repo: Path, link: Link, snap) -> tuple[bool, str]:
    from bot.github.access import team_templates, today
    from bot.github.docs import handover_change_of
    from bot.handover_run import handover_files

    world, state = observe(config, repo, snap, link)
    files, day, name = handover_files(config, repo, snap, world.report, state, date=None, slug=None, architecture=True,
                                      instance=None, today=today(), templates=team_templates(config))
    return True, f"`/drift handover`: {carry_docs(config, repo, link, handover_change_of(config, files, day, name, state))}"


def apply_command(command: Command, config: Config, repo: Path, snap, link: Link) -> tuple[bool, str]:
    known = {c.name for c in config.children}
    named = set(issue_names(config))
    unknown = [c for c in command.children if c not in known and c not in named]
    if unknown:
        return False, f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a child in .drift.yml (known: {', '.join(sorted(known))})."
    without_prs = [c for c in command.children if c not in known]
    if without_prs and len(without_prs) == len(command.children):
        return True, (f"{', '.join(without_prs)} carr{'ies' if len(without_prs) == 1 else 'y'} no pull requests, so there is "
                      "nothing to apply; nothing holds it back any more.")
    only = frozenset(command.children) or None
    reopen: frozenset[str] = frozenset()
    if command.name == "reopen":
        planned = plan_once(config, repo, snap, link)
        reopen = frozenset(pr.slug for pr in proposed_prs(planned[0].report, config, planned[0].title)
                           if set(pr.children) & set(command.children))
    outcome = apply_once(config, repo, snap, link, Ask(only=only, reopen=reopen))
    done, errors = outcome.result.done, outcome.result.errors
    lines = [f"- {line}" for line in done] or ["- nothing to do: GitHub already matches the live host"]
    lines += [f"- ⚠️ {e}" for e in errors]
    scope = f" for {', '.join(command.children)}" if command.children else ""
    return not errors, f"`/drift {command.name}`{scope}:\n\n" + "\n".join(lines)


def gate_refusal(command: Command, config: Config, repo: Path, snap, link: Link) -> str | None:
    """Why a gate holds the named children back (e.g. R-10 while RT-1 is open), if one does."""
    if not command.children or not config.gates:
        return None
    names = issue_names(config)
    wanted = {names[n] for item, after in config.gates.items() for n in (item, *after) if n in names}
    issues = {n: link.github.issue(n) for n in sorted(wanted)}
    held = [g for c in command.children if (g := blocked(config, issues, c)) is not None]
    if not held:
        return None
    return "not now: " + "; ".join(g.reason for g in held) + ". Close what it waits for first (see the gates in the MEGA)."


def close_command(command: Command, config: Config, repo: Path, snap, link: Link) -> tuple[bool, str]:
    names = issue_names(config)
    unknown = [c for c in command.children if c not in names]
    if unknown:
        return False, f"{', '.join(unknown)}: no issue is known by that name (children, research keys and `issues:` in .drift.yml)."
    close = {names[c]: (c, render_template("close-child.md.j2", row={"child": c}, pulls=[], reason=command.reason),
                        str(command.reason)) for c in command.children}
    tracks = bool(config.tracker.parent or config.tracker.mega or config.tracker.research)
    ask = Ask(closed_now={c: str(command.reason) for c in command.children} if tracks else {}, close=close, pulls=False,
              issues=tuple(close))
    outcome = apply_once(config, repo, snap, link, ask)
    lines = [f"- {line}" for line in outcome.result.done] + [f"- ⚠️ {e}" for e in outcome.result.errors]
    return not outcome.result.errors, "`/drift close`:\n\n" + "\n".join(lines or ["- nothing to do: already closed"])
