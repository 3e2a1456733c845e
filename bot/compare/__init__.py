"""compare: every tracked live file against the same file in main, by what kind of file it is."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.compare import compose, dockerfile, dotenv, text
from bot.compare.yamlload import YamlError
from bot.compare.yamllines import locate_line
from bot.globs import rule_matches
from bot.kinds import file_kind
from bot.secrets import PLACEHOLDER_RE, canonical, redact, redaction_kind
from bot.model import Divergence, FileCapture, FileError, Snapshot, UnreadableBase


def _secret(*values: Any) -> bool:
    return any(isinstance(v, str) and PLACEHOLDER_RE.search(v) for v in values) or any(
        isinstance(v, (list, dict)) and PLACEHOLDER_RE.search(repr(v)) for v in values
    )


def _div(file: str, kind: str, pointer: str, before: Any, after: Any, line: int | None, secret: bool = False) -> Divergence:
    return Divergence(file, kind, pointer, before, after, secret=secret or _secret(before, after), line=line)  # type: ignore[arg-type]


class _Unreadable(Exception):
    def __init__(self, side: str, message: str):
        self.side, self.message = side, message


def _compose(path: str, base: str, live: str) -> list[Divergence]:
    docs, ignores = [], []
    for side, body in (("main", base), ("live", live)):
        try:
            raw, normal = compose.parsed(body, path)
            ignores += compose.drift_ignores(raw)
        except YamlError as exc:
            raise _Unreadable(side, str(exc)) from None
        docs.append(normal)
    a, b = docs
    shown = (a, b)
    if PLACEHOLDER_RE.search(base) or PLACEHOLDER_RE.search(live):
        # Compare with every redaction spelt alike, show the values with their hashes.
        a = compose.parsed(canonical(base), path)[1]
        b = compose.parsed(canonical(live), path)[1]
    out = []
    for keys, kind, _, _ in compose.walk(a, b):
        ptr = compose.pointer(keys)
        if any(rule_matches("**#" + g, path, ptr) for g in ignores):
            continue
        before, after = _lookup(shown[0], keys), _lookup(shown[1], keys)
        line = locate_line(base if kind == "removed" else live, keys)
        out.append(_div(path, kind, ptr, before, after, line))
    return out


def _lookup(doc: Any, keys: tuple[str, ...]) -> Any:
    for k in keys:
        if not isinstance(doc, dict) or k not in doc:
            return None
        doc = doc[k]
    return doc


def _dotenv(path: str, base: str, live: str) -> list[Divergence]:
    try:
        a = dotenv.parse_dotenv(base)
    except dotenv.DotenvError as exc:
        raise _Unreadable("main", str(exc)) from None
    try:
        b = dotenv.parse_dotenv(live)
    except dotenv.DotenvError as exc:
        raise _Unreadable("live", str(exc)) from None
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        ptr = "/" + compose.escape_token(key)
        old, new = a.get(key), b.get(key)
        if old and new:
            if old.value == new.value:
                continue
            if _secret(old.value, new.value):
                continue  # presence only
            out.append(_div(path, "changed", ptr, old.value, new.value, new.line))
        elif new:
            out.append(_div(path, "added", ptr, None, new.value, new.line))
        elif old:
            out.append(_div(path, "removed", ptr, old.value, None, old.line))
    return out


def _dockerfile(path: str, base: str, live: str) -> list[Divergence]:
    a, b = dockerfile.parse_dockerfile(base), dockerfile.parse_dockerfile(live)
    names_a, names_b = dockerfile.instruction_names(a), dockerfile.instruction_names(b)
    out = []
    for kind, i, j in dockerfile.paired([canonical(x.key) for x in a], [canonical(x.key) for x in b],
                                        [x.keyword for x in a], [x.keyword for x in b]):
        if kind == "changed":
            out.append(_div(path, kind, names_a[i], a[i].text, b[j].text, b[j].line))
        elif kind == "added":
            out.append(_div(path, kind, names_b[j], None, b[j].text, b[j].line))
        else:
            out.append(_div(path, kind, names_a[i], a[i].text, None, a[i].line))
    return out


def _text(path: str, base: str, live: str) -> list[Divergence]:
    out = []
    base_lines, live_lines = base.splitlines(), live.splitlines()
    for kind, ptr, anchor, live_line, old, new in text.text_hunks(canonical(base), canonical(live)):
        # Line numbers are the same in the canonical and the captured text: show the captured lines.
        before = "\n".join(base_lines[n - 1].rstrip() for n in old) if old else None
        after = "\n".join(live_lines[n - 1].rstrip() for n in new) if new else None
        out.append(_div(path, kind, ptr, before, after, live_line if kind != "removed" else anchor))
    return out


_BY_KIND = {"compose": _compose, "dotenv": _dotenv, "dockerfile": _dockerfile, "text": _text}


def compare_file(repo_path: str, base_text: str | None, live: FileCapture) -> tuple[list[Divergence], list[FileError]]:
    where = f"{repo_path} (live: {live.live_path})"
    if live.problem:
        return [], [FileError(repo_path, f"live file {live.live_path} {live.problem}")]
    if isinstance(base_text, UnreadableBase):
        return [], [FileError(repo_path, f"{repo_path} {base_text}")]
    if base_text is not None:
        base_text = redact(base_text, redaction_kind(repo_path)).text
    if live.text is None and base_text is None:
        return [], [FileError(repo_path, f"tracked file is neither in main nor live at {live.live_path}; check `files:` in .drift.yml")]
    if live.text is None:
        return [_div(repo_path, "removed", "", base_text, None, None)], []
    if base_text is None:
        return [_div(repo_path, "added", "", None, live.text, 1)], []
    try:
        return _BY_KIND[file_kind(repo_path)](repo_path, base_text, live.text), []
    except _Unreadable as exc:
        side = "in main" if exc.side == "main" else f"live ({live.live_path})"
        return [], [FileError(repo_path, f"{repo_path} {side} cannot be read: {exc.message}")]
    except YamlError as exc:  # ours: file, line, column and key names, never a value
        return [], [FileError(repo_path, f"{where} cannot be compared: {exc}")]
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the others
        # Another library's text may quote the file, and so a secret: its kind only.
        return [], [FileError(repo_path, f"{where} cannot be compared: {type(exc).__name__}")]


def compare_snapshot(
    snapshot: Snapshot, base_files: Mapping[str, str | None], ignore: Iterable[str] = ()
) -> tuple[tuple[Divergence, ...], tuple[FileError, ...]]:
    divergences: list[Divergence] = []
    errors: list[FileError] = []
    rules = list(ignore)
    for capture in snapshot.files:
        found, problems = compare_file(capture.repo_path, base_files.get(capture.repo_path), capture)
        divergences += [d for d in found if not any(rule_matches(r, d.file, d.pointer) for r in rules)]
        errors += problems
    return tuple(divergences), tuple(errors)
