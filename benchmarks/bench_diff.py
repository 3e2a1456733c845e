"""How `drift diff` compares with merely parsing the compose files it diffs.

Generates a synthetic stack (500 services, about 20,000 compose lines, 50 Dockerfiles) with
known divergences in a throwaway git repository, then reports in one run:
  - `drift diff` (capture, read main from git, compare, route, render JSON), best of N
  - PyYAML's C loader parsing both compose files, best of N, and the ratio (target <= 1.5)
  - wall time of `drift diff` on the bundled example against `python3 -c "import yaml, click"`
    (target <= 3)
Run: .venv/bin/python benchmarks/bench_diff.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES, DOCKERFILES, REPEAT = 500, 50, 7


def service(i: int, drift: bool) -> str:
    image_tag = "v2" if drift and i % 50 == 0 else "v1"
    retries = 7 if drift and i % 50 == 10 else 5
    extra_env = "      EXTRA_FLAG: \"on\"\n" if drift and i % 50 == 20 else ""
    return f"""  svc-{i:03d}:
    image: registry.example/team/svc-{i:03d}:{image_tag}
    command: ["serve", "--port", "{8000 + i}", "--workers", "2"]
    environment:
      SERVICE_NAME: svc-{i:03d}
      LOG_LEVEL: info
      UPSTREAM: http://svc-{(i + 1) % SERVICES:03d}:{8000 + (i + 1) % SERVICES}
      CACHE_DIR: /data/cache
      MAX_BATCH: "16"
      TIMEOUT_SECONDS: "30"
      FEATURE_FLAGS: "a,b,c"
      REGION: eu-west-1
{extra_env}    ports:
      - "127.0.0.1:{10000 + i}:{8000 + i}"
    volumes:
      - data-{i:03d}:/data
      - ./conf/svc-{i:03d}.yaml:/etc/svc.yaml:ro
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:{8000 + i}/health"]
      interval: 15s
      timeout: 5s
      retries: {retries}
      start_period: 30s
    labels:
      com.example.team: voice
      com.example.tier: "{i % 3}"
      com.example.owner: team-{i % 7}
    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: "3"
    ulimits:
      nofile: 65536
    deploy:
      resources:
        limits:
          memory: 512m
    restart: unless-stopped
"""


def compose(drift: bool) -> str:
    body = "".join(service(i, drift) for i in range(SERVICES))
    vols = "".join(f"  data-{i:03d}: {{}}\n" for i in range(SERVICES))
    return f"name: synthetic\nservices:\n{body}volumes:\n{vols}"


def dockerfile(i: int, drift: bool) -> str:
    pin = "==1.2.6" if drift and i % 10 == 0 else ""
    return f"FROM python:3.11-slim\nWORKDIR /app\nRUN pip install --no-cache-dir tool-{i}{pin}\nCOPY . /app\nCMD [\"python\", \"app.py\"]\n"


def build(tmp: Path) -> tuple[Path, Path]:
    repo, live = tmp / "repo", tmp / "live"
    files = {"docker-compose.yml": "stack/docker-compose.yml"}
    for i in range(DOCKERFILES):
        files[f"svc-{i:02d}/Dockerfile"] = f"stack/svc-{i:02d}/Dockerfile"
    for side, drift in ((repo / "stack", False), (live, True)):
        side.mkdir(parents=True)
        (side / "docker-compose.yml").write_text(compose(drift))
        for i in range(DOCKERFILES):
            (side / f"svc-{i:02d}").mkdir()
            (side / f"svc-{i:02d}" / "Dockerfile").write_text(dockerfile(i, drift))
    lines = "\n".join(f"  {k}: {v}" for k, v in files.items())
    (repo / ".drift.yml").write_text(f"version: 1\nbase: main\nfiles:\n{lines}\nchildren:\n  R-1: {{issue: 1, match: ['stack/**']}}\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "main"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    return repo, live


def best_pair(a, b, repeat: int = REPEAT) -> tuple[float, float]:
    """Best time of each, measured in alternation so that load on the machine hits both alike."""
    times_a, times_b = [], []
    for _ in range(repeat):
        for fn, times in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return min(times_a), min(times_b)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bot.cli.app import Inputs, _report
    from bot.render import render_report

    with tempfile.TemporaryDirectory() as tmpdir:
        repo, live = build(Path(tmpdir))
        compose_lines = (live / "docker-compose.yml").read_text().count("\n")
        inputs = Inputs(source=f"dir:{live}", snapshot=None, repo=repo, ref=None, fmt="json")
        _, report = _report(inputs)
        divergences = len(report.divergences)

        from bot.compare import compose, compose_spellings, yamlload, yamllines
        from bot.secrets import _redact_compose, yaml_nodes

        def diff() -> None:
            # Each run starts cold, as a `drift diff` process does: nothing parsed or judged before.
            for cached in (compose.parsed, yamllines._prepared, yamllines._occurs, _redact_compose,
                           yaml_nodes._value_spans, yaml_nodes._list_spans, yaml_nodes._key_spans,
                           compose_spellings._duration_text):
                cached.cache_clear()
            yamlload._COMPOSED.clear()
            compose._SERVICES.clear()
            render_report(_report(inputs)[1], "json")

        texts = [(repo / "stack" / "docker-compose.yml").read_text(), (live / "docker-compose.yml").read_text()]

        def parse() -> None:
            for t in texts:
                yaml.load(t, Loader=yaml.CSafeLoader)

        t_diff, t_parse = best_pair(diff, parse)

        # Both sides read compiled bytecode, as after any `pip install`: an editable install on a
        # machine with PYTHONDONTWRITEBYTECODE set would otherwise recompile drift on every run.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bot")], check=True)
        drift = shutil.which("drift", path=str(Path(sys.executable).parent)) or "drift"
        example = [drift, "diff", "--repo", str(ROOT), "--source", f"dir:{ROOT / 'examples/instance'}", "--format", "json"]
        t_example, t_import = best_pair(lambda: subprocess.run(example, capture_output=True, check=False),
                                        lambda: subprocess.run([sys.executable, "-c", "import yaml, click"], check=True), 9)
        # Whole processes, as a user runs them: `drift diff` on the synthetic stack against a
        # Python process that only loads the two compose files with the C loader.
        stack = [drift, "diff", "--repo", str(repo), "--source", f"dir:{live}", "--format", "json"]
        load = ("import sys, yaml\nfor p in sys.argv[1:]:\n    yaml.load(open(p).read(), Loader=yaml.CSafeLoader)\n")
        parse_only = [sys.executable, "-c", load, str(repo / "stack" / "docker-compose.yml"), str(live / "docker-compose.yml")]
        t_stack, t_load = best_pair(lambda: subprocess.run(stack, capture_output=True, check=False),
                                    lambda: subprocess.run(parse_only, check=True), 5)

    print(f"synthetic stack: {SERVICES} services, {compose_lines} compose lines, {DOCKERFILES} Dockerfiles, {divergences} divergences found")
    print(f"drift diff (in process):        {t_diff * 1000:8.1f} ms")
    print(f"PyYAML C loader, both files:    {t_parse * 1000:8.1f} ms")
    print(f"ratio diff / parse:             {t_diff / t_parse:8.2f}  (target <= 1.5)")
    print(f"drift diff, whole process:      {t_stack * 1000:8.1f} ms wall")
    print(f"python + C loader, both files:  {t_load * 1000:8.1f} ms wall")
    print(f"ratio, whole processes:         {t_stack / t_load:8.2f}  (target <= 1.5)")
    print(f"drift diff on the example:      {t_example * 1000:8.1f} ms wall")
    print(f"python3 -c 'import yaml, click':{t_import * 1000:8.1f} ms wall")
    print(f"ratio example / import:         {t_example / t_import:8.2f}  (target <= 3)")


if __name__ == "__main__":
    main()
