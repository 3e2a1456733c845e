"""vram: the claims of the services sharing a GPU against its memory."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks import CheckContext, Side, finding_id
from bot.checks.vram import vram
from bot.config import parse_config

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
version: 1
files:
  docker-compose.yml: voice/docker-compose.yml
gpus:
  "0": {model: L4, memory_gib: 23.0}
"""
TWO_GPUS = CONFIG + '  "1": {model: A10G, memory_gib: 22.0}\n'


def run(compose: str, settings: dict | None = None, config: str = CONFIG, side: str = "live") -> list:
    cfg = parse_config(config, Path("/r/.drift.yml"))
    live_paths = {repo: live for live, repo in cfg.files}
    s = Side(side, "snap-test", {"voice/docker-compose.yml": compose}, live_paths)
    return list(vram(CheckContext(cfg, s, (), settings or {})))


def gpu_service(command: str, ids: str = '["0"]') -> str:
    return f"""
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              device_ids: {ids}
              capabilities: [gpu]
    command: {command}
"""


def test_the_repository_stack_claims_97_percent_of_the_l4():
    compose = (ROOT / "voice/docker-compose.yml").read_text()
    [f] = run(compose, {"threshold": 0.90, "claims": {"voice-agent": 0.55}})
    assert f.severity == "warning"
    assert f.message == ("GPU 0 (L4): 22.4 / 23.0 GiB claimed = 97 % "
                         "(vllm-voxtral 12.65, vllm-whisper 9.20, voice-agent 0.55); above the 90 % threshold")
    ev = f.evidence
    assert ev["file"] == "voice/docker-compose.yml" and ev["side"] == "live" and ev["line"] == 18
    assert ev["total_gib"] == pytest.approx(22.4) and ev["memory_gib"] == 23.0
    assert ev["utilisation"] == pytest.approx(0.9739, abs=1e-4)
    assert [(r["service"], r["fraction"], r["explicit_gib"], r["gib"]) for r in ev["services"]] == [
        ("vllm-voxtral", 0.55, None, 12.65), ("vllm-whisper", 0.4, None, 9.2), ("voice-agent", None, 0.55, 0.55)]
    assert ev["services"][0]["source"] == "voice/docker-compose.yml:18"
    assert ev["services"][1]["source"] == "voice/docker-compose.yml:47"  # the folded string command
    assert ev["services"][2]["source"] == ".drift.yml checks.vram.claims.voice-agent"
    assert f.id == finding_id("vram", "gpu:0")


@pytest.mark.parametrize("command", [
    '["vllm", "serve", "m", "--gpu-memory-utilization", "0.5"]',
    '["vllm", "serve", "m", "--gpu-memory-utilization=0.5"]',
    "vllm serve m --gpu-memory-utilization 0.5",
    "vllm serve m --gpu-memory-utilization=0.5",
    "vllm serve m --gpu_memory_utilization 0.5",
    '["sh", "-c", "vllm serve m --gpu-memory-utilization 0.5 --port 8000"]',
])
def test_flag_forms(command):
    [f] = run("services:\n  a:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service(command))
    assert f.evidence["services"][0]["fraction"] == 0.5
    assert "11.5 / 23.0 GiB claimed = 50 %" in f.message and f.severity == "info"
    assert f.message.endswith("within the 90 % threshold")


def test_environment_fraction_in_list_form_and_redacted_secrets_beside_it():
    compose = """services:
  a:
    image: example/server:1.0
    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}
    environment:
      - HF_TOKEN=<redacted hmac:0123abcd>
      - VLLM_GPU_MEMORY_UTILIZATION=0.25
"""
    [f] = run(compose)
    assert f.evidence["services"][0]["fraction"] == 0.25
    assert f.evidence["services"][0]["source"] == "voice/docker-compose.yml:7"
    assert "5.8 / 23.0 GiB" in f.message


def test_vllm_without_the_flag_claims_vllms_default():
    [f] = run("services:\n  a:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service('["vllm", "serve", "m"]'))
    assert f.evidence["services"][0]["fraction"] == 0.9
    assert f.evidence["services"][0]["source"].startswith("vLLM default")


def test_threshold_from_settings_and_over_commit():
    compose = ("services:\n  a:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve a --gpu-memory-utilization 0.6")
               + "  b:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve b --gpu-memory-utilization 0.3"))
    [f] = run(compose, {"threshold": 0.95})
    assert f.severity == "info" and f.message.endswith("within the 95 % threshold")
    [f] = run(compose, {"threshold": 0.8})
    assert f.severity == "warning" and f.message.endswith("above the 80 % threshold")
    compose = compose.replace("0.3", "0.5")
    [f] = run(compose)
    assert f.severity == "warning" and "= 110 %" in f.message and f.message.endswith("more than the GPU has")


def test_several_gpus_one_finding_each_by_device_id():
    compose = ("services:\n  a:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve a --gpu-memory-utilization 0.5", '["1"]')
               + "  b:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve b --gpu-memory-utilization 0.5", "[0]")
               + "  c:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve c --gpu-memory-utilization 0.25 --tensor-parallel-size 2", '["0", "1"]'))
    f0, f1 = run(compose, config=TWO_GPUS)
    assert f0.message.startswith("GPU 0 (L4): 17.2 / 23.0 GiB claimed = 75 % (b 11.50, c 5.75)")
    assert f1.message.startswith("GPU 1 (A10G): 16.5 / 22.0 GiB claimed = 75 % (a 11.00, c 5.50)")
    assert f0.id != f1.id and f1.id == finding_id("vram", "gpu:1")


def test_a_gpu_reservation_without_an_id_is_gpu_0():
    for reservation in ('    gpus: all\n',
                        '    deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1}]}}}\n',
                        '    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: all}]}}}\n'):
        compose = f"services:\n  a:\n    image: x:1\n{reservation}    command: serve --gpu-memory-utilization 0.5\n"
        [f] = run(compose)
        assert f.evidence["gpu"] == "0", reservation


def test_anchors_and_merge_keys():
    compose = """x-gpu: &gpu
  deploy:
    resources:
      reservations:
        devices:
          - {driver: nvidia, device_ids: ["0"], capabilities: [gpu]}
x-cmd: &flags ["--gpu-memory-utilization", "0.3"]
services:
  a:
    <<: *gpu
    image: vllm/vllm-openai:v0.11.0
    entrypoint: ["vllm", "serve", "m"]
    command: *flags
"""
    [f] = run(compose)
    assert f.evidence["services"][0]["fraction"] == 0.3


def test_an_explicit_figure_counts_without_a_reservation_and_x_drift_wins():
    compose = """services:
  agent:
    build: ./agent
    x-drift: {vram_gib: 1.5}
  other:
    image: x:1
"""
    [f] = run(compose, {"claims": {"agent": 0.55, "other": 2}})
    assert [(r["service"], r["gib"]) for r in f.evidence["services"]] == [("agent", 1.5), ("other", 2.0)]
    assert f.evidence["services"][0]["source"] == "voice/docker-compose.yml:4"
    assert "3.5 / 23.0 GiB" in f.message


def test_a_gpu_user_with_no_claim_is_named():
    compose = "services:\n  a:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve a --gpu-memory-utilization 0.5") + \
        "  onnx:\n    image: example/onnx:1\n    gpus: all\n"
    [f] = run(compose)
    assert f.evidence["unclaimed"] == ["onnx"]
    assert f.message.endswith("onnx also uses it with no claim (add checks.vram.claims)")


def test_no_gpu_in_config_says_memory_is_unknown():
    compose = "services:\n  a:\n    image: vllm/vllm-openai:v0.11.0" + gpu_service("vllm serve a --gpu-memory-utilization 0.55")
    compose += "  b:\n    image: example/agent:1\n"
    [f] = run(compose, {"claims": {"b": 0.5, "not-in-this-file": 3}}, config="version: 1\nfiles: {docker-compose.yml: voice/docker-compose.yml}\n")
    assert f.severity == "info"
    assert f.message.startswith("GPU 0: memory unknown, so the claims (a 55 %, b 0.5 GiB) cannot be checked")
    assert f.id == finding_id("vram", "gpu:0")


def test_nothing_on_a_gpu_nothing_to_say():
    assert run("services:\n  web:\n    image: nginx:1.27\n") == []
    assert run("services: {}\n") == []
    assert run("services: [unreadable\n") == []  # the diff reports a broken file


def test_the_same_claims_on_both_sides_share_the_id():
    compose = (ROOT / "voice/docker-compose.yml").read_text()
    [live] = run(compose)
    [main] = run(compose.replace('"0.55"', '"0.60"'), side="main")
    assert live.id == main.id and main.evidence["side"] == "main"
