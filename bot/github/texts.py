"""texts: the pull request body, commit message and closing comment, rendered from templates/."""
from __future__ import annotations

from bot.compare import file_kind
from bot.github.markers import render_marker
from bot.github.world import World
from bot.model import GitHubState, ProposedPR
from bot.render import fit, render_template
from bot.secrets.references import referenced_names


def mega_number(world: World, state: GitHubState) -> int | None:
    """The MEGA the pull requests belong to: the one GitHub holds, else the configured number."""
    return state.mega.number if state.mega is not None else world.config.tracker.mega


def pr_body(world: World, state: GitHubState, pr: ProposedPR) -> str:
    marker = render_marker({"slug": pr.slug, "fingerprint": pr.fingerprint, "children": list(pr.children)})
    secrets = sorted({"${" + name + "}" for d in pr.divergences if d.secret for name in referenced_names(d)})
    evidence = [f for f in world.snapshot.files if f.repo_path in {d.file for d in pr.divergences}]
    env_file = next((live for live, repo in world.config.files if file_kind(repo) == "dotenv"), ".env")
    # One table row per change: a child with hundreds of them is cut to GitHub's body limit.
    return fit(lambda rows: render_template("pr-body.md.j2", templates=world.templates, marker=marker, pr=pr,
                                            report=world.report, base=world.config.base, base_commit=state.base_commit,
                                            mega=mega_number(world, state), secrets=secrets, env_file=env_file,
                                            evidence=evidence, limit=rows),
               len(pr.divergences))


def commit_message(world: World, state: GitHubState, pr: ProposedPR) -> str:
    mega = mega_number(world, state)
    refs = "".join(f"Refs #{i}\n" for i in pr.issues) + (f"Part of #{mega}\n" if mega else "")
    report = world.report
    return f"{pr.title}\n\n{refs}\nLive on {report.host} in snapshot {report.snapshot_id} ({report.captured_at}).\n"


def close_comment(world: World, reason: str, branch: str | None) -> str:
    return render_template("pr-close.md.j2", templates=world.templates, reason=reason, branch=branch)
