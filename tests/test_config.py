"""`.drift.yml` as a specification: what it accepts, and how it names each mistake."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config, parse_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def parse(text: str):
    return parse_config(text, Path("/repo/.drift.yml"))


def test_the_bundled_config_maps_the_real_children() -> None:
    config = load_config(ROOT)
    assert config.repository == "fragjulia/voice-platform"
    assert config.base == "main" and config.remote == "origin"
    assert {c.name: c.issue for c in config.children} == {"R-3": 663, "R-5": 666, "R-4": 664, "R-6": 667, "R-8": 668, "R-9": 669}
    assert config.groups == (("R-4", "R-6"),)
    assert (config.tracker.parent, config.tracker.mega) == (660, 672)
    assert config.tracker.research == ({"key": "RT-1", "issue": 673, "title": "GPU VRAM architecture viability on L4"},
                                       {"key": "RT-2", "issue": 674, "title": "turn-detector / HF-cache lifecycle"})
    assert config.host == "gpu-l4-01"
    assert config.issues == {"R-10": 670, "R-12": 671}
    assert ("docker-compose.yml", "voice/docker-compose.yml") in config.files
    assert config.gates == {"R-10": ("RT-1",), "R-0": ("R-10",)}
    assert config.gpus["0"]["memory_gib"] == 23.0


def test_defaults_for_what_is_left_out() -> None:
    config = parse("version: 1\nfiles: {a: b}\n")
    assert (config.base, config.remote, config.source, config.children, config.ignore) == ("main", "origin", None, (), ())


def test_a_single_rule_may_be_a_string() -> None:
    assert parse("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: 'b'}\n").children[0].match == ("b",)


@pytest.mark.parametrize(
    "text,message",
    [
        ("files: {a: b}\nextra: 1\n", "line 2: unknown key `extra`"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: [b], owner: x}\n", "line 3: children.R-1: unknown key `owner` (known: issue, match, title)"),
        ("files: {a: b}\nchildren:\n  R-1:\n    issue: one\n    match: [b]\n", "line 4: children.R-1: `issue` must be an issue number"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1}\n", "line 3: children.R-1: `match` is missing; it must be a list of `file-glob#pointer-glob` rules"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: ['#/x']}\n", "has no file part"),
        ("files: {/etc/passwd: b}\n", "line 1: live path '/etc/passwd' must be relative"),
        ("files: {a: ../../b}\n", "repo path '../../b' must be relative"),
        ("files: []\n", "`files` must map live paths"),
        ("version: 2\nfiles: {a: b}\n", "line 1: `version` must be 1 (this drift-bot reads version 1), not 2"),
        ("files: {a: b}\nrepository: not a repo\n", "line 2: `repository` must look like owner/name"),
        ("files: {a: b}\ntracker: {parent: 1, boss: 2}\n", "line 2: tracker: unknown key `boss`"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: [b]}\n  R-2: {issue: 2, match: [b]}\ngroups:\n  - [R-1, R-2]\n  - [R-2, R-1]\n",
         "line 7: child R-2 is in two groups"),
        ("files: {a: b}\ngates: {R-10: RT-1}\n", "line 2: gates: `R-10` must be {after: [NAME, ...]}, e.g. `R-10: {after: [RT-1]}`"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("files: {a: b}\ntracker:\n  research: [673, {title: RT-3, color: red}]\n", "line 3: tracker.research[1]: unknown key `color` (known: body, issue, key, title)"),
        ("files: {a: b}\ntracker: {mega: seventy}\n", "line 2: tracker: `mega` must be an issue number"),
        ("files: {a: b}\n  bad indent: x\n", "line 2, column"),
    ],
)
def test_each_mistake_is_named_with_its_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith(".drift.yml")
    assert "\n" not in str(caught.value)


def test_a_missing_config_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.drift\.yml not found; create it"):
        load_config(tmp_path)


@pytest.mark.parametrize("role,hint", [("Maintain", 'not "Maintain" (did you mean `maintain`?)'), ("owner", 'not "owner"'),
                                        ("[maintain]", 'not ["maintain"]')])
def test_slash_roles_are_githubs_five_and_nothing_else(role: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(f"files: {{a: b}}\nslash:\n  roles:\n    apply: {role}\n")
    assert str(caught.value).startswith(".drift.yml line 4: slash.roles: `apply` must be one of read, triage, write, maintain, admin, not ") and hint in str(caught.value)


def test_slash_roles_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"line 3: slash: `roles` must map commands to roles"):
        parse("files: {a: b}\nslash:\n  roles: [apply]\n")


def test_a_valid_role_is_kept() -> None:
    assert parse("files: {a: b}\nslash: {roles: {apply: maintain}}\n").slash_roles == {"apply": "maintain"}


# --- the schema: schema/drift.schema.json ----------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("files: {a: b}\nchecks:\n  vram:\n    threshold: ninety\n",
     "line 4: checks.vram: `threshold` must be a fraction of the GPU's memory, above 0 and at most 1"),
    ("files: {a: b}\nchecks:\n  vram: {threshold: 90}\n", "line 3: checks.vram: `threshold` must be a fraction"),
    ("files: {a: b}\nchecks: {vram: {claims: {agent: -1}}}\n", "checks.vram.claims: `agent` must be GiB, a number above 0"),
    ("files: {a: b}\nchecks: {vrma: {threshold: 0.9}}\n", "line 2: checks: unknown key `vrma` (did you mean `vram`?)"),
    ("files: {a: b}\nchidren: {}\n", "line 2: unknown key `chidren` (did you mean `children`?)"),
    ("files: {a: b}\ndocs: {sidebar: newest-frist}\n",
     'line 2: docs: `sidebar` must be one of newest-first, append, not "newest-frist" (did you mean `newest-first`?)'),
    ("files: {a: b}\ngpus:\n  '0': {model: L4, memory_gib: lots}\n", "line 3: gpus.0: `memory_gib` must be the GPU's usable memory in GiB"),
    ("files: {a: b}\ngpus: {gpu0: {model: L4, memory_gib: 23}}\n", "line 2: gpus: `gpu0` must be a GPU index"),
    ("files: {a: b}\nverify:\n  - name: p\n    request: {url: 'http://h/', timeout: 9000}\n",
     "line 4: verify `p`.request: `timeout` must be seconds, above 0 and at most 600"),
    ("files: {a: b}\ninstances:\n  - {name: a, source: 'dir:x', apply: maybe}\n", "line 3: instances `a`: `apply` must be true or false"),
    ("files: {a: b}\ndocs:\n  handover: {slug: [a]}\n", "line 3: docs.handover: `slug` must be a string"),
    ("files: {a: b}\ndocs:\n  handover: sometimes\n", "line 3: docs: `handover` must be true, or {slug: NAME, architecture: true|false}"),
    ("files: {a: b}\nclose_children: yes\n", "line 2: `close_children` must be true or false"),
    ("files: {a: b}\nsource: ftp://host\n", "line 2: `source` must be dir:PATH, docker://"),
    ("files:\n  a: {path: b, kind: dotenv}\n", 'line 2: files.a: `kind` must be one of compose, env, dockerfile, caddyfile, text, not "dotenv"'),
])
def test_nested_values_are_typed_and_ranged(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_gate_on_an_undeclared_issue_is_named_with_a_suggestion() -> None:
    text = ("files: {a: b}\ntracker:\n  research:\n    - {key: RT-1, issue: 673}\n"
            "gates:\n  R-10: {after: [RT-9]}\nissues: {R-10: 670}\n")
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert str(caught.value) == (".drift.yml line 6: gate R-10: RT-9 is not declared (children, tracker.research keys, "
                                 "issues:, R-0) (did you mean `RT-1`?)")


def test_verify_closes_and_doc_only_name_declared_issues() -> None:
    with pytest.raises(ConfigError, match=r"line 2: `verify_closes` names R-11, which is not declared"):
        parse("files: {a: b}\nverify_closes: R-11\n")
    with pytest.raises(ConfigError, match=r"line 5: docs.doc_only names unknown child 'R-8'"):
        parse("files: {a: b}\nchildren: {R-9: {match: [b]}}\ndocs:\n  doc_only:\n    R-8: no code\n")


def test_a_malformed_glob_is_refused_when_loaded() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("files: {a: b}\nchildren:\n  R-6:\n    match: ['voice/agent/[Dockerfile']\n")
    assert str(caught.value).startswith(".drift.yml line 4: child R-6: rule 'voice/agent/[Dockerfile': `[` is not glob syntax")


def test_children_making_the_same_branch_are_refused_naming_both() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("files: {a: b}\nchildren:\n  R-1: {match: [a]}\n  R.1: {match: [b]}\n")
    assert str(caught.value) == ".drift.yml line 4: children R-1 and R.1 would both push to branch drift/r-1; rename one of them"


def test_every_problem_is_listed_one_line_each_in_line_order() -> None:
    from bot.config import config_problems

    text = "files: {a: b}\nbase: 7\nchecks: {runtime: {max_restarts: -1}}\nremote: '--x'\n"
    assert config_problems(text, Path("/r/.drift.yml")) == [
        ".drift.yml line 2: `base` must be a branch name, not starting with '-'",
        ".drift.yml line 3: checks.runtime: `max_restarts` must be a whole number, 0 or more (restarts allowed before a warning)",
        ".drift.yml line 4: `remote` cannot start with '-' (git would read it as an option): name a git remote, not \"--x\"",
    ]


def test_the_configs_the_tests_generate_are_valid() -> None:
    from tests.github_world import _config

    for tracker in (False, True):
        parse(_config(tracker, {}))
    parse(_config(True, {}) + "instances:\n  - {name: l4-a, source: 'dir:/x'}\n  - {name: l4-b, source: 'dir:/y', apply: false}\n")
    assert parse("files:\n  .env: {path: voice/app.env, kind: env}\n").kinds == {"voice/app.env": "env"}


def test_the_schema_is_draft_2020_12_and_names_the_slash_commands_and_roles() -> None:
    import json

    from jsonschema import Draft202012Validator

    from bot.slash.handle import ROLE_RANK
    from bot.slash.parse import COMMANDS

    schema = json.loads((ROOT / "schema" / "drift.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    roles = schema["properties"]["slash"]["properties"]["roles"]
    assert roles["propertyNames"]["enum"] == list(COMMANDS)
    assert roles["additionalProperties"]["enum"] == list(ROLE_RANK)


def test_only_must_name_a_child(checkout: Path) -> None:
    from tests.cli_support import run

    code, out, err = run("apply", "--repo", str(checkout), "--source", "dir:../instance", "--dry-run", "--only", "R-99",
                         cwd=checkout)
    assert code == 1 and out == ""
    assert err.startswith("drift: error: --only R-99: no child 'R-99' in .drift.yml (did you mean `R-9`?)")
    assert err.count("\n") == 1


def test_a_config_the_schema_accepted_is_not_validated_again(tmp_path: Path, monkeypatch) -> None:
    """jsonschema's import costs more than a diff of the example: a valid text is remembered by
    digest; an edited one is validated afresh."""
    import bot.config as config_module

    monkeypatch.setenv("DRIFT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / ".drift.yml").write_text("files: {a: b}\n")
    calls = []
    real = config_module.schema_problems
    monkeypatch.setattr(config_module, "schema_problems", lambda *a: calls.append(1) or real(*a))
    load_config(tmp_path)
    load_config(tmp_path)
    assert len(calls) == 1
    (tmp_path / ".drift.yml").write_text("files: {a: b}\nbase: 7\n")
    with pytest.raises(ConfigError, match="`base` must be a branch name"):
        load_config(tmp_path)
    assert len(calls) == 2
