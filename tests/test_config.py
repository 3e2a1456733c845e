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
    assert config.extra["issues"] == {"R-10": 670, "R-12": 671}
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
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: [b], owner: x}\n", "line 3: child R-1: unknown key `owner`"),
        ("files: {a: b}\nchildren:\n  R-1:\n    issue: one\n    match: [b]\n", "line 4: child R-1: `issue` must be an issue number"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1}\n", "child R-1: `match` must be a list"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: ['#/x']}\n", "has no file part"),
        ("files: {/etc/passwd: b}\n", "line 1: live path '/etc/passwd' must be relative"),
        ("files: {a: ../../b}\n", "repo path '../../b' must be relative"),
        ("files: []\n", "`files` must map live paths"),
        ("version: 2\nfiles: {a: b}\n", "line 1: version 2 is not supported"),
        ("files: {a: b}\nrepository: not a repo\n", "line 2: `repository` must look like owner/name"),
        ("files: {a: b}\ntracker: {parent: 1, boss: 2}\n", "line 2: tracker: unknown key `boss`"),
        ("files: {a: b}\nchildren:\n  R-1: {issue: 1, match: [b]}\n  R-2: {issue: 2, match: [b]}\ngroups:\n  - [R-1, R-2]\n  - [R-2, R-1]\n",
         "line 7: child R-2 is in two groups"),
        ("files: {a: b}\ngates: {R-10: RT-1}\n", "line 2: gate R-10: write `R-10: {after: [RT-1]}`"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("files: {a: b}\ntracker:\n  research: [673, {title: RT-3, color: red}]\n", "line 3: tracker: a research item needs `issue`"),
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


@pytest.mark.parametrize("role,hint", [("Maintain", "did you mean `maintain`"), ("owner", "use one of read, triage"),
                                        ("[maintain]", "is not a role")])
def test_slash_roles_are_githubs_five_and_nothing_else(role: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(f"files: {{a: b}}\nslash:\n  roles:\n    apply: {role}\n")
    assert str(caught.value).startswith(".drift.yml line 4: slash.roles.apply:") and hint in str(caught.value)


def test_slash_roles_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"line 3: slash: `roles` must map commands to roles"):
        parse("files: {a: b}\nslash:\n  roles: [apply]\n")


def test_a_valid_role_is_kept() -> None:
    assert parse("files: {a: b}\nslash: {roles: {apply: maintain}}\n").extra["slash"] == {"roles": {"apply": "maintain"}}
