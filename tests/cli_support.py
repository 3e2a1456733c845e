"""Running the CLI in-process the way a user runs it, and comparing with golden files."""
from __future__ import annotations

import os
import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

GOLDEN = Path(__file__).parent / "golden"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(main, list(args), env={"GITHUB_TOKEN": "", **(env or {})}, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def scrub(text: str) -> str:
    """Hide what changes from run to run: capture time, host name, commit and snapshot ids."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)
    text = re.sub(r"\b[0-9a-f]{40}\b", "<commit>", text)
    text = re.sub(r"(main \(|main at `)[0-9a-f]{7}", r"\1<commit>", text)
    text = re.sub(r'("host": "|· host `?)[^\s`",]+', r"\1<host>", text)
    return text


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual)
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 once and read it"
    assert actual == path.read_text(), f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept after reading the diff)"
