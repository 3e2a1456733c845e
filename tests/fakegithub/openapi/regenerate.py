#!/usr/bin/env python3
"""Rewrite ``github-rest-subset.json`` from GitHub's official OpenAPI description.

The description comes from the npm package ``@octokit/openapi`` at the
version pinned in ``tests/fakegithub/operations.py``.  This script installs
that exact version with npm into a temporary directory (nothing is left in
the work tree), keeps only the operations the fake serves plus every
component they reference (transitively), drops examples, and writes the
result next to this file.  It also records the method+path of *every*
documented operation, so the contract check can tell "documented but not
implemented by the fake" from "not a GitHub API at all".

Usage (from the repository root)::

    python tests/fakegithub/openapi/regenerate.py            # npm install + rewrite
    python tests/fakegithub/openapi/regenerate.py --from-file api.github.com.json
    python tests/fakegithub/openapi/regenerate.py --check    # exit 1 if the copy is stale

Needs node/npm (for the install) and nothing outside the standard library.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "github-rest-subset.json"


def _load_operations():
    spec = importlib.util.spec_from_file_location("_fake_ops", HERE.parent / "operations.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def fetch_description(package: str, version: str, inner: str) -> dict:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found: install node/npm or pass --from-file")
    with tempfile.TemporaryDirectory(prefix="octokit-openapi-") as tmp:
        subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
             "--prefix", tmp, f"{package}@{version}"],
            check=True,
        )
        pkg_dir = Path(tmp, "node_modules", *package.split("/"))
        got = json.loads((pkg_dir / "package.json").read_text())["version"]
        if got != version:
            sys.exit(f"npm installed {package}@{got}, wanted {version}")
        with open(pkg_dir / inner, encoding="utf-8") as fh:
            return json.load(fh)


# ---------------------------------------------------------------- trimming

_SCHEMA_MAPS = ("properties",)  # keys whose children are *names*, not keywords


def _strip(node, in_names=False):
    """Drop examples (they are large and play no part in validation)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if not in_names and k in ("example", "examples"):
                continue
            out[k] = _strip(v, in_names=(k in _SCHEMA_MAPS and not in_names))
        return out
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node, acc):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                acc.add(v)
            else:
                _refs(v, acc)
    elif isinstance(node, list):
        for v in node:
            _refs(v, acc)
    return acc


def trim(full: dict, served, package: str, version: str, inner: str) -> dict:
    paths: dict = {}
    for method, path in served:
        item = full["paths"].get(path)
        if item is None or method.lower() not in item:
            raise SystemExit(f"{method} {path} is not in the description")
        op = dict(item[method.lower()])
        op.pop("description", None)  # long markdown; summary stays
        op = _strip(op)
        dest = paths.setdefault(path, {})
        if "parameters" in item:
            dest["parameters"] = _strip(item["parameters"])
        dest[method.lower()] = op

    components: dict = {}
    todo = sorted(_refs(paths, set()))
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        if not ref.startswith("#/components/"):
            raise SystemExit(f"unexpected $ref {ref}")
        _, _, kind, name = ref.split("/", 3)
        if kind == "examples":
            continue
        target = _strip(full["components"][kind][name])
        components.setdefault(kind, {})[name] = target
        todo.extend(sorted(_refs(target, set()) - seen))
    for kind in components:
        components[kind] = dict(sorted(components[kind].items()))

    documented = {}
    for path, item in full["paths"].items():
        methods = sorted(m.upper() for m in item if m in
                         ("get", "put", "post", "delete", "patch", "head", "options"))
        if methods:
            documented[path] = methods

    info = dict(full["info"])
    info.pop("description", None)
    return {
        "openapi": full["openapi"],
        "info": info,
        "x-subset-of": {
            "package": package,
            "version": version,
            "file": inner,
            "note": "Generated by tests/fakegithub/openapi/regenerate.py; do not edit by hand.",
        },
        "paths": dict(sorted(paths.items())),
        "components": dict(sorted(components.items())),
        "x-documented-operations": dict(sorted(documented.items())),
    }


def render(doc: dict) -> str:
    return json.dumps(doc, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-file", help="use this api.github.com.json instead of installing with npm")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 when the copy differs")
    args = ap.parse_args(argv)

    ops = _load_operations()
    if args.from_file:
        with open(args.from_file, encoding="utf-8") as fh:
            full = json.load(fh)
    else:
        full = fetch_description(ops.OPENAPI_PACKAGE, ops.OPENAPI_VERSION, ops.OPENAPI_FILE)
    text = render(trim(full, ops.SERVED_OPERATIONS, ops.OPENAPI_PACKAGE, ops.OPENAPI_VERSION,
                       ops.OPENAPI_FILE))
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{OUT.name} is up to date")
        return 0
    tmp = OUT.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({len(text)} bytes, {len(ops.SERVED_OPERATIONS)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
