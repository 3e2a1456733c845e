"""Small HTTP pieces shared by the API and the git endpoint."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Optional

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An error answer, shaped as GitHub shapes it."""

    def __init__(self, status: int, message: str, *, errors: list | None = None,
                 doc: str = DOCS, headers: dict | None = None, body: Any = "default"):
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.doc = doc
        self.headers = headers or {}
        self._body = body

    def payload(self) -> Any:
        if self._body != "default":
            return self._body
        d: dict[str, Any] = {"message": self.message, "documentation_url": self.doc}
        if self.errors is not None:
            d["errors"] = self.errors
        # GitHub also sends "status"; several error schemas of the description
        # (validation-error, the 405/409 of a merge) do not document it, so the
        # fake leaves it out of operation errors.
        return d


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation_failed(*errors: dict, message: str = "Validation Failed") -> ApiError:
    return ApiError(422, message, errors=list(errors) if errors else None)


@dataclass
class Reply:
    status: int = 200
    data: Any = None  # JSON-able; None = no body
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Credentials:
    """What an Authorization header carried."""

    present: bool
    token: Optional[str] = None


def parse_authorization(value: Optional[str]) -> Credentials:
    if not value:
        return Credentials(False)
    scheme, _, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    rest = rest.strip()
    if scheme in ("token", "bearer"):
        return Credentials(True, rest or None)
    if scheme == "basic":
        try:
            user, _, password = base64.b64decode(rest).decode().partition(":")
        except Exception:
            return Credentials(True, None)
        # x-access-token:TOKEN (GitHub App style) or login:TOKEN
        return Credentials(True, password or user or None)
    return Credentials(True, None)


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
