"""git smart HTTP for the fake's repositories, through the real git-http-backend (CGI)."""

from __future__ import annotations

import os
import re
import subprocess
from typing import TYPE_CHECKING, Optional

from .httputil import parse_authorization
from .state import User

if TYPE_CHECKING:  # pragma: no cover
    from .server import FakeGitHub

GIT_PATH = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+?)\.git(?P<rest>/.*)?$")
# How many Authorization headers a request carried, when more than one (set by the server).
AUTH_COUNT = ":authorization-count"


def _backend() -> str:
    p = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True)
    return os.path.join(p.stdout.strip(), "git-http-backend")


_BACKEND: Optional[str] = None


def git_template(path: str, query: str) -> Optional[str]:
    m = GIT_PATH.match(path)
    if not m:
        return None
    rest = m.group("rest") or "/"
    if rest == "/info/refs":
        svc = re.search(r"service=([\w-]+)", query or "")
        rest += f"?service={svc.group(1)}" if svc else ""
    return "/{owner}/{repo}.git" + rest


def is_push(path: str, query: str) -> bool:
    return path.endswith("/git-receive-pack") or "service=git-receive-pack" in (query or "")


def _text(status: int, message: str, extra: dict | None = None):
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    headers.update(extra or {})
    return status, headers, (message + "\n").encode()


def serve(fake: "FakeGitHub", method: str, path: str, query: str, headers: dict[str, str],
          body: bytes) -> tuple[int, dict[str, str], bytes, Optional[User], bool]:
    """Answer one git HTTP request: (status, headers, body, user, was_push)."""
    global _BACKEND
    m = GIT_PATH.match(path)
    assert m
    push = is_push(path, query)
    challenge = {"WWW-Authenticate": 'Basic realm="GitHub"'}
    if headers.get(AUTH_COUNT):
        # Two Authorization headers (actions/checkout's persisted extraheader plus one's own) get
        # 400 'Duplicate header: "Authorization"': peter-evans/create-pull-request#4272,
        # case-contract-testing/contract-case#1356, Mic92/update-flake-inputs#29.
        return (*_text(400, 'Duplicate header: "Authorization"'), None, push)
    raw = (headers.get("authorization") or "").strip()
    if raw and raw.partition(" ")[0].lower() != "basic":
        # GitHub's git endpoint takes a token only as the password of Basic authentication
        # (`x-access-token:TOKEN`, docs.github.com/en/apps/creating-github-apps/authenticating-
        # with-a-github-app/authenticating-as-a-github-app-installation, "Using an installation
        # access token to authenticate as an app installation"); `Authorization: bearer` (or
        # `token`) gets 401 although the REST API takes it: fluxcd/source-controller#1091,
        # scottgl9/skelm#152, entireio/cli#827.
        return (*_text(401, "Invalid username or token. Password authentication is not "
                            "supported for Git operations.", challenge), None, push)
    creds = parse_authorization(raw or None)
    user: Optional[User] = None
    if creds.present:
        user = fake._user_for_token(creds.token)
        if user is None:
            return (*_text(401, "Invalid username or token. Password authentication is not "
                                "supported for Git operations.", challenge), None, push)
    with fake._lock:
        repo = fake._find_repo(m.group("owner"), m.group("repo"))
        perm = repo.permission_of(user) if repo is not None else None
    if repo is None or perm is None:
        if user is None:
            return (*_text(401, "Authentication required", challenge), None, push)
        return (*_text(404, "Repository not found."), user, push)
    if push:
        if user is None:
            return (*_text(401, "Authentication required", challenge), None, push)
        if not repo.has(user, "write"):
            return (*_text(403, f"Permission to {repo.full_name}.git denied to {user.login}."),
                    user, push)
    if _BACKEND is None:
        _BACKEND = _backend()
    rest = m.group("rest") or "/"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(fake.root),
        "GIT_PROJECT_ROOT": str(fake.git_root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH_INFO": f"/{repo.owner.login}/{repo.name}.git{rest}",
        "REQUEST_METHOD": method,
        "QUERY_STRING": query or "",
        "CONTENT_TYPE": headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_USER": user.login if user else "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1",
    }
    for k, v in headers.items():
        if k in ("authorization", "content-type", "content-length", AUTH_COUNT):
            continue
        env["HTTP_" + k.upper().replace("-", "_")] = v
    p = subprocess.run([_BACKEND], input=body, capture_output=True, env=env)
    out = p.stdout
    sep = out.find(b"\r\n\r\n")
    sep_len = 4
    if sep < 0 or (0 <= out.find(b"\n\n") < sep):
        sep, sep_len = out.find(b"\n\n"), 2
    if sep < 0:
        return (*_text(500, "git-http-backend failed: " + p.stderr.decode(errors="replace")),
                user, push)
    status = 200
    hdrs: dict[str, str] = {}
    for line in out[:sep].decode("latin-1").splitlines():
        if not line.strip():
            continue
        k, _, v = line.partition(":")
        if k.lower() == "status":
            status = int(v.strip().split()[0])
        else:
            hdrs[k.strip()] = v.strip()
    return status, hdrs, out[sep + sep_len:], user, push
