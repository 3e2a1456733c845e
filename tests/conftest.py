"""Shared fixtures: the bundled example, a throwaway git checkout of main, and the CLI."""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["tests.fakegithub.plugin", "tests.github_world", "tests.dockerenv"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "instance"


def _hermetic_git() -> None:
    """The whole session (and every process it starts: the CLI, git, workers) runs as on a fresh
    runner: its own HOME, no system git config, and a global one that only says
    `user.useConfigOnly = true`, so a commit made without the bot's identity fails here exactly as
    it fails on a machine whose git knows no user and whose host name has no domain. Set at import,
    before collection, as some tests run the bot while collecting."""
    if os.environ.get("DRIFT_TEST_HOME"):
        return  # set by the process that started this one (an xdist worker of this session)
    home = Path(tempfile.mkdtemp(prefix="drift-test-home-"))
    (home / ".gitconfig").write_text("[user]\n\tuseConfigOnly = true\n")
    os.environ.update(HOME=str(home), DRIFT_TEST_HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                      GIT_CONFIG_NOSYSTEM="1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
                 "GIT_CONFIG_COUNT", "GITHUB_TOKEN", "DRIFT_APP_ID", "DRIFT_APP_PRIVATE_KEY", "DRIFT_APP_PRIVATE_KEY_FILE"):
        os.environ.pop(name, None)
    atexit.register(shutil.rmtree, home, True)


_hermetic_git()


@pytest.fixture(autouse=True)
def _etag_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps GitHub's answers in a folder of its own: runs within a test share it,
    as a host's scheduled runs do, and nothing reaches the user's cache."""
    folder = tmp_path_factory.mktemp("etag-cache")
    monkeypatch.setenv("DRIFT_CACHE_DIR", str(folder))
    return folder


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git repository whose `main` holds this project's voice/ and .drift.yml, and a copy of
    the example instance beside it, so a test can change either side freely."""
    return make_checkout(tmp_path)


def make_checkout(tmp_path: Path) -> Path:
    """What the `checkout` fixture makes, for tests that make several (hypothesis examples)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "voice", repo / "voice")
    shutil.copy(ROOT / ".drift.yml", repo / ".drift.yml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "main")
    shutil.copytree(EXAMPLE, tmp_path / "instance")
    return repo


def commit_all(repo: Path, message: str = "change") -> None:
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", message)


# The crash-consistency table (write points × fault kinds), shown after a run that made it.
from tests.reliability_support import print_crash_table as pytest_terminal_summary  # noqa: E402,F401
