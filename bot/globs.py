"""Rules of the form `file-glob[#pointer-glob]`, used by `children:`, `ignore:` and `x-drift`.

In both halves `*` stands for one segment (or part of one) and `**` for any number of
segments, including none; without a `#` part the rule covers every divergence in the file.
"""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _compile(glob: str, sep: str) -> re.Pattern[str]:
    out, i = [], 0
    s = re.escape(sep)
    while i < len(glob):
        if i == 0 and glob.startswith(f"**{sep}"):
            out.append(f"(?:[^{s}]*{s})*")  # a leading `**/` matches zero or more segments too
            i += 3
        elif glob.startswith(f"{sep}**", i) and (i + 3 == len(glob) or glob[i + 3] == sep):
            out.append(f"(?:{s}[^{s}]*)*")  # `/**` matches zero or more segments
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append(f"[^{s}]*")
            i += 1
        elif glob[i] == "?":
            out.append(f"[^{s}]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_matches(glob: str, value: str, sep: str = "/") -> bool:
    return bool(_compile(glob, sep).match(value))


def split_rule(rule: str) -> tuple[str, str | None]:
    file_glob, hash_, pointer_glob = rule.partition("#")
    return file_glob, (pointer_glob if hash_ else None)


def rule_matches(rule: str, file: str, pointer: str) -> bool:
    file_glob, pointer_glob = split_rule(rule)
    if not glob_matches(file_glob, file):
        return False
    return pointer_glob is None or glob_matches(pointer_glob, pointer)
