"""A repository on the fake GitHub holding this project's voice/ stack and .drift.yml, a
checkout of it for the bot to run in, and a copy of the example instance as the live host."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_support import run
from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import clone, run_git

ROOT = Path(__file__).resolve().parent.parent
REPO = "fragjulia/voice-platform"
BOT = "drift-bot[bot]"
HUMAN = "alice"


def _tree(folder: Path, prefix: str) -> dict[str, str]:
    return {f"{prefix}{p.relative_to(folder)}": p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class World:
    fake: FakeGitHub
    checkout: Path
    instance: Path
    numbers: dict[int, int]  # the bring-up's issue numbers -> the fake's

    def issue(self, real: int):
        return self.fake.issue(REPO, self.numbers[real])

    @property
    def env(self) -> dict[str, str]:
        return {"GITHUB_TOKEN": self.fake.token_for(BOT), "GITHUB_API_URL": self.fake.api_url}

    def drift(self, *args: str, fmt: str | None = None) -> tuple[int, str, str]:
        extra = ["--format", fmt] if fmt else []
        return run(*args, "--repo", str(self.checkout), "--source", f"dir:{self.instance}", *extra, env=self.env)

    def plan_json(self) -> dict:
        code, out, err = self.drift("plan", fmt="json")
        assert code in (0, 2), err
        return json.loads(out)

    def pulls(self, state: str | None = None) -> list:
        return [p for p in self.fake.pulls(REPO) if state is None or p.state == state]

    def gh(self, login: str = HUMAN):
        return self.fake.github_client(login).get_repo(REPO)

    def main_file(self, path: str) -> str:
        return run_git("show", f"main:{path}", cwd=self.fake.git_path(REPO)).stdout

    def branch_file(self, branch: str, path: str) -> str:
        return run_git("show", f"{branch}:{path}", cwd=self.fake.git_path(REPO)).stdout

    def branch_diff(self, branch: str) -> str:
        return run_git("diff", f"main...{branch}", cwd=self.fake.git_path(REPO)).stdout

    def push_main(self, files: dict[str, str | None], message: str = "human change on main") -> str:
        return self.fake.commit(REPO, "main", files, message, author=HUMAN)

    def edit_live(self, path: str, old: str, new: str) -> None:
        target = self.instance / path
        text = target.read_text()
        assert old in text, f"{old!r} not in live {path}"
        target.write_text(text.replace(old, new))


@pytest.fixture
def world(fake_github: FakeGitHub, tmp_path: Path) -> World:
    return make_world(fake_github, tmp_path)


@pytest.fixture
def tracked_world(fake_github: FakeGitHub, tmp_path: Path) -> World:
    return make_world(fake_github, tmp_path, tracker=True)


# The bring-up's issues, seeded in this order so the fake numbers them 1, 2, ...
ISSUES = [("R-0", 660, "R-0: voice stack on the L4"), ("R-3", 663, "R-3: .env example"), ("R-4", 664, "R-4: Voxtral image"),
          ("R-5", 666, "R-5: guard tuning"), ("R-6", 667, "R-6: agent Dockerfile"), ("R-8", 668, "R-8: Caddy health"),
          ("R-9", 669, "R-9: Whisper"), ("R-10", 670, "R-10: bring-up verification"),
          ("RT-1", 673, "RT-1: GPU VRAM architecture viability on L4"),
          ("RT-2", 674, "RT-2: turn-detector / HF-cache lifecycle")]


def _config(tracker: bool, numbers: dict[int, int]) -> str:
    text = (ROOT / ".drift.yml").read_text()
    head, _, rest = text.partition("\ntracker:")
    if not tracker:
        # Without a tracker the runs only touch pull requests (their tests count every write).
        rest = rest[rest.index("\ngpus:") + 1:]
        # No research keys or `issues:` are declared then: the gates and verify_closes naming them go too.
        return head + "\n" + rest[:rest.index("\ngates:")] + rest[rest.index("\nverify:"):]
    text = text.replace("  mega: 672\n", "")
    for real, fake in sorted(numbers.items(), key=lambda kv: -kv[0]):
        text = text.replace(str(real), str(fake))
    return text


def make_world(fake: FakeGitHub, tmp_path: Path, tracker: bool = False) -> World:
    fake.add_user(BOT, "Bot")
    fake.add_user(HUMAN)
    numbers: dict[int, int] = {}
    if tracker:
        fake.add_repo(REPO, initial_files={"README.md": "voice platform\n"})
        for name, real, title in ISSUES:
            numbers[real] = fake.add_issue(REPO, title, f"{name} body written by a human.", user=HUMAN).number
    files = {**_tree(ROOT / "voice", "voice/"), ".drift.yml": _config(tracker, numbers)}
    if tracker:
        fake.commit(REPO, "main", files, "the voice stack", author=HUMAN)
    else:
        fake.add_repo(REPO, initial_files=files)
    fake.grant(REPO, BOT, "write")
    fake.grant(REPO, HUMAN, "maintain")
    if tracker:
        repo = fake.github_client(HUMAN).get_repo(REPO)
        parent = repo.get_issue(numbers[660])
        for name, real, _ in ISSUES[1:8]:
            parent.add_sub_issue(repo.get_issue(numbers[real]).id)
    checkout = clone(fake, REPO, tmp_path / "checkout")
    instance = tmp_path / "instance"
    shutil.copytree(ROOT / "examples" / "instance", instance)
    return World(fake, checkout, instance, numbers)


def two_host_fleet(world: World) -> Path:
    """Make the world a fleet of two hosts: l4-a (the example, which applies) and l4-b (a copy
    whose Voxtral retries differ, reporting only). Returns l4-b's instance folder."""
    import shutil

    second = world.instance.parent / "instance-b"
    shutil.copytree(world.instance, second)
    (second / "docker-compose.yml").write_text((second / "docker-compose.yml").read_text().replace("retries: 30", "retries: 20"))
    config = world.checkout / ".drift.yml"
    config.write_text(config.read_text() + f"\ninstances:\n  - {{name: l4-a, source: 'dir:{world.instance}'}}\n"
                      f"  - {{name: l4-b, source: 'dir:{second}', apply: false}}\n")
    return second
