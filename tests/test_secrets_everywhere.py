"""Secrets everywhere (issue 9): secrets planted in every tracked file type, caught by key name
and by value shape, reach nothing the bot writes or says — no request body GitHub receives, no
object of the repository, no MDX page, no snapshot file, no log line, no CLI output — and the
token the bot is given appears nowhere either, not even in the error of a run that fails.

Every run plants fresh random values, so a value cannot be special-cased anywhere.
"""
from __future__ import annotations

import json
import logging
import secrets
import socket
import string
import subprocess
import traceback
from pathlib import Path

import pytest

from tests.cli_support import run
from tests.fakegithub import FakeGitHub
from tests.github_world import BOT, HUMAN, REPO, World, make_world

ALNUM = string.ascii_letters + string.digits
# The bundled example's own live secrets (static, but they must not leak either).
EXAMPLE = {"example LiveKit secret": "Zx4Kp9Qw2Lm7Vb3Nt8Rc5Hy1Jd6Fg0Sa4We7Qt2Yu",
           "example HF token": "hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za", "example LiveKit key": "APIq7Rk2Vd9XwLm4"}


def _random(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def fresh_secrets() -> dict[str, str]:
    """One fresh value per (file type, how it is recognised)."""
    upper = string.ascii_uppercase + string.digits
    return {
        # .env
        ".env GITHUB_TOKEN (name + ghp_ shape)": "ghp_" + _random(36),
        ".env OPENAI_API_KEY (name + sk-proj- shape)": "sk-proj-" + _random(40),
        ".env DB_PASSWORD (name only, low entropy)": "correct-horse-" + secrets.token_hex(4),
        ".env SOME_SETTING (entropy only)": _random(40),
        ".env MODEL_NOTE (hf_ shape only)": "hf_" + _random(34),
        ".env AWS_SECRET_ACCESS_KEY (name + entropy)": _random(40, ALNUM + "/+"),
        # compose environment, map and list syntax
        "compose AWS_ACCESS_KEY_ID (name + AKIA shape)": "AKIA" + _random(16, upper),
        "compose DATABASE_URL password (in a URL)": "p" + secrets.token_hex(6),
        "compose list HF_TOKEN (name + hf_ shape)": "hf_" + _random(34),
        "compose UPSTREAM_HINT (sk- shape only)": "sk-" + _random(48),
        "compose CACHE_SALT (entropy only)": _random(40),
        # Dockerfile ENV and ARG
        "Dockerfile ENV HF_TOKEN (name + hf_ shape)": "hf_" + _random(34),
        "Dockerfile ARG GH_TOKEN (name + ghp_ shape)": "ghp_" + _random(36),
        "Dockerfile ENV BUILD_LABEL (AKIA shape only)": "AKIA" + _random(16, upper),
        "Dockerfile ARG PIP_EXTRA_INDEX_URL password (in a URL)": "u" + secrets.token_hex(8),
        # a tracked file of no special kind (YAML compared as text), added whole by its PR
        "overlay hf_token: (name + hf_ shape)": "hf_" + _random(34),
        "overlay comment (ghp_ shape only)": "ghp_" + _random(36),
        # Caddyfile headers
        "Caddyfile header_up Authorization Bearer": "Zt" + _random(30),
        "Caddyfile header_up X-Api-Key (entropy)": _random(32),
    }


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}: the plant no longer fits the example"
    path.write_text(text.replace(old, new, 1))


def plant(instance: Path, s: dict[str, str]) -> None:
    env = instance / ".env"
    env.write_text(env.read_text()
                   + f"GITHUB_TOKEN={s['.env GITHUB_TOKEN (name + ghp_ shape)']}\n"
                   + f"OPENAI_API_KEY={s['.env OPENAI_API_KEY (name + sk-proj- shape)']}\n"
                   + f"DB_PASSWORD={s['.env DB_PASSWORD (name only, low entropy)']}\n"
                   + f"SOME_SETTING={s['.env SOME_SETTING (entropy only)']}\n"
                   + f"MODEL_NOTE={s['.env MODEL_NOTE (hf_ shape only)']}\n"
                   + f"AWS_SECRET_ACCESS_KEY={s['.env AWS_SECRET_ACCESS_KEY (name + entropy)']}\n")
    compose = instance / "docker-compose.yml"
    _replace(compose, '      HF_HUB_OFFLINE: "1"\n',
             '      HF_HUB_OFFLINE: "1"\n'
             f"      AWS_ACCESS_KEY_ID: {s['compose AWS_ACCESS_KEY_ID (name + AKIA shape)']}\n"
             f"      DATABASE_URL: postgres://voice:{s['compose DATABASE_URL password (in a URL)']}@db/voice\n"
             f"      UPSTREAM_HINT: {s['compose UPSTREAM_HINT (sk- shape only)']}\n"
             f"      CACHE_SALT: {s['compose CACHE_SALT (entropy only)']}\n")
    _replace(compose, "      - HF_HOME=/models/hf\n",
             f"      - HF_HOME=/models/hf\n      - HF_TOKEN={s['compose list HF_TOKEN (name + hf_ shape)']}\n")
    docker = instance / "agent" / "Dockerfile"
    _replace(docker, "ENV HF_HOME=/cache/hf\n",
             f"ENV HF_HOME=/cache/hf HF_TOKEN={s['Dockerfile ENV HF_TOKEN (name + hf_ shape)']}\n"
             f"ARG GH_TOKEN={s['Dockerfile ARG GH_TOKEN (name + ghp_ shape)']}\n"
             f"ENV BUILD_LABEL={s['Dockerfile ENV BUILD_LABEL (AKIA shape only)']}\n"
             f"ARG PIP_EXTRA_INDEX_URL=https://ci:{s['Dockerfile ARG PIP_EXTRA_INDEX_URL password (in a URL)']}"
             "@pypi.example.com/simple\n")
    overlay = instance / "voxtral" / "stage-overlay.yaml"
    _replace(overlay, "stages:\n", f"# pulled with {s['overlay comment (ghp_ shape only)']}\n"
             f"hf_token: {s['overlay hf_token: (name + hf_ shape)']}\nstages:\n")
    caddy = instance / "caddy" / "Caddyfile"
    _replace(caddy, "reverse_proxy vllm-voxtral:8000",
             "reverse_proxy vllm-voxtral:8000 {\n"
             f"\t\t\theader_up Authorization \"Bearer {s['Caddyfile header_up Authorization Bearer']}\"\n"
             f"\t\t\theader_up X-Api-Key \"{s['Caddyfile header_up X-Api-Key (entropy)']}\"\n\t\t}}")


def fragments(value: str) -> list[str]:
    """The value and every 12-character window of it (step 4): a secret shown cut short, or with
    its prefix masked, is still a leak."""
    out = [value]
    if len(value) >= 16:
        out += [value[i:i + 12] for i in range(0, len(value) - 11, 4)]
    return out


def leaks(surfaces: dict[str, str], values: dict[str, str]) -> list[str]:
    found = []
    for kind, value in values.items():
        parts = fragments(value)
        for where, text in surfaces.items():
            hit = next((p for p in parts if p in text), None)
            if hit is not None:
                at = text.index(hit)
                found.append(f"{kind} reached {where}: …{text[max(0, at - 60):at + len(hit) + 20]!r}…")
    return found


def git_objects(git_dir: Path) -> str:
    """Every object of a repository (loose and packed, reachable or not), as text."""
    out = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects", "--batch"],
                         capture_output=True, check=True).stdout
    return out.decode("utf-8", errors="replace")


def files_under(folder: Path) -> dict[str, str]:
    return {str(p): p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def tracked(fake_github: FakeGitHub, tmp_path: Path) -> World:
    world = make_world(fake_github, tmp_path, tracker=True)
    # The world seeds no R-12 (671), which .drift.yml names: give it one, so the handover
    # page reads a real issue for every name it lists.
    r12 = fake_github.add_issue(REPO, "R-12: legacy docs migration", "R-12 body written by a human.", user=HUMAN)
    config = world.checkout / ".drift.yml"
    text = config.read_text()
    assert "R-12: 671" in text
    config.write_text(text.replace("R-12: 671", f"R-12: {r12.number}"))
    return world


def drift(world: World, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    return run(*args, "--repo", str(world.checkout), "--source", f"dir:{world.instance}", env=env or world.env)


def slash(world: World, number: int, body: str, tmp_path: Path) -> tuple[int, str, str]:
    event = tmp_path / f"event-{secrets.token_hex(3)}.json"
    world.fake.issue_comment_event(REPO, number, HUMAN, body, path=event)
    return run("slash", "--event", str(event), "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
               env=world.env)


def every_channel(world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Run every command that writes or says something on the planted instance, and gather all
    it wrote and said: outputs, snapshots, pages, request bodies, GitHub's objects, git objects,
    .git/config and the log records."""
    caplog.set_level(logging.DEBUG)
    outputs: dict[str, str] = {}

    def record(name: str, result: tuple[int, str, str], codes: tuple[int, ...]) -> None:
        code, out, err = result
        assert code in codes, f"`drift {name}` exited {code}: {err}"
        outputs[f"`drift {name}` output"] = out + err

    record("snapshot", run("snapshot", "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                           "--out", str(tmp_path / "snap"), env=world.env), (0,))
    offline = {"GITHUB_TOKEN": ""}
    for fmt in ("text", "json", "markdown"):
        record(f"diff --format {fmt}", drift(world, "diff", "--format", fmt, env=offline), (2,))
        record(f"plan --format {fmt}", drift(world, "plan", "--format", fmt), (2,))
        record(f"plan --format {fmt} (no token)", drift(world, "plan", "--format", fmt, env=offline), (2,))
    record("diff --snapshot (the saved snapshot read back)",
           run("diff", "--repo", str(world.checkout), "--snapshot", str(tmp_path / "snap"), env=offline), (2,))
    record("apply", drift(world, "apply"), (0,))
    record("tracker", drift(world, "tracker"), (0,))
    record("handover --architecture", drift(world, "handover", "--architecture", "--date", "2026-04-24"), (0,))
    parent = world.numbers[660]
    for command in ("/drift status", "/drift plan", "/drift snapshot"):
        record(f"slash ({command})", slash(world, parent, command, tmp_path), (0,))
    assert list(world.checkout.rglob("*.mdx")), "handover wrote no pages"
    assert world.pulls(), "apply opened no pull request"

    surfaces: dict[str, str] = dict(outputs)
    surfaces |= {f"snapshot file {k}": v for k, v in files_under(tmp_path / "snap").items()}
    surfaces |= {f"saved snapshot {k}": v for k, v in files_under(world.checkout / ".drift-snapshots").items()}
    surfaces |= {f"docs page {k}": v for k, v in files_under(world.checkout / "apps").items()}
    entries = world.fake.requests("all", kind="any")
    assert any(e.body for e in entries)
    surfaces["request bodies the fake received"] = "\n".join(
        f"{e.method} {e.path} {json.dumps(e.query)} {json.dumps(e.body)}" for e in entries)
    fake_repo = world.fake.repo(REPO)
    surfaces["issues, PRs and comments on the fake"] = "\n".join(
        f"{i.title}\n{i.body}\n" + "\n".join(c.body for c in i.comments) for i in fake_repo.issues.values())
    surfaces["objects of the bare repository"] = git_objects(world.fake.git_path(REPO))
    surfaces["objects of the checkout"] = git_objects(world.checkout / ".git")
    surfaces["the checkout's .git/config"] = (world.checkout / ".git" / "config").read_text()
    surfaces["log records (DEBUG)"] = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert caplog.records, "nothing was logged: the log scan would prove nothing"
    return surfaces


def test_planted_secrets_reach_nothing_the_bot_writes_or_says(tracked: World, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    world = tracked
    planted = fresh_secrets()
    plant(world.instance, planted)
    token = world.fake.token_for(BOT)

    # The secrets are there to find: the bot saw each planted line as drift (redacted).
    report = json.loads(drift(world, "diff", "--format", "json", env={"GITHUB_TOKEN": ""})[1])
    secret_pointers = {(d["file"], d["pointer"]) for d in report["divergences"] if d["secret"]}
    for file, key in [("voice/.env.example", "/GITHUB_TOKEN"), ("voice/.env.example", "/DB_PASSWORD"),
                      ("voice/docker-compose.yml", "/services/vllm-whisper/environment/AWS_ACCESS_KEY_ID")]:
        assert (file, key) in secret_pointers, f"{file}#{key} was not reported as a secret divergence"
    surfaces = every_channel(world, tmp_path, caplog)

    # The scan finds what is there: every planted value is in the live files it was planted in.
    live = {f"live {k}": v for k, v in files_under(world.instance).items()}
    assert {f.split(" reached ")[0] for f in leaks(live, planted)} == set(planted)

    found = leaks(surfaces, {**planted, **EXAMPLE, "the GitHub token passed to the bot": token})
    assert not found, f"{len(found)} leak(s):\n" + "\n".join(found)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exception_text(exc: BaseException) -> str:
    """What an exception could show anyone: its message, repr, args and traceback, for it and for
    every exception it was raised from or during, suppressed or not."""
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        out += [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc, chain=False))]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(out)


def test_the_token_appears_in_no_output_config_log_or_exception(tracked: World, caplog: pytest.LogCaptureFixture) -> None:
    world = tracked
    token = world.fake.token_for(BOT)
    caplog.set_level(logging.DEBUG)
    said: dict[str, str] = {}
    code, out, err = drift(world, "apply")
    assert code == 0, err
    said["apply"] = out + err

    # GitHub unreachable: one line, naming what failed, without the token.
    dead = {**world.env, "GITHUB_API_URL": f"http://127.0.0.1:{_closed_port()}"}
    world.edit_live("docker-compose.yml", "retries: 30", "retries: 31")  # something to do, so it has to talk
    code, out, err = drift(world, "apply", env=dead)
    assert code == 1 and err.startswith("drift: error: ") and len(err.strip().splitlines()) == 1, err
    said["apply against a closed port"] = out + err
    # The exception behind that line, with everything it was raised from (the context the
    # one-line error suppresses included), carries no token either.
    from bot.adapters.github import GitHub, GitHubError

    with pytest.raises(GitHubError) as caught:
        GitHub(token, REPO, dead["GITHUB_API_URL"]).bot_pulls("drift/")
    said["the exception of a failing call, with its chain"] = exception_text(caught.value)

    # A token GitHub no longer accepts: git and the API refuse it; the error does not repeat it.
    revoked = dict(world.env)  # world.env would mint a new token after the revocation
    world.fake.revoke_token(BOT)
    code, out, err = drift(world, "apply", env=revoked)
    assert code == 1 and err.startswith("drift: error: "), err
    said["apply with a revoked token"] = out + err
    code, out, err = drift(world, "tracker", env=revoked)
    assert code == 1, err
    said["tracker with a revoked token"] = out + err
    with pytest.raises(GitHubError) as caught:
        GitHub(token, REPO, world.fake.api_url).bot_pulls("drift/")
    assert "401" in str(caught.value)
    said["the exception of a call GitHub refused (401), with its chain"] = exception_text(caught.value)

    said["the checkout's .git/config"] = (world.checkout / ".git" / "config").read_text()
    said["log records (DEBUG)"] = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    found = leaks(said, {"the GitHub token": token, "its random part": token.split("_", 1)[1]})
    assert not found, "\n".join(found)
