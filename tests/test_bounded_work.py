"""Hostile input costs little: each bounded case runs in a subprocess under a memory and a CPU
limit (resource.setrlimit), and is asserted to end in one clear line, quickly, in little memory.

Without the limits in the code, the alias bomb expands to half a billion nodes (gigabytes,
minutes), the 3 GiB file is read whole before its size is checked, and `**a` fourteen times
backtracks for minutes: each would hit the limits here and fail.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 1 << 30  # address space of the child: 1 GiB
CPU_SECONDS = 30

LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
          + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")))


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_limited(code: str, tmp_path: Path) -> tuple[dict, float, int]:
    """Run `code` (which prints one JSON line) in a child under the limits: its answer, the wall
    time and the child's peak resident memory in KiB."""
    script = tmp_path / "case.py"
    # The child reports its own peak: RUSAGE_CHILDREN would count every process this worker waited for.
    prelude = ("import json as _json, resource as _resource\n"
               "def done(answer):\n"
               "    print(_json.dumps([answer, _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss]))\n")
    script.write_text(prelude + textwrap.dedent(code))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=_limited, timeout=120)
    wall = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr[-2000:]
    answer, peak = json.loads(proc.stdout.strip().splitlines()[-1])
    return answer, wall, peak


def test_an_alias_bomb_is_refused_within_the_limits(tmp_path: Path) -> None:
    (tmp_path / "bomb.yml").write_text(LAUGHS)
    answer, wall, peak = run_limited(f"""
        import json
        from bot.compare.yamlload import YamlError, load_yaml
        try:
            load_yaml(open({str(tmp_path / 'bomb.yml')!r}).read())
            done({{"error": None}})
        except YamlError as exc:
            done({{"error": str(exc)}})
    """, tmp_path)
    assert answer["error"].startswith("line 1, column 1: document contains excessive aliasing")
    assert wall < 10 and peak < 300 * 1024


def test_a_drift_yml_alias_bomb_is_one_config_error(tmp_path: Path) -> None:
    (tmp_path / ".drift.yml").write_text("files: {a: b}\n" + LAUGHS.replace("a: &a", "x-a: &a"))
    answer, wall, peak = run_limited(f"""
        import json
        from pathlib import Path
        from bot.config import config_problems
        path = Path({str(tmp_path / '.drift.yml')!r})
        done({{"problems": config_problems(path.read_text(), path)}})
    """, tmp_path)
    assert len(answer["problems"]) == 1 and "excessive aliasing" in answer["problems"][0]
    assert answer["problems"][0].startswith(".drift.yml line 1, column 1: document contains excessive aliasing")
    assert wall < 10 and peak < 300 * 1024


def test_a_3_gib_file_is_refused_by_its_size_before_any_is_read(tmp_path: Path) -> None:
    source = tmp_path / "instance"
    source.mkdir()
    with open(source / "docker-compose.yml", "wb") as f:
        f.truncate(3 << 30)  # sparse: three GiB that take no disk
    answer, wall, peak = run_limited(f"""
        import json
        from pathlib import Path
        from bot.capture.dir import read_dir
        (cap,) = read_dir(Path({str(source)!r}), [("docker-compose.yml", "voice/docker-compose.yml")])
        done({{"problem": cap.problem, "text": cap.text}})
    """, tmp_path)
    assert answer == {"problem": "is 3072.0 MiB, over the 5 MiB limit for a tracked file", "text": None}
    assert wall < 10 and peak < 300 * 1024


def test_a_backtracking_glob_answers_within_the_limits(tmp_path: Path) -> None:
    answer, wall, peak = run_limited("""
        import json
        from bot.globs import glob_matches, rule_matches
        done({"glob": glob_matches("**a" * 14, "a" * 40 + "b"),
                          "ignore": rule_matches("**#" + "/**a" * 14, "x.yml", "/" + "a" * 40 + "b")})
    """, tmp_path)
    assert answer == {"glob": False, "ignore": False}
    assert wall < 10 and peak < 300 * 1024


def test_the_size_is_taken_before_reading_and_a_growing_file_is_cut(tmp_path: Path, monkeypatch) -> None:
    from bot.capture import files

    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 4)
    assert files.read_bounded(path) == (None, 10)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    assert files.read_bounded(path) == (b"x" * 10, 10)
