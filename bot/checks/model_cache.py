"""model_cache: services that download models at runtime into a cache nothing persists.

Hugging Face libraries download into a cache inside the container; unless a named volume or a
bind mount covers that folder, `docker compose up --force-recreate` (or a new image) starts from
an empty cache and downloads the models again, or fails when the hub is offline.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

from bot.checks.base import CheckContext, Side, check, finding_id
from bot.compare.compose import locate_line
from bot.model import Finding

# In the order huggingface_hub resolves the hub cache: the first one set is where models land.
CACHE_VARS = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_HOME", "XDG_CACHE_HOME")
DEFAULT_CACHE = "/root/.cache/huggingface"
# Packages that download models on first use; `livekit-agents[turn-detector]` pulls in the plugin.
_PACKAGES = re.compile(
    r"(?<![\w.-])(transformers|huggingface[-_]hub|sentence[-_]transformers|livekit-plugins-turn-detector)(?=$|[\s\x22\x27=<>~!;,\[@)])"
    r"|\[[^\]\s]*turn-detector[^\]\s]*\]",
    re.IGNORECASE,
)
# A build step that fetches the models into the image: they then survive a recreate.
_BAKES = re.compile(r"download-files|huggingface-cli\s+download|\bhf\s+download|snapshot_download|hf_hub_download")


@check("model_cache")
def model_cache(ctx: CheckContext) -> Iterator[Finding]:
    side = ctx.side
    for path, _raw, norm in side.compose_files():
        text = side.files[path]
        for name, svc in (norm.get("services") or {}).items():
            if isinstance(svc, dict):
                finding = _service(side, path, text, name, svc)
                if finding:
                    yield finding


def _service(side: Side, path: str, text: str, name: str, svc: Mapping[str, Any]) -> Finding | None:
    reasons: list[str] = []
    env: dict[str, str] = {}  # the cache variables the container starts with, lowest precedence first

    image = str(svc.get("image") or "")
    if "vllm" in image.lower():
        reasons.append(f"image {image} (vLLM downloads models on start)")

    build = svc.get("build")
    dockerfile = _dockerfile(side, path, build) if isinstance(build, Mapping) else None
    baked = False
    if dockerfile:
        df_path, df_text = dockerfile
        df_env, installs, baked = _read_dockerfile(df_text)
        for var, (value, line) in df_env.items():
            env[var] = value
            reasons.append(f"{df_path}:{line} ENV {var}={value}")
        reasons += [f"{df_path}:{line} installs {pkg}" for pkg, line in installs]

    for env_file in svc.get("env_file") or []:
        ref = env_file.get("path") if isinstance(env_file, Mapping) else None
        found = tracked_path(side, path, ref) if isinstance(ref, str) else None
        if found:
            for var, (value, line) in _dotenv_vars(side.files[found]).items():
                env[var] = value
                reasons.append(f"{found}:{line} {var}={value}")

    compose_env = svc.get("environment") if isinstance(svc.get("environment"), Mapping) else {}
    for var, value in compose_env.items():
        if var in CACHE_VARS and value is not None:
            env[var] = str(value)
            line = locate_line(text, ("services", name, "environment", var))
            reasons.append(f"{path}:{line} {var}={env[var]}")

    if not reasons:
        return None
    compose_sets_cache = any(compose_env.get(v) is not None for v in CACHE_VARS)
    if baked and not compose_sets_cache and "vllm" not in image.lower():
        return None  # the image carries its models; the cache starts full after a recreate
    cache, var = _cache_path(env)
    if cache is None:
        return None  # a value compose interpolates at run time: the folder is not known here
    mounts = [v for v in svc.get("volumes") or [] if isinstance(v, Mapping)]
    if any(_covers(v, cache) for v in mounts):
        return None

    line = locate_line(text, ("services", name))
    where = f"from {var}" if var else "the default"
    message = (f"{name} downloads models at runtime into {cache} ({where}), which no named volume or bind "
               f"mount covers: every --force-recreate loses them; mount a named volume at {cache}")
    return Finding(
        finding_id("model_cache", name), "model_cache", "warning", message,
        side.evidence(path, line, service=name, cache_path=cache, cache_var=var, reasons=reasons,
                      mounts=[{"type": v.get("type"), "source": v.get("source"), "target": v.get("target")} for v in mounts]),
    )


def _cache_path(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    for var in CACHE_VARS:
        value = env.get(var)
        if value is None or value == "":
            continue
        if "$" in value:
            return None, var
        path = posixpath.normpath(value)
        return (posixpath.join(path, "huggingface") if var == "XDG_CACHE_HOME" else path), var
    return DEFAULT_CACHE, None


def _covers(volume: Mapping[str, Any], cache: str) -> bool:
    """A named volume or a bind mount at the cache folder or above it (tmpfs and anonymous volumes die with the container)."""
    kind, target = volume.get("type"), volume.get("target")
    if kind not in ("bind", "volume") or not isinstance(target, str):
        return False
    if kind == "volume" and not volume.get("source"):
        return False
    target = posixpath.normpath(target)
    return cache == target or cache.startswith(target.rstrip("/") + "/")


# --- the files behind a service ---------------------------------------------------------

def tracked_path(side: Side, compose_path: str, ref: str) -> str | None:
    """The repo path of a file a compose file names (build context, bind source, env_file), if tracked.

    Relative names are resolved against the compose file's folder on the host (through the
    `files:` map of `.drift.yml`) and in the repository; an absolute host path matches the tracked
    live path it ends with.
    """
    if "://" in ref or "$" in ref:
        return None
    live_to_repo = {live: repo for repo, live in side.live_paths.items()}
    if ref.startswith(("/", "~")):
        ref = posixpath.normpath(ref)
        hits = [live for live in live_to_repo if ref.endswith("/" + live)]
        repo = live_to_repo[max(hits, key=len)] if hits else None
        return repo if repo in side.files else None
    compose_live = side.live_paths.get(compose_path)
    if compose_live is not None:
        live = posixpath.normpath(posixpath.join(posixpath.dirname(compose_live), ref))
        repo = live_to_repo.get(live)
        if repo in side.files:
            return repo
    repo = posixpath.normpath(posixpath.join(posixpath.dirname(compose_path), ref))
    return repo if repo in side.files else None


def _dockerfile(side: Side, compose_path: str, build: Mapping[str, Any]) -> tuple[str, str] | None:
    if isinstance(build.get("dockerfile_inline"), str):
        return f"{compose_path} (dockerfile_inline)", build["dockerfile_inline"]
    context, name = build.get("context"), build.get("dockerfile") or "Dockerfile"
    if not isinstance(context, str) or not isinstance(name, str):
        return None
    found = tracked_path(side, compose_path, posixpath.join(context, name))
    return (found, side.files[found]) if found else None


def _read_dockerfile(text: str) -> tuple[dict[str, tuple[str, int]], list[tuple[str, int]], bool]:
    """(cache ENV of the final stage, packages installed anywhere, whether a step bakes models in)."""
    from bot.compare.dockerfile import parse_dockerfile

    stages: dict[str, dict[str, tuple[str, int]]] = {}
    env: dict[str, tuple[str, int]] = {}
    installs: list[tuple[str, int]] = []
    baked = False
    for ins in parse_dockerfile(text):
        value = ins.text[len(ins.keyword):].strip()
        if ins.keyword == "FROM":
            words = value.split()
            parent = words[0].lower() if words else ""
            env = dict(stages.get(parent, {}))  # FROM an earlier stage inherits its ENV
            if len(words) >= 3 and words[-2].upper() == "AS":
                stages[words[-1].lower()] = env
        elif ins.keyword == "ENV":
            for var, val in _env_pairs(value):
                if var in CACHE_VARS:
                    env[var] = (val, ins.line)
        elif ins.keyword == "RUN":
            for m in _PACKAGES.finditer(value):
                pkg = m.group(1) or "livekit-plugins-turn-detector"
                if pkg.lower() not in [p.lower() for p, _ in installs]:
                    installs.append((pkg, ins.line))
            baked = baked or bool(_BAKES.search(value))
    return env, installs, baked


def _env_pairs(value: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]  # legacy `ENV KEY value`
    return [(k, v) for k, _, v in (w.partition("=") for w in words)]


def _dotenv_vars(text: str) -> dict[str, tuple[str, int]]:
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        key, eq, value = line.strip().removeprefix("export ").partition("=")
        if eq and key.strip() in CACHE_VARS:
            out[key.strip()] = (value.strip().strip("'\""), n)
    return out
