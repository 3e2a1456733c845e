"""Carry an edit made on a re-serialised document back onto the original text.

A round-trip YAML library keeps comments and key order, but may still re-flow a line it
did not need to touch (a wrapped flow list, an odd indent). Given the original text and
the library's output before and after the edit, only the lines the edit changed are taken
from the new output; every other line is the original, byte for byte.

`pieces` gives the same result as a list of pieces, each saying where its lines come from,
for a caller that wants to arrange the lines the library never printed (comments it was not
shown, blank lines) around what the edit inserted or deleted.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    lines: tuple[str, ...]  # what the result holds here, with line ends
    original: tuple[int, int]  # the lines of the original it stands for (empty: an insertion before that line)
    edited: bool = False  # from the edited dump: an insertion, a replacement or (no lines) a deletion
    printed: bool = True  # False: original lines the dump does not have

    @property
    def replaced(self) -> int:
        return self.original[1] - self.original[0]


@dataclass
class _Unit:
    dump: tuple[int, int]  # lines of the unedited dump
    original: tuple[int, int]  # the lines of the original they stand for


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split at `\\n` only (as a YAML reader counts them)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _units(dump: list[str], original: list[str], unprinted: Collection[int]) -> list[_Unit]:
    """Pair the unedited dump with the original: line by line where equal (or re-spelt line for
    line), block by block where not; the original's unprinted lines are units of their own."""
    kept = [n for n in range(len(original)) if n not in unprinted]
    paired: list[_Unit] = []
    matcher = difflib.SequenceMatcher(a=dump, b=[original[n] for n in kept], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            paired += [_Unit((i1 + k, i1 + k + 1), (kept[j1 + k], kept[j1 + k] + 1)) for k in range(i2 - i1)]
        elif j1 == j2:  # lines only the dump has
            at = kept[j1] if j1 < len(kept) else len(original)
            paired.append(_Unit((i1, i2), (at, at)))
        else:
            paired.append(_Unit((i1, i2), (kept[j1], kept[j2 - 1] + 1)))
    units: list[_Unit] = []
    done = 0
    for unit in paired:
        if unit.original[0] > done:  # unprinted lines before this unit
            units.append(_Unit((unit.dump[0], unit.dump[0]), (done, unit.original[0])))
        units.append(unit)
        done = max(done, unit.original[1])
    if done < len(original):
        units.append(_Unit((len(dump), len(dump)), (done, len(original))))
    return units


def pieces(original: str, dump_before: str, dump_after: str, unprinted: Collection[int] = ()) -> list[Piece]:
    """`unprinted`: line numbers (0-based) of original lines the dump does not print.

    An original without a final line end is read with one, as the dumps have it; `splice`
    leaves it out of the result again."""
    orig = split_lines(original + ("\n" if original and not original.endswith("\n") else ""))
    if dump_before == dump_after:
        return [Piece(tuple(orig), (0, len(orig)))] if orig else []
    before, after = split_lines(dump_before), split_lines(dump_after)
    edit = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()

    # For each position of the unedited dump: where its line starts in the edited dump (past
    # anything inserted right there) and where the text before it ends (short of that).
    # Lines the edit replaces or deletes are touched; lines it inserts are kept apart, so that
    # the lines around an insertion stay the original's.
    begin: dict[int, int] = {len(before): len(after)}
    finish: dict[int, int] = {0: 0}
    touched: set[int] = set()
    inserts: dict[int, list[str]] = {}
    for tag, i1, i2, j1, j2 in edit:
        if tag == "equal":
            for k in range(i2 - i1):
                begin[i1 + k] = j1 + k
                finish[i1 + k + 1] = j1 + k + 1
        elif tag == "insert":
            inserts[i1] = after[j1:j2]
            begin[i1] = j2
        else:
            begin[i1], finish[i2] = j1, j2
            touched.update(range(i1, i2))

    units = _units(before, orig, unprinted)
    # An insertion inside a block the library spells differently from the original cannot
    # be placed between original lines: that block is taken from the edit whole.
    for unit in units:
        if any(unit.dump[0] < at < unit.dump[1] for at in inserts):
            touched.update(range(*unit.dump))

    def is_touched(unit: _Unit) -> bool:
        at, end = unit.dump
        if at == end:  # original lines the dump lacks, inside a replaced block, go with it
            return at - 1 in touched and at in touched
        return any(a in touched for a in range(at, end))

    out: list[Piece] = []
    k = 0
    while k < len(units):
        unit = units[k]
        if unit.dump[0] in inserts:
            out.append(Piece(tuple(inserts.pop(unit.dump[0])), (unit.original[0],) * 2, edited=True))
        if not is_touched(unit):
            lines = tuple(orig[unit.original[0] : unit.original[1]])
            out.append(Piece(lines, unit.original, printed=unit.dump[0] < unit.dump[1]))
            k += 1
            continue
        # A run of touched units is replaced by what the edit made of those dump lines.
        start, first = unit.dump[0], unit.original[0]
        end, last = start, first
        while k < len(units) and is_touched(units[k]):
            end, last = units[k].dump[1], max(last, units[k].original[1])
            inserts.pop(units[k].dump[0], None)  # inside the run: part of the slice below
            k += 1
        out.append(Piece(tuple(after[begin[start] : finish[end]]), (first, last), edited=True))
    if len(before) in inserts:  # lines appended at the very end
        out.append(Piece(tuple(inserts.pop(len(before))), (len(orig), len(orig)), edited=True))
    return out


def splice(original: str, dump_before: str, dump_after: str, unprinted: Collection[int] = ()) -> str:
    if dump_before == dump_after:
        return original
    return joined(original, (line for piece in pieces(original, dump_before, dump_after, unprinted) for line in piece.lines))


def joined(original: str, lines: Iterable[str]) -> str:
    """The result's text, without a final line end when the original has none."""
    out = "".join(lines)
    return out[:-1] if original and not original.endswith("\n") and out.endswith("\n") else out
