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
import inspect
import json
import pkgutil
import re
from importlib import metadata

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


def token_rules() -> list[re.Pattern[str]]:
    """The library's token rules, compiled; from the cache when this version's are kept there."""
    from bot.adapters.etags import cache_dir

    try:
        path = cache_dir() / f"detect-secrets-{metadata.version('detect-secrets')}.json"
    except metadata.PackageNotFoundError:
        path = None
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
    return [re.compile(p, f & ~re.UNICODE) for p, f in rules]
