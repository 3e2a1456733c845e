"""git: the bot's branches on the remote, its commits, and the run lock. Main's side of the
comparison is read by `git_base`."""
from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.config import DEFAULT_IDENTITY
from bot.errors import DriftError
from bot.model import BranchState

# --- branches for pull requests ---------------------------------------------------------


class GitError(DriftError):
    """A git command the bot ran against the checkout or its remote failed; `stderr` holds all
    it said (the token scrubbed), the message its last line."""

    def __init__(self, message: str, stderr: str = ""):
        super().__init__(message)
        self.stderr = stderr


def refused(exc: GitError) -> bool:
    """A push the remote will not take however often it is sent (no permission, a ruleset, a hook),
    as opposed to one that lost a race with another run or met a passing failure (a 5xx, a reset)."""
    said = exc.stderr.lower()
    return any(s in said for s in ("error: 403", "error: 401", "permission to", "denied", "gh013", "rule violation",
                                    "protected branch", "hook declined"))


MIN_GIT = (2, 31)  # GIT_CONFIG_COUNT, which carries the token's header, came with git 2.31
_git_version: tuple[int, ...] | None = None


def git_version() -> tuple[int, ...]:
    """The version of the git on PATH, asked once per process."""
    global _git_version
    if _git_version is None:
        import re

        try:
            out = subprocess.run(["git", "--version"], capture_output=True, text=True, timeout=30).stdout
        except OSError:
            raise GitError("git is not installed; drift-bot needs git 2.31 or newer") from None
        m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
        _git_version = tuple(int(x) for x in m.groups(default="0")) if m else (0,)
    return _git_version


def require_git_for_token() -> None:
    """Older git ignores GIT_CONFIG_COUNT: the push would go out without the token."""
    version = git_version()
    if version[:2] < MIN_GIT:
        have = ".".join(str(x) for x in version)
        raise GitError(f"git {have} is too old: drift-bot needs git 2.31 or newer to pass the token to git "
                       "(older git ignores GIT_CONFIG_COUNT)")


def header_scope(url: str) -> str | None:
    """The URL an http.<url>.extraHeader is scoped to: the remote's own (as actions/checkout
    scopes its header to the server), so the token goes to no other host, nor to a submodule's."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None  # a path or an SSH remote: no HTTP header to send
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")  # never a user or password of the URL
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Git:
    """The checkout the bot runs in, and its remote. The token only ever travels in the
    environment of one git command, as an HTTP header scoped to the remote's URL: never in argv,
    .git/config or output. Every command runs as the bot (`identity`), so no commit depends on
    the machine's git config."""

    def __init__(self, repo: Path, remote: str, token: str | None = None,
                 identity: tuple[str, str] = DEFAULT_IDENTITY):
        self.repo, self.remote, self.token, self.identity = repo, operand(remote, "remote"), token, identity
        self._scope: str | None = None

    def remote_url(self) -> str:
        if "://" in self.remote or self.remote.startswith("/"):
            return self.remote
        proc = subprocess.run(["git", "remote", "get-url", "--", self.remote], cwd=self.repo, capture_output=True, text=True,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"}, timeout=60)
        if proc.returncode != 0:
            raise GitError(f"no git remote {self.remote!r} in {self.repo}: set `remote:` in .drift.yml to the remote to push to")
        return proc.stdout.strip()

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **_identity_env(self.identity), **(extra or {})}
        if self.token:
            if self._scope is None:
                require_git_for_token()
                self._scope = header_scope(self.remote_url()) or ""
            if self._scope:
                basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
                # An empty value first clears the headers configured before it (actions/checkout
                # keeps its own Authorization header in .git/config by default): GitHub refuses a
                # request carrying two with 400 "Duplicate header".
                key = f"http.{self._scope}.extraHeader"
                env.update(GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0=key, GIT_CONFIG_VALUE_0="",
                           GIT_CONFIG_KEY_1=key, GIT_CONFIG_VALUE_1=f"Authorization: Basic {basic}")
        return env

    def run(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        return self._run(args, None if stdin is None else stdin.encode(), env).decode()

    def run_bytes(self, *args: str, stdin: bytes | None = None) -> bytes:
        return self._run(args, stdin, None)

    def _run(self, args: tuple[str, ...], stdin: bytes | None, env: dict[str, str] | None) -> bytes:
        proc = subprocess.run(["git", *args], cwd=self.repo, input=stdin, capture_output=True,
                              env=self._env(env), timeout=120)
        if proc.returncode != 0:
            said = (proc.stderr or proc.stdout).decode(errors="replace").strip()
            if self.token:
                said = said.replace(self.token, "***")
            lines = said.splitlines()
            raise GitError(f"git {args[0]} failed: {lines[-1] if lines else f'exit {proc.returncode}'}", said)
        return proc.stdout

    def sync(self, base: str, prefix: str) -> tuple[str, dict[str, BranchState]]:
        """One fetch of the base branch and every branch under `prefix`, as the remote has them now.

        They land in a namespace of the bot's own (refs/drift-bot/), pruned, so the checkout's
        branches and remote-tracking refs are never touched.
        """
        self.run("fetch", "--quiet", "--no-tags", "--prune", "--end-of-options", self.remote,
                 f"+refs/heads/{operand(base, 'base')}:refs/drift-bot/base",
                 f"+refs/heads/{prefix}*:refs/drift-bot/branches/{prefix}*")
        base_commit = self.run("rev-parse", "refs/drift-bot/base").strip()
        listing = self.run("for-each-ref", "--format=%(objectname) %(refname)", "refs/drift-bot/branches/")
        heads = {ref.removeprefix("refs/drift-bot/branches/"): sha
                 for sha, _, ref in (line.partition(" ") for line in listing.splitlines())}
        return base_commit, {name: self._describe(name, head) for name, head in heads.items()}

    def _describe(self, name: str, head: str) -> BranchState:
        """Parent, author and changed files of a branch head."""
        meta = self.run("show", "-s", "--format=%P%x00%ae", head).strip().split("\0")
        parents = meta[0].split()
        changes: dict[str, str | None] = {}
        if parents:
            diff = self.run("diff-tree", "--no-commit-id", "-r", "--no-renames", parents[0], head)
            for line in diff.splitlines():
                info, _, path = line.partition("\t")
                fields = info.split()
                changes[path] = None if fields[4].startswith("D") else fields[3]
        return BranchState(name, head, parents[0] if parents else None, meta[1] if len(meta) > 1 else "", changes)

    def files_under(self, ref: str, folder: str) -> list[str]:
        """Repo paths of the files under `folder` at `ref`."""
        return [p for p in self.run("ls-tree", "-r", "--name-only", "--end-of-options", operand(ref, "ref"), "--", folder.rstrip("/") + "/").splitlines() if p]

    def read_folders(self, ref: str, folders: Iterable[str]) -> dict[str, str]:
        """path -> text of every file under `folders` at `ref`: two git processes, however many files."""
        wanted = [f.rstrip("/") + "/" for f in folders if f.strip("/")]
        if not wanted:
            return {}
        paths = [p for p in self.run("ls-tree", "-r", "--name-only", "--end-of-options", operand(ref, "ref"), "--",
                                     *wanted).splitlines() if p]
        if not paths:
            return {}
        out = self.run_bytes("cat-file", "--batch", stdin="".join(f"{ref}:{p}\n" for p in paths).encode())
        files, at = {}, 0
        for path in paths:
            header_end = out.index(b"\n", at)
            header = out[at:header_end].split()
            at = header_end + 1
            if len(header) < 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            data = out[at:at + size]
            at += size + 1
            try:
                files[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue  # a binary file is no page
        return files

    def remote_head(self, branch: str) -> str | None:
        """The head of `branch` on the remote, fetched so that it can be read; None when absent."""
        out = self.run("ls-remote", "--heads", "--end-of-options", self.remote, f"refs/heads/{operand(branch, 'branch')}")
        head = out.split("\t", 1)[0].strip() or None
        if head is not None:
            self.run("fetch", "--quiet", "--no-tags", "--end-of-options", self.remote, f"refs/heads/{branch}")
        return head

    def root_commit(self, message: str, author: tuple[str, str]) -> str:
        """An empty first commit, for a branch of the bot's own that shares no history with main."""
        empty = self.run("hash-object", "-t", "tree", "-w", "--stdin", stdin="").strip()
        return self.run("commit-tree", empty, "-m", message, env=_identity_env(author)).strip()

    def show(self, ref: str, path: str) -> str | None:
        """A file's text at `ref`, None when it is not there."""
        spec = f"{operand(ref, 'ref')}:{path}"
        try:
            return self.run("show", "--end-of-options", spec)
        except GitError:
            return None

    def commit(self, parent: str, files: dict[str, str | None], message: str, author: tuple[str, str]) -> str:
        """A commit on top of `parent` with `files` changed, built on a throwaway index."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index"), **_identity_env(author)}
            self.run("read-tree", parent, env=env)
            for path, text in sorted(files.items()):
                if text is None:
                    self.run("update-index", "--force-remove", "--", path, env=env)
                    continue
                blob = self.run("hash-object", "-w", "--stdin", stdin=text, env=env).strip()
                mode = self.run("ls-tree", parent, "--", path, env=env).split(" ", 1)[0] or "100644"
                self.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
            tree = self.run("write-tree", env=env).strip()
            return self.run("commit-tree", tree, "-p", parent, "-F", "-", stdin=message, env=env).strip()

    def push(self, commit: str, branch: str, expected: str | None) -> None:
        """Force-push with lease: only over the head we saw, or onto no branch at all."""
        lease = f"--force-with-lease=refs/heads/{operand(branch, 'branch')}:{expected or ''}"
        self.run("push", "--quiet", "--no-verify", lease, "--end-of-options", self.remote,
                 f"{operand(commit, 'commit')}:refs/heads/{branch}")

    def delete(self, branch: str, expected: str) -> None:
        self.run("push", "--quiet", "--no-verify", f"--force-with-lease=refs/heads/{operand(branch, 'branch')}:{expected}",
                 "--end-of-options", self.remote, f":refs/heads/{branch}")

    # --- a run lock held on the remote ---------------------------------------------------

    LOCK_REF = "refs/drift-bot/lock"

    def _lock_holder(self) -> tuple[str | None, str]:
        """(sha, message) of the lock ref on the remote; sha None when nobody holds it."""
        out = self.run("ls-remote", "--end-of-options", self.remote, self.LOCK_REF)
        sha = out.split("\t", 1)[0].strip() if out.strip() else None
        if sha is None:
            return None, ""
        self.run("fetch", "--quiet", "--no-tags", "--end-of-options", self.remote, self.LOCK_REF)
        return sha, self.run("show", "-s", "--format=%B", sha).strip()

    def acquire_lock(self, holder: str, parent: str, ttl_seconds: int, now: float, wait_seconds: float,
                     sleep: Callable[[float], None], dead: Callable[[str], bool] = lambda message: False,
                     clock: Callable[[], float] | None = None) -> str:
        """Take the lock or wait for it, until `wait_seconds` have passed.

        A lock past its expiry, or whose holder `dead` says is gone (a killed run), is taken over.
        The push is leased on the lock's absence (or on the stale holder's sha), so of two runs
        racing for it exactly one succeeds: git's compare-and-swap on the remote decides. A push
        whose answer was lost is recognised afterwards by the holder line, which is unique. A push
        the remote refuses for another reason (no permission, a ruleset) is an error at once;
        every other path waits, longer each time, and the deadline is checked on each.
        """
        import time

        clock = clock or time.time
        deadline = now + wait_seconds
        delay = 1.0
        while True:
            current, message = self._lock_holder()
            if current is not None and lock_field(message, "holder") == holder:
                return current  # ours: an earlier push landed although its answer was lost
            expiry = _lock_expiry(message)
            at = clock()
            if current is None or (expiry is not None and expiry < at) or dead(message):
                text = (f"drift-bot lock\n\nholder: {holder}\nexpires: {int(at + ttl_seconds)}\n"
                        + "".join(f"{k}: {v}\n" for k, v in _holder_fields(holder).items()))
                commit = self.run("commit-tree", f"{parent}^{{tree}}", "-p", parent, "-m", text).strip()
                try:
                    self.run("push", "--quiet", "--no-verify", f"--force-with-lease={self.LOCK_REF}:{current or ''}",
                             "--end-of-options", self.remote, f"{commit}:{self.LOCK_REF}")
                    return commit
                except GitError as exc:
                    if refused(exc):
                        raise GitError(f"the run lock cannot be taken: {self.remote} refused the push of {self.LOCK_REF} "
                                       f"({str(exc).removeprefix('git push failed: ')}); the token needs contents: write, "
                                       "and no ruleset may cover refs/drift-bot/*", exc.stderr) from None
                    # Taken by another run, our push landed unanswered, or a passing failure: look
                    # again, after a wait.
            if clock() >= deadline:
                who = lock_field(message, "holder") or "another run"
                raise GitError(f"another drift run holds the lock ({who}, until {lock_field(message, 'expires')}); "
                               "try again when it is done, or release it with `drift unlock` if that run is gone")
            sleep(min(delay, max(0.0, deadline - clock())))
            delay = min(delay * 2, 30.0)

    def force_unlock(self) -> str | None:
        """`drift unlock`: release the lock whoever holds it; the holder's line, None when none was held."""
        current, message = self._lock_holder()
        if current is None:
            return None
        self.run("push", "--quiet", "--no-verify", f"--force-with-lease={self.LOCK_REF}:{current}", "--end-of-options",
                 self.remote, f":{self.LOCK_REF}")
        return f"{lock_field(message, 'holder') or 'an unknown run'}, until {lock_field(message, 'expires') or '?'}"

    def release_lock(self, commit: str, sleep: Callable[[float], None] | None = None) -> None:
        """Give the lock back; tried again a few times, as a lock left behind stalls the next runs."""
        import time

        for attempt in range(3):
            try:
                self.run("push", "--quiet", "--no-verify", f"--force-with-lease={self.LOCK_REF}:{commit}", "--end-of-options", self.remote,
                         f":{self.LOCK_REF}")
                return
            except GitError:
                current, _ = self._lock_holder()
                if current != commit:
                    return  # gone, or taken over after expiry: not ours to remove any more
                (sleep or time.sleep)(1.0 + attempt)

    def clear_stale_lock(self) -> bool:
        """Remove a lock whose holder died (past its expiry); True when one was removed."""
        import time

        current, message = self._lock_holder()
        expiry = _lock_expiry(message)
        if current is None or expiry is None or expiry >= time.time():
            return False
        try:
            self.run("push", "--quiet", "--no-verify", f"--force-with-lease={self.LOCK_REF}:{current}", "--end-of-options", self.remote,
                     f":{self.LOCK_REF}")
        except GitError:
            return False
        return True


def operand(value: str, what: str) -> str:
    """A value the bot passes to git as a remote, ref or branch: one starting with `-` would be
    read as an option (`--upload-pack=...` runs a command), so it is refused, never passed."""
    if not isinstance(value, str) or not value or value.startswith("-"):
        raise GitError(f"{what} {value!r} cannot start with '-' (git would read it as an option); "
                       "name a remote, branch or ref")
    return value


def _identity_env(author: tuple[str, str]) -> dict[str, str]:
    return {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}


def _holder_fields(holder: str) -> dict[str, str]:
    """host, pid and run of a holder line ("HOST pid PID [run ID] #NONCE"), for `dead` to judge."""
    import re

    m = re.fullmatch(r"(?P<host>\S+) pid (?P<pid>\d+)(?: run (?P<run>\S+))? #\w+", holder)
    return {k: v for k, v in (m.groupdict() if m else {}).items() if v}


def lock_field(message: str, name: str) -> str | None:
    for line in message.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def _lock_expiry(message: str) -> float | None:
    value = lock_field(message, "expires")
    try:
        return float(value) if value else None
    except ValueError:
        return None
