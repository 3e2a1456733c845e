"""Carry an edit made on a re-serialised document back onto the original text.

A round-trip YAML library keeps comments and key order, but may still re-flow a line it
did not need to touch (a wrapped flow list, an odd indent). Given the original text and
the library's output before and after the edit, only the lines the edit changed are taken
from the new output; every other line is the original, byte for byte.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass
class _Unit:
    dump: tuple[int, int]  # lines of the unedited dump
    original: tuple[int, int]  # the lines of the original they stand for


def _units(dump: list[str], original: list[str]) -> list[_Unit]:
    """Pair the unedited dump with the original: line by line where equal, block by block where not."""
    units = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=dump, b=original, autojunk=False).get_opcodes():
        if tag == "equal":
            units += [_Unit((i1 + k, i1 + k + 1), (j1 + k, j1 + k + 1)) for k in range(i2 - i1)]
        else:
            units.append(_Unit((i1, i2), (j1, j2)))
    return units


def splice(original: str, dump_before: str, dump_after: str) -> str:
    if dump_before == dump_after:
        return original
    orig = original.splitlines(keepends=True)
    before = dump_before.splitlines(keepends=True)
    after = dump_after.splitlines(keepends=True)
    edit = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()

    # Where each position of the unedited dump lands in the edited one, and which lines the edit touches.
    to_after: dict[int, int] = {}
    touched: set[int] = set()
    for tag, i1, i2, j1, j2 in edit:
        if tag == "equal":
            for k in range(i2 - i1 + 1):
                to_after.setdefault(i1 + k, j1 + k)
        else:
            to_after[i1], to_after[i2] = j1, j2
            touched.update(range(i1, i2))
            if i1 == i2:  # a pure insertion touches the line before it (or the first line)
                touched.add(max(i1 - 1, 0) if i1 > 0 else 0)

    out: list[str] = []
    units = _units(before, orig)
    k = 0
    while k < len(units):
        unit = units[k]
        if not any(a in touched for a in range(*unit.dump)):
            out += orig[unit.original[0] : unit.original[1]]
            k += 1
            continue
        # A run of touched units is replaced by what the edit made of those dump lines.
        start = end = unit.dump[0]
        while k < len(units) and any(a in touched for a in range(*units[k].dump)):
            end = units[k].dump[1]
            k += 1
        out += after[to_after[start] : to_after[end]]
    if len(after) > to_after.get(len(before), len(after)):
        out += after[to_after[len(before)] :]  # lines appended at the very end
    return "".join(out)
