"""reconcile: one run against GitHub — observe what it holds, plan, and (for apply) act.

This module only sequences the adapters and the pure stages; every decision is in
`plan.github_plan`, every edit in `bot.edit`, every text in `templates/`.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.git import Git, read_base
from bot.config import Config
from bot.edit import edited_files
from bot.errors import ConfigError
from bot.model import DiffReport, GitHubState, Operation, Plan, Snapshot
from bot.pipeline import build_report
from bot.plan import TitleFn, github_plan, proposed_prs

BRANCH_PREFIX = "drift/"
DEFAULT_AUTHOR = ("drift-bot", "drift-bot@users.noreply.github.com")


@dataclass(frozen=True)
class GitHubAccess:
    token: str
    repository: str
    api_url: str


def github_access(config: Config) -> GitHubAccess | None:
    """From the environment, as GitHub Actions sets it; None when there is no token."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        return None
    repository = config.repository or os.environ.get("GITHUB_REPOSITORY", "")
    if not repository:
        raise ConfigError("GITHUB_TOKEN is set but no repository is known: set `repository:` in .drift.yml or GITHUB_REPOSITORY")
    return GitHubAccess(token, repository, os.environ.get("GITHUB_API_URL") or "https://api.github.com")


def author(config: Config) -> tuple[str, str]:
    bot = config.extra.get("bot") or {}
    return str(bot.get("name") or DEFAULT_AUTHOR[0]), str(bot.get("email") or DEFAULT_AUTHOR[1])


def title_from_template(templates: str | None) -> TitleFn:
    from bot.render import render_template

    def title(children: tuple[str, ...], base: str) -> str:
        return render_template("pr-title.txt.j2", templates=templates, children=children, base=base).strip()

    return title


@dataclass
class Run:
    """Everything one GitHub-aware run knows, observed once."""

    config: Config
    snapshot: Snapshot
    report: DiffReport
    base_files: dict[str, str | None]
    state: GitHubState
    git: Git
    github: object
    title: TitleFn


def observe(config: Config, repo: Path, snapshot: Snapshot, access: GitHubAccess, templates: str | None = None) -> Run:
    from bot.adapters.github import GitHub

    git = Git(repo, config.remote, access.token)
    base_commit, branches = git.sync(config.base, BRANCH_PREFIX)
    _, base_files = read_base(repo, base_commit, [p for _, p in config.files])
    report = build_report(config, snapshot, config.base, base_commit, base_files)
    github = GitHub(access.token, access.repository, access.api_url)
    pulls = github.bot_pulls(BRANCH_PREFIX)
    return Run(config, snapshot, report, base_files, GitHubState(base_commit, pulls, branches), git, github,
               title_from_template(templates))


def plan_run(run: Run, *, reopen: frozenset[str] = frozenset(), only: frozenset[str] | None = None) -> Plan:
    changes = {pr.slug: edited_files(run.snapshot, run.base_files, pr.divergences)
               for pr in proposed_prs(run.report, run.config, run.title)}
    return github_plan(run.report, run.config, run.state, changes, bot_email=author(run.config)[1],
                       title=run.title, reopen=reopen, only=only)


def texts(run: Run, templates: str | None = None) -> dict[str, Callable[[Operation], str]]:
    """The PR body, commit message and closing comment for an operation, from templates/."""
    from bot.adapters.github import render_marker
    from bot.compare import file_kind
    from bot.render import render_template

    mega = run.config.tracker.mega
    env_file = next((live for live, repo in run.config.files if file_kind(repo) == "dotenv"), ".env")

    def body(op: Operation) -> str:
        pr = op.pr
        assert pr is not None
        marker = render_marker({"slug": pr.slug, "fingerprint": pr.fingerprint, "children": list(pr.children)})
        secrets = sorted({"${" + d.pointer.rsplit("/", 1)[-1] + "}" for d in pr.divergences if d.secret})
        evidence = [f for f in run.snapshot.files if f.repo_path in {d.file for d in pr.divergences}]
        return render_template("pr-body.md.j2", templates=templates, marker=marker, pr=pr, report=run.report,
                               base=run.config.base, base_commit=run.state.base_commit, mega=mega, secrets=secrets,
                               env_file=env_file, evidence=evidence)

    def message(op: Operation) -> str:
        pr = op.pr
        assert pr is not None
        refs = "".join(f"Refs #{i}\n" for i in pr.issues) + (f"Part of #{mega}\n" if mega else "")
        return (f"{pr.title}\n\n{refs}\nLive on {run.report.host} in snapshot {run.report.snapshot_id} "
                f"({run.report.captured_at}).\n")

    def close_comment(op: Operation) -> str:
        return render_template("pr-close.md.j2", templates=templates, reason=op.reason, branch=op.branch)

    return {"body": body, "message": message, "close_comment": close_comment}
