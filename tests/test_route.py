"""Routing: first matching rule wins; what no rule claims stays unrouted, never dropped."""
from __future__ import annotations

from bot.config import ChildRule
from bot.model import Divergence
from bot.route import route_divergences

RULES = (
    ChildRule("R-5", 666, None, ("voice/docker-compose.yml#/services/vllm-voxtral/healthcheck/**",)),
    ChildRule("R-4", 664, None, ("voice/docker-compose.yml#/services/vllm-voxtral/**",)),
    ChildRule("R-6", 667, None, ("voice/agent/Dockerfile",)),
)


def div(file: str, pointer: str) -> Divergence:
    return Divergence(file, "changed", pointer, "a", "b")


def test_the_first_matching_rule_wins() -> None:
    routed = route_divergences([div("voice/docker-compose.yml", "/services/vllm-voxtral/healthcheck/retries")], RULES)
    assert routed[0].child == "R-5"


def test_a_later_broader_rule_takes_the_rest() -> None:
    routed = route_divergences([div("voice/docker-compose.yml", "/services/vllm-voxtral/image")], RULES)
    assert routed[0].child == "R-4"


def test_double_star_matches_the_node_itself() -> None:
    routed = route_divergences([div("voice/docker-compose.yml", "/services/vllm-voxtral")], RULES)
    assert routed[0].child == "R-4"


def test_a_rule_without_pointer_covers_the_whole_file() -> None:
    routed = route_divergences([div("voice/agent/Dockerfile", "/L3"), div("voice/agent/Dockerfile", "")], RULES)
    assert [d.child for d in routed] == ["R-6", "R-6"]


def test_unclaimed_divergences_keep_no_child_and_are_kept() -> None:
    items = [div("voice/docker-compose.yml", "/services/caddy/image"), div("voice/caddy/Caddyfile", "/L3")]
    routed = route_divergences(items, RULES)
    assert [d.child for d in routed] == [None, None]
    assert len(routed) == 2


def test_routing_keeps_order_and_values() -> None:
    items = [div("voice/agent/Dockerfile", "/L1"), div("voice/docker-compose.yml", "/services/vllm-voxtral/image")]
    routed = route_divergences(items, RULES)
    assert [(d.file, d.pointer, d.before, d.after) for d in routed] == [(d.file, d.pointer, d.before, d.after) for d in items]
