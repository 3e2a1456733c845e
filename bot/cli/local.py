"""The commands of the host and the working tree: snapshot, diff, verify, handover, init, validate, docs."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.cli.app import (EXIT_DRIFT, EXIT_ERROR, EXIT_OK, Inputs, _color, _config_and_snapshot, _echo_errors_when_not_text,
                         _fail, _guard, _inputs, _link, _local_report, _report, main)


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

