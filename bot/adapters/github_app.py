"""github_app: a GitHub App's installation token, minted from its private key (DRIFT_APP_ID and
DRIFT_APP_PRIVATE_KEY[_FILE]): the pull requests it opens run the repository's workflows, which
those opened with GITHUB_TOKEN do not."""
from __future__ import annotations

import os

from bot.adapters.github import DEFAULT_API, GitHubError, describe_failure

_minted: dict[tuple[str, str, str], str] = {}


def app_private_key() -> str:
    """The GitHub App's private key, from DRIFT_APP_PRIVATE_KEY (the PEM text) or the file
    DRIFT_APP_PRIVATE_KEY_FILE names; checked to be one, and never repeated in a message."""
    text = os.environ.get("DRIFT_APP_PRIVATE_KEY", "").strip()
    where = "DRIFT_APP_PRIVATE_KEY"
    if not text:
        path = os.environ.get("DRIFT_APP_PRIVATE_KEY_FILE", "").strip()
        if not path:
            raise GitHubError("DRIFT_APP_ID is set but no key: set DRIFT_APP_PRIVATE_KEY (the PEM text) or "
                              "DRIFT_APP_PRIVATE_KEY_FILE (its file)")
        where = f"DRIFT_APP_PRIVATE_KEY_FILE ({path})"
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise GitHubError(f"{where} cannot be read: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise GitHubError(f"{where} is not a PEM private key without a passphrase (the .pem file GitHub "
                          "offers under the app's Private keys)") from None
    return text + "\n"


def app_installation_token(app_id: str, private_key: str, repository: str, api_url: str | None = None) -> str:
    """An installation token of the GitHub App `app_id` for `repository`, minted with the app's
    JWT (PyGithub's app authentication): pull requests it opens run the repository's workflows,
    which those opened with GITHUB_TOKEN do not. Minted once per process."""
    api_url = api_url or DEFAULT_API
    key = (app_id, repository.lower(), api_url)
    if key in _minted:
        return _minted[key]
    from github import Auth, GithubIntegration

    owner, _, name = repository.partition("/")
    what = f"mint an installation token of GitHub App {app_id} for {repository}"
    try:
        integration = GithubIntegration(auth=Auth.AppAuth(app_id, private_key), base_url=api_url)
        installation = integration.get_repo_installation(owner, name)
        token = integration.get_access_token(installation.id).token
    except Exception as exc:  # noqa: BLE001 - one line naming the call
        failure = describe_failure(exc, what)
        if getattr(exc, "status", None) == 404:
            failure = GitHubError(f"{what}: the app is not installed on {repository} (GitHub answered 404); "
                                  "install it there with contents, pull requests and issues write")
        raise failure from None
    _minted[key] = token
    return token
