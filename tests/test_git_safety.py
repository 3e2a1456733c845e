"""Values handed to git can never be read as options: a `remote:` or ref starting with `-` is
refused before git runs, and every remote and ref stands after `--end-of-options`."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.adapters.git import Git, GitError
from bot.adapters.git_base import read_base
from bot.errors import BaseRefError
from bot.config import parse_config
from bot.errors import ConfigError

HOSTILE = "--upload-pack=touch pwned"


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "a").write_text("a\n")
    subprocess.run(["git", "add", "a"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "a"], cwd=repo, check=True, env={**__import__("os").environ, **env})
    return repo


def test_a_remote_starting_with_a_dash_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"files: {{a: b}}\nremote: '{HOSTILE}'\n", Path("/r/.drift.yml"))
    assert str(caught.value).startswith(".drift.yml line 2: `remote` cannot start with '-'")


def test_git_refuses_a_dashed_remote_and_runs_nothing(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    with pytest.raises(GitError, match="cannot start with '-'"):
        Git(repo, HOSTILE).sync("main", "drift/")
    assert not (repo / "pwned").exists()


@pytest.mark.parametrize("call", [
    lambda g: g.push("a" * 40, "-x", None),
    lambda g: g.show("--output=/tmp/x", "a"),
    lambda g: g.files_under("-h", "voice"),
    lambda g: g.sync("--upload-pack=x", "drift/"),
])
def test_dashed_refs_and_branches_are_refused(tmp_path: Path, call) -> None:
    with pytest.raises(GitError, match="cannot start with '-'"):
        call(Git(_repo(tmp_path), "origin"))


def test_a_dashed_ref_for_main_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BaseRefError, match="cannot start with '-'"):
        read_base(_repo(tmp_path), "--output=x", ["a"])


def test_remotes_stand_after_end_of_options(tmp_path: Path) -> None:
    """A remote path that git would not otherwise take as an option still works (a real fetch)."""
    repo = _repo(tmp_path)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    base, branches = Git(repo, str(bare)).sync("main", "drift/")
    assert len(base) == 40 and branches == {}
    assert Git(repo, str(bare)).show("refs/drift-bot/base", "a") == "a\n"
