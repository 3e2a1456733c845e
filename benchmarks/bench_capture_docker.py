"""Capturing a 10-service compose project through the Docker API, against the docker CLI doing
the same reading, both measured in this run on this engine.

The CLI baseline is what a shell script would do to get the same facts from the engine's
host: find the project's containers (`docker ps`), `docker compose -p P config`, one
`docker inspect` of every container, and the tracked files with `docker cp`. It is timed two
ways: copying out of a helper container that bind-mounts the project folder read-only
(created and removed around the copies: the same work the API capture does), and copying
straight out of a service container that happens to mount the project folder (cheaper, but
only possible when some service mounts it).

    python benchmarks/bench_capture_docker.py [--runs 7] [--check]

`--check` exits 1 when the in-process capture is slower than the CLI (target: <= 1.0x).
Needs a running engine and the image from scripts/setup-docker.sh; without them it says so
and exits 0.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

IMAGE = "drift-test/busybox:1"
SERVICES = 10
FILES = [
    ("docker-compose.yml", "voice/docker-compose.yml"),
    ("caddy/Caddyfile", "voice/caddy/Caddyfile"),
    ("agent/Dockerfile", "voice/agent/Dockerfile"),
    (".env", "voice/.env.example"),
]


def compose_text() -> str:
    out = ["services:"]
    for i in range(SERVICES):
        out += [
            f"  svc{i}:",
            f"    image: {IMAGE}",
            "    init: true",
            '    command: ["sleep", "3600"]',
            "    environment:",
            f"      SERVICE_INDEX: \"{i}\"",
            "      HF_TOKEN: ${HF_TOKEN}",
            "    healthcheck:",
            '      test: ["CMD", "true"]',
            "      interval: 30s",
            '    ports: ["127.0.0.1::8000"]',
            "    volumes:",
            "      - ./caddy/Caddyfile:/etc/caddy/Caddyfile:ro",
            f"      - data{i}:/data",
        ]
        if i == 0:
            out.append("      - .:/project:ro")
    out.append("volumes:")
    out += [f"  data{i}: {{}}" for i in range(SERVICES)]
    return "\n".join(out) + "\n"


def run(*args: str, cwd: Path | None = None) -> bytes:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, stdin=subprocess.DEVNULL).stdout


def cli_capture(project: str, root: Path) -> None:
    ids = run("docker", "ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={project}").split()
    run("docker", "compose", "-p", project, "config", cwd=root)
    run("docker", "inspect", *[i.decode() for i in ids])
    helper = run("docker", "create", "--network", "none", "-v", f"{root}:{root}:ro", "--entrypoint", "/x", IMAGE).strip().decode()
    try:
        for live, _ in FILES:
            run("docker", "cp", f"{helper}:{root / live}", "-")
    finally:
        run("docker", "rm", "-f", helper)


def cli_capture_mounted(project: str, root: Path) -> None:
    ids = run("docker", "ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={project}").split()
    run("docker", "compose", "-p", project, "config", cwd=root)
    run("docker", "inspect", *[i.decode() for i in ids])
    for live, _ in FILES:
        run("docker", "cp", f"{project}-svc0-1:/project/{live}", "-")


def api_capture(project: str) -> None:
    from bot.capture.docker import capture_engine

    capture_engine(f"docker://?project={project}", FILES, tool_version="bench")


COLD = ("import sys\nfrom bot.capture.docker import capture_engine\n"
        "capture_engine(sys.argv[1], [tuple(f.split('=', 1)) for f in sys.argv[2:]], tool_version='bench')\n")


def api_cold(project: str) -> None:
    run(sys.executable, "-c", COLD, f"docker://?project={project}", *[f"{a}={b}" for a, b in FILES])


def timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when the API capture is slower than the CLI")
    args = parser.parse_args()
    try:
        run("docker", "image", "inspect", IMAGE)
        run("docker", "compose", "version")
    except (OSError, subprocess.CalledProcessError):
        print(f"skipped: no Docker engine, compose plugin or {IMAGE} here (run scripts/setup-docker.sh as root)")
        return 0

    project = f"drift-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        root = Path(tmp)
        (root / "caddy").mkdir()
        (root / "agent").mkdir()
        (root / "docker-compose.yml").write_text(compose_text())
        (root / "caddy" / "Caddyfile").write_text(":80 {\n  reverse_proxy svc0:8000\n}\n")
        (root / "agent" / "Dockerfile").write_text(f"FROM {IMAGE}\nCMD [\"sleep\", \"3600\"]\n")
        (root / ".env").write_text("HF_TOKEN=hf_" + "x1Y2z3" * 6 + "\n")
        run("docker", "compose", "-p", project, "up", "-d", "--pull", "never", cwd=root)
        try:
            api_capture(project)  # warm: imports, first connection
            cli_capture(project, root)
            cli, mounted, api, cold = [], [], [], []
            for _ in range(args.runs):
                cli.append(timed(cli_capture, project, root))
                mounted.append(timed(cli_capture_mounted, project, root))
                api.append(timed(api_capture, project))
                cold.append(timed(api_cold, project))
        finally:
            run("docker", "compose", "-p", project, "down", "-v", "-t", "1", cwd=root)

    c, m = statistics.median(cli), statistics.median(mounted)
    a, k = statistics.median(api), statistics.median(cold)
    print(f"capture of a {SERVICES}-service project, {len(FILES)} tracked files, median of {args.runs} runs")
    print(f"  docker CLI, cp through a helper (ps, compose config, inspect, create, cp x{len(FILES)}, rm)  {c * 1000:7.1f} ms")
    print(f"  docker CLI, cp through a service mounting the folder (no helper)            {m * 1000:7.1f} ms")
    print(f"  Docker API, in process                                                      {a * 1000:7.1f} ms"
          f"   {a / c:.2f}x / {a / m:.2f}x the CLI")
    print(f"  Docker API, new interpreter (Python start and imports included)             {k * 1000:7.1f} ms"
          f"   {k / c:.2f}x / {k / m:.2f}x the CLI")
    if args.check and a > c:
        print("FAIL: the API capture is slower than the CLI")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
