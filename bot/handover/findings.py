"""The checks' findings as the pages show them: one row each, the VRAM accounting, and which
research ticket each finding answers."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import Config
from bot.handover.issues import _Refs, Ref
from bot.model import Finding

# Words in a research ticket's title that say which check's findings it answers.
_CHECK_WORDS = {"vram": ("vram", "gpu memory"), "model_cache": ("cache",), "health": ("health",), "images": ("image",)}


def _finding(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "check": f.check, "severity": f.severity, "message": f.message, "evidence": f.evidence or {},
            "main_only": (f.evidence or {}).get("side") == "main", "service": (f.evidence or {}).get("service")}


def _vram(findings: Sequence[Finding]) -> dict[str, Any] | None:
    """The VRAM accounting of the first GPU the vram check reported on (None without one)."""
    for f in findings:
        ev = f.evidence or {}
        if f.check != "vram" or not isinstance(ev.get("services"), list):
            continue
        rows = [s for s in ev["services"] if isinstance(s, Mapping) and s.get("service")]
        memory, total = ev.get("memory_gib"), ev.get("total_gib")
        if total is None and rows and all(isinstance(r.get("gib"), (int, float)) for r in rows):
            total = sum(r["gib"] for r in rows)
        used = total / memory if isinstance(total, (int, float)) and isinstance(memory, (int, float)) and memory else None
        threshold = ev.get("threshold")
        return {"gpu": ev.get("gpu"), "model": ev.get("model"), "memory": memory, "rows": rows, "total": total,
                "used": used, "threshold": threshold, "severity": f.severity, "message": f.message,
                "over": used is not None and isinstance(threshold, (int, float)) and used > threshold,
                "unclaimed": tuple(ev.get("unclaimed") or ()), "evidence": ev}
    return None


def _research(config: Config, refs: _Refs, findings: Sequence[Finding]) -> tuple[dict[str, Any], ...]:
    out = []
    for item in config.tracker.research:
        if isinstance(item, Mapping):
            ref = refs.by_number(item["issue"], str(item.get("key")) if item.get("key") else None) if item.get("issue") \
                else Ref(str(item.get("key") or item.get("title")), None, str(item.get("title") or ""))
        else:
            ref = refs.by_number(int(item))
        title = (ref.title or "").lower()
        checks = {c for c, words in _CHECK_WORDS.items() if any(w in title for w in words)}
        feeds = tuple(_finding(f) for f in findings if f.check in checks)
        waiting = tuple(refs.by_name(k) for k, after in config.gates.items() if ref.name in after)
        out.append({"ref": ref, "findings": feeds, "waiting": waiting})
    return tuple(out)
