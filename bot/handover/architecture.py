"""The stack's services as the architecture page lists them, read from the live compose files:
image or build, ports, GPU and its VRAM claim, healthcheck, dependencies, model cache."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.compare import file_kind
from bot.compare.compose import parsed
from bot.compare.yamlload import YamlError
from bot.handover.findings import _vram
from bot.model import Finding


def _services(live: Mapping[str, str], findings: Sequence[Finding]) -> tuple[dict[str, Any], ...]:
    claims = {}
    vram = _vram(findings)
    if vram:
        claims = {r["service"]: r for r in vram["rows"]}
    ephemeral = {f.evidence.get("service"): f.evidence for f in findings if f.check == "model_cache" and f.evidence}
    out = []
    for path in sorted(live):
        if file_kind(path) != "compose":
            continue
        try:
            _, doc = parsed(live[path], path)
        except YamlError:
            continue
        named = set((doc.get("volumes") or {}).keys())
        for name, svc in (doc.get("services") or {}).items():
            if not isinstance(svc, dict):
                continue
            build = svc.get("build")
            ports = [f"{p.get('host_ip') + ':' if p.get('host_ip') else ''}{p.get('published')}→{p.get('target')}"
                     if p.get("published") else str(p.get("target")) for p in svc.get("ports") or [] if isinstance(p, dict)]
            env = svc.get("environment") if isinstance(svc.get("environment"), dict) else {}
            cache = next((str(env[v]) for v in ("HF_HUB_CACHE", "HF_HOME") if env.get(v)), None)
            kept = [v for v in svc.get("volumes") or [] if isinstance(v, dict) and v.get("type") == "volume"
                    and v.get("source") in named and cache and str(cache).startswith(str(v.get("target", "")).rstrip("/") + "/")]
            out.append({
                "name": name, "file": path,
                "image": svc.get("image"),
                "build": (build.get("context") if isinstance(build, dict) else build) if build else None,
                "ports": ports, "gpu": name in claims or _reserves_gpu(svc), "claim": claims.get(name),
                "health": bool(svc.get("healthcheck")) and not (svc.get("healthcheck") or {}).get("disable"),
                "depends_on": sorted((svc.get("depends_on") or {}).keys()) if isinstance(svc.get("depends_on"), dict) else [],
                "cache": ephemeral[name].get("cache_path") if name in ephemeral else cache,
                "cache_var": ephemeral[name].get("cache_var") if name in ephemeral else None,
                "cache_volume": kept[0]["source"] if kept and name not in ephemeral else None,
                "ephemeral": name in ephemeral, "offline": str(env.get("HF_HUB_OFFLINE", "")).lower() in ("1", "true"),
            })
    return tuple(out)


def _reserves_gpu(svc: Mapping[str, Any]) -> bool:
    devices = ((((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices")) or []
    return any(isinstance(d, Mapping) and ("gpu" in (d.get("capabilities") or []) or d.get("driver") == "nvidia") for d in devices) \
        or bool(svc.get("gpus")) or svc.get("runtime") == "nvidia"
