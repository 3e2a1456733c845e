"""How many GitHub requests a run costs, for 1, 10 and 50 children (first run and no-op run).

Each child owns one service of a generated compose file whose live copy differs in every
service. The fake GitHub of the test suite counts the requests (API reads and writes, and
git pushes). Targets: a no-op run makes at most 5 requests, no write, whatever the number
of children; from the second no-op on, each read is answered 304 from the kept ETags (no
API budget spent; the first no-op reads in full what the previous run wrote); a first run
writes 2 per pull request (a push and a create).
Run: .venv/bin/python benchmarks/bench_github_budget.py
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cli_support import run  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fakegithub.gitcli import clone  # noqa: E402

BOT = "drift-bot[bot]"


def compose(n: int, tag: str) -> str:
    return "services:\n" + "".join(f"  svc-{i:02d}:\n    image: example/svc-{i:02d}:{tag}\n    restart: unless-stopped\n" for i in range(n))


def config(n: int) -> str:
    children = "".join(f"  R-{i}: {{issue: {100 + i}, match: ['stack/docker-compose.yml#/services/svc-{i:02d}/**']}}\n" for i in range(n))
    return f"version: 1\nrepository: acme/stack\nbase: main\nfiles:\n  docker-compose.yml: stack/docker-compose.yml\nchildren:\n{children}"


def measure(n: int) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub() as fake:
        os.environ["DRIFT_CACHE_DIR"] = str(Path(tmp) / "cache")
        fake.add_user(BOT, "Bot")
        fake.add_repo("acme/stack", initial_files={"stack/docker-compose.yml": compose(n, "v1"), ".drift.yml": config(n)})
        fake.grant("acme/stack", BOT, "write")
        checkout = clone(fake, "acme/stack", Path(tmp) / "checkout")
        live = Path(tmp) / "live"
        live.mkdir()
        (live / "docker-compose.yml").write_text(compose(n, "v2"))
        env = {"GITHUB_TOKEN": fake.token_for(BOT), "GITHUB_API_URL": fake.api_url}
        figures = []
        for _ in range(3):
            fake.reset_log()
            code, _, err = run("apply", "--repo", str(checkout), "--source", f"dir:{live}", env=env)
            assert code == 0, err
            figures.append({
                "api reads": fake.count("reads", kind="api"),
                "304": fake.count("not_modified", kind="api"),
                "api writes": fake.count("writes", kind="api"),
                "git pushes": fake.count("writes", kind="git"),
                "git reads": fake.count("reads", kind="git"),
            })
        return figures[0], figures[1], figures[2]


def main() -> None:
    os.environ.setdefault("NO_COLOR", "1")
    print(f"{'children':>8} | {'run':<7} | {'api reads':>9} | {'of them 304':>11} | {'api writes':>10} | {'git pushes':>10} | {'git fetches':>11}")
    for n in (1, 10, 50):
        first, again, settled = measure(n)
        for name, f in (("first", first), ("no-op", again), ("no-op 2", settled)):
            print(f"{n:>8} | {name:<7} | {f['api reads']:>9} | {f['304']:>11} | {f['api writes']:>10} | {f['git pushes']:>10} | {f['git reads']:>11}")
        assert again["api writes"] == again["git pushes"] == 0, "a no-op run wrote"
        assert again["api reads"] + again["api writes"] <= 5, "a no-op run made more than 5 API requests"
        assert settled["304"] == settled["api reads"], "a second no-op run read something in full: it cost API budget"
        assert first["api writes"] == n and first["git pushes"] == n + 2, "a first run: a push and a create per PR, and the lock"


if __name__ == "__main__":
    main()
