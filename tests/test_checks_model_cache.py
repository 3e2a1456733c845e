"""model_cache: runtime model downloads into a cache no volume keeps."""
from __future__ import annotations

from pathlib import Path

from bot.checks import CheckContext, Side, finding_id
from bot.checks.model_cache import model_cache, tracked_path
from bot.config import parse_config

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
version: 1
files:
  docker-compose.yml: voice/docker-compose.yml
  agent/Dockerfile: voice/agent/Dockerfile
  .env: voice/.env.example
"""

AGENT_COMPOSE = """services:
  voice-agent:
    build:
      context: ./agent
    env_file: .env
"""

DOCKERFILE = """FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir livekit-agents==1.2.6 livekit-plugins-turn-detector
CMD ["python", "agent.py", "start"]
"""


def side(files: dict[str, str], name: str = "live") -> Side:
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    return Side(name, "snap-test", files, {repo: live for live, repo in cfg.files})


def run(files: dict[str, str], name: str = "live") -> list:
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    return list(model_cache(CheckContext(cfg, side(files, name))))


def compose_only(service: str) -> list:
    return run({"voice/docker-compose.yml": "services:\n  s:\n" + service})


def test_the_repository_example_live_and_main_share_one_finding():
    live = run({
        "voice/docker-compose.yml": (ROOT / "examples/instance/docker-compose.yml").read_text(),
        "voice/agent/Dockerfile": (ROOT / "examples/instance/agent/Dockerfile").read_text(),
    })
    main = run({
        "voice/docker-compose.yml": (ROOT / "voice/docker-compose.yml").read_text(),
        "voice/agent/Dockerfile": (ROOT / "voice/agent/Dockerfile").read_text(),
    }, "main")
    [f] = live
    assert f.severity == "warning" and f.check == "model_cache"
    assert f.message == ("voice-agent downloads models at runtime into /cache/hf (from HF_HOME), which no named volume "
                         "or bind mount covers: every --force-recreate loses them; mount a named volume at /cache/hf")
    assert f.evidence["file"] == "voice/docker-compose.yml" and f.evidence["line"] == 70
    assert f.evidence["reasons"] == ["voice/agent/Dockerfile:11 ENV HF_HOME=/cache/hf",
                                     "voice/agent/Dockerfile:14 installs livekit-plugins-turn-detector"]
    [m] = main
    assert "/root/.cache/huggingface (the default)" in m.message
    assert m.id == f.id == finding_id("model_cache", "voice-agent")


def test_vllm_with_hf_home_on_the_models_volume_is_fine():
    assert compose_only("    image: vllm/vllm-openai:v0.11.0\n    environment: {HF_HOME: /models/hf}\n"
                        "    volumes: [models:/models]\n") == []


def test_vllm_image_without_a_cache_mount():
    [f] = compose_only("    image: vllm/vllm-openai:v0.11.0\n")
    assert f.evidence["cache_path"] == "/root/.cache/huggingface"
    assert f.evidence["reasons"] == ["image vllm/vllm-openai:v0.11.0 (vLLM downloads models on start)"]


def test_what_covers_the_default_cache():
    base = "    image: vllm/vllm-openai:v0.11.0\n    volumes:\n"
    assert compose_only(base + "      - hf:/root/.cache/huggingface\n") == []
    assert compose_only(base + "      - ./cache:/root/.cache\n") == []  # a bind mount above it
    assert compose_only(base + "      - {type: volume, source: hf, target: /root/.cache/huggingface/}\n") == []
    assert len(compose_only(base + "      - /root/.cache/huggingface\n")) == 1  # anonymous: gone with `down`
    assert len(compose_only(base + "      - {type: tmpfs, target: /root/.cache}\n")) == 1
    assert len(compose_only(base + "      - hf:/root/.cache/hugging\n")) == 1  # a sibling, not a parent


def test_the_hub_cache_variable_wins_over_hf_home():
    [f] = compose_only("    image: example/app:1\n    environment:\n      - HF_HOME=/models/hf\n"
                       "      - HF_HUB_CACHE=/hub\n    volumes: [models:/models]\n")
    assert f.evidence["cache_path"] == "/hub" and f.evidence["cache_var"] == "HF_HUB_CACHE"
    assert f.evidence["reasons"] == ["voice/docker-compose.yml:5 HF_HOME=/models/hf",
                                     "voice/docker-compose.yml:6 HF_HUB_CACHE=/hub"]


def test_xdg_cache_home_and_transformers_cache():
    [f] = compose_only("    image: example/app:1\n    environment: {XDG_CACHE_HOME: /xdg}\n")
    assert f.evidence["cache_path"] == "/xdg/huggingface"
    assert compose_only("    image: example/app:1\n    environment: {TRANSFORMERS_CACHE: /m/t}\n"
                        "    volumes: [./m:/m]\n") == []


def test_a_value_compose_interpolates_is_not_judged():
    assert compose_only("    image: vllm/vllm-openai:v0.11.0\n    environment: {HF_HOME: '${CACHE_DIR}'}\n") == []


def test_unrelated_services_say_nothing():
    assert compose_only("    image: caddy:2.8.4-alpine\n    environment: {HF_TOKEN: '<redacted hmac:0123abcd>'}\n") == []
    assert run({"voice/docker-compose.yml": AGENT_COMPOSE,
                "voice/agent/Dockerfile": "FROM python:3.11\nRUN pip install fastapi uvicorn\n"}) == []
    assert run({"voice/docker-compose.yml": AGENT_COMPOSE}) == []  # the Dockerfile is not tracked


def test_packages_that_download_models():
    for install in ("transformers==4.46", "huggingface_hub", "huggingface-hub[cli]", "sentence-transformers",
                    "'livekit-agents[openai,turn-detector]~=1.2'"):
        files = {"voice/docker-compose.yml": AGENT_COMPOSE,
                 "voice/agent/Dockerfile": f"FROM python:3.11\nRUN pip install {install}\n"}
        [f] = run(files)
        assert f.evidence["reasons"][0].startswith("voice/agent/Dockerfile:2 installs"), install
    files = {"voice/docker-compose.yml": AGENT_COMPOSE,
             "voice/agent/Dockerfile": "FROM python:3.11\nRUN pip install my-transformers-tools transformers.js-shim\n"}
    assert run(files) == []


def test_models_baked_into_the_image_survive_a_recreate():
    files = {"voice/docker-compose.yml": AGENT_COMPOSE,
             "voice/agent/Dockerfile": DOCKERFILE.replace("CMD", "RUN python agent.py download-files\nCMD")}
    assert run(files) == []


def test_env_file_and_compose_environment_override_the_dockerfile():
    dockerfile = "FROM python:3.11\nENV HF_HOME=/cache/hf\nRUN pip install transformers\n"
    files = {"voice/docker-compose.yml": AGENT_COMPOSE + "    volumes: [hf:/data/hf]\n",
             "voice/agent/Dockerfile": dockerfile, "voice/.env.example": "LOG_LEVEL=info\nHF_HOME=/data/hf\n"}
    assert run(files) == []
    files["voice/.env.example"] = "HF_HOME=/elsewhere\n"
    [f] = run(files)
    assert f.evidence["cache_path"] == "/elsewhere" and "voice/.env.example:1 HF_HOME=/elsewhere" in f.evidence["reasons"]
    files["voice/docker-compose.yml"] = AGENT_COMPOSE + "    environment: [HF_HOME=/data/hf/x]\n    volumes: [hf:/data/hf]\n"
    assert run(files) == []


def test_only_the_final_stage_env_counts():
    dockerfile = ("FROM python:3.11 AS build\nENV HF_HOME=/build/hf\nRUN pip install transformers\n"
                  "FROM build AS test\nFROM python:3.11-slim\nCOPY --from=build /usr/local /usr/local\n")
    [f] = run({"voice/docker-compose.yml": AGENT_COMPOSE, "voice/agent/Dockerfile": dockerfile})
    assert f.evidence["cache_path"] == "/root/.cache/huggingface"
    inherited = dockerfile.replace("FROM python:3.11-slim\n", "FROM test\n")
    [f] = run({"voice/docker-compose.yml": AGENT_COMPOSE, "voice/agent/Dockerfile": inherited})
    assert f.evidence["cache_path"] == "/build/hf"


def test_dockerfile_inline_and_named_dockerfiles():
    compose = "services:\n  s:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM python:3.11\n        RUN pip install huggingface_hub\n"
    [f] = run({"voice/docker-compose.yml": compose})
    assert f.evidence["reasons"] == ["voice/docker-compose.yml (dockerfile_inline):2 installs huggingface_hub"]
    compose = "services:\n  s:\n    build: {context: ./agent, dockerfile: Dockerfile.gpu}\n"
    [f] = run({"voice/docker-compose.yml": compose, "voice/agent/Dockerfile.gpu": DOCKERFILE})  # found beside the compose file
    assert f.evidence["reasons"] == ["voice/agent/Dockerfile.gpu:3 installs livekit-plugins-turn-detector"]


def test_tracked_path_through_the_files_map():
    s = side({"voice/docker-compose.yml": "", "voice/agent/Dockerfile": "", "voice/.env.example": ""})
    assert tracked_path(s, "voice/docker-compose.yml", "./agent/Dockerfile") == "voice/agent/Dockerfile"
    assert tracked_path(s, "voice/docker-compose.yml", ".env") == "voice/.env.example"  # renamed in the repo
    assert tracked_path(s, "voice/docker-compose.yml", "/srv/voice/agent/Dockerfile") == "voice/agent/Dockerfile"
    assert tracked_path(s, "voice/docker-compose.yml", "./missing") is None
    assert tracked_path(s, "voice/docker-compose.yml", "https://github.com/x/y.git#main") is None
