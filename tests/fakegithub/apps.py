"""GitHub Apps: an app with its own RSA key, installed on repositories, whose JSON web token
(RS256, signed with the app's private key, checked here with its public key) buys installation
tokens. An installation token acts as the app's bot user (`<slug>[bot]`) with the permissions
the installation was given, as on GitHub."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Optional

from .api import Ctx, route
from .httputil import ApiError, Reply, not_found, parse_authorization, validation_failed
from .operations import R
from .state import User, iso

if TYPE_CHECKING:  # pragma: no cover
    from .server import FakeGitHub

# The operations that take the app's JWT instead of a token.
JWT_OPERATIONS = {R + "/installation", "/app/installations/{installation_id}/access_tokens"}
MAX_JWT_LIFETIME = 600  # seconds: "no more than 10 minutes into the future"
CLOCK_SKEW = 60
ACCESS = {"read": 1, "write": 2, "admin": 3}


@dataclass(eq=False)
class App:
    id: int
    slug: str
    client_id: str
    private_key_pem: str
    public_key_pem: bytes
    bot: User
    permissions: dict[str, str]
    installations: dict[str, int] = field(default_factory=dict)  # repo full name (lower) -> installation id
    tokens: list[str] = field(default_factory=list)  # installation tokens minted, oldest first

    @property
    def bot_login(self) -> str:
        return self.bot.login


def add_app(fake: "FakeGitHub", slug: str, repos: tuple[str, ...] | list[str] = (),
            permissions: Optional[dict[str, str]] = None) -> App:
    """A GitHub App installed on `repos` with `permissions` (default: contents, pull requests and
    issues write, metadata read). Its bot user gets the matching role on each repository."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    perms = dict(permissions or {"contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"})
    with fake._lock:
        bot = fake.add_user(f"{slug}[bot]", "Bot")
        app = App(fake.ids.next("app"), slug, f"Iv1.{secrets.token_hex(8)}", private, public, bot, perms)
        if not hasattr(fake, "apps"):
            fake.apps = {}
        fake.apps[app.id] = app
        for repo in repos:
            install(fake, app, repo)
    return app


def install(fake: "FakeGitHub", app: App, repo: str) -> int:
    r = fake.repo(repo)
    with fake._lock:
        app.installations[r.full_name.lower()] = fake.ids.next("installation")
        writes = any(app.permissions.get(p) in ("write", "admin") for p in ("contents", "pull_requests", "issues"))
        fake.grant(r.full_name, app.bot.login, "write" if writes else "read")
        return app.installations[r.full_name.lower()]


def looks_like_jwt(token: Optional[str]) -> bool:
    return bool(token) and token.count(".") == 2


def _app_for(ctx: Ctx) -> App:
    """The app whose JWT authenticates this request; GitHub's 401 otherwise."""
    import jwt

    token = parse_authorization(ctx.headers.get("authorization")).token
    if not looks_like_jwt(token):
        raise ApiError(401, "A JSON web token could not be decoded")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise ApiError(401, "A JSON web token could not be decoded") from None
    if header.get("alg") != "RS256":
        raise ApiError(401, "A JSON web token could not be decoded")
    issuer = str(claims.get("iss", ""))
    apps: dict[int, App] = getattr(ctx.fake, "apps", {})
    app = next((a for a in apps.values() if issuer in (str(a.id), a.client_id)), None)
    if app is None:
        raise ApiError(401, "A JSON web token could not be decoded")
    try:
        jwt.decode(token, app.public_key_pem, algorithms=["RS256"], leeway=CLOCK_SKEW,
                   options={"require": ["iat", "exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "'Expiration time' claim ('exp') must be a numeric value representing the future "
                            "time at which the assertion expires") from None
    except jwt.PyJWTError:
        raise ApiError(401, "A JSON web token could not be decoded") from None  # a signature not the app's
    import time

    if not isinstance(claims.get("iat"), int) or claims["iat"] > time.time() + CLOCK_SKEW:
        raise ApiError(401, "'Issued at' claim ('iat') must be an Integer representing the time that the "
                            "assertion was issued")
    if not isinstance(claims.get("exp"), int) or claims["exp"] > time.time() + MAX_JWT_LIFETIME + CLOCK_SKEW:
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
    return app


def _installation(ctx: Ctx, app: App, installation_id: int, full_name: str) -> dict:
    fake = ctx.fake
    repo = fake.repo(full_name)
    owner = repo.owner
    now = iso(fake.clock.now())
    return {"id": installation_id, "account": ctx.r.user(owner), "repository_selection": "selected",
            "access_tokens_url": f"{fake.api_url}/app/installations/{installation_id}/access_tokens",
            "repositories_url": f"{fake.api_url}/installation/repositories",
            "html_url": f"https://github.com/settings/installations/{installation_id}", "app_id": app.id,
            "client_id": app.client_id, "target_id": owner.id, "target_type": owner.type,
            "permissions": dict(app.permissions), "events": [], "created_at": now, "updated_at": now,
            "single_file_name": None, "app_slug": app.slug, "suspended_by": None, "suspended_at": None}


@route("GET", R + "/installation")
def repository_installation(ctx: Ctx) -> Reply:
    app = _app_for(ctx)
    repo = ctx.fake._find_repo(ctx.params["owner"], ctx.params["repo"])
    if repo is None or repo.full_name.lower() not in app.installations:
        raise not_found()
    return Reply(200, _installation(ctx, app, app.installations[repo.full_name.lower()], repo.full_name))


@route("POST", "/app/installations/{installation_id}/access_tokens")
def installation_token(ctx: Ctx) -> Reply:
    app = _app_for(ctx)
    wanted = ctx.int_param("installation_id")
    full_name = next((name for name, number in app.installations.items() if number == wanted), None)
    if full_name is None:
        raise not_found()
    asked = ctx.b("permissions") or {}
    for name, level in asked.items():
        if ACCESS.get(level, 9) > ACCESS.get(app.permissions.get(name, ""), 0):
            raise validation_failed(message="The permissions requested are not granted to this installation.")
    fake = ctx.fake
    token = f"ghs_{secrets.token_urlsafe(27)}"
    with fake._lock:
        fake._tokens[token] = app.bot
        app.tokens.append(token)
    expires = iso(fake.clock.now() + timedelta(hours=1))
    return Reply(201, {"token": token, "expires_at": expires, "permissions": dict(asked or app.permissions),
                       "repository_selection": "selected"})

