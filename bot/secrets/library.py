"""detect-secrets' token rules, read from the installed library (the `denylist` of its regex
plugins) and kept beside the bot's other caches under the library's version.

Importing detect-secrets costs about 60 ms (it brings `requests` along for its verifiers), more
than a whole `drift diff` of a small stack; its rules change only with its version. So the first
run that needs them imports the library and keeps the patterns (text and flags) in
`DRIFT_CACHE_DIR/detect-secrets-<version>.json`; later runs read that file. The rules are always
the installed library's own: a new version is read anew, and a cache that cannot be read or
written only costs the import.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
from pathlib import Path

# detect-secrets' plugins that do not name a token format: an IP address is no secret, a keyword
# is read on the parsed structure (by the key or flag that holds the value), and its URL rule
# stops a password at `@` or `:`, which bot.secrets.shapes does not.
LEFT_OUT = {"IPPublicDetector", "KeywordDetector", "BasicAuthDetector"}


def from_library() -> list[tuple[str, int]]:
    """(pattern, flags) of every token rule of the installed detect-secrets."""
    import detect_secrets.plugins as plugins

    found: list[tuple[str, int]] = []
    for info in pkgutil.iter_modules(plugins.__path__):
        module = importlib.import_module(f"{plugins.__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or inspect.isabstract(cls) or name in LEFT_OUT:
                continue
            denylist = inspect.getattr_static(cls, "denylist", None)
            if isinstance(denylist, property):
                denylist = cls().denylist
            found += [(p.pattern, int(p.flags)) for p in denylist or () if isinstance(p, re.Pattern)]
    return found


def installed_version() -> str | None:
    """detect-secrets' version, as importlib.metadata gives it; without importing that (about 30 ms
    at start-up, a tenth of a small diff) where the package's dist-info folder names it."""
    spec = importlib.util.find_spec("detect_secrets")
    if spec is not None and spec.origin:
        found = list(Path(spec.origin).parent.parent.glob("detect_secrets-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len("detect_secrets-"):-len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:
        return None


def token_rules() -> list[re.Pattern[str]]:
    """The library's token rules, compiled; from the cache when this version's are kept there."""
    return [re.compile(p, f) for p, f in token_rule_texts()]


def token_rule_texts() -> list[tuple[str, int]]:
    """(pattern, flags) of the library's token rules, uncompiled: one alternation of them all is
    compiled first, and each alone only for a value that alternation finds something in."""
    from bot.cache import cache_dir

    version = installed_version()
    path = cache_dir() / f"detect-secrets-{version}.json" if version is not None else None
    rules = None
    if path is not None:
        try:
            rules = [(str(p), int(f)) for p, f in json.loads(path.read_text())]
        except (OSError, ValueError, TypeError):
            rules = None
    if rules is None:
        rules = from_library()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(rules))
            except OSError:
                pass  # a read-only home costs the import next time, nothing more
    return [(p, f & ~re.UNICODE) for p, f in rules]
