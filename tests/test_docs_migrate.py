"""`drift docs migrate`: legacy Markdown into MDX pages that compile, with links rewritten,
secrets never carried, and (with --pr) one pull request that adds the pages and removes the files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run
from tests.conftest import commit_all
from tests.fakegithub.gitcli import run_git
from tests.github_world import REPO, World
from tests.test_mdx import assert_valid, compile_pages, mdx_compiler  # noqa: F401 - the fixture

OPS = "apps/docs/content/docs/operations"
LEGACY = ("voice/DEPLOY-AWS.md", "voice/CREDENTIALS-CHECKLIST.md")


def test_the_legacy_pages_compile_with_their_links_rewritten(checkout: Path, mdx_compiler: str) -> None:
    code, out, err = run("docs", "migrate", *LEGACY, "--repo", str(checkout))
    assert (code, err) == (0, ""), err
    deploy = (checkout / OPS / "deploy-aws.mdx").read_text()
    creds = (checkout / OPS / "credentials-checklist.mdx").read_text()
    results = compile_pages({"deploy-aws.mdx": deploy, "credentials-checklist.mdx": creds})
    assert_valid(results["credentials-checklist.mdx"], creds)
    # The legacy HTML comment became an MDX comment, still invisible; nothing else is code.
    deploy_result = results["deploy-aws.mdx"]
    assert deploy_result["ok"], deploy_result["error"]
    assert deploy_result["mdx_nodes"] == ["mdxFlowExpression"] and deploy.count("{/*") == 1
    assert "terraform module" not in deploy_result["text"]
    assert "{5 minutes}" in deploy_result["text"]  # braces in prose stay text
    assert 'title: "Deploying the voice stack on AWS"' in deploy
    assert "[credentials checklist](credentials-checklist)" in deploy  # a page of the site now
    assert "(https://github.com/fragjulia/voice-platform/blob/main/voice/docker-compose.yml)" in deploy
    assert "{/* TODO: link the terraform module once it is public */}" in deploy
    assert "docker compose up -d --force-recreate" in deploy  # code stays code
    meta = json.loads((checkout / OPS / "meta.json").read_text())
    assert {"deploy-aws", "credentials-checklist"} <= set(meta["pages"])


def test_a_credentials_checklist_never_carries_a_value(checkout: Path) -> None:
    secret = "hf_Xb7Kq2Lm9Rv4Tn8Wc3Pd6Fy1Hs5Jg0Za"
    path = checkout / "voice/CREDENTIALS-CHECKLIST.md"
    path.write_text(path.read_text() + f"- [ ] current token: `HF_TOKEN={secret}`\n")
    commit_all(checkout)
    code, out, err = run("docs", "migrate", "voice/CREDENTIALS-CHECKLIST.md", "--repo", str(checkout))
    assert code == 0 and "secret value(s) redacted" in out
    page = (checkout / OPS / "credentials-checklist.mdx").read_text()
    assert secret not in page and "LIVEKIT_API_SECRET" in page


def test_with_pr_one_pull_request_adds_the_pages_and_removes_the_old_files(world: World, mdx_compiler: str) -> None:
    code, out, err = run("docs", "migrate", *LEGACY, "--repo", str(world.checkout), "--pr", env=world.env)
    assert code == 0, err
    (pull,) = world.pulls()
    assert pull.pull.head_ref == "drift/docs-migration"
    diff = run_git("diff", "--no-renames", "--name-status", "main...drift/docs-migration", cwd=world.fake.git_path(REPO)).stdout
    assert f"A\t{OPS}/deploy-aws.mdx" in diff and "D\tvoice/DEPLOY-AWS.md" in diff and "D\tvoice/CREDENTIALS-CHECKLIST.md" in diff
    world.fake.reset_log()
    code, out, _ = run("docs", "migrate", *LEGACY, "--repo", str(world.checkout), "--pr", env=world.env)
    assert code == 0 and "nothing to do" in out and world.fake.count("writes", kind="any") == 0
    code, out, err = world.drift("apply")  # the bot's own reconcile leaves that pull request alone
    assert code == 0, err
    migration = [p for p in world.pulls() if p.pull.head_ref == "drift/docs-migration"]
    assert len(migration) == 1 and migration[0].state == "open" and migration[0].body == pull.body


def test_a_missing_file_is_one_line(checkout: Path) -> None:
    code, _, err = run("docs", "migrate", "voice/NOPE.md", "--repo", str(checkout))
    assert code == 1 and "voice/NOPE.md: no such file" in err


@pytest.mark.parametrize("given,rel", [("./voice/DEPLOY-AWS.md", "voice/DEPLOY-AWS.md"), (".env", ".env"),
                                       ("voice/./x/../DEPLOY-AWS.md", "voice/DEPLOY-AWS.md"), ("./.env", ".env")])
def test_paths_are_normalised_not_stripped(tmp_path: Path, given: str, rel: str) -> None:
    from bot.migrate import repo_relative

    assert repo_relative(given, tmp_path) == rel
    assert repo_relative(str(tmp_path / rel), tmp_path) == rel  # the same file named by its absolute path


@pytest.mark.parametrize("given", ["../../etc/passwd", "..", "voice/../../x.md", "/etc/passwd"])
def test_a_path_outside_the_repository_is_refused_in_one_line(checkout: Path, given: str) -> None:
    code, out, err = run("docs", "migrate", given, "--repo", str(checkout))
    assert code == 1 and out == ""
    assert err == f"drift: error: {given}: outside the repository {checkout}; name a file in it\n"


def test_a_symlink_out_of_the_repository_is_refused(checkout: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("# s\n")
    (checkout / "voice" / "LINK.md").symlink_to(tmp_path / "secret.md")
    code, _, err = run("docs", "migrate", "voice/LINK.md", "--repo", str(checkout))
    assert code == 1 and "voice/LINK.md: leads outside the repository" in err and err.count("\n") == 1
