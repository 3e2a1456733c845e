"""Real git behind each fake repository: a bare repository driven with git(1)."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40

_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


class GitError(RuntimeError):
    def __init__(self, args, code, out, err):
        super().__init__(f"git {' '.join(args)} failed ({code}): {err.strip() or out.strip()}")
        self.code = code
        self.stdout = out
        self.stderr = err


@dataclass
class Ident:
    name: str
    email: str
    when: int | None = None  # epoch seconds

    def fast_import(self) -> str:
        return f"{self.name} <{self.email}> {self.when if self.when is not None else int(time.time())} +0000"


@dataclass
class CommitInfo:
    sha: str
    tree: str
    parents: list[str]
    author_name: str
    author_email: str
    author_date: int
    committer_name: str
    committer_email: str
    committer_date: int
    message: str


class BareRepo:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._env = {**os.environ, **_GIT_ENV, "HOME": str(self.path.parent)}
        self._merge_cache: dict[tuple[str, str], bool] = {}

    # -- plumbing ----------------------------------------------------------
    def git(self, *args: str, input: bytes | None = None, check: bool = True,
            env: dict | None = None) -> subprocess.CompletedProcess:
        e = self._env if env is None else {**self._env, **env}
        p = subprocess.run(["git", "--git-dir", str(self.path), *args], input=input,
                           capture_output=True, env=e)
        if check and p.returncode != 0:
            raise GitError(args, p.returncode, p.stdout.decode(errors="replace"),
                           p.stderr.decode(errors="replace"))
        return p

    def out(self, *args: str, **kw) -> str:
        return self.git(*args, **kw).stdout.decode().strip()

    # -- creation ----------------------------------------------------------
    @classmethod
    def create(cls, path: Path, default_branch: str) -> "BareRepo":
        path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **_GIT_ENV, "HOME": str(path.parent)}
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", default_branch, str(path)],
                       check=True, capture_output=True, env=env)
        repo = cls(path)
        # Let http-backend serve it; pushes are authorised by the fake itself.
        with open(path / "config", "a", encoding="utf-8") as fh:
            fh.write("[http]\n\treceivepack = true\n\tuploadpack = true\n"
                     "[receive]\n\tdenyDeleteCurrent = true\n[uploadpack]\n\tallowAnySHA1InWant = true\n"
                     "[core]\n\tlogAllRefUpdates = false\n")
        (path / "git-daemon-export-ok").touch()
        return repo

    # -- reading -----------------------------------------------------------
    def resolve(self, ref: str) -> str | None:
        p = self.git("rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
        return p.stdout.decode().strip() or None if p.returncode == 0 else None

    def ref_sha(self, full_ref: str) -> str | None:
        p = self.git("rev-parse", "--verify", "--quiet", full_ref, check=False)
        if p.returncode != 0:
            return None
        return p.stdout.decode().strip()

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str, str]]:
        """[(refname, objectname, objecttype)] sorted by name."""
        out = self.out("for-each-ref", "--format=%(refname) %(objectname) %(objecttype)", prefix)
        rows = []
        for line in out.splitlines():
            name, sha, typ = line.split(" ")
            rows.append((name, sha, typ))
        return rows

    def branches(self) -> dict[str, str]:
        return {n[len("refs/heads/"):]: s for n, s, _ in self.refs("refs/heads/")}

    def object_type(self, sha: str) -> str | None:
        p = self.git("cat-file", "-t", sha, check=False)
        return p.stdout.decode().strip() if p.returncode == 0 else None

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.git("merge-base", "--is-ancestor", a, b, check=False).returncode == 0

    def commits_between(self, base: str, head: str) -> list[str]:
        """Commits reachable from head but not base, oldest first."""
        out = self.out("rev-list", "--reverse", "--topo-order", f"{base}..{head}")
        return out.split() if out else []

    def commit_info(self, sha: str) -> CommitInfo:
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B"
        raw = self.git("show", "-s", f"--format={fmt}", sha).stdout.decode()
        parts = raw.split("\x00", 9)
        return CommitInfo(parts[0], parts[1], parts[2].split(), parts[3], parts[4], int(parts[5]),
                          parts[6], parts[7], int(parts[8]), parts[9].rstrip("\n"))

    def diff_stats(self, base: str, head: str) -> tuple[int, int, int]:
        """(additions, deletions, changed_files) of head against merge-base(base, head)."""
        mb = self.git("merge-base", base, head, check=False).stdout.decode().strip() or base
        out = self.out("diff", "--numstat", mb, head)
        add = dele = files = 0
        for line in out.splitlines():
            a, d, _ = line.split("\t", 2)
            files += 1
            add += int(a) if a.isdigit() else 0
            dele += int(d) if d.isdigit() else 0
        return add, dele, files

    def read_file(self, rev: str, path: str) -> str | None:
        p = self.git("show", f"{rev}:{path}", check=False)
        return p.stdout.decode() if p.returncode == 0 else None

    # -- writing -----------------------------------------------------------
    def update_ref(self, ref: str, new: str, old: str | None) -> bool:
        """Compare-and-swap a ref; old=ZERO means 'must not exist'. True on success."""
        args = ["update-ref", ref, new] + ([old] if old is not None else [])
        return self.git(*args, check=False).returncode == 0

    def delete_ref(self, ref: str, old: str | None = None) -> bool:
        args = ["update-ref", "-d", ref] + ([old] if old is not None else [])
        return self.git(*args, check=False).returncode == 0

    def commit_files(self, branch: str, files: dict[str, str | None], message: str,
                     author: Ident, committer: Ident | None = None,
                     parent: str | None = None) -> str:
        """Commit text files (None deletes) on top of parent (default: branch tip)."""
        if parent is None:
            parent = self.ref_sha(f"refs/heads/{branch}")
        committer = committer or author
        msg = message.encode()
        chunks = [f"commit refs/heads/{branch}\n".encode(),
                  f"author {author.fast_import()}\n".encode(),
                  f"committer {committer.fast_import()}\n".encode(),
                  f"data {len(msg)}\n".encode(), msg, b"\n"]
        if parent:
            chunks.append(f"from {parent}\n".encode())
        for path, text in files.items():
            if text is None:
                chunks.append(f"D {path}\n".encode())
            else:
                data = text.encode()
                chunks += [f"M 100644 inline {path}\n".encode(), f"data {len(data)}\n".encode(),
                           data, b"\n"]
        chunks.append(b"done\n")
        self.git("fast-import", "--quiet", "--done", "--force", input=b"".join(chunks))
        sha = self.ref_sha(f"refs/heads/{branch}")
        assert sha
        return sha

    def merge_tree(self, base: str, head: str) -> str | None:
        """Tree id of merging head into base, or None on conflicts."""
        p = self.git("merge-tree", "--write-tree", "--no-messages", base, head, check=False)
        if p.returncode == 0:
            return p.stdout.decode().split()[0]
        if p.returncode == 1:
            return None
        raise GitError(("merge-tree", base, head), p.returncode, p.stdout.decode(),
                       p.stderr.decode())

    def mergeable(self, base: str, head: str) -> bool:
        key = (base, head)
        if key not in self._merge_cache:
            self._merge_cache[key] = self.merge_tree(base, head) is not None
        return self._merge_cache[key]

    def commit_tree(self, tree: str, parents: list[str], message: str, author: Ident,
                    committer: Ident) -> str:
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        now = str(int(time.time()))
        env = {
            "GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": f"{author.when or now} +0000",
            "GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": f"{committer.when or now} +0000",
        }
        return self.out(*args, input=message.encode(), env=env)

    def rebase_onto(self, base: str, head: str, committer: Ident) -> str | None:
        """Replay base..head onto base (GitHub's 'rebase' merge method); None on conflict."""
        import shutil
        import tempfile
        wt = Path(tempfile.mkdtemp(prefix="rebase-", dir=self.path.parent))
        shutil.rmtree(wt)
        env = {"GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email}
        try:
            self.git("worktree", "add", "--quiet", "--detach", str(wt), head)
            e = {**self._env, **env}
            p = subprocess.run(["git", "-C", str(wt), "rebase", "--quiet", "--no-autosquash", base],
                               capture_output=True, env=e)
            if p.returncode != 0:
                subprocess.run(["git", "-C", str(wt), "rebase", "--abort"], capture_output=True,
                               env=e)
                return None
            return subprocess.run(["git", "-C", str(wt), "rev-parse", "HEAD"], capture_output=True,
                                  env=e, check=True).stdout.decode().strip()
        finally:
            self.git("worktree", "remove", "--force", str(wt), check=False)
            shutil.rmtree(wt, ignore_errors=True)
            self.git("worktree", "prune", check=False)
