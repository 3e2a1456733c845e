"""git_base: main's side of the comparison, read at a ref with git itself, never from the
working tree."""
from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from bot.errors import BaseRefError
from bot.model import UnreadableBase

MAX_BASE_BYTES = 5 * 1024 * 1024


def read_base(repo: Path, ref: str, paths: Iterable[str]) -> tuple[str, dict[str, str | None]]:
    """Return the commit `ref` names and each path's text there (None when absent at that ref).

    Three git processes however many files: the commit, the sizes, the texts (`cat-file --batch`)."""
    if ref.startswith("-"):
        raise BaseRefError(f"ref {ref!r} cannot start with '-' (git would read it as an option); pass --ref with a branch or commit")

    def git(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, timeout=120)

    try:
        inside = git("rev-parse", "--is-inside-work-tree", "--show-toplevel")
    except (FileNotFoundError, NotADirectoryError):
        inside = None
    top = inside.stdout.decode(errors="replace").split("\n")[1:2] if inside is not None and inside.returncode == 0 else []
    if not top or Path(top[0]).resolve() != Path(repo).resolve():
        raise BaseRefError(f"{repo} is not a git checkout; pass --repo with the repository that holds .drift.yml")
    commit = next((found.stdout.decode().strip() for candidate in (ref, f"origin/{ref}")
                   if (found := git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{candidate}^{{commit}}")).returncode == 0),
                  None)
    if not commit:
        raise BaseRefError(f"ref {ref!r} not found in {repo}; fetch it (git fetch origin {ref}) or pass --ref")
    wanted = list(dict.fromkeys(paths))
    specs = "".join(f"{commit}:{p}\n" for p in wanted).encode()
    sizes = git("cat-file", "--batch-check=%(objecttype) %(objectsize)", stdin=specs).stdout.decode().splitlines()
    out: dict[str, str | None] = {}
    readable = []
    for path, line in zip(wanted, sizes):
        kind, _, size = line.partition(" ")
        if kind != "blob":
            out[path] = None  # missing at that ref (or a folder)
        elif int(size) > MAX_BASE_BYTES:
            out[path] = UnreadableBase(f"is {int(size) / 1048576:.1f} MiB in main, over the 5 MiB limit for a tracked file")
        else:
            readable.append(path)
    data = git("cat-file", "--batch", stdin="".join(f"{commit}:{p}\n" for p in readable).encode()).stdout
    at = 0
    for path in readable:
        end = data.index(b"\n", at)
        size = int(data[at:end].split()[2])
        blob = data[end + 1:end + 1 + size]
        at = end + 1 + size + 1
        try:
            if b"\0" in blob:
                raise UnicodeDecodeError("utf-8", blob, 0, 1, "NUL byte")
            out[path] = blob.decode("utf-8")
        except UnicodeDecodeError:
            out[path] = UnreadableBase("is a binary file in main; only text files can be compared")
    return commit, out
