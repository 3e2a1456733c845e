"""Rules of the form `file-glob[#pointer-glob]`, used by `children:`, `ignore:` and `x-drift`.

In both halves `*` stands for one segment (or part of one) and `**` for any number of
segments, including none; without a `#` part the rule covers every divergence in the file.
"""
from __future__ import annotations

from functools import lru_cache

# A glob compiles to a list of tokens matched by simulating every position at once (a Thompson
# NFA): time is length of glob x length of value whatever the glob, where a backtracking regex
# takes exponential time on `**a**a**a…` against a value that almost matches.
# Kinds: a character; one character but the separator; `*`; `**`; a fork taking no input.
_LIT, _ONE, _STAR, _ANY, _FORK = range(5)


@lru_cache(maxsize=1024)
def _compile(glob: str, sep: str) -> tuple[tuple[int, str, int | None], ...]:
    """Tokens (kind, character, skip): a fork goes on to the next token or jumps to `skip`."""
    out: list[tuple[int, str, int | None]] = []
    i = 0
    while i < len(glob):
        if i == 0 and glob.startswith(f"**{sep}"):
            out += [(_FORK, "", len(out) + 3), (_ANY, "", None), (_LIT, sep, None)]  # nothing, or anything ending in /
            i += 3
        elif glob.startswith(f"{sep}**", i) and (i + 3 == len(glob) or glob[i + 3] == sep):
            out += [(_FORK, "", len(out) + 3), (_LIT, sep, None), (_ANY, "", None)]  # `/**`: nothing, or / and anything
            i += 3
        elif glob.startswith("**", i):
            out.append((_ANY, "", None))
            i += 2
        elif glob[i] == "*":
            out.append((_STAR, "", None))
            i += 1
        elif glob[i] == "?":
            out.append((_ONE, "", None))
            i += 1
        else:
            out.append((_LIT, glob[i], None))
            i += 1
    return tuple(out)


def _closure(tokens: tuple[tuple[int, str, int | None], ...], states: set[int]) -> set[int]:
    todo, seen = list(states), set(states)
    while todo:
        i = todo.pop()
        if i >= len(tokens):
            continue
        kind, _, skip = tokens[i]
        for j in ((i + 1) if kind in (_STAR, _ANY, _FORK) else None, skip):
            if j is not None and j not in seen:
                seen.add(j)
                todo.append(j)
    return seen


def glob_matches(glob: str, value: str, sep: str = "/") -> bool:
    tokens = _compile(glob, sep)
    states = _closure(tokens, {0})
    for ch in value:
        step = set()
        for i in states:
            if i >= len(tokens):
                continue
            kind, lit, _ = tokens[i]
            if kind == _ANY or (kind == _STAR and ch != sep):
                step.add(i)
            elif (kind == _LIT and ch == lit) or (kind == _ONE and ch != sep):
                step.add(i + 1)
        if not step:
            return False
        states = _closure(tokens, step)
    return len(tokens) in states


def glob_problem(glob: str, sep: str = "/") -> str | None:
    """Why a glob written in `.drift.yml` is not one: `[…]` classes are not glob syntax here, and
    `**` stands for whole segments only (`voice/**/x`, not `voice/**x`)."""
    for ch in "[]{}":
        if ch in glob:
            return f"`{ch}` is not glob syntax here (only `*`, `**` and `?`): write the name as it is, without `{ch}`"
    for segment in glob.split(sep):
        if "**" in segment and segment != "**":
            return f"`**` must be a whole segment (`a/**/b`), not part of `{segment}`; did you mean `*`?"
    return None


def split_rule(rule: str) -> tuple[str, str | None]:
    file_glob, hash_, pointer_glob = rule.partition("#")
    return file_glob, (pointer_glob if hash_ else None)


def rule_matches(rule: str, file: str, pointer: str) -> bool:
    file_glob, pointer_glob = split_rule(rule)
    if not glob_matches(file_glob, file):
        return False
    return pointer_glob is None or glob_matches(pointer_glob, pointer)
