"""Hostile input that must be refused or survived: odd routing rules, and engine archives that
answer with something other than the file asked for."""
from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.docker.host_files import ArchiveRefused, _first_file
from bot.config import ChildRule
from bot.errors import ConfigError
from bot.globs import rule_matches
from bot.model import Divergence
from bot.route import route_divergences


def archive(name: str, data: bytes = b"services: {}\n") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_the_file_asked_for_is_read_from_the_archive() -> None:
    assert _first_file(archive("docker-compose.yml"), "docker-compose.yml") == b"services: {}\n"


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "other.yml", "a/../docker-compose.yml"])
def test_a_member_that_is_not_the_file_asked_for_is_refused(name: str) -> None:
    with pytest.raises(ArchiveRefused, match="refused"):
        _first_file(archive(name), "docker-compose.yml")


segments = st.text(alphabet="ab*?/#.-_[]{}~\\", max_size=12)


@settings(max_examples=400, deadline=None)
@given(rule=segments, file=st.text(alphabet="ab./-_", max_size=12), pointer=st.text(alphabet="ab/~01*", max_size=12))
def test_any_rule_matches_or_not_without_crashing(rule: str, file: str, pointer: str) -> None:
    assert rule_matches(rule, file, pointer) in (True, False)


@settings(max_examples=200, deadline=None)
@given(rules=st.lists(segments, min_size=1, max_size=4), pointers=st.lists(st.text(alphabet="ab/", max_size=8), max_size=6))
def test_routing_keeps_every_divergence_whatever_the_rules(rules: list[str], pointers: list[str]) -> None:
    children = (ChildRule("R-1", 1, None, tuple(rules)),)
    divs = [Divergence("voice/docker-compose.yml", "changed", p, "a", "b") for p in pointers]
    routed = route_divergences(divs, children)
    assert len(routed) == len(divs) and all(d.child in (None, "R-1") for d in routed)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_any_drift_yml_is_read_or_refused_in_one_line(text: str) -> None:
    from pathlib import Path

    from bot.config import parse_config

    try:
        parse_config(text, Path("/r/.drift.yml"))
    except ConfigError as exc:
        assert "\n" not in str(exc)
