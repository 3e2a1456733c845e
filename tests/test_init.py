"""`drift init` writes a starter .drift.yml that `drift validate` accepts; `drift validate`
lists every problem one line each and exits 0 or 1."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.cli_support import run

ROOT = Path(__file__).resolve().parent.parent


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "stack"
    shutil.copytree(ROOT / "voice", repo / "voice")
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    subprocess.run(["git", "add", "voice"], cwd=repo, check=True)
    return repo


def test_init_maps_the_files_and_makes_a_child_per_service(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, out, err = run("init", "--repo", str(repo), "--source", f"dir:{ROOT / 'examples' / 'instance'}")
    assert (code, err) == (0, ""), err
    text = (repo / ".drift.yml").read_text()
    assert text.startswith("# yaml-language-server: $schema=https://raw.githubusercontent.com/fragjulia/drift-bot/v1/schema/drift.schema.json\n")
    assert "base: trunk\n" in text  # the branch checked out, as the repository has no remote
    for line in ("  .env: voice/.env.example", "  agent/Dockerfile: voice/agent/Dockerfile",
                 "  caddy/Caddyfile: voice/caddy/Caddyfile", "  docker-compose.yml: voice/docker-compose.yml"):
        assert line + "\n" in text
    for service in ("vllm-voxtral", "vllm-whisper", "voice-agent", "caddy"):
        assert f'["voice/docker-compose.yml#/services/{service}/**"]' in text
    assert "wrote" in out and "4 child(ren)" in out
    code, out, err = run("validate", "--repo", str(repo))
    assert (code, err) == (0, "") and "is valid: 4 file(s), 4 child(ren)" in out


def test_init_without_a_source_tracks_the_repositorys_own_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, _, err = run("init", "--repo", str(repo))
    assert code == 0, err
    text = (repo / ".drift.yml").read_text()
    assert "  voice/docker-compose.yml: voice/docker-compose.yml\n" in text and "# source: docker://" in text
    assert run("validate", "--repo", str(repo))[0] == 0


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".drift.yml").write_text("files: {a: b}\n")
    code, out, err = run("init", "--repo", str(repo))
    assert code == 1 and out == "" and err.count("\n") == 1 and "already exists; drift init does not overwrite it" in err
    assert (repo / ".drift.yml").read_text() == "files: {a: b}\n"


def test_validate_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / ".drift.yml").write_text("files: {a: b}\nremote: '--upload-pack=x'\nslash: {roles: {apply: Maintain}}\n")
    code, out, err = run("validate", "--repo", str(tmp_path))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "drift: error: .drift.yml line 2: `remote` cannot start with '-' (git would read it as an option): "
        "name a git remote, not \"--upload-pack=x\"",
        "drift: error: .drift.yml line 3: slash.roles: `apply` must be one of read, triage, write, maintain, admin, "
        "not \"Maintain\" (did you mean `maintain`?)",
    ]


def test_validate_without_a_config_is_one_line(tmp_path: Path) -> None:
    code, out, err = run("validate", "--repo", str(tmp_path))
    assert code == 1 and err.count("\n") == 1 and ".drift.yml not found" in err


def test_the_bundled_config_is_valid() -> None:
    code, out, err = run("validate", "--repo", str(ROOT))
    assert (code, err) == (0, ""), err
