"""Convergence: whatever the live edits and whatever order humans merge the bot's pull
requests in, main ends up telling the host's story, and the PRs never conflict."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakegithub import FakeGitHub
from tests.fakegithub.gitcli import run_git
from tests.github_world import World, make_world

# Further live edits an operator might make, each owned by a different child.
EDITS = {
    "R-3 new env key": (".env", "LOG_LEVEL=info\n", "LOG_LEVEL=info\nTTS_SPEED=1.1\n"),
    "R-3 removed env key": (".env", "STT_LANGUAGE=en\n", ""),
    "R-4 voxtral env": ("docker-compose.yml", "      - HF_HOME=/models/hf\n", "      - HF_HOME=/models/hf\n      - VLLM_LOGGING_LEVEL=DEBUG\n"),
    "R-5 voxtral interval": ("docker-compose.yml", "      interval: 15s\n      timeout: 5s\n      retries: 30", "      interval: 20s\n      timeout: 5s\n      retries: 30"),
    "R-6 agent workdir": ("agent/Dockerfile", "WORKDIR /app\n", "WORKDIR /srv/agent\n"),
    "R-8 caddy route": ("caddy/Caddyfile", "\tencode gzip\n", "\tencode zstd gzip\n"),
    "R-9 whisper image": ("docker-compose.yml", "image: vllm/vllm-openai:v0.11.0", "image: vllm/vllm-openai:v0.11.1"),
    "R-9 whisper new service key": ("docker-compose.yml", "    image: vllm/vllm-openai:v0.11.1\n", "    image: vllm/vllm-openai:v0.11.1\n    shm_size: 2gb\n"),
}


def routed_after_merging(world: World, order: list[int]) -> list[dict]:
    code, out, err = world.drift("apply")
    assert code == 0, err
    numbers = sorted(p.number for p in world.pulls("open"))
    for i in order:
        pull = world.gh().get_pull(numbers[i % len(numbers)])
        if pull.state == "open":
            assert pull.mergeable, f"#{pull.number} ({pull.head.ref}) conflicts with main after the earlier merges"
            pull.merge(merge_method="merge")
    for number in numbers:
        pull = world.gh().get_pull(number)
        if pull.state == "open":
            pull.merge(merge_method="merge")
    run_git("pull", "--quiet", "--ff-only", cwd=world.checkout)
    code, out, err = world.drift("diff", fmt="json")
    assert code in (0, 2), err
    return [d for d in json.loads(out)["divergences"] if d["child"]]


def test_the_bundled_example_converges(world: World) -> None:
    assert routed_after_merging(world, [4, 0, 3, 1, 2]) == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.sampled_from(sorted(EDITS)), unique=True, max_size=4),
       order=st.permutations(range(6)))
def test_generated_scenarios_converge_in_any_merge_order(fake_github_factory, edits: list[str], order: list[int]) -> None:
    fake: FakeGitHub = fake_github_factory()
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(fake, Path(tmp))
        if "R-9 whisper new service key" in edits and "R-9 whisper image" not in edits:
            edits = [*edits, "R-9 whisper image"]
        for name in sorted(edits, key=lambda e: e != "R-9 whisper image"):
            world.edit_live(*EDITS[name])
        assert routed_after_merging(world, list(order)) == []
        fake.stop()
