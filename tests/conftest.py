"""Shared fixtures: the bundled example, a throwaway git checkout of main, and the CLI."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["tests.fakegithub.plugin", "tests.github_world", "tests.dockerenv"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "instance"


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
