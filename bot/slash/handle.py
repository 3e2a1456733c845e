"""Handle one `issue_comment` event: who asked, may they, do it, and answer once.

The comment body reaches the bot only through the event file, never through a shell line;
it is parsed by `parse_command` and nothing of it is executed. Permission is looked up
through the API: `author_association` says how someone relates to the repository, not what
they may do in it.
"""
from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from bot.errors import DriftError
from bot.github.markers import reply_marker
from bot.slash.parse import COMMANDS, Command, Unknown, help_text, parse_command

REPLY_LIMIT = 65_536
WRITE_ROLES = {"write", "maintain", "admin"}
ROLE_RANK = {"read": 0, "triage": 1, "write": 2, "maintain": 3, "admin": 4}
DEFAULT_ROLES = {"unlock": "maintain"}


@dataclass
class Outcome:
    """What handling an event did; the CLI prints `summary` and exits with `code`.

    `reply` is the comment as posted; `uncut` is the whole reply when `reply` had to be cut
    to fit a comment (None when it was posted whole), for the CLI to keep in the run."""

    summary: str
    code: int = 0
    reply: str | None = None
    reactions: list[str] = field(default_factory=list)
    uncut: str | None = None


def run_link() -> str | None:
    server, repo, run_id = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


def open_fences(lines: list[str]) -> list[str | None]:
    """For each count of leading lines, the fence that is still open after them (None: none is)."""
    open_after: list[str | None] = [None]
    fence = None
    for line in lines:
        m = FENCE.fullmatch(line)
        if fence is None:
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = m.group(1)
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
            fence = None
        open_after.append(fence)
    return open_after


def cut_note(left_out: int, link: str | None) -> str:
    lines = f"{left_out:,} more line{'' if left_out == 1 else 's'}"
    where = f"the whole reply is in [the run]({link})" if link else "run the same command with the CLI for the whole output"
    return f"\n\n… and {lines}, left out to keep this reply under GitHub's size limit: {where}."


def cut(text: str, limit: int = REPLY_LIMIT) -> str:
    """`text` whole when it fits in `limit` characters (GitHub counts characters, not bytes);
    otherwise as many of its leading lines as fit with a note saying how many lines are left
    out and where the whole reply is. A code fence the cut leaves open is closed first, so
    that the note reads as text; the blank line before the note ends a table."""
    if len(text.rstrip("\n")) <= limit:
        return text[:limit]  # all that is over is newlines at the end, which show nothing
    lines = text.rstrip("\n").split("\n")
    fences = open_fences(lines)
    ends = list(accumulate(len(line) + 1 for line in lines))  # ends[k - 1] - 1: the first k lines, joined
    link = run_link()

    def tail(kept: int) -> str:
        fence = fences[kept]
        return (f"\n{fence}" if fence else "") + cut_note(len(lines) - kept, link)

    kept = bisect_right(ends, limit + 1)
    # The closing fence and the note come on top of the lines: give lines back until all fits.
    while kept > 0 and (ends[kept - 1] - 1) + len(tail(kept)) > limit:
        kept -= 1
    return "\n".join(lines[:kept]) + tail(kept)


def required_role(command: Command, config: Any) -> str:
    """The role `slash.roles` asks for the command (default write; maintain for `unlock`, which
    lifts another run's lock, as Atlantis keeps unlocking to those who may). The config loader
    has refused any other value; one that still is not a role is an error, never a fallback."""
    roles = config.slash_roles if config is not None else {}
    needs = roles.get(command.name, DEFAULT_ROLES.get(command.name, "write"))
    if not isinstance(needs, str) or needs not in ROLE_RANK:
        raise DriftError(f".drift.yml: slash.roles.{command.name} must be one of {', '.join(ROLE_RANK)}, not {needs!r}")
    return needs


@dataclass(frozen=True)
class Event:
    action: str
    repository: str
    issue: int
    comment_id: int
    body: str
    login: str
    user_type: str


def read_event(path: Path) -> Event:
    import json

    try:
        data = json.loads(path.read_text())
        comment, issue = data["comment"], data["issue"]
        return Event(str(data.get("action") or ""), str(data["repository"]["full_name"]), int(issue["number"]),
                     int(comment["id"]), str(comment.get("body") or ""), str(comment["user"]["login"]),
                     str(comment["user"].get("type") or "User"))
    except FileNotFoundError:
        raise DriftError(f"event file {path} not found (GitHub Actions sets GITHUB_EVENT_PATH)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DriftError(f"{path} is not an issue_comment event payload ({type(exc).__name__}: {exc})") from None


Runner = Callable[[Command], tuple[bool, str]]


def handle(event: Event, github: Any, config: Any, runner: Runner) -> Outcome:
    """Decide and answer; `runner` does the command itself and returns (ok, markdown)."""
    if event.action != "created":
        return Outcome(f"ignored: the comment was {event.action or 'not created'}, only new comments are commands")
    parsed = parse_command(event.body)
    if parsed is None:
        return Outcome("ignored: the comment does not start with /drift")

    reacted: list[str] = []

    def react(content: str) -> None:
        github.react(event.comment_id, content)
        reacted.append(content)

    def answer(summary: str, text: str, code: int = 0, then: str | None = None) -> Outcome:
        """Post the one reply (cut to fit when it must), then react with `then`."""
        whole = f"{reply_marker(event.comment_id)}\n@{event.login} {text.rstrip()}\n"
        posted = cut(whole)
        github.post_comment(event.issue, posted, reply_marker(event.comment_id))
        if then:
            react(then)
        return Outcome(summary, code=code, reply=posted, reactions=reacted, 
                       uncut=None if posted.rstrip("\n") == whole.rstrip("\n") else whole)

    if event.user_type.lower() == "bot" or event.login.endswith("[bot]"):
        return answer(f"refused: {event.login} is a bot", "drift-bot does not take commands from bots, so nothing was done.")
    command = parsed if isinstance(parsed, Command) else None
    needed = required_role(command, config) if command else "write"
    permission, role = github.permission(event.login)
    rank = max(ROLE_RANK.get(role, -1), ROLE_RANK.get(permission, -1))
    if rank < ROLE_RANK.get(needed, 2):
        return answer(f"refused: {event.login} has {role}, {needed} is needed",
                      f"thanks for asking; `/drift` commands need **{needed}** access to this repository "
                      f"and yours is **{role}**, so nothing was done. A maintainer can run it for you.")

    react("eyes")
    if isinstance(parsed, Unknown):
        return answer(f"unknown command: {parsed.why}", f"I could not read that: {parsed.why}.\n\n{help_text()}",
                      then="confused")
    if parsed.name == "help":
        return answer("help", help_text(), then="rocket")
    try:
        ok, text = runner(parsed)
    except DriftError as exc:
        ok, text = False, f"`/drift {parsed.name}` failed: {exc}"
    return answer(f"{parsed.name}: {'done' if ok else 'failed'}", text, code=0 if ok else 1,
                  then="rocket" if ok else "confused")


__all__ = ["COMMANDS", "Event", "Outcome", "handle", "read_event"]
