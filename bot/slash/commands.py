"""What each `/drift` command does: the CLI's own stages, answered in markdown."""
from __future__ import annotations

from pathlib import Path

from bot.config import Config
from bot.capture import take_snapshot
from bot.reconcile import GitHubAccess, observe, plan_run
from bot.slash.parse import Command


def make_runner(config: Config, repo: Path, access: GitHubAccess, source: str | None = None,
                saved: Path | None = None):
    """A runner for `handle`: (command) -> (ok, markdown)."""

    def snapshot_now():
        return take_snapshot(config, source, saved, repo)

    def run(command: Command) -> tuple[bool, str]:
        from bot.render import render_plan, render_report

        if command.name == "snapshot":
            from bot.capture.manifest import write_snapshot

            snap = snapshot_now()
            folder = write_snapshot(snap, repo / ".drift-snapshots" / snap.id)
            problems = [f for f in snap.files if f.problem]
            lines = [f"captured snapshot `{snap.id}` of `{snap.source}` on `{snap.host}` at {snap.captured_at}: "
                     f"{sum(1 for f in snap.files if f.text is not None)} file(s), "
                     f"{sum(f.redactions for f in snap.files)} secret value(s) redacted, kept in `{folder.relative_to(repo)}`."]
            lines += [f"- `{f.repo_path}`: live file {f.live_path} {f.problem}" for f in problems]
            return not problems, "\n".join(lines)
        if command.name == "handover":
            from bot.handover_run import handover_files
            from bot.reconcile import handover_pull_request

            snap = snapshot_now()
            files, day, name = handover_files(config, repo, snap, date=None, slug=None, architecture=True, instance=None,
                                              local_report=lambda: observe(config, repo, snap, access).report)
            return True, f"`/drift handover`: {handover_pull_request(config, repo, files, day, name)}"
        state = observe(config, repo, snapshot_now(), access)
        if command.name == "status":
            return not state.report.errors, render_report(state.report, "markdown")
        if command.name == "plan":
            return not state.report.errors, render_plan(plan_run(state), "markdown")
        if command.name in ("apply", "reopen", "close"):
            from bot.reconcile import run_lock

            refusal = gate_refusal(command, config, state)
            if refusal:
                return False, refusal
            if command.name == "apply" and not _would_write(command, config, state):
                return apply_command(command, config, state)  # nothing to write: no lock to take
            with run_lock(config, repo):
                fresh = observe(config, repo, snapshot_now(), access)
                if command.name == "close":
                    return close_command(command, config, fresh)
                return apply_command(command, config, fresh)
        raise AssertionError(f"no runner for {command.name}")

    return run


def apply_command(command: Command, config: Config, state) -> tuple[bool, str]:
    from bot.apply import apply_plan
    from bot.plan import proposed_prs
    from bot.reconcile import author, run_tracker, texts

    from bot.gates import issue_names

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
    reopen = frozenset()
    if command.name == "reopen":
        reopen = frozenset(pr.slug for pr in proposed_prs(state.report, config) if set(pr.children) & set(command.children))
    the_plan = plan_run(state, reopen=reopen, only=only)
    t = texts(state)
    result = apply_plan(the_plan, git=state.git, github=state.github, base=config.base, base_commit=state.state.base_commit,
                        body=t["body"], message=t["message"], author=author(config), close_comment=t["close_comment"])
    done, errors = list(result.done), list(result.errors)
    if only is None and (config.tracker.parent or config.tracker.mega or config.tracker.research):
        tracked = run_tracker(state, pulls_changed=bool(result.done))
        done += tracked.done
        errors += tracked.errors
    lines = [f"- {line}" for line in done] or ["- nothing to do: GitHub already matches the live host"]
    lines += [f"- ⚠️ {e}" for e in errors]
    scope = f" for {', '.join(command.children)}" if command.children else ""
    return not errors, f"`/drift {command.name}`{scope}:\n\n" + "\n".join(lines)


def _would_write(command: Command, config: Config, state) -> bool:
    """As `drift apply` decides before taking the run lock: a quiet apply pushes not even the lock."""
    from bot.reconcile import tracker_would_write

    only = frozenset(command.children) or None
    if plan_run(state, only=only).has_changes:
        return True
    return only is None and bool(config.tracker.parent or config.tracker.mega or config.tracker.research) \
        and tracker_would_write(state)


def gate_refusal(command: Command, config: Config, state) -> str | None:
    """Why a gate holds the named children back (e.g. R-10 while RT-1 is open), if one does."""
    from bot.gates import blocked, issue_names

    if not command.children or not config.gates:
        return None
    names = issue_names(config)
    wanted = {names[n] for item, after in config.gates.items() for n in (item, *after) if n in names}
    issues = {n: state.github.issue(n) for n in sorted(wanted)}
    held = [g for c in command.children if (g := blocked(config, issues, c)) is not None]
    if not held:
        return None
    return "not now: " + "; ".join(g.reason for g in held) + ". Close what it waits for first (see the gates in the MEGA)."


def close_command(command: Command, config: Config, state) -> tuple[bool, str]:
    from bot.gates import issue_names
    from bot.reconcile import run_tracker
    from bot.render import render_template

    names = issue_names(config)
    unknown = [c for c in command.children if c not in names]
    if unknown:
        return False, f"{', '.join(unknown)}: no issue is known by that name (children, research keys and `issues:` in .drift.yml)."
    lines = []
    for child in command.children:
        comment = render_template("close-child.md.j2", row={"child": child}, pulls=[], reason=command.reason)
        state.github.close_issue(names[child], comment, reason="completed")
        lines.append(f"- closed #{names[child]} ({child}): {command.reason}")
    if config.tracker.parent or config.tracker.mega or config.tracker.research:
        tracked = run_tracker(state, closed_now={c: str(command.reason) for c in command.children})
        lines += [f"- {d}" for d in tracked.done] + [f"- ⚠️ {e}" for e in tracked.errors]
    return True, "`/drift close`:\n\n" + "\n".join(lines)
