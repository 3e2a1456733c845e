"""The commands that read or write GitHub: plan, apply, tracker, unlock, slash, attach."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from bot.cli.app import (EXIT_DRIFT, EXIT_ERROR, EXIT_OK, Inputs, _color, _config_and_snapshot, _fail, _guard, _inputs,
                         _link, _local_report, main)


@main.command()
@_inputs
@_guard
def plan(**kwargs: Any) -> int:
    """Show every write apply would make on GitHub; changes nothing. Exit 0: nothing to do, 2: changes.

    \b
    Example:
      GITHUB_TOKEN=… drift plan --snapshot /tmp/snap --format json
    """
    the_plan, report = _plan(Inputs(**kwargs), only=None)
    return _finish_plan(the_plan, report, kwargs["fmt"])


def _plan(inputs: Inputs, only: frozenset[str] | None):
    from bot.github.access import team_templates, title_from_template
    from bot.github.cycle import Ask, plan_once
    from bot.github.plan import offline_plan

    config, snapshot = _config_and_snapshot(inputs)
    link = _link(config, inputs.repo)
    if link is None:
        report = _local_report(inputs, config, snapshot)
        return offline_plan(report, config, title_from_template(team_templates(config))), report
    world, _, the_plan = plan_once(config, inputs.repo, snapshot, link, Ask(only=only), inputs.instance)
    return the_plan, world.report


def _finish_plan(the_plan: Any, report: Any, fmt: str) -> int:
    from bot.render import render_plan

    click.echo(render_plan(the_plan, fmt, color=_color(fmt)), nl=False)
    for error in report.errors:
        _fail(error.message)
    for line in the_plan.unread:
        _fail(f"tracker: {line}")
    blocked = [op for op in the_plan.operations if op.op == "blocked"]
    for op in blocked:
        _fail(f"{op.target}: {op.reason}")
    if report.errors or blocked or the_plan.unread:
        return EXIT_ERROR
    return EXIT_DRIFT if the_plan.has_changes else EXIT_OK


@main.command()
@_inputs
@click.option("--dry-run", is_flag=True, help="print the plan as `drift plan` does and change nothing (exit 0, or 1 on an error)")
@click.option("--only", "only", multiple=True, metavar="CHILD", help="act only on the pull requests of these children (repeatable)")
@_guard
def apply(dry_run: bool, only: tuple[str, ...], **kwargs: Any) -> int:
    """Make GitHub match the plan: the pull requests, the tracker, the docs pull requests. Exit 0 ok, 1 error.

    \b
    Example:
      drift apply --snapshot /tmp/snap --dry-run   # the plan, nothing written
    """
    inputs = Inputs(**kwargs)
    if only:
        from bot.config import check_only, load_config

        check_only(load_config(inputs.repo), only)  # an unknown child is an error, not an empty run
    if dry_run:
        # The plan, printed as `drift plan` prints it; the exit code stays apply's (0 ok, 1 error):
        # 2 belongs to diff, plan and verify only.
        the_plan, report = _plan(inputs, only=frozenset(only) or None)
        code = _finish_plan(the_plan, report, inputs.fmt)
        return EXIT_OK if code == EXIT_DRIFT else code
    from bot.github.cycle import Ask

    outcome = _apply(inputs, Ask(only=frozenset(only) or None), "apply")
    for op in outcome.plan.operations:
        if op.op == "nothing" and op.reason.startswith("held back"):
            click.echo(f"{op.target}: {op.reason}")
    return _report_done(outcome.result.done, outcome.result.errors, outcome.world.report)


def _apply(inputs: Inputs, ask: Any, command: str):
    from bot.errors import DriftError
    from bot.github.cycle import apply_once

    config, snapshot = _config_and_snapshot(inputs)
    link = _link(config, inputs.repo)
    if link is None:
        raise DriftError(f"{command} needs GitHub: set GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise)"
                         + ("; `drift plan` works without" if command == "apply" else ""))
    if not ask.pulls and not (config.tracker.parent or config.tracker.mega or config.tracker.research):
        raise DriftError("no tracker in .drift.yml: set `tracker: {parent: N, mega: N, research: [...]}`")
    outcome = apply_once(config, inputs.repo, snapshot, link, ask, inputs.instance)
    if outcome.cleared_lock:
        click.echo("removed the expired lock of a run that did not finish")
    return outcome


def _report_done(done: list[str], errors: list[str], report: Any) -> int:
    for line in done:
        click.echo(line)
    if not done and not errors:
        click.echo("nothing to do: GitHub already matches the live host")
    for error in report.errors:
        _fail(error.message)
    for error in errors:
        _fail(error)
    return EXIT_ERROR if errors or report.errors else EXIT_OK


@main.command()
@_inputs
@_guard
def tracker(**kwargs: Any) -> int:
    """Bring the MEGA close-out issue, its research sub-issues and the per-child comments up to date.

    \b
    Example:
      drift tracker --snapshot /tmp/snap
    """
    from bot.github.cycle import Ask

    outcome = _apply(Inputs(**kwargs), Ask(pulls=False), "tracker")
    return _report_done(outcome.result.done, outcome.result.errors, outcome.world.report)


@main.command()
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@_guard
def unlock(repo: Path) -> int:
    """Release the run lock a killed run left behind, saying who held it. Exit 0 ok, 1 error.

    \b
    Example:
      drift unlock   # after a run was cancelled mid-apply
    """
    from bot.config import load_config
    from bot.errors import DriftError

    config = load_config(repo)
    link = _link(config, repo)
    if link is None:
        raise DriftError("unlock needs GitHub: set GITHUB_TOKEN")
    held = link.git.force_unlock()
    click.echo(f"released the run lock held by {held}" if held else "no run holds the lock: nothing to release")
    return EXIT_OK


@main.command()
@click.option("--event", "event_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="the event payload GitHub Actions wrote (GITHUB_EVENT_PATH)")
@click.option("--source", "source", metavar="SRC", help="live source; default: `source:` in .drift.yml")
@click.option("--snapshot", "snapshot", type=click.Path(path_type=Path, file_okay=False), help="a saved snapshot instead of a live read")
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@_guard
def slash(event_path: Path, source: str | None, snapshot: Path | None, repo: Path) -> int:
    """Handle a `/drift …` issue comment from an event payload. Exit 0: handled or refused, 1: error.

    \b
    Example:
      drift slash --event "$GITHUB_EVENT_PATH" --source docker://?project=voice
    """
    from bot.config import load_config
    from bot.errors import DriftError
    from bot.github.access import github_access
    from bot.github.observe import connect
    from bot.slash.commands import make_runner
    from bot.slash.handle import handle, read_event
    from bot.slash.parse import parse_command

    event = read_event(event_path)
    if event.action != "created" or parse_command(event.body) is None:
        # Not for the bot: no configuration, token or network is needed to say so.
        click.echo("ignored: " + ("only new comments are commands" if event.action != "created" else "not a /drift comment"))
        return EXIT_OK
    config = load_config(repo)
    access = github_access(config)
    if access is None:
        raise DriftError("slash needs GITHUB_TOKEN to answer the comment")
    if access.repository.lower() != event.repository.lower():
        raise DriftError(f"the event is for {event.repository} but .drift.yml names {access.repository}")
    link = connect(config, repo, access)
    outcome = handle(event, link.github, config, make_runner(config, repo, link, source, snapshot))
    click.echo(outcome.summary)
    if outcome.uncut is not None:
        # The cut reply sends its readers to the run for the whole of it: keep it in the job's
        # summary (appended, as GitHub documents) when it fits there (1 MiB a step), else in the log.
        whole = f"### The whole reply to comment {event.comment_id} on #{event.issue}\n\n{outcome.uncut}"
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        held = Path(summary).stat().st_size if summary and Path(summary).is_file() else 0
        if summary and held + len(whole.encode()) <= 1024 * 1024:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(whole)
            click.echo("the reply was cut to fit a comment; the whole reply is in the job summary")
        else:
            click.echo(f"the reply was cut to fit a comment; the whole reply follows\n\n{whole}", nl=False)
    return outcome.code


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--slot", "slot", type=click.Choice(["session-memory", "transcript"]), required=True)
@click.option("--redact", is_flag=True, help="store the file with its secret values replaced instead of refusing it")
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@_guard
def attach(file: Path, slot: str, redact: bool, repo: Path) -> int:
    """Store a file for a MEGA attachment slot (on the drift-attachments branch) and link it there.

    \b
    Example:
      drift attach session.md --slot session-memory --redact
    """
    from bot.attach import prepare
    from bot.config import load_config
    from bot.errors import DriftError
    from bot.github.cycle import attach_once

    config = load_config(repo)
    prepared = prepare(file.name, file.read_bytes(), slot, redact=redact)
    link = _link(config, repo)
    if link is None:
        raise DriftError("attach needs GitHub: set GITHUB_TOKEN")
    mega, url, changed = attach_once(config, repo, link, prepared, slot, file.name)
    note = f" ({prepared.redacted} secret value(s) redacted)" if prepared.redacted else ""
    click.echo(f"{'attached' if changed else 'already attached'} {file.name} to the {slot} slot of #{mega}{note}: {url}")
    return EXIT_OK
