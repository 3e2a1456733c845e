"""A GitHub App instead of GITHUB_TOKEN: DRIFT_APP_ID and its private key mint an installation
token (PyGithub's app authentication, the JWT checked by the fake with the app's public key),
which opens the pull requests and carries the pushes: pull requests whose CI runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import run_git
from tests.github_world import REPO, make_world
from tests.cli_support import run


def _app_env(world, app, key_file: Path | None = None) -> dict[str, str]:
    env = {"GITHUB_TOKEN": "", "GITHUB_API_URL": world.fake.api_url, "DRIFT_APP_ID": str(app.id)}
    if key_file is None:
        env["DRIFT_APP_PRIVATE_KEY"] = app.private_key_pem
    else:
        key_file.write_text(app.private_key_pem)
        env["DRIFT_APP_PRIVATE_KEY_FILE"] = str(key_file)
    return env


def _drift(world, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    return run(*args, "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env=env)


@pytest.mark.parametrize("from_file", [False, True], ids=["key-in-env", "key-file"])
def test_apply_as_a_github_app_opens_the_pull_requests_as_the_app(fake_github: FakeGitHub, tmp_path: Path,
                                                                    from_file: bool) -> None:
    world = make_world(fake_github, tmp_path)
    app = fake_github.add_app("drift-app", [REPO])
    env = _app_env(world, app, tmp_path / "key.pem" if from_file else None)
    fake_github.reset_log()
    code, out, err = _drift(world, env, "apply")
    assert (code, err) == (0, ""), err
    pulls = world.pulls()
    assert pulls and {p.user.login for p in pulls} == {"drift-app[bot]"}
    # One token minted for the run, with the JWT; every API call and git push went as the app.
    assert len(app.tokens) == 1
    assert fake_github.count("all", endpoint="/app/installations/{installation_id}/access_tokens") == 1
    logins = {e.login for e in fake_github.requests(kind="any") if e.template != "/app/installations/{installation_id}/access_tokens"
              and e.template != "/repos/{owner}/{repo}/installation"}
    assert logins == {"drift-app[bot]"}
    pushes = fake_github.requests("writes", kind="git")
    assert pushes and all(e.login == "drift-app[bot]" for e in pushes)
    # The commits are the bot's, whatever the machine's git says (it says nothing here).
    head = run_git("log", "-1", "--format=%an <%ae> / %cn <%ce>", pulls[0].pull.head_ref, cwd=fake_github.git_path(REPO))
    assert head.stdout.strip() == "drift-bot <drift-bot@users.noreply.github.com> / drift-bot <drift-bot@users.noreply.github.com>"
    for text in (out, err, (world.checkout / ".git" / "config").read_text()):
        assert app.tokens[0] not in text and "PRIVATE KEY" not in text
    # A second run finds nothing to do and writes nothing.
    fake_github.reset_log()
    code, out, err = _drift(world, env, "apply")
    assert (code, err) == (0, "") and "nothing to do" in out
    assert fake_github.count("writes", endpoint="/repos/{owner}/{repo}/pulls") == 0


def test_a_key_that_is_not_the_apps_is_refused_by_github_in_one_line(fake_github: FakeGitHub, tmp_path: Path) -> None:
    world = make_world(fake_github, tmp_path)
    app = fake_github.add_app("drift-app", [REPO])
    other = fake_github.add_app("someone-else", [])
    env = {**_app_env(world, app), "DRIFT_APP_PRIVATE_KEY": other.private_key_pem}
    code, out, err = _drift(world, env, "plan")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "GitHub answered 401" in err and "Traceback" not in err
    assert not app.tokens


def test_an_app_not_installed_on_the_repository_is_one_line(fake_github: FakeGitHub, tmp_path: Path) -> None:
    world = make_world(fake_github, tmp_path)
    app = fake_github.add_app("drift-app", [])
    code, _, err = _drift(world, _app_env(world, app), "plan")
    assert code == 1 and err.count("\n") == 1
    assert f"the app is not installed on {REPO}" in err


def test_a_key_that_is_no_key_is_one_line_that_does_not_repeat_it(fake_github: FakeGitHub, tmp_path: Path) -> None:
    world = make_world(fake_github, tmp_path)
    app = fake_github.add_app("drift-app", [REPO])
    env = {**_app_env(world, app), "DRIFT_APP_PRIVATE_KEY": "not-a-key-s3cr3t"}
    code, _, err = _drift(world, env, "plan")
    assert code == 1 and err.count("\n") == 1 and "not a PEM private key" in err and "s3cr3t" not in err
    env = {"GITHUB_API_URL": fake_github.api_url, "DRIFT_APP_ID": str(app.id)}
    code, _, err = _drift(world, env, "plan")
    assert code == 1 and "DRIFT_APP_PRIVATE_KEY" in err and err.count("\n") == 1


def test_the_fake_refuses_a_jwt_that_lives_longer_than_ten_minutes(fake_github: FakeGitHub) -> None:
    import time

    import jwt
    import requests

    fake_github.add_repo("acme/stack")
    app = fake_github.add_app("drift-app", ["acme/stack"])
    now = int(time.time())
    url = f"{fake_github.api_url}/repos/acme/stack/installation"

    def ask(claims: dict) -> requests.Response:
        token = jwt.encode(claims, app.private_key_pem, algorithm="RS256")
        return requests.get(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
                            timeout=10)

    assert ask({"iat": now - 60, "exp": now + 540, "iss": str(app.id)}).status_code == 200
    assert ask({"iat": now - 60, "exp": now + 3600, "iss": str(app.id)}).status_code == 401
    assert ask({"iat": now - 900, "exp": now - 300, "iss": str(app.id)}).status_code == 401
    assert ask({"iat": now - 60, "exp": now + 540, "iss": "999"}).status_code == 401
