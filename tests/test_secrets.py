"""A secret planted in any tracked live file reaches no output of any command and no snapshot file."""
from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from tests.cli_support import run


def _token(prefix: str, n: int = 36) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


@pytest.fixture
def planted(checkout: Path) -> list[str]:
    inst = checkout.parent / "instance"
    values = {
        "gh": _token("ghp_"),
        "hf": _token("hf_"),
        "sk": _token("sk-proj-"),
        "aws": "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
        "entropy": _token("", 40),
        "named": "correct-horse-" + secrets.token_hex(4),  # low entropy: caught by its key name only
        "bearer": _token("Zt", 30),
        "pw": "p" + secrets.token_hex(6),
    }
    env = inst / ".env"
    env.write_text(env.read_text()
                   + f"GITHUB_TOKEN={values['gh']}\nOPENAI_API_KEY={values['sk']}\nDB_PASSWORD={values['named']}\n"
                   + f"SOME_SETTING={values['entropy']}\n")
    compose = inst / "docker-compose.yml"
    compose.write_text(compose.read_text()
                       .replace("      HF_HUB_OFFLINE: \"1\"\n", f"      HF_HUB_OFFLINE: \"1\"\n      AWS_ACCESS_KEY_ID: {values['aws']}\n"
                                f"      DATABASE_URL: postgres://voice:{values['pw']}@db/voice\n")
                       .replace("      - HF_HOME=/models/hf\n", f"      - HF_HOME=/models/hf\n      - HF_TOKEN={values['hf']}\n"))
    docker = inst / "agent" / "Dockerfile"
    docker.write_text(docker.read_text().replace("ENV HF_HOME=/cache/hf\n", f"ENV HF_HOME=/cache/hf HF_TOKEN={values['hf']}\nARG GH_TOKEN={values['gh']}\n"))
    caddy = inst / "caddy" / "Caddyfile"
    caddy.write_text(caddy.read_text().replace("reverse_proxy vllm-voxtral:8000",
                                               f"reverse_proxy vllm-voxtral:8000 {{\n\t\t\theader_up Authorization \"Bearer {values['bearer']}\"\n\t\t}}"))
    return list(values.values())


def _assert_clean(text: str, values: list[str], where: str) -> None:
    for value in values:
        assert value not in text, f"a planted secret reached {where}"


def test_no_command_and_no_format_prints_a_planted_secret(checkout: Path, planted: list[str]) -> None:
    for command in ("diff", "plan"):
        for fmt in ("text", "markdown", "json"):
            code, out, err = run(command, "--repo", str(checkout), "--source", "dir:../instance", "--format", fmt, cwd=checkout)
            assert code == 2, err
            _assert_clean(out + err, planted, f"`drift {command} --format {fmt}`")


def test_the_planted_secrets_are_still_reported_where_they_are_divergences(checkout: Path, planted: list[str]) -> None:
    out = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1]
    report = json.loads(out)
    added = {d["pointer"]: d for d in report["divergences"] if d["file"] == "voice/.env.example" and d["kind"] == "added"}
    assert set(added) == {"/GITHUB_TOKEN", "/OPENAI_API_KEY", "/DB_PASSWORD", "/SOME_SETTING"}
    for d in added.values():
        assert d["secret"] is True and d["after"].startswith("<redacted")


def test_no_snapshot_file_holds_a_planted_secret(checkout: Path, planted: list[str], tmp_path: Path) -> None:
    code, out, err = run("snapshot", "--repo", str(checkout), "--source", "dir:../instance", "--out", str(tmp_path / "s"), cwd=checkout)
    assert code == 0, err
    _assert_clean(out + err, planted, "`drift snapshot` output")
    files = [p for p in (tmp_path / "s").rglob("*") if p.is_file()]
    assert len(files) >= 5
    for path in files:
        _assert_clean(path.read_text(), planted, str(path))


def test_a_rotated_secret_is_no_divergence(checkout: Path) -> None:
    env = checkout.parent / "instance" / ".env"
    first = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1]
    env.write_text(env.read_text().replace("LIVEKIT_API_SECRET=", "LIVEKIT_API_SECRET=rotated"))
    second = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1]
    assert json.loads(first)["divergences"] == json.loads(second)["divergences"]
