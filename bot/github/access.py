"""access: the token, the repository and the bot's identity, read from the environment and
`.drift.yml` at the edge; and the run lock every writing run holds on the remote."""
from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.adapters.git import Git, lock_field
from bot.config import Config
from bot.errors import ConfigError
from bot.plan import TitleFn
from bot.render import render_template

BRANCH_PREFIX = "drift/"


@dataclass(frozen=True)
class GitHubAccess:
    token: str
    repository: str
    api_url: str
    server: str = "https://github.com"


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
        from bot.adapters.github_app import app_installation_token, app_private_key

        token = app_installation_token(app_id, app_private_key(), repository, api_url)
    return GitHubAccess(token, repository, api_url, server_url())


def server_url() -> str:
    """Where links to the repository's files point (GitHub Enterprise sets its own)."""
    return os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")


def site(config: Config) -> tuple[str, str]:
    """(server URL, owner/name) for links, with or without a token."""
    return server_url(), config.repository or os.environ.get("GITHUB_REPOSITORY", "OWNER/REPO")


def author(config: Config) -> tuple[str, str]:
    """The identity every commit of the bot is authored and committed as: `bot: {name, email}`
    in .drift.yml (checked when it was read), else the default; never git's config or the host name."""
    return config.identity


def team_templates(config: Config) -> str | None:
    """The team's own templates folder (`templates:` in .drift.yml), which wins over the bundled one."""
    return str(config.root / config.templates) if config.templates else None


def title_from_template(templates: str | None) -> TitleFn:
    def title(children: tuple[str, ...], base: str) -> str:
        return render_template("pr-title.txt.j2", templates=templates, children=children, base=base).strip()

    return title


@contextlib.contextmanager
def run_lock(git: Git, base_commit: str, run_status: Callable[[int], str | None] | None = None) -> Iterator[None]:
    """Hold the lock on the remote for a whole apply: two runs started together end as one.

    DRIFT_LOCK_TTL (seconds, default 900) bounds how long a killed run can hold it;
    DRIFT_LOCK_WAIT (default 600) how long a second run waits before giving up. `run_status`
    tells whether the GitHub Actions run that holds the lock is still going.
    """
    # Unique per run (the nonce): a lock push whose answer was lost is recognised as ours.
    holder = (f"{socket.gethostname()} pid {os.getpid()}" + (f" run {os.environ['GITHUB_RUN_ID']}" if os.environ.get("GITHUB_RUN_ID") else "")
              + f" #{secrets.token_hex(4)}")
    lock = git.acquire_lock(holder, base_commit, int(os.environ.get("DRIFT_LOCK_TTL", "900")), time.time(),
                            float(os.environ.get("DRIFT_LOCK_WAIT", "600")), time.sleep,
                            dead=lambda message: holder_gone(message, run_status))
    try:
        yield
    finally:
        git.release_lock(lock)


def holder_gone(message: str, run_status: Callable[[int], str | None] | None = None) -> bool:
    """Whether the run holding the lock is known to be dead: a GitHub Actions run GitHub says is
    completed (cancelled, timed out, failed), or a run on this machine whose process is gone. Its
    lock is then taken over without waiting for its expiry; anything unknown is not dead."""
    run = lock_field(message, "run") or ""
    if run.isdigit() and run_status is not None and run_status(int(run)) == "completed":
        return True
    host, pid = lock_field(message, "host"), lock_field(message, "pid")
    if host != socket.gethostname() or not (pid or "").isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, though not ours to signal
    return False


def today() -> str:
    """UTC's date: a new handover entry's."""
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()
