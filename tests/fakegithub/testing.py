"""What the fake's own tests share: the bot's login, a seeded repository, and raw requests."""
from __future__ import annotations

from typing import Any

import requests

from tests.fakegithub import FakeGitHub

BOT = "drift-bot[bot]"
REPO = "acme/stack"


def seed(fake: FakeGitHub, *, users: tuple[str, ...] = (), **repo_options: Any) -> FakeGitHub:
    """The bot (with write access) and `users` on one repository, `acme/stack`."""
    fake.add_user(BOT, "Bot")
    for login in users:
        fake.add_user(login)
    fake.add_repo(REPO, **repo_options)
    fake.grant(REPO, BOT, "write")
    return fake


def api(fake: FakeGitHub, method: str, path: str, login: str = BOT, **kw: Any) -> requests.Response:
    return requests.request(method, fake.api_url + path, timeout=5,
                            headers={"Authorization": f"token {fake.token_for(login)}"}, **kw)
