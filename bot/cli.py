"""The `drift` command: parse options, call the pipeline, render, map errors to exit codes."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from bot import __version__
from bot.errors import DriftError

EXIT_OK, EXIT_ERROR, EXIT_DRIFT = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"drift: error: {message}", err=True)


def _guard(func: F) -> F:
    """Every command ends with an exit code and at most one line per problem, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                code = func(*args, **kwargs)
            finally:
                _write_result()
        except DriftError as exc:
            _fail(str(exc))
            code = EXIT_ERROR
        except KeyboardInterrupt:
            _fail("interrupted")
            code = 130
        except Exception as exc:  # noqa: BLE001 - the user gets one line; DRIFT_DEBUG shows the rest
            if os.environ.get("DRIFT_DEBUG"):
                raise
            _fail(f"unexpected {type(exc).__name__}: {exc} (run with DRIFT_DEBUG=1 for the traceback)")
            code = EXIT_ERROR
        sys.exit(code or EXIT_OK)

    return wrapper  # type: ignore[return-value]


def _write_result() -> None:
    """With DRIFT_RESULT_FILE set (the composite action sets it), the pull requests this run
    wrote, as JSON: each once, `created` winning over `closed` over `updated`."""
    path = os.environ.get("DRIFT_RESULT_FILE")
    if not path:
        return
    import json

    module = sys.modules.get("bot.adapters.github")
    written = list(getattr(module, "PULLS_WRITTEN", []))
    rank = {"created": 0, "closed": 1, "updated": 2}
    pulls: dict[int, dict[str, Any]] = {}
    for entry in written:
        kept = pulls.setdefault(entry["number"], dict(entry))
        if rank.get(entry["operation"], 9) < rank.get(kept["operation"], 9):
            kept["operation"] = entry["operation"]
    Path(path).write_text(json.dumps({"pull_requests": list(pulls.values())}, indent=1) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Inputs:
    source: str | None
    snapshot: Path | None
    repo: Path
    ref: str | None
    fmt: str
    instance: str | None = None


def _inputs(func: F | None = None, *, formats: tuple[str, ...] = ("text", "json", "markdown")) -> Any:
    if func is None:
        return lambda f: _inputs(f, formats=formats)
    options = [
        click.option("--source", "source", metavar="SRC", help="dir:PATH, docker://[?project=NAME] or ssh://user@host[:port][?project=NAME]; default: `source:` in .drift.yml"),
        click.option("--snapshot", "snapshot", type=click.Path(path_type=Path, file_okay=False), help="a saved snapshot folder instead of a live read"),
        click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True, help="the checkout holding .drift.yml"),
        click.option("--ref", "ref", metavar="REF", help="the git ref main's side is read from (default: `base:` in .drift.yml)"),
        click.option("--format", "fmt", type=click.Choice(list(formats)), default="text", show_default=True,
                     help="github: workflow annotations (::warning file=…,line=…::) for findings and unrouted divergences"
                     if "github" in formats else None),
        click.option("--instance", "instance", metavar="NAME", help="one host of `instances:` in .drift.yml (its source, its tracker sections)"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _report(inputs: Inputs):
    config, snapshot = _config_and_snapshot(inputs)
    return config, _local_report(inputs, config, snapshot)


def _local_report(inputs: Inputs, config: Any, snapshot: Any):
    from bot.adapters.git import read_base
    from bot.pipeline import build_report

    ref = inputs.ref or config.base
    commit, base_files = read_base(inputs.repo, ref, [repo_path for _, repo_path in config.files])
    return build_report(config, snapshot, ref, commit, base_files)


def _config_and_snapshot(inputs: Inputs):
    from bot.capture import take_snapshot
    from bot.config import load_config
    from bot.errors import SourceError

    config = load_config(inputs.repo)
    source = inputs.source
    if inputs.instance:
        if source:
            raise SourceError("give either --source or --instance, not both")
        if inputs.snapshot is None:
            source = config.instance(inputs.instance).source
        else:
            config.instance(inputs.instance)  # the name must exist all the same
    return config, take_snapshot(config, source, inputs.snapshot, Path.cwd())


def _color(fmt: str) -> bool:
    return fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _echo_errors_when_not_text(report: Any, fmt: str) -> None:
    # The text format lists them in place; with json/markdown on stdout, stderr still says so.
    if fmt != "text":
        for error in report.errors:
            _fail(error.message)


ENVIRONMENT = """\b
Environment:
  GITHUB_TOKEN                 token for GitHub (plan reads, apply writes)
  DRIFT_APP_ID                 a GitHub App's id: with its private key, the bot mints an
  DRIFT_APP_PRIVATE_KEY        installation token whose pull requests run the repository's CI
  DRIFT_APP_PRIVATE_KEY_FILE   (the key in PEM, or a file holding it); used instead of GITHUB_TOKEN
  GITHUB_API_URL               API base (default https://api.github.com)
  GITHUB_SERVER_URL            web base for links (default https://github.com)
  GITHUB_REPOSITORY            owner/name when .drift.yml has no `repository:`
  GITHUB_STEP_SUMMARY          where `slash` keeps a reply too long for a comment
  GITHUB_OUTPUT                where `python -m bot.workflow` (the action) writes its outputs
  GITHUB_RUN_ID                named in the run lock, to tell whose it is
  DRIFT_REDACTION_KEY          the key of the digests shown for secret values (or the file
  DRIFT_REDACTION_KEY_FILE     holding it); kept on the host
  DRIFT_CACHE_DIR              where GitHub's answers and ETags are kept (default ~/.cache/drift-bot)
  DRIFT_RATE_FLOOR             stop when fewer API requests remain (default 50)
  DRIFT_LOCK_TTL               seconds a killed run's lock lasts (default 900)
  DRIFT_LOCK_WAIT              seconds a run waits for another's lock (default 600)
  DRIFT_PROGRESS               1: progress lines on stderr even when it is not a terminal; 0: none
  DOCKER_HOST, DOCKER_CONTEXT  the engine a docker:// source reads
  NO_COLOR                     no colour in text output
  DRIFT_DEBUG                  1: show the traceback of an unexpected error

\b
Exit codes: 0 ok or nothing to do, 2 drift found or changes planned (diff, plan, verify), 1 error
(a usage error included).

\b
Example:
  drift diff --source dir:examples/instance
"""


def _usage_line(exc: click.ClickException) -> str:
    """A usage error as one line: click's message, the command it was for, where to look."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "drift"
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        message = "no command given" if ctx is None or ctx.parent is None else "no subcommand given"
    if not isinstance(exc, click.UsageError):
        return message
    where = path.partition(" ")[2]
    return f"{where + ': ' if where else ''}{message[:1].lower() + message[1:]} (see `{path} --help`)"


class DriftGroup(click.Group):
    """A usage error (unknown option, bad value, no command) is an error like any other: one line
    and exit 1. Click's own exit 2 would read as "drift found" to a workflow."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            _fail(_usage_line(exc))
            sys.exit(EXIT_ERROR)
        except click.Abort:
            _fail("interrupted")
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(cls=DriftGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=ENVIRONMENT)
@click.version_option(__version__, prog_name="drift")
def main() -> None:
    """Keep the live voice stack and main telling the same story."""


@main.command()
@click.option("--source", "source", metavar="SRC", help="dir:PATH, docker://… or ssh://…; default: `source:` in .drift.yml")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), help="folder to write (default: .drift-snapshots/<id>)")
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@click.option("--instance", "instance", metavar="NAME", help="one host of `instances:` in .drift.yml")
@click.option("--verify", "with_probes", is_flag=True, help="also run the `verify:` probes and keep their results in the snapshot")
@_guard
def snapshot(source: str | None, out: Path | None, repo: Path, instance: str | None, with_probes: bool) -> int:
    """Capture the tracked live files into a snapshot folder (secrets redacted).

    \b
    Example:
      drift snapshot --source docker://?project=voice --out /tmp/snap
    """
    import dataclasses

    from bot.capture.manifest import write_snapshot

    config, snap = _config_and_snapshot(Inputs(source, None, repo, None, "text", instance))
    if with_probes:
        from bot.verify import parse_probes, run_probes

        results = run_probes(parse_probes(config.verify), now=snap.captured_at)
        snap = dataclasses.replace(snap, verification=tuple(r.to_json() for r in results))
    folder = write_snapshot(snap, out or repo / ".drift-snapshots" / snap.id)
    problems = [f for f in snap.files if f.problem]
    for f in problems:
        _fail(f"{f.repo_path}: live file {f.live_path} {f.problem}")
    taken = sum(1 for f in snap.files if f.text is not None)
    redacted = sum(f.redactions for f in snap.files)
    click.echo(f"snapshot {snap.id}: {taken} file(s) from {snap.source} on {snap.host} "
               f"({redacted} secret value(s) redacted) -> {folder}")
    return EXIT_ERROR if problems else EXIT_OK


@main.command()
@_inputs(formats=("text", "json", "markdown", "github"))
@_guard
def diff(**kwargs: Any) -> int:
    """List the divergences between main and the live host. Exit 0: none, 2: drift, 1: error.

    \b
    Example:
      drift diff --source ssh://deploy@gpu-host?project=voice --format markdown
    """
    from bot.render import render_report

    inputs = Inputs(**kwargs)
    _, report = _report(inputs)
    if inputs.fmt == "github":
        from bot.workflow import annotations

        for line in annotations(report):
            click.echo(line)
        return EXIT_ERROR if report.errors else (EXIT_DRIFT if report.divergences else EXIT_OK)
    click.echo(render_report(report, inputs.fmt, color=_color(inputs.fmt)), nl=False)
    _echo_errors_when_not_text(report, inputs.fmt)
    if report.errors:
        return EXIT_ERROR
    return EXIT_DRIFT if report.divergences else EXIT_OK


def _link(config: Any, repo: Path):
    """The adapters a GitHub-aware run writes through; None without a token."""
    from bot.github.access import github_access
    from bot.github.observe import connect

    access = github_access(config)
    return None if access is None else connect(config, repo, access)


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
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@_guard
def instances(repo: Path) -> int:
    """The hosts of `instances:` as a GitHub Actions matrix (JSON), one job per host.

    \b
    Example:
      echo "matrix=$(drift instances)" >> "$GITHUB_OUTPUT"
    """
    import json

    from bot.config import load_config

    config = load_config(repo)
    hosts = [{"instance": i.name, "source": i.source, "apply": i.apply} for i in config.instances]
    if not hosts:
        hosts = [{"instance": "", "source": config.source or "", "apply": True}]
    click.echo(json.dumps({"include": hosts}))
    return EXIT_OK


@main.command()
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@_guard
def verify(repo: Path, fmt: str) -> int:
    """Run the `verify:` probes of .drift.yml against the instance. Exit 0: all pass, 2: a probe failed, 1: error.

    \b
    Example:
      drift verify --format json
    """
    from bot.capture.clock import now_utc
    from bot.config import load_config
    from bot.verify import exit_code, parse_probes, render_probes, run_probes

    config = load_config(repo)
    probes = parse_probes(config.verify)
    results = run_probes(probes, now=now_utc())
    click.echo(render_probes(results, fmt, color=_color(fmt)), nl=False)
    return exit_code(results)


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


@main.command()
@_inputs
@click.option("--date", "date", metavar="YYYY-MM-DD", help="the entry's date (default: today, UTC)")
@click.option("--slug", "slug", metavar="TEXT", help="the page name's tail (default: bring-up)")
@click.option("--architecture", is_flag=True, help="also write the stack's architecture page")
@click.option("--pr", "pull_request", is_flag=True, help="put the pages into a pull request instead of the working tree")
@_guard
def handover(date: str | None, slug: str | None, architecture: bool, pull_request: bool, **kwargs: Any) -> int:
    """Write the handover page (and the architecture page, the changelog entry) and update meta.json.

    \b
    Example:
      drift handover --source docker://?project=voice --slug voice-bring-up --pr
    """
    from bot.github.access import team_templates, today
    from bot.handover_run import handover_files

    inputs = Inputs(**kwargs)
    config, snapshot = _config_and_snapshot(inputs)
    link = _link(config, inputs.repo)
    if link is None:
        report, state = _local_report(inputs, config, snapshot), None
    else:
        from bot.github.observe import observe

        world, state = observe(config, inputs.repo, snapshot, link, instance=inputs.instance)
        report = world.report
    files, day, name = handover_files(config, inputs.repo, snapshot, report, state, date=date, slug=slug,
                                      architecture=architecture, instance=inputs.instance, today=today(),
                                      templates=team_templates(config))
    if pull_request:
        from bot.errors import DriftError
        from bot.github.cycle import carry_docs
        from bot.github.docs import handover_change_of

        if link is None:
            raise DriftError("a docs pull request needs GitHub: set GITHUB_TOKEN")
        click.echo(carry_docs(config, inputs.repo, link, handover_change_of(config, files, day, name, state)))
        return EXIT_OK
    for path, text in files.items():
        target = inputs.repo / path
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            click.echo(f"unchanged {path}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    return EXIT_OK


@main.command()
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@click.option("--source", "source", metavar="SRC", help="where the live stack is (dir:PATH maps its files; docker:// or ssh:// is written as source:)")
@_guard
def init(repo: Path, source: str | None) -> int:
    """Write a starter .drift.yml: the schema line, the tracked files mapped, one child per service,
    base from the repository. Refuses to overwrite one. Exit 0 ok, 1 error.

    \b
    Example:
      drift init --source dir:/srv/voice && drift validate
    """
    from bot.init import write_starter

    target, text = write_starter(repo, source)
    click.echo(f"wrote {target}: {text.count(chr(10) + '  R-')} child(ren); set their issue numbers, then `drift validate`")
    return EXIT_OK


@main.command()
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@_guard
def validate(repo: Path) -> int:
    """Check .drift.yml against its schema and its references: every problem one line on stderr.
    Exit 0 valid, 1 not.

    \b
    Example:
      drift validate --repo .
    """
    from bot.config import CONFIG_NAME, config_problems, load_config

    path = repo / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        load_config(repo)  # the one-line error of a missing or unreadable file
        raise
    problems = config_problems(text, path)
    for line in problems:
        click.echo(f"drift: error: {line}", err=True)
    if problems:
        return EXIT_ERROR
    config = load_config(repo)
    click.echo(f"{path} is valid: {len(config.files)} file(s), {len(config.children)} child(ren)")
    return EXIT_OK


@main.group()
def docs() -> None:
    """The docs site: migrate legacy Markdown into it."""


@docs.command("migrate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--repo", "repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True)
@click.option("--pr", "pull_request", is_flag=True, help="open one pull request that adds the pages and removes the old files")
@_guard
def docs_migrate(paths: tuple[str, ...], repo: Path, pull_request: bool) -> int:
    """Turn legacy Markdown files (repo paths) into docs-site MDX pages and list them in meta.json.

    \b
    Example:
      drift docs migrate voice/DEPLOY-AWS.md --pr
    """
    from bot.config import load_config
    from bot.errors import DriftError
    from bot.github.access import site
    from bot.migrate import migration_files, repo_relative

    config = load_config(repo)
    sources = {}
    for path in paths:
        rel = repo_relative(path, repo)
        target = repo / rel
        if not target.is_file():
            raise DriftError(f"{rel}: no such file in {repo}")
        sources[rel] = target.read_text(encoding="utf-8")

    def read(path: str) -> str | None:
        target = repo / path
        return target.read_text(encoding="utf-8") if target.is_file() else None

    files, migrated = migration_files(config, sources, read, *site(config))
    for m in migrated:
        note = f" ({m.redacted} secret value(s) redacted)" if m.redacted else ""
        click.echo(f"{m.source} -> {m.page}{note}")
    if not pull_request:
        for path, text in files.items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(text or "", encoding="utf-8")
        return EXIT_OK
    from bot.github.cycle import carry_docs
    from bot.github.docs import migration_change_of

    link = _link(config, repo)
    if link is None:
        raise DriftError("a docs pull request needs GitHub: set GITHUB_TOKEN")
    files.update({src: None for src in sources})  # the legacy files go: the pages replace them
    click.echo(carry_docs(config, repo, link, migration_change_of(config, files)))
    return EXIT_OK
