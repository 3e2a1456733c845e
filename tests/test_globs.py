"""bot/globs.py: rules `file-glob[#pointer-glob]` for children, ignores and x-drift.

`*` stands for one segment or part of one, `**` for any number of segments including none;
a rule without `#` covers every divergence in its file.
"""
from __future__ import annotations

import pytest

from bot.globs import glob_matches, rule_matches, split_rule

COMPOSE = "voice/docker-compose.yml"


# --- `*`: one segment ----------------------------------------------------------------

def test_a_star_matches_one_whole_segment():
    assert glob_matches("/services/*/image", "/services/caddy/image")


def test_a_star_does_not_cross_a_slash():
    assert not glob_matches("/services/*/image", "/services/caddy/build/image")
    assert not glob_matches("voice/*.yml", "voice/sub/docker-compose.yml")


def test_a_star_matches_part_of_a_segment():
    assert glob_matches("/services/vllm-*/image", "/services/vllm-voxtral/image")
    assert not glob_matches("/services/vllm-*/image", "/services/caddy/image")


def test_a_star_may_match_nothing_within_a_segment():
    assert glob_matches("/services/caddy*/image", "/services/caddy/image")


def test_a_question_mark_matches_one_character_but_not_a_slash():
    assert glob_matches("/L?", "/L9")
    assert not glob_matches("/L?", "/L10")
    assert not glob_matches("a?b", "a/b")


# --- `**`: any number of segments ----------------------------------------------------

def test_double_star_matches_zero_segments():
    assert glob_matches("/services/vllm-voxtral/**", "/services/vllm-voxtral")


def test_double_star_matches_one_segment():
    assert glob_matches("/services/vllm-voxtral/**", "/services/vllm-voxtral/image")


def test_double_star_matches_many_segments():
    assert glob_matches("/services/vllm-voxtral/**", "/services/vllm-voxtral/environment/HF_TOKEN")


def test_double_star_does_not_match_a_sibling_with_a_longer_name():
    assert not glob_matches("/services/vllm/**", "/services/vllm-voxtral/image")


def test_double_star_in_the_middle_matches_zero_or_more_segments():
    assert glob_matches("/services/**/interval", "/services/interval")
    assert glob_matches("/services/**/interval", "/services/tts/healthcheck/interval")
    assert not glob_matches("/services/**/interval", "/services/tts/healthcheck/start_interval")


def test_double_star_in_a_file_glob_crosses_folders():
    assert glob_matches("**/Dockerfile", "voice/agent/Dockerfile")
    assert glob_matches("voice/**", "voice/agent/Dockerfile")


def test_a_leading_double_star_matches_a_file_at_the_root():
    assert glob_matches("**/Dockerfile", "Dockerfile")


def test_a_leading_double_star_does_not_match_part_of_a_name():
    assert glob_matches("**/Dockerfile", "a/b/Dockerfile")
    assert not glob_matches("**/Dockerfile", "agent.Dockerfile")


# --- literal text ----------------------------------------------------------------------

def test_regex_characters_in_a_glob_are_literal():
    assert glob_matches("/services/a.b/labels/com.example+x", "/services/a.b/labels/com.example+x")
    assert not glob_matches("/services/a.b", "/services/aXb")


def test_a_glob_must_match_the_whole_value():
    assert not glob_matches("/services/caddy", "/services/caddy/image")
    assert not glob_matches("services/caddy", "/services/caddy")


def test_escaped_pointer_tokens_are_matched_as_written():
    assert glob_matches("/services/caddy/labels/traefik~1rule", "/services/caddy/labels/traefik~1rule")


# --- rules ---------------------------------------------------------------------------

def test_split_rule_separates_file_and_pointer():
    assert split_rule("voice/docker-compose.yml#/services/*/image") == ("voice/docker-compose.yml", "/services/*/image")
    assert split_rule("voice/agent/Dockerfile") == ("voice/agent/Dockerfile", None)


def test_a_rule_without_a_pointer_matches_every_divergence_in_the_file():
    assert rule_matches("voice/agent/Dockerfile", "voice/agent/Dockerfile", "/L11")
    assert rule_matches("voice/agent/Dockerfile", "voice/agent/Dockerfile", "")


def test_a_rule_for_another_file_matches_nothing():
    assert not rule_matches("voice/agent/Dockerfile", COMPOSE, "/services/caddy/image")


def test_a_rule_with_a_pointer_matches_that_pointer_only():
    rule = f"{COMPOSE}#/services/*/labels/com.example.deployed-at"
    assert rule_matches(rule, COMPOSE, "/services/caddy/labels/com.example.deployed-at")
    assert not rule_matches(rule, COMPOSE, "/services/caddy/labels/com.example.team")


def test_a_child_rule_claims_a_whole_service():
    rule = f"{COMPOSE}#/services/vllm-voxtral/**"
    assert rule_matches(rule, COMPOSE, "/services/vllm-voxtral")
    assert rule_matches(rule, COMPOSE, "/services/vllm-voxtral/environment/VLLM_GPU_MEMORY_UTILIZATION")
    assert not rule_matches(rule, COMPOSE, "/services/vllm-whisper/image")


def test_a_rule_with_an_empty_pointer_matches_the_whole_file_divergence_only():
    assert rule_matches(f"{COMPOSE}#", COMPOSE, "")
    assert not rule_matches(f"{COMPOSE}#", COMPOSE, "/services/caddy")


def test_a_pointer_rule_for_any_file():
    assert rule_matches("**#/services/*/image", COMPOSE, "/services/caddy/image")


@pytest.mark.parametrize("pointer", ["/L11", "/L16+1"])
def test_line_pointers_are_matched_by_globs(pointer):
    assert rule_matches("voice/agent/Dockerfile#/L*", "voice/agent/Dockerfile", pointer)


# --- bounded work ----------------------------------------------------------------------

def test_a_glob_made_to_backtrack_answers_at_once():
    """`**a` fourteen times against thirty a's and a b: a backtracking regex tries every way to
    split the a's (minutes); the position-set matcher is linear in the value."""
    import time

    started = time.perf_counter()
    assert not glob_matches("**a" * 14, "a" * 30 + "b")
    assert not glob_matches("*a" * 14 + "/x", "a" * 60 + "b/x")
    assert glob_matches("**a" * 14, "a" * 30)
    assert time.perf_counter() - started < 0.5


def _reference(glob: str, value: str) -> bool:
    """The regex translation the matcher replaced, for comparing on small cases."""
    import re

    out, i = [], 0
    while i < len(glob):
        if i == 0 and glob.startswith("**/"):
            out.append("(?:[^/]*/)*")
            i += 3
        elif glob.startswith("/**", i) and (i + 3 == len(glob) or glob[i + 3] == "/"):
            out.append("(?:/[^/]*)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] in "*?":
            out.append("[^/]*" if glob[i] == "*" else "[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return bool(re.fullmatch("".join(out), value))


def test_the_matcher_agrees_with_the_regex_it_replaced():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=400, deadline=None)
    @given(st.text("ab/*?", max_size=8), st.text("ab/", max_size=8))
    def agree(glob: str, value: str) -> None:
        assert glob_matches(glob, value) == _reference(glob, value)

    agree()


@pytest.mark.parametrize("glob,says", [
    ("voice/agent/[Dockerfile", "`[` is not glob syntax here"),
    ("voice/{a,b}.yml", "`{` is not glob syntax here"),
    ("voice/**.yml", "`**` must be a whole segment"),
    ("**a" * 14, "`**` must be a whole segment"),
])
def test_a_malformed_glob_is_named(glob, says):
    from bot.globs import glob_problem

    assert says in glob_problem(glob)


@pytest.mark.parametrize("glob", ["voice/**", "**/Dockerfile", "/services/*/image", "/L?", "voice/.env.example"])
def test_a_well_formed_glob_has_no_problem(glob):
    from bot.globs import glob_problem

    assert glob_problem(glob) is None
