"""Issue 15 through every channel: the YAML spellings people write secrets in, the whole shape
corpus, a malformed `.env` line holding a secret, and an old snapshot that kept values in clear —
through diff (three formats), plan, snapshot, apply against the fake GitHub (every request body,
every git object), the tracker, the handover pages, `/drift` replies and the logs. Neither a
secret nor any 12-character window of it appears anywhere.
"""
from __future__ import annotations

import functools
import json
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.cli_support import run
from tests.conftest import make_checkout
from tests.github_world import HUMAN, REPO, World, make_world
from tests.secret_corpus import SHAPES
from tests.test_secrets_everywhere import _random, _replace, drift, every_channel, files_under, leaks, tracked  # noqa: F401
from tests.test_secrets_shapes import HEX, NAME_ONLY, secret_of

ALNUM = string.ascii_letters + string.digits


def spelled() -> dict[str, str]:
    """Fresh values for each spelling of the issue."""
    return {k: _random(18) for k in (
        "value on the next line", "explicit tag", "anchor (and its alias)", "alias under a secret name",
        "after --api-key in a command list", "after --token= in a command list", "in a command string",
        "curl -u user:password in a healthcheck", "block scalar")}


def plant_spellings(instance: Path, s: dict[str, str]) -> None:
    _replace(instance / "docker-compose.yml",
             '    command: ["vllm", "serve", "openai/whisper-large-v3-turbo", "--port", "8001",\n'
             '              "--gpu-memory-utilization", "0.40", "--max-model-len", "448"]\n',
             '    command: ["vllm", "serve", "openai/whisper-large-v3-turbo", "--port", "8001",\n'
             '              "--gpu-memory-utilization", "0.40", "--max-model-len", "448",\n'
             f'              "--api-key", "{s["after --api-key in a command list"]}",\n'
             f'              "--token={s["after --token= in a command list"]}"]\n'
             f'    entrypoint: /usr/bin/env SERVE_MODE=1 serve --password {s["in a command string"]}\n')
    _replace(instance / "docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n',
             '      HF_HUB_OFFLINE: "1"\n'
             f'      SMTP_PASSWORD:\n        {s["value on the next line"]}\n'
             f'      API_TOKEN: !!str {s["explicit tag"]}\n'
             f'      DB_PASSWORD: &pw {s["anchor (and its alias)"]}\n'
             '      DB_PASSWORD_AGAIN: *pw\n'
             f'      X_PLAIN: &xv {s["alias under a secret name"]}\n'
             '      REPLICA_PASSWORD: *xv\n'
             f'      TLS_PRIVATE_SECRET: |\n        {s["block scalar"]}\n        second-line-of-it\n')
    _replace(instance / "docker-compose.yml",
             '      test: ["CMD-SHELL", "curl -fsS http://127.0.0.1:8001/health || exit 1"]\n',
             f'      test: ["CMD-SHELL", "curl -fsS -u ops:{s["curl -u user:password in a healthcheck"]} '
             'http://127.0.0.1:8001/health || exit 1"]\n')


def plant_corpus(instance: Path) -> dict[str, str]:
    """Every shape of the corpus under a name that says nothing (or, for the shapes only a name
    can tell, a secret name): in the `.env`, and the one-line ones in compose and the Dockerfile."""
    secrets_by_name: dict[str, str] = {}
    env, compose_env, docker = [], [], []
    for n, shape in enumerate(SHAPES):
        name = f"DB_PASSWORD_{n}" if shape.name in NAME_ONLY else f"X_CORPUS_{n}"
        secrets_by_name[f"corpus {shape.name}"] = secret_of(shape.name, shape.value)
        env.append(f"{name}={json.dumps(shape.value)}")
        if "\n" not in shape.value:
            compose_env.append(f"      {name}_C: {json.dumps(shape.value)}")
            if shape.name not in HEX:
                docker.append(f"ENV {name}_D={json.dumps(shape.value)}")
    (instance / ".env").write_text((instance / ".env").read_text() + "\n".join(env) + "\n")
    _replace(instance / "docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n', '      HF_HUB_OFFLINE: "1"\n' + "\n".join(compose_env) + "\n")
    _replace(instance / "agent" / "Dockerfile", "ENV HF_HOME=/cache/hf\n", "ENV HF_HOME=/cache/hf\n" + "\n".join(docker) + "\n")
    return secrets_by_name


def test_the_issues_spellings_and_the_whole_corpus_reach_nothing(tracked: World, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    world = tracked
    values = spelled()
    plant_spellings(world.instance, values)
    corpus = plant_corpus(world.instance)

    report = json.loads(drift(world, "diff", "--format", "json", env={"GITHUB_TOKEN": ""})[1])
    assert not report["errors"], report["errors"]
    secret = {d["pointer"] for d in report["divergences"] if d["secret"]}
    assert {"/services/vllm-whisper/command", "/services/vllm-whisper/environment/SMTP_PASSWORD",
            "/services/vllm-whisper/environment/REPLICA_PASSWORD", "/X_CORPUS_0"} <= secret

    surfaces = every_channel(world, tmp_path, caplog)
    planted = {**{f"spelling: {k}": v for k, v in values.items()}, **corpus}
    live = {f"live {k}": v for k, v in files_under(world.instance).items()}
    assert {f.split(" reached ")[0] for f in leaks(live, planted)} == set(planted)  # the scan finds what is there
    found = leaks(surfaces, planted)
    assert not found, f"{len(found)} leak(s):\n" + "\n".join(found[:20])

    # The command's secrets became references a person can fill in, never a broken `- ${COMMAND}`,
    # and the pull request names each variable it refers to.
    whisper = next(p for p in world.pulls() if p.pull.head_ref == "drift/r-9")
    carried = world.branch_file("drift/r-9", "voice/docker-compose.yml")
    assert '"--api-key", "${API_KEY}"' in carried.replace("\n", " ").replace("  ", " ") or \
        "--api-key, ${API_KEY}" in carried or "- ${API_KEY}" in carried, carried
    assert "--token=${TOKEN}" in carried and "--password ${PASSWORD}" in carried
    assert "${COMMAND}" not in carried and "${ENTRYPOINT}" not in carried
    assert "${API_KEY}" in whisper.body and "${SMTP_PASSWORD}" in whisper.body and "${COMMAND}" not in whisper.body


def test_a_malformed_env_line_holding_a_secret_is_named_by_line_never_quoted(tracked: World, tmp_path: Path) -> None:
    world = tracked
    value = _random(24)
    env = world.instance / ".env"
    env.write_text(env.read_text() + f"DB_PASSWORD {value}\n")  # no `=`: compose cannot read it
    outputs = {}
    for fmt in ("text", "json", "markdown"):
        code, out, err = drift(world, "diff", "--format", fmt, env={"GITHUB_TOKEN": ""})
        assert code in (1, 2), err
        outputs[f"diff {fmt}"] = out + err
    assert "is not KEY=value" in outputs["diff text"] and "line " in outputs["diff text"]
    code, out, err = drift(world, "tracker")
    outputs["tracker"] = out + err
    code, out, err = run("snapshot", "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                         "--out", str(tmp_path / "snap"), env=world.env)
    outputs["snapshot"] = out + err
    outputs |= files_under(tmp_path / "snap")
    outputs["issues"] = "\n".join(i.body for i in world.fake.repo(REPO).issues.values())
    assert not leaks(outputs, {"the malformed line's value": value})


def test_a_snapshot_that_kept_a_value_in_clear_is_redacted_as_it_is_read(tracked: World, tmp_path: Path) -> None:
    world = tracked
    snap = tmp_path / "snap"
    code, _, err = run("snapshot", "--repo", str(world.checkout), "--source", f"dir:{world.instance}",
                       "--out", str(snap), env=world.env)
    assert code == 0, err
    # As an older version, or a person, might have left it: a value in clear and an unsalted digest.
    value = "hf_" + _random(34)
    manifest = json.loads((snap / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["repo_path"] == "voice/docker-compose.yml")
    path = snap / "files" / entry["live_path"]
    text = path.read_text().replace('      HF_HUB_OFFLINE: "1"\n', f'      HF_HUB_OFFLINE: "1"\n      HF_TOKEN_B: {value}\n'
                                    '      OLD: "<redacted sha256:0b9e20fd>"\n')
    path.write_text(text)
    import hashlib

    entry["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (snap / "manifest.json").write_text(json.dumps(manifest))
    outputs = {}
    for fmt in ("text", "json", "markdown"):
        code, out, err = run("diff", "--repo", str(world.checkout), "--snapshot", str(snap), "--format", fmt,
                             env={"GITHUB_TOKEN": ""})
        assert code == 2, err
        outputs[fmt] = out + err
    assert not leaks(outputs, {"the clear value": value, "the unsalted digest": "0b9e20fd"})
    assert "HF_TOKEN_B" in outputs["text"]


# --- generated values, every spelling, every channel that runs without GitHub -------------

_GENERATED = st.text(alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"),
                                            exclude_characters="\ufeff\ufffe\uffff\x85\\"),
                     min_size=10, max_size=32).filter(lambda v: v.strip() == v and not v.startswith(("$", "<", "{")))


def plant_generated(instance: Path, v: dict[str, str]) -> None:
    q = {k: json.dumps(x, ensure_ascii=False) for k, x in v.items()}
    _replace(instance / "docker-compose.yml", '      HF_HUB_OFFLINE: "1"\n',
             '      HF_HUB_OFFLINE: "1"\n'
             f'      SMTP_PASSWORD:\n        {q["next line"]}\n'
             f'      API_TOKEN: !!str {q["tag"]}\n'
             f'      DB_PASSWORD: &pw {q["anchor"]}\n      DB_PASSWORD_AGAIN: *pw\n'
             f'      TLS_SECRET: |\n        {v["block"]}\n'
             + f"      CLIENT_SECRET: '{v['single'].replace(chr(39), chr(39) * 2)}'\n")
    _replace(instance / "docker-compose.yml",
             '"--gpu-memory-utilization", "0.40", "--max-model-len", "448"]\n',
             f'"--gpu-memory-utilization", "0.40", "--max-model-len", "448", "--api-key", {q["flag"]}]\n')
    env = instance / ".env"
    env.write_text(env.read_text() + f"DB_PASSWORD={q['env']}\nexport SMTP_PASS={q['env export']}\n")
    _replace(instance / "agent" / "Dockerfile", "ENV HF_HOME=/cache/hf\n",
             f"ENV HF_HOME=/cache/hf\nENV API_SECRET={q['dockerfile']}\n")


def every_offline_channel(tmp: str, values: dict[str, str] | None) -> dict[str, str]:
    """What diff and plan (three formats), snapshot, diff of the snapshot and handover say and
    write for a fresh checkout, with `values` planted (or none)."""
    repo = make_checkout(Path(tmp))
    if values is not None:
        plant_generated(repo.parent / "instance", values)
    said: dict[str, str] = {}
    for command in ("diff", "plan"):
        for fmt in ("text", "json", "markdown"):
            code, out, err = run(command, "--repo", str(repo), "--source", "dir:../instance", "--format", fmt, cwd=repo)
            assert code == 2, err
            said[f"{command} {fmt}"] = out + err
    code, out, err = run("snapshot", "--repo", str(repo), "--source", "dir:../instance", "--out", f"{tmp}/snap", cwd=repo)
    assert code == 0, err
    said["snapshot"] = out + err
    said["diff --snapshot"] = "".join(run("diff", "--repo", str(repo), "--snapshot", f"{tmp}/snap", cwd=repo)[1:])
    code, out, err = run("handover", "--repo", str(repo), "--source", "dir:../instance", "--architecture",
                         "--date", "2026-04-24", cwd=repo)
    assert code == 0, err
    said |= files_under(Path(tmp) / "snap") | {str(p): p.read_text() for p in repo.rglob("*.mdx")}
    said |= {f"main {k}": v for k, v in files_under(repo / "voice").items()}
    return said


@functools.lru_cache(maxsize=1)
def _own_words() -> str:
    """The bot's own source and templates: hypothesis draws strings from the code under test
    (`.drift.yml`, `memory_gib`), and the bot printing its own words is no leak."""
    root = Path(__file__).resolve().parent.parent
    return "\n".join(p.read_text() for pattern in ("bot/**/*.py", "templates/*.j2", ".drift.yml", "voice/**/*")
                     for p in root.glob(pattern) if p.is_file())


def is_own_word(value: str) -> bool:
    return value in _own_words() or value in _unplanted()


@functools.lru_cache(maxsize=1)
def _unplanted() -> str:
    """Everything said and written without a planted value: a window of a generated value that
    stands here too (`another `) is the bot's own words, not a leak."""
    with tempfile.TemporaryDirectory() as tmp:
        return "\n".join(every_offline_channel(tmp, None).values())


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({k: _GENERATED for k in (
    "next line", "tag", "anchor", "block", "single", "flag", "env", "env export", "dockerfile")}))
def test_generated_values_in_every_spelling_reach_no_channel(values: dict[str, str]) -> None:
    assume(len({v[:8] for v in values.values()}) == len(values))
    assume(not any(is_own_word(v) for v in values.values()))  # the bot's own words (`memory_gib`) are no leak
    with tempfile.TemporaryDirectory() as tmp:
        said = every_offline_channel(tmp, values)
    report = json.loads(said["diff json"])
    assert not report["errors"], report["errors"]
    found = leaks(said, values)
    assert not found, "\n".join(found[:10])
    windows = {v[i : i + 8] for v in values.values() for i in range(len(v) - 7)}
    left = [w for w in windows if w not in _unplanted() and any(w in text for text in said.values())]
    assert not left, left[:5]


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({k: _GENERATED for k in (
    "next line", "tag", "anchor", "block", "single", "flag", "env", "env export", "dockerfile")}))
def test_generated_values_reach_nothing_through_github_either(values: dict[str, str], fake_github_factory,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    assume(len({v[:8] for v in values.values()}) == len(values))
    assume(not any(is_own_word(v) for v in values.values()))
    with tempfile.TemporaryDirectory() as tmp:
        fake = fake_github_factory()
        world = make_world(fake, Path(tmp), tracker=True)
        r12 = fake.add_issue(REPO, "R-12: legacy docs migration", "R-12 body written by a human.", user=HUMAN)
        config = world.checkout / ".drift.yml"
        config.write_text(config.read_text().replace("R-12: 671", f"R-12: {r12.number}"))
        plant_generated(world.instance, values)
        caplog.clear()
        surfaces = every_channel(world, Path(tmp), caplog)
        found = leaks(surfaces, values)
        assert not found, "\n".join(found[:10])
