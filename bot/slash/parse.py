"""Read a `/drift …` command from the first line of a comment, and nothing else.

The grammar is small and strict on purpose: a command word, then child names
(`R-4`, letters, digits, `-_.`), and for `close` a quoted `--reason`. Anything else is an
unknown command, answered with the help text; no part of a comment is ever run by a shell.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

PREFIX = "/drift"
MAX_LINE = 1000
CHILD = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")

# command -> (takes children, needs write access, what it does)
COMMANDS: dict[str, tuple[str, str]] = {
    "help": ("", "show this help"),
    "status": ("", "what differs between the live host and main, in one table"),
    "snapshot": ("", "capture the live files now and report the snapshot"),
    "plan": ("", "what `apply` would do on GitHub, changing nothing"),
    "apply": ("[CHILD …]", "open or update the pull requests (all, or only those of the named children)"),
    "reopen": ("CHILD …", "propose again the fixes of children whose pull request was closed unmerged"),
    "close": ('CHILD --reason "…"', "close a child that needs no pull request (doc-only), recording why in the MEGA"),
    "handover": ("", "write the handover and architecture pages into a pull request"),
    "unlock": ("", "release the run lock a killed run left behind, saying who held it (maintainers)"),
}


@dataclass(frozen=True)
class Command:
    name: str
    children: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Unknown:
    """Not a command this bot knows; `why` says what was wrong, for the reply."""

    why: str


def is_drift_comment(body: str | None) -> bool:
    first = (body or "").lstrip().split("\n", 1)[0].strip()
    return first == PREFIX or first.startswith(PREFIX + " ") or first.startswith(PREFIX + "\t")


def parse_command(body: str | None) -> Command | Unknown | None:
    """None when the comment is not for the bot; Unknown when it is but cannot be read."""
    if not is_drift_comment(body):
        return None
    line = (body or "").lstrip().split("\n", 1)[0].strip()
    if len(line) > MAX_LINE:
        return Unknown(f"the command line is longer than {MAX_LINE} characters")
    try:
        words = shlex.split(line[len(PREFIX):], posix=True)
    except ValueError as exc:
        return Unknown(f"the command could not be read ({exc})")
    if not words:
        return Command("help")
    name, args = words[0].lower(), words[1:]
    if name not in COMMANDS:
        return Unknown(f"`{_shown(words[0])}` is not a command")
    reason = None
    if name == "close":
        if "--reason" in args:
            at = args.index("--reason")
            if at + 1 >= len(args):
                return Unknown("`--reason` needs a quoted text")
            reason = " ".join(args[at + 1].split())[:500]
            args = args[:at] + args[at + 2:]
        if not reason:
            return Unknown('`close` needs a reason: `/drift close R-9 --reason "doc-only: nothing to change"`')
    for arg in args:
        if not CHILD.match(arg):
            return Unknown(f"`{_shown(arg)}` is not a child name (like R-4)")
    if name in ("reopen", "close") and not args:
        return Unknown(f"`{name}` needs at least one child, like R-4")
    if name in ("help", "status", "snapshot", "plan", "handover") and args:
        return Unknown(f"`{name}` takes no arguments")
    return Command(name, tuple(dict.fromkeys(a.upper() if a[:2].lower() in ("r-", "rt") else a for a in args)), reason)


def _shown(text: str) -> str:
    """A piece of the comment quoted back safely: short, no backticks or newlines."""
    text = re.sub(r"[`\r\n]", "", text)
    return text if len(text) <= 40 else text[:37] + "..."


def help_text() -> str:
    rows = "\n".join(f"| `/drift {name}{(' ' + args) if args else ''}` | {what} |" for name, (args, what) in COMMANDS.items())
    return ("One command per comment, on its first line:\n\n| Command | Does |\n| --- | --- |\n" + rows +
            "\n\nCommands that change GitHub need write access to this repository.")
