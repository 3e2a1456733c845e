"""Handle one `issue_comment` event: who asked, may they, do it, and answer once.

The comment body reaches the bot only through the event file, never through a shell line;
it is parsed by `parse_command` and nothing of it is executed. Permission is looked up
through the API: `author_association` says how someone relates to the repository, not what
they may do in it.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import DriftError
from bot.slash.parse import COMMANDS, Command, Unknown, help_text, parse_command

REPLY_LIMIT = 65_536
WRITE_ROLES = {"write", "maintain", "admin"}
ROLE_RANK = {"read": 0, "triage": 1, "write": 2, "maintain": 3, "admin": 4}


@dataclass
class Outcome:
    """What handling an event did; the CLI prints `summary` and exits with `code`."""

    summary: str
    code: int = 0
    reply: str | None = None
    reactions: list[str] = field(default_factory=list)


def reply_marker(comment_id: int) -> str:
    return f"<!-- drift-bot:reply {comment_id} -->"


def run_link() -> str | None:
    server, repo, run_id = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def cut(text: str, limit: int = REPLY_LIMIT - 1024) -> str:
    if len(text) <= limit:
        return text
    link = run_link()
    tail = f"\n\n… cut to fit a comment; the whole output is in [the run]({link})." if link else \
        "\n\n… cut to fit a comment; run the same command with the CLI for the whole output."
    return text[: limit - len(tail)].rsplit("\n", 1)[0] + tail


def required_role(command: Command, config: Any) -> str:
    slash = (config.extra.get("slash") or {}) if config is not None else {}
    needs = (slash.get("roles") or {}).get(command.name) if isinstance(slash, dict) else None
    return str(needs or "write")


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

    def answer(text: str) -> str:
        body = f"{reply_marker(event.comment_id)}\n@{event.login} {text.rstrip()}\n"
        github.post_comment(event.issue, cut(body), reply_marker(event.comment_id))
        return body

    if event.user_type.lower() == "bot" or event.login.endswith("[bot]"):
        reply = answer("drift-bot does not take commands from bots, so nothing was done.")
        return Outcome(f"refused: {event.login} is a bot", reply=reply)
    command = parsed if isinstance(parsed, Command) else None
    needed = required_role(command, config) if command else "write"
    permission, role = github.permission(event.login)
    rank = max(ROLE_RANK.get(role, -1), ROLE_RANK.get(permission, -1))
    if rank < ROLE_RANK.get(needed, 2):
        reply = answer(f"thanks for asking; `/drift` commands need **{needed}** access to this repository "
                       f"and yours is **{role}**, so nothing was done. A maintainer can run it for you.")
        return Outcome(f"refused: {event.login} has {role}, {needed} is needed", reply=reply)

    github.react(event.comment_id, "eyes")
    reactions = ["eyes"]
    if isinstance(parsed, Unknown):
        reply = answer(f"I could not read that: {parsed.why}.\n\n{help_text()}")
        github.react(event.comment_id, "confused")
        return Outcome(f"unknown command: {parsed.why}", reply=reply, reactions=reactions + ["confused"])
    if parsed.name == "help":
        reply = answer(help_text())
        github.react(event.comment_id, "rocket")
        return Outcome("help", reply=reply, reactions=reactions + ["rocket"])
    try:
        ok, text = runner(parsed)
    except DriftError as exc:
        ok, text = False, f"`/drift {parsed.name}` failed: {exc}"
    reply = answer(text)
    github.react(event.comment_id, "rocket" if ok else "confused")
    return Outcome(f"{parsed.name}: {'done' if ok else 'failed'}", code=0 if ok else 1, reply=reply,
                   reactions=reactions + ["rocket" if ok else "confused"])


__all__ = ["COMMANDS", "Event", "Outcome", "handle", "read_event"]
