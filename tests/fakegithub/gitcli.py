"""Plain git against the fake, the way the bot does it (token in a per-command header)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

IDENT = ("-c", "user.name=Test Person", "-c", "user.email=test@example.com")


def git_env(home: Optional[Path] = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_ASKPASS": "",
                "SSH_ASKPASS": "", "LC_ALL": "C"})
    if home is not None:
        env["HOME"] = str(home)
    return env


def run_git(*args: str, cwd: Optional[Path] = None, header: Optional[str] = None,
            check: bool = True, home: Optional[Path] = None) -> subprocess.CompletedProcess:
    """git [-c http.extraHeader=HEADER] ARGS; raises with stderr on failure when check."""
    cmd = ["git", *IDENT, "-c", "credential.helper=", "-c", "init.defaultBranch=main"]
    if header:
        cmd += ["-c", f"http.extraHeader={header}"]
    cmd += list(args)
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                       env=git_env(home or (Path(cwd) if cwd else None)))
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return p


def clone(fake, repo: str, dest: Path, login: Optional[str] = None) -> Path:
    header = fake.git_auth_header(login) if login else None
    run_git("clone", "--quiet", fake.git_url(repo), str(dest), header=header, home=dest.parent)
    return dest


def commit_files(workdir: Path, files: dict[str, Optional[str]], message: str) -> str:
    for path, text in files.items():
        p = workdir / path
        if text is None:
            run_git("rm", "--quiet", path, cwd=workdir)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        run_git("add", path, cwd=workdir)
    run_git("commit", "--quiet", "-m", message, cwd=workdir)
    return run_git("rev-parse", "HEAD", cwd=workdir).stdout.strip()


def push_branch(fake, repo: str, workdir: Path, branch: str, files: dict[str, Optional[str]],
                message: str, login: str, base: Optional[str] = None) -> str:
    """Create branch (from base, default: current HEAD), commit files, push; returns the sha."""
    args = ["checkout", "--quiet", "-B", branch] + ([f"origin/{base}"] if base else [])
    run_git(*args, cwd=workdir)
    sha = commit_files(workdir, files, message)
    run_git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=workdir,
            header=fake.git_auth_header(login))
    return sha
