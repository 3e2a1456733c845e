"""vram: what the services sharing a GPU claim of its memory, against what the GPU has.

A vLLM server takes `--gpu-memory-utilization` of the card at start-up whether it needs it or
not, so the sum of the claims, not the usage seen by nvidia-smi, decides whether the next
service (or the next restart in a different order) still fits. Other GPU users state their
figure in GiB: `checks.vram.claims` in `.drift.yml` or `x-drift: {vram_gib: N}` on the service.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.checks.base import CheckContext, check, finding_id
from bot.compare.compose import locate_line
from bot.model import Finding

FLAG = "--gpu-memory-utilization"
ENV_FRACTION = "VLLM_GPU_MEMORY_UTILIZATION"
VLLM_DEFAULT_FRACTION = 0.90  # what vLLM takes when the flag is absent
DEFAULT_THRESHOLD = 0.90


@dataclass(frozen=True)
class Claim:
    service: str
    gpu: str
    fraction: float | None  # of the GPU's memory; None for an explicit figure
    explicit_gib: float | None
    source: str  # "file:line", or where the figure comes from
    path: str  # the compose file the service is in
    line: int | None

    def gib(self, memory_gib: float | None) -> float | None:
        if self.explicit_gib is not None:
            return self.explicit_gib
        return None if memory_gib is None or self.fraction is None else self.fraction * memory_gib


@check("vram")
def vram(ctx: CheckContext) -> Iterator[Finding]:
    threshold = _number(ctx.settings.get("threshold"))
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    claims, unclaimed = _claims(ctx)
    by_gpu: dict[str, list[Claim]] = {}
    for c in claims:
        by_gpu.setdefault(c.gpu, []).append(c)
    for gpu in sorted(by_gpu, key=_gpu_order):
        yield _finding(ctx, gpu, by_gpu[gpu], unclaimed.get(gpu, []), threshold)


def _finding(ctx: CheckContext, gpu: str, claims: list[Claim], unclaimed: list[str], threshold: float) -> Finding:
    spec = ctx.config.gpus.get(gpu)
    spec = spec if isinstance(spec, Mapping) else {}
    model = spec.get("model")
    memory = _number(spec.get("memory_gib"))
    label = f"GPU {gpu}" + (f" ({model})" if model else "")
    table = [
        {"service": c.service, "fraction": c.fraction, "explicit_gib": c.explicit_gib,
         "gib": None if c.gib(memory) is None else round(c.gib(memory), 4), "source": c.source}
        for c in claims
    ]
    first = claims[0]
    facts: dict[str, Any] = {"gpu": gpu, "model": model, "memory_gib": memory, "services": table,
                             "unclaimed": unclaimed, "threshold": threshold}
    fid = finding_id("vram", f"gpu:{gpu}")
    no_claim = f"; {', '.join(unclaimed)} also use{'s' if len(unclaimed) == 1 else ''} it with no claim (add checks.vram.claims)" if unclaimed else ""
    if memory is None or memory <= 0:
        parts = ", ".join(f"{c.service} {c.fraction * 100:g} %" if c.fraction is not None else f"{c.service} {c.explicit_gib:g} GiB"
                          for c in claims)
        message = (f"{label}: memory unknown, so the claims ({parts}) cannot be checked; "
                   f"add gpus: {{\"{gpu}\": {{model: ..., memory_gib: ...}}}} to .drift.yml{no_claim}")
        return Finding(fid, "vram", "info", message, ctx.side.evidence(first.path, first.line, **facts))
    total = sum(c.gib(memory) or 0.0 for c in claims)
    used = total / memory
    parts = ", ".join(f"{c.service} {c.gib(memory):.2f}" for c in claims)
    above = used > threshold
    verdict = ("more than the GPU has" if used > 1 else f"above the {threshold * 100:g} % threshold") if above \
        else f"within the {threshold * 100:g} % threshold"
    message = f"{label}: {total:.1f} / {memory:.1f} GiB claimed = {used * 100:.0f} % ({parts}); {verdict}{no_claim}"
    facts.update(total_gib=round(total, 4), utilisation=round(used, 4))
    return Finding(fid, "vram", "warning" if above else "info", message, ctx.side.evidence(first.path, first.line, **facts))


# --- who claims what ----------------------------------------------------------------------

def _claims(ctx: CheckContext) -> tuple[list[Claim], dict[str, list[str]]]:
    """Every claim on every GPU, in compose order, and per GPU the services using it unclaimed.

    A service defined again in a later compose file (an override) replaces its earlier claim.
    """
    settings_claims = ctx.settings.get("claims")
    settings_claims = settings_claims if isinstance(settings_claims, Mapping) else {}
    configured = sorted((str(k) for k in ctx.config.gpus), key=_gpu_order)
    claims: dict[str, list[Claim]] = {}
    unclaimed: dict[str, list[str]] = {}
    for path, raw, norm in ctx.side.compose_files():
        text = ctx.side.files[path]
        raw_services = raw.get("services") or {}
        for name, svc in (norm.get("services") or {}).items():
            if not isinstance(svc, dict):
                continue
            raw_svc = raw_services.get(name)
            raw_svc = raw_svc if isinstance(raw_svc, dict) else {}
            gpus = _reserved_gpus(svc, configured)
            found = _explicit(name, raw_svc, settings_claims, gpus or [configured[0] if configured else "0"],
                              path, text, ctx.config.path.name)
            if found is None and gpus:
                found = _fraction(name, svc, gpus, path, text)
            claims.pop(name, None)
            for users in unclaimed.values():
                if name in users:
                    users.remove(name)
            if found:
                claims[name] = found
            elif gpus:
                for g in gpus:
                    unclaimed.setdefault(g, []).append(name)
    return [c for cs in claims.values() for c in cs], unclaimed


def _explicit(name: str, raw_svc: Mapping[str, Any], settings_claims: Mapping[str, Any], gpus: list[str],
              path: str, text: str, config_name: str) -> list[Claim] | None:
    """An explicit figure in GiB; the one next to the service (x-drift) wins over `.drift.yml`."""
    ext = raw_svc.get("x-drift")
    if isinstance(ext, Mapping) and ext.get("vram_gib") is not None:
        line = locate_line(text, ("services", name, "x-drift", "vram_gib"))
        return _per_gpu(name, ext["vram_gib"], gpus, f"{path}:{line}", path, line)
    if settings_claims.get(name) is not None:
        line = locate_line(text, ("services", name))
        return _per_gpu(name, settings_claims[name], gpus, f"{config_name} checks.vram.claims.{name}", path, line)
    return None


def _per_gpu(name: str, figure: Any, gpus: list[str], source: str, path: str, line: int | None) -> list[Claim] | None:
    """`0.55` (GiB on each GPU the service uses) or `{"0": 0.5, "1": 0.25}` (GiB per GPU)."""
    if isinstance(figure, Mapping):
        out = [Claim(name, str(g), None, gib, source, path, line)
               for g, v in figure.items() if (gib := _number(v)) is not None]
        return out or None
    gib = _number(figure)
    return None if gib is None else [Claim(name, g, None, gib, source, path, line) for g in gpus]


def _fraction(name: str, svc: Mapping[str, Any], gpus: list[str], path: str, text: str) -> list[Claim] | None:
    words = _words(svc.get("entrypoint")) + _words(svc.get("command"))
    value, key = _flag(words), ("command",)
    if value is None:
        env = svc.get("environment") if isinstance(svc.get("environment"), Mapping) else {}
        value, key = env.get(ENV_FRACTION), ("environment", ENV_FRACTION)
    if value is None and _is_vllm(svc, words):
        fraction, source = VLLM_DEFAULT_FRACTION, "vLLM default (no --gpu-memory-utilization)"
        line = locate_line(text, ("services", name))
    else:
        fraction = _number(value)
        if fraction is None:
            return None
        line = locate_line(text, ("services", name, *key))
        source = f"{path}:{line}"
    return [Claim(name, g, fraction, None, source, path, line) for g in gpus]


def _flag(words: list[str]) -> str | None:
    for i, w in enumerate(words):
        head, eq, value = w.partition("=")
        if head.replace("_", "-") != FLAG:
            continue
        if eq:
            return value
        if i + 1 < len(words):
            return words[i + 1]
    return None


def _words(value: Any) -> list[str]:
    """Command words, with `sh -c "vllm serve ..."` strings split into words too."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    out: list[str] = []
    for w in value:
        w = str(w)
        try:
            out.extend(shlex.split(w) if " " in w else [w])
        except ValueError:
            out.append(w)
    return out


def _is_vllm(svc: Mapping[str, Any], words: list[str]) -> bool:
    image = str(svc.get("image") or "")
    return "vllm" in image.lower() or words[:2] == ["vllm", "serve"]


def _reserved_gpus(svc: Mapping[str, Any], configured: list[str]) -> list[str]:
    """The GPU ids a service reserves: device_ids, or the first `count` GPUs (GPU "0" by default)."""
    requests: list[Any] = []
    deploy = svc.get("deploy")
    if isinstance(deploy, Mapping):
        devices = (((deploy.get("resources") or {}).get("reservations") or {}).get("devices")) or []
        requests += [d for d in devices if isinstance(d, Mapping) and _is_gpu(d)]
    gpus = svc.get("gpus")
    if isinstance(gpus, str) and gpus.strip():
        requests.append({"count": -1 if gpus.strip() == "all" else gpus})
    elif isinstance(gpus, list):
        requests += [g if isinstance(g, Mapping) else {"count": 1} for g in gpus]
    env = svc.get("environment") if isinstance(svc.get("environment"), Mapping) else {}
    visible = env.get("NVIDIA_VISIBLE_DEVICES")
    if svc.get("runtime") == "nvidia" and isinstance(visible, str) and re.fullmatch(r"\d+(,\d+)*", visible.strip()):
        requests.append({"device_ids": visible.strip().split(",")})
    ids: list[str] = []
    for r in requests:
        if r.get("device_ids"):
            wanted = [str(i) for i in r["device_ids"]]
        else:
            pool = configured or ["0"]
            count = r.get("count", 1)
            wanted = pool if str(count) in ("-1", "all") else pool[: max(1, int(_number(count) or 1))]
        ids += [i for i in wanted if i not in ids]
    return ids


def _is_gpu(device: Mapping[str, Any]) -> bool:
    caps = device.get("capabilities") or []
    caps = caps if isinstance(caps, list) else [caps]
    return "gpu" in [str(c) for c in caps] or str(device.get("driver") or "") == "nvidia"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _gpu_order(gpu: str) -> tuple[int, str]:
    return (int(gpu), "") if gpu.isdigit() else (1 << 30, gpu)
