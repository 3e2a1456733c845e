"""The `drift` command as a user meets it: formats, exit codes, and one-line errors."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.cli_support import assert_golden, run, scrub
from tests.conftest import commit_all


@pytest.mark.parametrize("fmt,ext", [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_diff_of_the_bundled_example_matches_its_golden_page(checkout: Path, fmt: str, ext: str) -> None:
    code, out, err = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", fmt, cwd=checkout)
    assert code == 2, err
    assert err == ""
    assert_golden(f"diff.{ext}", scrub(out))


@pytest.mark.parametrize("fmt,ext", [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_offline_plan_of_the_bundled_example_matches_its_golden_page(checkout: Path, fmt: str, ext: str) -> None:
    code, out, err = run("plan", "--repo", str(checkout), "--source", "dir:../instance", "--format", fmt, cwd=checkout)
    assert code == 2, err
    assert_golden(f"plan.{ext}", scrub(out))


def test_the_example_reproduces_the_bring_up(checkout: Path) -> None:
    code, out, _ = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)
    report = json.loads(out)
    by_file: dict[str, list[dict]] = {}
    for d in report["divergences"]:
        by_file.setdefault(d["file"], []).append(d)
    assert len(by_file["voice/docker-compose.yml"]) == 7  # seven compose edits live only
    assert len(by_file["voice/agent/Dockerfile"]) == 2  # two Dockerfile edits
    assert {d["child"] for d in report["divergences"]} == {"R-3", "R-4", "R-5", "R-6", "R-8", "R-9"}
    env = by_file["voice/.env.example"]
    assert [(d["pointer"], d["line"]) for d in env] == [("/AGENT_INSTRUCTIONS", 5)]
    caddy_test = next(d for d in by_file["voice/docker-compose.yml"] if d["pointer"] == "/services/caddy/healthcheck/test")
    assert "8080" in caddy_test["before"][-1] and "8081" in caddy_test["after"][-1]
    assert any("/healthz" in d["after"] for d in by_file["voice/caddy/Caddyfile"])
    assert report["errors"] == []


def test_no_drift_exits_zero_and_says_so_in_one_line(checkout: Path, tmp_path: Path) -> None:
    same = tmp_path / "same"
    shutil.copytree(checkout / "voice", same)
    (same / "docker-compose.yml").rename(same / "docker-compose.yml")
    # Lay the repo's files out as the instance has them.
    (same / "voxtral").mkdir()
    (same / "voxtral" / "stage-overlay.yaml").write_text("")
    shutil.copy(checkout / "voice" / ".env.example", same / ".env")
    (checkout / "voice" / "voxtral").mkdir()
    (checkout / "voice" / "voxtral" / "stage-overlay.yaml").write_text("")
    commit_all(checkout)
    code, out, err = run("diff", "--repo", str(checkout), "--source", f"dir:{same}")
    assert (code, err) == (0, ""), out
    assert out.startswith("no drift: live")
    code, out, _ = run("plan", "--repo", str(checkout), "--source", f"dir:{same}")
    assert code == 0
    assert "nothing to do" in out


def test_uncommitted_edits_in_the_checkout_never_count_as_main(checkout: Path) -> None:
    before = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1]
    shutil.copy(checkout.parent / "instance" / "docker-compose.yml", checkout / "voice" / "docker-compose.yml")
    after = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1]
    assert len(json.loads(after)["divergences"]) == len(json.loads(before)["divergences"])


def test_ref_selects_the_base_side(checkout: Path) -> None:
    shutil.copy(checkout.parent / "instance" / "docker-compose.yml", checkout / "voice" / "docker-compose.yml")
    commit_all(checkout, "catch up with the host")
    now = json.loads(run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1])
    old = json.loads(run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json",
                         "--ref", "main~1", cwd=checkout)[1])
    assert not any(d["file"] == "voice/docker-compose.yml" and d["child"] for d in now["divergences"])
    assert any(d["file"] == "voice/docker-compose.yml" for d in old["divergences"])
    assert old["base"] == "main~1"


def test_a_malformed_live_compose_file_is_one_line_and_the_rest_is_still_compared(checkout: Path) -> None:
    live = checkout.parent / "instance" / "docker-compose.yml"
    live.write_text(live.read_text().replace("    image: caddy:2.8.4-alpine\n", "    image: [caddy\n"))
    code, out, err = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)
    assert code == 1
    report = json.loads(out)
    assert [e["file"] for e in report["errors"]] == ["voice/docker-compose.yml"]
    assert "line " in report["errors"][0]["message"] and "column " in report["errors"][0]["message"]
    assert {d["file"] for d in report["divergences"]} >= {"voice/agent/Dockerfile", "voice/.env.example"}
    assert err.count("\n") == 1 and err.startswith("drift: error: ")
    assert "Traceback" not in out + err


def test_a_malformed_compose_file_in_main_names_main(checkout: Path) -> None:
    (checkout / "voice" / "docker-compose.yml").write_text("services:\n  a: {image: x\n")
    commit_all(checkout)
    code, out, _ = run("diff", "--repo", str(checkout), "--source", "dir:../instance", cwd=checkout)
    assert code == 1
    assert "voice/docker-compose.yml in main cannot be read: line 3, column 1" in out


@pytest.mark.parametrize(
    "setup,expected",
    [
        (lambda inst: (inst / "agent" / "Dockerfile").write_bytes(b"FROM x\n\0\1binary"), "is a binary file"),
        (lambda inst: (inst / "caddy" / "Caddyfile").write_bytes(b"#" * (5 * 1024 * 1024 + 1)), "over the 5 MiB limit"),
        (lambda inst: ((inst / "caddy" / "Caddyfile").unlink(), (inst / "caddy" / "Caddyfile").symlink_to("/etc/passwd")),
         "symlink leading outside the source root"),
    ],
    ids=["binary", "too-large", "symlink-out"],
)
def test_a_file_that_cannot_be_taken_is_reported_and_the_others_are_compared(checkout: Path, setup, expected: str) -> None:
    setup(checkout.parent / "instance")
    code, out, err = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)
    assert code == 1
    report = json.loads(out)
    assert len(report["errors"]) == 1 and expected in report["errors"][0]["message"]
    assert any(d["file"] == "voice/docker-compose.yml" for d in report["divergences"])
    assert "root:" not in out  # nothing behind the symlink was read


def test_a_tracked_file_missing_live_is_the_whole_file_removed(checkout: Path) -> None:
    (checkout.parent / "instance" / "caddy" / "Caddyfile").unlink()
    code, out, _ = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)
    assert code == 2
    caddy = [d for d in json.loads(out)["divergences"] if d["file"] == "voice/caddy/Caddyfile"]
    assert [(d["kind"], d["pointer"], d["after"]) for d in caddy] == [("removed", "", None)]


def test_unrouted_divergences_are_listed_in_every_format(checkout: Path) -> None:
    cfg = checkout / ".drift.yml"
    cfg.write_text(cfg.read_text().replace('    match: ["voice/docker-compose.yml#/services/vllm-whisper/**"]',
                                           '    match: ["voice/docker-compose.yml#/services/nothing/**"]'))
    outs = {fmt: run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", fmt, cwd=checkout)[1]
            for fmt in ("text", "markdown", "json")}
    assert "1 unrouted" in outs["text"] and "voice/docker-compose.yml#/services/vllm-whisper/environment/HF_HUB_OFFLINE" in outs["text"]
    assert "**1 unrouted**" in outs["markdown"] and "| **unrouted** |" in outs["markdown"]
    unrouted = [d for d in json.loads(outs["json"])["divergences"] if d["child"] is None]
    assert [d["pointer"] for d in unrouted] == ["/services/vllm-whisper/environment/HF_HUB_OFFLINE"]
    plan_out = run("plan", "--repo", str(checkout), "--source", "dir:../instance", cwd=checkout)[1]
    assert "1 unrouted" in plan_out and "drift/r-9" not in plan_out


@pytest.mark.parametrize(
    "config,expected",
    [
        ("version: 1\nfiles: {a: b}\nsurprise: 1\n", ".drift.yml line 3: unknown key `surprise`"),
        ("version: 1\nfiles: {a: b}\nchildren:\n  R-1: {issue: 1, match: ['x#services']}\n",
         ".drift.yml line 4: child R-1: rule 'x#services': the part after `#` must be a pointer starting with `/`"),
        ("version: 1\nfiles: {a: b\n", ".drift.yml line 3, column 1:"),
        ("version: 1\nfiles: {a: b}\ngroups: [[R-1, R-2]]\n", ".drift.yml line 3: group names unknown child 'R-1'"),
    ],
    ids=["unknown-key", "bad-rule", "malformed", "unknown-group-member"],
)
def test_a_bad_drift_yml_is_named_with_its_line(tmp_path: Path, config: str, expected: str) -> None:
    (tmp_path / ".drift.yml").write_text(config)
    code, out, err = run("diff", "--repo", str(tmp_path), "--source", f"dir:{tmp_path}")
    assert code == 1 and out == ""
    assert err.startswith("drift: error: " + expected), err
    assert err.count("\n") == 1


def test_unknown_source_and_missing_folder_are_one_line_errors(checkout: Path) -> None:
    code, _, err = run("diff", "--repo", str(checkout), "--source", "ftp://host")
    assert code == 1 and "unknown source 'ftp://host'" in err and err.count("\n") == 1
    code, _, err = run("diff", "--repo", str(checkout), "--source", "dir:/no/such/folder")
    assert code == 1 and "source folder /no/such/folder does not exist" in err


def test_a_repo_that_is_not_a_git_checkout_is_a_one_line_error(tmp_path: Path) -> None:
    shutil.copy(Path(__file__).parent.parent / ".drift.yml", tmp_path / ".drift.yml")
    code, _, err = run("diff", "--repo", str(tmp_path), "--source", f"dir:{tmp_path}")
    assert code == 1 and "is not a git checkout" in err


def test_a_missing_base_ref_says_how_to_fetch_it(checkout: Path) -> None:
    code, _, err = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--ref", "release", cwd=checkout)
    assert code == 1 and "ref 'release' not found" in err and "git fetch origin release" in err


def test_snapshot_then_diff_from_it_equals_a_live_diff(checkout: Path, tmp_path: Path) -> None:
    code, out, err = run("snapshot", "--repo", str(checkout), "--source", "dir:../instance", "--out", str(tmp_path / "snap"), cwd=checkout)
    assert code == 0, err
    assert "5 file(s)" in out and "secret value(s) redacted" in out
    live = json.loads(run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)[1])
    saved = json.loads(run("diff", "--repo", str(checkout), "--snapshot", str(tmp_path / "snap"), "--format", "json")[1])
    assert saved["divergences"] == live["divergences"]
    assert saved["snapshot"]["id"] == live["snapshot"]["id"]


def test_source_and_snapshot_together_are_refused(checkout: Path, tmp_path: Path) -> None:
    code, _, err = run("diff", "--repo", str(checkout), "--source", "dir:x", "--snapshot", str(tmp_path))
    assert code == 1 and "either --source or --snapshot" in err


def test_an_unexpected_failure_is_still_one_line(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.pipeline

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.pipeline, "build_report", boom)
    code, out, err = run("diff", "--repo", str(checkout), "--source", "dir:../instance", cwd=checkout)
    assert code == 1 and err == "drift: error: unexpected RuntimeError: disk on fire (run with DRIFT_DEBUG=1 for the traceback)\n"


def test_python_dash_m_bot_is_the_same_program(checkout: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "bot", "diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json"],
                          cwd=checkout, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 2, proc.stderr
    assert len(json.loads(proc.stdout)["divergences"]) == 12


def test_diff_on_a_folder_never_imports_github_docker_or_jinja(checkout: Path) -> None:
    import subprocess
    import sys

    probe = ("import sys\nfrom bot.cli import main\ntry:\n    main(['diff', '--source', 'dir:../instance', '--format', 'json'])\n"
             "except SystemExit:\n    pass\nheavy = sorted(m for m in ('github', 'docker', 'paramiko', 'jinja2') if m in sys.modules)\n"
             "print('HEAVY', heavy, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=checkout, capture_output=True, text=True)
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_a_binary_or_oversized_file_in_main_is_an_error_not_an_addition(checkout: Path) -> None:
    (checkout / "voice" / "agent" / "Dockerfile").write_bytes(b"FROM x\n\0\1")
    (checkout / "voice" / "caddy" / "Caddyfile").write_bytes(b"#" * (5 * 1024 * 1024 + 10))
    commit_all(checkout)
    code, out, err = run("diff", "--repo", str(checkout), "--source", "dir:../instance", "--format", "json", cwd=checkout)
    assert code == 1
    report = json.loads(out)
    assert sorted(e["file"] for e in report["errors"]) == ["voice/agent/Dockerfile", "voice/caddy/Caddyfile"]
    assert "is a binary file in main" in out and "over the 5 MiB limit" in out
    assert not [d for d in report["divergences"] if d["file"] in ("voice/agent/Dockerfile", "voice/caddy/Caddyfile")]


# --- exit codes of usage errors, help, the environment ----------------------------------------

COMMANDS = ["snapshot", "diff", "plan", "apply", "tracker", "slash", "instances", "verify", "attach", "handover",
            "docs migrate"]


@pytest.mark.parametrize("args,says", [
    ((), "no command given (see `drift --help`)"),
    (("--formt",), "no such option '--formt' (see `drift --help`)"),
    (("diff", "--formt", "json"), "diff: no such option '--formt'. Did you mean '--format'? (see `drift diff --help`)"),
    (("diff", "--format", "yaml"), "diff: invalid value for '--format': 'yaml' is not one of 'text', 'json', 'markdown', 'github'"),
    (("plan", "--format", "github"), "plan: invalid value for '--format'"),
    (("deploy",), "no such command 'deploy'"),
    (("docs",), "docs: no subcommand given (see `drift docs --help`)"),
    (("slash",), "slash: missing option '--event'"),
    (("attach", "nowhere.md", "--slot", "transcript"), "attach: invalid value for 'FILE'"),
])
def test_a_usage_error_exits_1_in_one_line_never_2(args: tuple[str, ...], says: str) -> None:
    """2 is "drift found" to a workflow: a typo must never pass as news."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("drift: error: ") and says in proc.stderr, proc.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_has_an_example_and_exits_0(command: str) -> None:
    code, out, _ = run(*command.split(), "--help")
    assert code == 0 and "Example:" in out
    example = out.split("Example:", 1)[1].strip().splitlines()[0].strip()
    assert example.startswith(f"drift {command}") or f"drift {command}" in example


def test_the_help_lists_the_environment_the_bot_reads() -> None:
    import re

    code, out, _ = run("--help")
    assert code == 0
    read = set()
    for path in (Path(__file__).resolve().parent.parent / "bot").rglob("*.py"):
        read |= set(re.findall(r"environ(?:\.get)?[\[(]\"((?:DRIFT|GITHUB)_[A-Z_]+)\"", path.read_text()))
    assert read and {"GITHUB_TOKEN", "DRIFT_APP_ID", "DRIFT_APP_PRIVATE_KEY", "DRIFT_APP_PRIVATE_KEY_FILE"} <= read
    missing = sorted(name for name in read - {"DRIFT_RESULT_FILE", "DRIFT_TEST_HOME"} if name not in out)
    assert not missing, f"drift --help does not list {missing}"


def test_apply_dry_run_prints_the_plan_and_changes_nothing(checkout: Path) -> None:
    code, out, err = run("apply", "--dry-run", "--repo", str(checkout), "--source", "dir:../instance", cwd=checkout)
    plan_code, plan_out, _ = run("plan", "--repo", str(checkout), "--source", "dir:../instance", cwd=checkout)
    assert out == plan_out and err == ""
    assert (code, plan_code) == (0, 2)  # apply's exit codes are 0 and 1; 2 is plan's


# --- git: identity, token header, version -----------------------------------------------------

def test_the_machines_git_knows_no_user_in_this_suite(tmp_path: Path) -> None:
    """conftest's hermetic git: what a fresh runner has. A commit without the bot's identity fails."""
    import subprocess

    assert os.environ["GIT_CONFIG_NOSYSTEM"] == "1" and Path(os.environ["GIT_CONFIG_GLOBAL"]).read_text().strip().endswith("useConfigOnly = true")
    assert Path.home() == Path(os.environ["HOME"]) and str(Path.home()) != "/root"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    proc = subprocess.run(["git", "commit", "--allow-empty", "-m", "x"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "auto-detection is disabled" in proc.stderr


def test_the_run_lock_and_every_commit_are_the_bots(checkout: Path, tmp_path: Path) -> None:
    import subprocess

    from bot.adapters.git import DEFAULT_IDENTITY, Git

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git = Git(checkout, str(remote), None)
    head = git.run("rev-parse", "HEAD").strip()
    lock = git.acquire_lock("me #1", head, 60, 0.0, 0.0, lambda s: None)
    who = git.run("show", "-s", "--format=%an <%ae>|%cn <%ce>", lock).strip()
    assert who == f"{DEFAULT_IDENTITY[0]} <{DEFAULT_IDENTITY[1]}>|{DEFAULT_IDENTITY[0]} <{DEFAULT_IDENTITY[1]}>"
    ours = Git(checkout, str(remote), None, ("Ops Bot", "ops@example.com"))
    commit = ours.commit(head, {"x.txt": "x\n"}, "m\n", ours.identity)
    assert ours.run("show", "-s", "--format=%an %ae %cn %ce", commit).strip() == "Ops Bot ops@example.com Ops Bot ops@example.com"


def test_the_token_header_is_scoped_to_the_remotes_url(checkout: Path) -> None:
    from bot.adapters.git import Git, header_scope

    assert header_scope("https://x-access-token:s3cret@github.com/o/r.git") == "https://github.com/o/r.git"
    assert header_scope("git@github.com:o/r.git") is None and header_scope("/srv/r.git") is None
    git = Git(checkout, "https://github.com/o/r.git", "tok-123")
    env = git._env()
    # The headers configured before (actions/checkout's) cleared, then the bot's one.
    assert env["GIT_CONFIG_KEY_0"] == env["GIT_CONFIG_KEY_1"] == "http.https://github.com/o/r.git.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"] == ""
    assert "tok-123" not in env["GIT_CONFIG_VALUE_1"] and env["GIT_CONFIG_VALUE_1"].startswith("Authorization: Basic ")


def test_git_older_than_2_31_is_refused_in_one_line(checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.adapters.git as gitmod

    old = tmp_path / "bin"
    old.mkdir()
    real = shutil.which("git")
    (old / "git").write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then echo "git version 2.30.2"; exit 0; fi\nexec {real} "$@"\n')
    (old / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(gitmod, "_git_version", None)
    with pytest.raises(gitmod.GitError) as caught:
        gitmod.Git(checkout, "https://github.com/o/r.git", "tok").run("status")
    assert str(caught.value) == ("git 2.30.2 is too old: drift-bot needs git 2.31 or newer to pass the token to git "
                                 "(older git ignores GIT_CONFIG_COUNT)")
    monkeypatch.setattr(gitmod, "_git_version", None)


def test_progress_is_one_line_kept_up_to_date_on_a_terminal_and_lines_elsewhere() -> None:
    import io

    from bot.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    def shown(stream: io.StringIO) -> str:
        progress = Progress(stream, "")
        progress.say("connecting", log=False)
        progress.say("service a (1/2)")
        progress.say("service b (2/2)")
        progress.done()
        return stream.getvalue()

    assert shown(Tty()) == "\r\x1b[Kconnecting\r\x1b[Kservice a (1/2)\r\x1b[Kservice b (2/2)\r\x1b[K"
    assert shown(io.StringIO()) == "service a (1/2)\nservice b (2/2)\n"  # a log: a line per service
    quiet = io.StringIO()
    Progress(quiet, "0").say("x")
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("bot,says", [
    ("bot: drift", "`bot:` in .drift.yml is {name: ..., email: ...}"),
    ("bot: {name: ops, email: not-an-email}", "is not an identity git can write"),
    ("bot: {name: 'a <b>', email: a@b.c}", "is not an identity git can write"),
])
def test_a_bot_identity_git_cannot_write_is_one_line(checkout: Path, bot: str, says: str) -> None:
    from bot.config import load_config
    from bot.errors import ConfigError
    from bot.github.access import author

    (checkout / ".drift.yml").write_text((checkout / ".drift.yml").read_text() + bot + "\n")
    with pytest.raises(ConfigError, match=re.escape(says)):
        author(load_config(checkout))
