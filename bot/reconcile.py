"""reconcile: one run against GitHub — observe what it holds, plan, and (for apply) act.

This module only sequences the adapters and the pure stages; every decision is in
`plan.github_plan`, every edit in `bot.edit`, every text in `templates/`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.git import DEFAULT_IDENTITY, Git, read_base
from bot.config import Config
from bot.edit import edited_files
from bot.errors import ConfigError
from bot.model import DiffReport, GitHubState, Operation, Plan, Snapshot
from bot.pipeline import build_report
from bot.plan import TitleFn, gated_issues, github_plan, proposed_prs

BRANCH_PREFIX = "drift/"
DEFAULT_AUTHOR = DEFAULT_IDENTITY  # `bot:` in .drift.yml overrides it


@dataclass(frozen=True)
class GitHubAccess:
    token: str
    repository: str
    api_url: str


def github_access(config: Config) -> GitHubAccess | None:
    """From the environment, as GitHub Actions sets it; None when there is no token.

    A GitHub App (DRIFT_APP_ID with DRIFT_APP_PRIVATE_KEY or DRIFT_APP_PRIVATE_KEY_FILE) comes
    first: its installation token serves the API and git alike, and its pull requests run CI."""
    app_id = os.environ.get("DRIFT_APP_ID", "").strip()
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token and not app_id:
        return None
    repository = config.repository or os.environ.get("GITHUB_REPOSITORY", "")
    if not repository:
        raise ConfigError(f"{'DRIFT_APP_ID' if app_id else 'GITHUB_TOKEN'} is set but no repository is known: "
                          "set `repository:` in .drift.yml or GITHUB_REPOSITORY")
    api_url = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
    if app_id:
        from bot.adapters.github import app_installation_token, app_private_key

        token = app_installation_token(app_id, app_private_key(), repository, api_url)
    return GitHubAccess(token, repository, api_url)


@contextlib.contextmanager
def run_lock(config: Config, repo: Path) -> Iterator[None]:
    """Hold the lock on the remote for a whole apply: two runs started together end as one.

    DRIFT_LOCK_TTL (seconds, default 900) bounds how long a killed run can hold it;
    DRIFT_LOCK_WAIT (default 600) how long a second run waits before giving up.
    """
    access = github_access(config)
    if access is None:
        yield
        return
    git = Git(repo, config.remote, access.token, author(config))
    base, _ = git.sync(config.base, BRANCH_PREFIX)
    import secrets

    # Unique per run (the nonce): a lock push whose answer was lost is recognised as ours.
    holder = (f"{socket.gethostname()} pid {os.getpid()}" + (f" run {os.environ['GITHUB_RUN_ID']}" if os.environ.get("GITHUB_RUN_ID") else "")
              + f" #{secrets.token_hex(4)}")
    lock = git.acquire_lock(holder, base, int(os.environ.get("DRIFT_LOCK_TTL", "900")), time.time(),
                            float(os.environ.get("DRIFT_LOCK_WAIT", "600")), time.sleep)
    try:
        yield
    finally:
        git.release_lock(lock)


class WouldWrite(Exception):
    """Raised by a read-only GitHub stand-in at the first call that would change something."""


class ReadOnlyGitHub:
    """The GitHub adapter with every write turned into WouldWrite: "would this run change anything?"."""

    WRITES = {"create_pull", "update_pull", "close_pull", "create_issue", "edit_issue_body", "add_sub_issue",
              "move_sub_issue", "post_comment", "edit_comment", "react", "close_issue"}

    def __init__(self, github: object):
        self._github = github

    def __getattr__(self, name: str) -> Any:
        if name in self.WRITES:
            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise WouldWrite(name)
            return refuse
        return getattr(self._github, name)


def tracker_would_write(run: "Run", templates: str | None = None) -> bool:
    try:
        run_tracker(dataclasses.replace(run, github=ReadOnlyGitHub(run.github)), templates)
    except WouldWrite:
        return True
    return False


def author(config: Config) -> tuple[str, str]:
    """The identity every commit of the bot is authored and committed as: `bot: {name, email}`
    in .drift.yml, else DEFAULT_AUTHOR; never git's config or the host name."""
    bot = config.extra.get("bot") or {}
    if not isinstance(bot, dict) or set(bot) - {"name", "email"}:
        raise ConfigError("`bot:` in .drift.yml is {name: ..., email: ...}, the identity of the bot's commits")
    name, email = str(bot.get("name") or DEFAULT_AUTHOR[0]).strip(), str(bot.get("email") or DEFAULT_AUTHOR[1]).strip()
    if any(c in name + email for c in "<>\n") or not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise ConfigError(f"`bot:` in .drift.yml: {name!r} <{email}> is not an identity git can write "
                          "(a name, and an email such as drift-bot@users.noreply.github.com)")
    return name, email


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
    instance: str | None = None  # in a fleet: whose tracker sections this run writes


def observe(config: Config, repo: Path, snapshot: Snapshot, access: GitHubAccess, templates: str | None = None,
            instance: str | None = None) -> Run:
    from bot.adapters.github import GitHub

    git = Git(repo, config.remote, access.token, author(config))
    base_commit, branches = git.sync(config.base, BRANCH_PREFIX)
    _, base_files = read_base(repo, base_commit, [p for _, p in config.files])
    report = build_report(config, snapshot, config.base, base_commit, base_files)
    github = GitHub(access.token, access.repository, access.api_url)
    title = title_from_template(templates or team_templates(config))
    proposed = proposed_prs(report, config, title)
    pulls = github.bot_pulls(BRANCH_PREFIX, [pr.branch for pr in proposed])
    # Only when a gated child has something to carry: a quiet run reads no issue for the gates.
    issues = {n: github.issue(n) for n in sorted(gated_issues(config, proposed))}
    fleet = instance if len(config.instances) > 1 else None
    return Run(config, snapshot, report, base_files, GitHubState(base_commit, pulls, branches, issues), git, github,
               title, fleet)


def plan_run(run: Run, *, reopen: frozenset[str] = frozenset(), only: frozenset[str] | None = None) -> Plan:
    changes = {pr.slug: edited_files(run.snapshot, run.base_files, pr.divergences)
               for pr in proposed_prs(run.report, run.config, run.title)}
    return github_plan(run.report, run.config, run.state, changes, bot_email=author(run.config)[1],
                       title=run.title, reopen=reopen, only=only)


def texts(run: Run, templates: str | None = None) -> dict[str, Callable[[Operation], str]]:
    """The PR body, commit message and closing comment for an operation, from templates/."""
    from bot.adapters.github import render_marker
    from bot.compare import file_kind
    from bot.secrets.references import referenced_names
    from bot.render import render_template

    templates = templates or team_templates(run.config)
    mega = run.config.tracker.mega
    env_file = next((live for live, repo in run.config.files if file_kind(repo) == "dotenv"), ".env")

    def body(op: Operation) -> str:
        pr = op.pr
        assert pr is not None
        marker = render_marker({"slug": pr.slug, "fingerprint": pr.fingerprint, "children": list(pr.children)})
        secrets = sorted({"${" + name + "}" for d in pr.divergences if d.secret for name in referenced_names(d)})
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


# --- the tracker ---------------------------------------------------------------------

BOT_LABEL = "drift-bot"


def research_items(config: Config) -> list[dict[str, object]]:
    """`tracker.research` as (key, issue number or title/body to create), in the configured order."""
    out = []
    for i, entry in enumerate(config.tracker.research):
        if isinstance(entry, int):
            out.append({"key": f"#{entry}", "issue": entry})  # its title names it
        elif isinstance(entry, dict):
            out.append({"key": str(entry.get("key") or entry.get("title") or f"research-{i + 1}"), "issue": entry.get("issue"),
                        "title": entry.get("title"), "body": entry.get("body")})
    return out


@dataclass
class TrackerResult:
    done: list[str]
    errors: list[str]

    def attempt(self, fn: Callable[[], object], done: str | None = None) -> tuple[bool, object]:
        """Run one GitHub call; a failure is recorded as one line and the run goes on."""
        from bot.errors import DriftError

        try:
            value = fn()
        except DriftError as exc:
            self.errors.append(f"tracker: {exc}")
            return False, None
        if done:
            self.done.append(done)
        return True, value


def team_templates(config: Config) -> str | None:
    """The team's own templates folder (`templates:` in .drift.yml), which wins over the bundled one."""
    folder = config.extra.get("templates")
    return str(config.root / str(folder)) if folder else None


def run_tracker(run: Run, templates: str | None = None, pulls_changed: bool = False,
                closed_now: dict[str, str] | None = None) -> TrackerResult:
    """Bring the MEGA, its research sub-issues and the per-child comments up to date."""
    templates = templates or team_templates(run.config)
    from bot.render import render_template
    from bot.tracker import TrackerView, child_marker, plan_tracker, record_comment_ids

    gh: Any = run.github
    tracker = run.config.tracker
    result = TrackerResult([], [])

    def render(name: str, **context: object) -> str:
        return render_template(name, templates=templates, **context)

    mega = _find_or_create_mega(gh, tracker.mega, render, result)
    if mega is None:
        return result

    issues: dict[int, Any] = {}
    parent_subs: tuple[int, ...] = ()
    if tracker.parent:
        ok, subs = result.attempt(lambda: gh.sub_issues(tracker.parent))
        issues.update({i.number: i for i in subs or []})
        parent_subs = tuple(i.number for i in subs or [])
        if ok and mega.number not in issues:
            result.attempt(lambda: gh.add_sub_issue(tracker.parent, mega.id, replace_parent=True),
                           f"made #{mega.number} a sub-issue of #{tracker.parent}")

    ok, mega_subs = result.attempt(lambda: gh.sub_issues(mega.number))
    mega_subs = list(mega_subs or [])
    issues.update({i.number: i for i in mega_subs})
    research = _research(gh, run.config, mega, mega_subs, issues, render, result)
    if ok:
        _keep_research_linked(gh, mega, mega_subs, research, issues, result)

    from bot.gates import issue_names

    gated = {n for item, after in run.config.gates.items() for n in (item, *after)}
    if run.config.extra.get("verify_closes"):
        gated.add(str(run.config.extra["verify_closes"]))
    names = issue_names(run.config)
    wanted = {c.issue for c in run.config.children if c.issue} | {names[n] for n in gated if n in names}
    for number in sorted(wanted - set(issues)):
        ok, state = result.attempt(lambda: gh.issue(number))
        if ok:
            issues[number] = state

    pulls = run.state.pulls
    if pulls_changed:
        ok, fresh = result.attempt(lambda: gh.bot_pulls(BRANCH_PREFIX))
        pulls = fresh if ok else pulls
    reviews = _reviews(gh, mega, tuple(pulls), run.instance, result)

    def planned() -> Any:
        return plan_tracker(run.report, run.config, TrackerView(mega, issues, tuple(pulls), parent_subs, reviews),
                            research, render,
                            instance=run.instance, closed_now=closed_now)

    plan = planned()
    if plan.closures:
        # Close first, then render the MEGA with those issues closed: one run settles it.
        for closure in plan.closures:
            ok, _ = result.attempt(lambda: gh.close_issue(closure.issue, closure.comment),
                                   f"closed #{closure.issue} ({closure.name}): everything it carried has landed"
                                   if closure.name != "R-0" else f"closed #{closure.issue} (R-0): its gates are satisfied")
            if ok and closure.issue in issues:
                issues[closure.issue] = dataclasses.replace(issues[closure.issue], state="closed")
        plan = planned()

    new_ids: dict[str, int] = {}
    for comment in plan.comments:
        if comment.comment_id and not comment.changed:
            continue
        if comment.comment_id:
            result.attempt(lambda: gh.edit_comment(comment.comment_id, comment.body),
                           f"updated the {comment.child} comment on #{comment.issue}")
            continue
        marker = child_marker(comment.child, run.instance)
        # No id remembered (a first run, or a MEGA whose state line was lost): look for the
        # comment by its marker before making one, so a child never gets two.
        ok, existing = result.attempt(lambda: gh.find_comment(comment.issue, marker))
        if ok and existing is not None:
            new_ids[comment.child] = int(existing)
            result.attempt(lambda: gh.edit_comment(existing, comment.body),
                           f"updated the {comment.child} comment on #{comment.issue}")
            continue
        ok, posted = result.attempt(lambda: gh.post_comment(comment.issue, comment.body, marker),
                                    f"commented on #{comment.issue} for {comment.child}")
        if ok:
            new_ids[comment.child] = int(posted)  # type: ignore[call-overload]
    body = record_comment_ids(plan.body, new_ids, run.instance) if new_ids else plan.body
    if body != mega.body:
        result.attempt(lambda: gh.edit_issue_body(mega.number, body), f"updated MEGA #{mega.number}")
    return result


def _reviews(gh: Any, mega: Any, pulls: tuple[Any, ...], instance: str | None, result: TrackerResult) -> dict[int, Any]:
    """Where the reviews of the bot's open pull requests stand. What the MEGA remembers holds
    while a pull request's `updated_at` has not moved, so a quiet run reads no review at all."""
    from bot.tracker import Review, known_reviews, review_summary

    open_pulls = tuple(p for p in pulls if p.state == "open" and p.marker is not None)
    reviews = known_reviews(mega.body, open_pulls, instance)
    for pull in open_pulls:
        if pull.number in reviews:
            continue
        ok, raw = result.attempt(lambda: gh.reviews(pull.number))
        if ok:
            reviews[pull.number] = Review(pull.updated_at, review_summary(raw))
    return reviews


def _find_or_create_mega(gh: Any, configured: int | None, render: Callable[..., str], result: TrackerResult) -> Any:
    """The configured number; else the issue carrying the MEGA marker; else a new one."""
    from bot.tracker import MEGA_MARKER

    if configured:
        return result.attempt(lambda: gh.issue(configured))[1]
    ok, found = result.attempt(lambda: [i for i in gh.issues_labelled(BOT_LABEL) if MEGA_MARKER in i.body])
    if not ok:
        return None
    if found:
        return found[0]
    title = render("mega-title.txt.j2").strip()
    ok, mega = result.attempt(lambda: gh.create_issue(title, MEGA_MARKER + "\n", [BOT_LABEL], MEGA_MARKER))
    if ok:
        result.done.append(f"created MEGA #{mega.number} (add `mega: {mega.number}` under tracker: in .drift.yml)")
    return mega


def _research(gh: Any, config: Config, mega: Any, mega_subs: list, issues: dict, render: Callable[..., str],
              result: TrackerResult) -> dict[str, int]:
    """Key -> issue number of every research item, creating those declared by title."""
    from bot.tracker import research_marker

    research: dict[str, int] = {}
    for item in research_items(config):
        number = item.get("issue")
        if not number:
            marker = research_marker(str(item["key"]))
            existing = next((i for i in mega_subs if marker in i.body), None)
            if existing is None:
                body = marker + "\n" + render("research-body.md.j2", key=item["key"], title=item.get("title"),
                                               body=item.get("body"), mega=mega.number)
                ok, existing = result.attempt(lambda: gh.create_issue(str(item.get("title") or item["key"]), body,
                                                                      [BOT_LABEL], marker))
                if not ok:
                    continue
                result.done.append(f"created research issue #{existing.number} ({item['key']})")
                issues[existing.number] = existing
            number = existing.number
        research[str(item["key"])] = int(number)  # type: ignore[arg-type]
    return research


def _keep_research_linked(gh: Any, mega: Any, subs: list, research: dict[str, int], issues: dict,
                          result: TrackerResult) -> None:
    """Each research issue a sub-issue of the MEGA, and among them the configured order."""
    linked = {i.number for i in subs}
    for key, number in research.items():
        if number in linked:
            continue
        state = issues.get(number)
        if state is None:
            ok, state = result.attempt(lambda: gh.issue(number))
            if not ok:
                continue
            issues[number] = state
        ok, _ = result.attempt(lambda: gh.add_sub_issue(mega.number, state.id, replace_parent=True),
                               f"made #{number} ({key}) a sub-issue of #{mega.number}")
        if ok:
            subs.append(state)
    wanted = [n for n in research.values() if n in {i.number for i in subs}]
    if [i.number for i in subs if i.number in wanted] == wanted:
        return
    ids = {i.number: i.id for i in subs}
    for previous, number in zip([None, *wanted], wanted):
        if previous is None:
            if subs[0].number != number:
                result.attempt(lambda: gh.move_sub_issue(mega.number, ids[number], before_id=subs[0].id))
        else:
            result.attempt(lambda: gh.move_sub_issue(mega.number, ids[number], after_id=ids[previous]))
    result.done.append(f"put the research sub-issues of #{mega.number} in the configured order")


MIGRATION_BRANCH = "drift/docs-migration"


DOCS_MARKER = re.compile(r"<!-- drift-bot:docs (\{.*?\}) -->")


def docs_fingerprint(files: dict[str, str | None]) -> str:
    import hashlib

    h = hashlib.sha256()
    for path in sorted(files):
        h.update(f"\0{path}\0{files[path]}".encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class DocsPull:
    """A docs pull request `drift apply` keeps: its branch, title, files and what they say."""

    branch: str
    title: str
    files: dict[str, str | None]
    fingerprint: str  # names the content whatever the clock: a human's close is kept by it


def _holds(current: Any, base: str, files: dict[str, str | None]) -> bool:
    """Whether a branch is one commit on `base` changing exactly `files`."""
    from bot.adapters.git import blob_sha

    desired = {p: (blob_sha(t) if t is not None else None) for p, t in files.items()}
    return current is not None and current.parent == base and current.changes == desired


def _carry(git: Git, github: Any, base: str, branches: dict[str, Any], number: int | None, config: Config,
           files: dict[str, str | None], *, branch: str, title: str, body: str) -> str | None:
    """Make `branch` hold `files` on top of current main, and one open pull request show it;
    None when both already do."""
    current = branches.get(branch)
    if number is not None and _holds(current, base, files):
        return None
    commit = git.commit(base, files, title + "\n\n" + body, author(config))
    git.push(commit, branch, current.head if current else None)
    if number is not None:
        github.update_pull(number, title, body)
        return f"updated #{number} ({branch})"
    return f"opened #{github.create_pull(branch, config.base, title, body)} ({branch})"


def docs_pull_request(config: Config, repo: Path, files: dict[str, str | None], *, branch: str, title: str,
                      body: str) -> str:
    """One pull request carrying `files` (None: deleted) on `branch`, made from current main.
    Run again with the same files, it changes nothing; with other files, it updates that PR."""
    from bot.adapters.github import GitHub
    from bot.errors import DriftError

    access = github_access(config)
    if access is None:
        raise DriftError("a docs pull request needs GitHub: set GITHUB_TOKEN")
    git = Git(repo, config.remote, access.token, author(config))
    base, branches = git.sync(config.base, BRANCH_PREFIX)
    github = GitHub(access.token, access.repository, access.api_url)
    number = github.find_open_pull(branch) if branch in branches else None
    done = _carry(git, github, base, branches, number, config, files, branch=branch, title=title, body=body)
    return done or f"nothing to do: #{number} already carries these pages"


def _closed_fingerprint(body: str | None) -> str | None:
    m = DOCS_MARKER.search(body or "")
    try:
        data = json.loads(m.group(1)) if m else None
    except ValueError:
        return None
    return str(data.get("fingerprint")) if isinstance(data, dict) else None


def docs_pull_needed(run: Run, pull: DocsPull) -> tuple[bool, int | None]:
    """(whether `drift apply` must write `pull`, the number of its open pull request).

    Decided from what the run observed, so a quiet run makes no request. A pull request a human
    closed without merging is not opened again for the same content.
    """
    on_branch = [p for p in run.state.pulls if p.head == pull.branch]
    pending = next((p for p in sorted(on_branch, key=lambda p: -p.number) if p.state == "open"), None)
    if pending is None:
        refused = any(p.state == "closed" and not p.merged and _closed_fingerprint(p.body) == pull.fingerprint
                      for p in on_branch)
        return not refused, None
    return not _holds(run.state.branches.get(pull.branch), run.state.base_commit, pull.files), pending.number


def keep_docs_pull_request(run: Run, pull: DocsPull, body: str) -> str | None:
    """`drift apply`'s docs pull request (handover, migration), opened or brought up to date."""
    needed, number = docs_pull_needed(run, pull)
    if not needed:
        return None
    body = body.rstrip("\n") + "\n\n<!-- drift-bot:docs " + json.dumps({"fingerprint": pull.fingerprint}) + " -->\n"
    return _carry(run.git, run.github, run.state.base_commit, run.state.branches, number, run.config, pull.files,
                  branch=pull.branch, title=pull.title, body=body)


def migration_pull_request(config: Config, repo: Path, files: dict[str, str | None]) -> str:
    """The pages added and the legacy files removed, in one pull request for R-12."""
    return docs_pull_request(config, repo, files, branch=MIGRATION_BRANCH, title=MIGRATION_TITLE,
                             body=migration_body(config, files))


MIGRATION_TITLE = "docs: migrate the legacy deployment docs into the docs site"


def migration_body(config: Config, files: dict[str, str | None]) -> str:
    from bot.gates import issue_names

    names = issue_names(config)
    refs = f"Refs #{names['R-12']}\n" if "R-12" in names else ""
    removed = ", ".join(f"`{p}`" for p, t in files.items() if t is None)
    return (f"{refs}\nMoves {removed} into MDX pages of the docs site (escaped for MDX, links rewritten, "
            "secret values redacted) and lists them in `meta.json`.\n")


def github_site(config: Config) -> tuple[str, str]:
    """(server URL, owner/name) where links to the repository's files point."""
    return (os.environ.get("GITHUB_SERVER_URL", "https://github.com"),
            config.repository or os.environ.get("GITHUB_REPOSITORY", "OWNER/REPO"))


def migration_for_apply(run: Run) -> DocsPull | None:
    """The migration `docs.migrate` asks `drift apply` to keep in a pull request: the legacy
    files still on main become pages; once merged (they are gone) nothing is left."""
    from bot.migrate import migration_files

    base = run.state.base_commit
    sources = {path: text for path in run.config.docs.get("migrate") or []
               if (text := run.git.show(base, str(path))) is not None}
    if not sources:
        return None
    pages, _ = migration_files(run.config, sources, lambda path: run.git.show(base, path), *github_site(run.config))
    files = {**pages, **{src: None for src in sources}}
    return DocsPull(MIGRATION_BRANCH, MIGRATION_TITLE, files, docs_fingerprint(files))


def keep_migration(run: Run) -> str | None:
    pull = migration_for_apply(run)
    return keep_docs_pull_request(run, pull, migration_body(run.config, pull.files)) if pull else None


def docs_would_change(run: Run) -> bool:
    """Whether `drift apply` would write the handover or the migration pull request."""
    from bot.handover_run import handover_for_apply

    return any(pull is not None and docs_pull_needed(run, pull)[0]
               for pull in (handover_for_apply(run), migration_for_apply(run)))


def handover_body(config: Config) -> str:
    mega = config.tracker.mega
    return ("The handover of the live host, written by drift-bot from the snapshot, the findings and the "
            "tracker: review it as you would a colleague's page.\n" + (f"\nPart of #{mega}\n" if mega else ""))


def handover_pull_request(config: Config, repo: Path, files: dict[str, str], date: str, slug: str) -> str:
    from bot.handover_run import HANDOVER_BRANCH

    return docs_pull_request(config, repo, dict(files), branch=HANDOVER_BRANCH.format(slug=slug),
                             title=handover_title(date, slug), body=handover_body(config))


def handover_title(date: str, slug: str) -> str:
    return f"docs: handover {date} ({slug})"


def keep_handover(run: Run) -> str | None:
    """The handover entry `docs.handover` asks `drift apply` to keep in a pull request."""
    from bot.handover_run import handover_for_apply

    pull = handover_for_apply(run)
    return keep_docs_pull_request(run, pull, handover_body(run.config)) if pull else None
