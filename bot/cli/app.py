"""The `drift` command group and what every command shares: options, one-line errors, exit codes."""
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
    from bot.adapters.git_base import read_base
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
  DRIFT_RETRY_WAIT_MAX         longest wait for GitHub's rate limits before this run stops
                               writing (default 120 s); the next run completes the work
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


def _link(config: Any, repo: Path):
    """The adapters a GitHub-aware run writes through; None without a token."""
    from bot.github.access import github_access
    from bot.github.observe import connect

    access = github_access(config)
    return None if access is None else connect(config, repo, access)
