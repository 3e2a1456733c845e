"""Top-level volumes, networks, secrets and configs that no service uses: compose drops them, so
declaring one more or one less changes nothing that runs (the unused check still shows them)."""
from __future__ import annotations

from typing import Any

# Maps whose keys are names: an entry with no settings is still an entry.
NAMED = {("volumes",), ("networks",), ("secrets",), ("configs",), ("services",)}
# Top-level sections whose entries services name; compose keeps only the ones named.
DECLARATIONS = ("volumes", "networks", "secrets", "configs")


def used_names(services: Any) -> dict[str, set[str]]:
    """The top-level entries the (normalised) services name, by section."""
    used: dict[str, set[str]] = {section: set() for section in DECLARATIONS}
    for svc in (services.values() if isinstance(services, dict) else ()):
        if not isinstance(svc, dict):
            continue
        for vol in svc.get("volumes") or ():
            if isinstance(vol, dict) and vol.get("type", "volume") == "volume" and isinstance(vol.get("source"), str):
                used["volumes"].add(vol["source"])
        networks = svc.get("networks")
        if isinstance(networks, dict):
            used["networks"].update(networks)
        elif not svc.get("network_mode"):
            used["networks"].add("default")  # no `networks:` is the default network
        build = svc.get("build") if isinstance(svc.get("build"), dict) else {}
        for section, refs in (("secrets", svc.get("secrets")), ("configs", svc.get("configs")),
                              ("secrets", build.get("secrets"))):
            for ref in refs or ():
                name = ref.get("source") if isinstance(ref, dict) else ref
                if isinstance(name, str):
                    used[section].add(name)
    return used


def unused_in(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, name) of every top-level volume, network, secret or config no service names."""
    used = used_names(doc.get("services"))
    return [(section, name) for section in DECLARATIONS if isinstance(doc.get(section), dict)
            for name in doc[section] if name not in used[section]]


def without_unused(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both documents without the declarations neither side's services use.

    Compose drops an unused declaration, so it changes nothing that runs, added, removed or
    changed. One that a service uses on either side stays on both: a service given an already declared network is one
    change, at the service, not a second one at a declaration main already holds.
    """
    used_a, used_b = used_names(a.get("services")), used_names(b.get("services"))
    drop = {(section, name) for section, name in unused_in(a) + unused_in(b)
            if name not in used_a[section] and name not in used_b[section]}
    if not drop:
        return a, b
    return _drop(a, drop), _drop(b, drop)


def _drop(doc: dict[str, Any], names: set[tuple[str, str]]) -> dict[str, Any]:
    out = dict(doc)
    for section in DECLARATIONS:
        if isinstance(out.get(section), dict):
            kept = {k: v for k, v in out[section].items() if (section, k) not in names}
            if kept:
                out[section] = kept
            else:
                del out[section]
    return out
