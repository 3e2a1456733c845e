"""How well two off-the-shelf secret detectors find the shapes in tests/secret_corpus.py.

Installs nothing: it needs detect-secrets (1.5.0) and whispers (2.4.0) importable from the
interpreter that runs it, e.g. `.venv/bin/pip install detect-secrets whispers` (neither is a
dependency of drift-bot). Every value of SHAPES and NEGATIVES is written to its own throwaway file in
three placements:

  env   `X_VALUE=value` in a .env (double-quoted when the value has blanks, quotes or newlines)
  yaml  `services.app.environment.X_VALUE: value` in a compose-like .yml (block scalar if multi-line)
  bare  the value alone in a .txt

The key is deliberately harmless (X_VALUE), so what counts is what the value itself gives away.
For each library and placement it prints shapes detected / total, negatives flagged (false
positives), the time per 10,000 values (best of --repeat runs, file reading included, as both
libraries' scan APIs take files) and the shapes missed.

detect-secrets is run twice: its normal API (SecretsCollection.scan_file with every plugin and the
default filters) and a "fast path": the `denylist` regexes its regex-based plugins expose, compiled
into one alternation that is searched once over the placed text, with no filters. The script says
whether the fast path finds the same shapes, and which differ.

whispers has no in-memory API: whispers.main.run(parse_args([dir])) scans a directory (its
`whispers.secrets("...")` helper does the same from a command-line string). Its `file-known` rule,
which reports file NAMES such as `.env`, is left out of the count: only findings on values count.

Run: .venv/bin/python benchmarks/eval_secret_detectors.py [--repeat N] [--matrix]
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.secret_corpus import NEGATIVES, SHAPES, Shape  # noqa: E402

FORMS = ("env", "yaml", "bare")
SUFFIX = {"env": ".env", "yaml": ".yml", "bare": ".txt"}
KEY = "X_VALUE"


# --- placing a value ---------------------------------------------------------------------------

def render(form: str, value: str) -> str:
    if form == "env":
        if any(ch in value for ch in " \t\n\"'"):
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            return f'{KEY}="{escaped}"\n'
        return f"{KEY}={value}\n"
    if form == "yaml":
        head = "services:\n  app:\n    image: busybox\n    environment:\n"
        if "\n" in value:
            body = "".join(f"        {line}\n" for line in value.split("\n"))
            return f"{head}      {KEY}: |-\n{body}"
        import yaml
        scalar = yaml.safe_dump({KEY: value}, default_flow_style=False, width=1 << 20).rstrip("\n")
        return f"{head}      {scalar}\n"
    if form == "bare":
        return value + "\n"
    raise ValueError(form)


@dataclass
class Placed:
    form: str
    directory: Path
    files: dict[Path, Shape] = field(default_factory=dict)   # file -> entry
    positive: set[str] = field(default_factory=set)          # names of SHAPES entries


def _clean_tmpdir(prefix: str) -> Path:
    """whispers skips every path that contains words such as 'test', 'spec', 'mock' or 'e2e':
    make sure the random part of a temporary directory contains none of them."""
    skip = re.compile(r".*(locale|lang(uage)?|spec|test|mock(ing)?|synthetic|dummy|fixture|example|e2e)s?")
    while True:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        if not skip.match(path.as_posix()):
            return path
        shutil.rmtree(path)


def place(form: str, root: Path) -> Placed:
    directory = root / form
    directory.mkdir()
    placed = Placed(form, directory)
    entries = [("s", shape) for shape in SHAPES] + [("n", neg) for neg in NEGATIVES]
    for index, (kind, entry) in enumerate(entries):
        path = directory / f"{kind}{index:03d}{SUFFIX[form]}"
        path.write_text(render(form, entry.value))
        placed.files[path] = entry
        if kind == "s":
            placed.positive.add(entry.name)
    return placed


# --- outcome -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    label: str
    form: str
    detected: set[str]
    false_positives: set[str]
    seconds: float
    values: int

    @property
    def per_10k(self) -> float:
        return self.seconds / self.values * 10_000

    def missed(self) -> list[str]:
        return [s.name for s in SHAPES if s.name not in self.detected]


def outcome(label: str, placed: Placed, flagged_files: set[Path], seconds: float) -> Outcome:
    names = {placed.files[path].name for path in flagged_files}
    return Outcome(label, placed.form, names & placed.positive, names - placed.positive, seconds, len(placed.files))


def best_of(repeat: int, run):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


# --- detect-secrets ----------------------------------------------------------------------------

def detect_secrets_normal(placed: Placed, repeat: int) -> tuple[Outcome, dict[str, set[str]]]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    def run():
        with default_settings():
            collection = SecretsCollection()
            for path in placed.files:
                collection.scan_file(str(path))
        return collection

    seconds, collection = best_of(repeat, run)
    types: dict[str, set[str]] = {}
    flagged = set()
    for filename, secret in collection:
        path = Path(filename)
        flagged.add(path)
        types.setdefault(placed.files[path].name, set()).add(secret.type)
    return outcome("detect-secrets", placed, flagged, seconds), types


_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def denylist_regexes() -> list[tuple[str, re.Pattern]]:
    """Every `denylist` pattern of every plugin class in detect_secrets.plugins.*."""
    import detect_secrets.plugins as plugins

    found = []
    for info in pkgutil.iter_modules(plugins.__path__):
        module = importlib.import_module(f"{plugins.__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or inspect.isabstract(cls):
                continue
            denylist = inspect.getattr_static(cls, "denylist", None)
            if denylist is None:
                continue
            if isinstance(denylist, property):
                denylist = cls().denylist
            found += [(name, pattern) for pattern in denylist]
    return found


def compile_fast_path(patterns: list[tuple[str, re.Pattern]]) -> re.Pattern:
    """One alternation; each pattern keeps its own flags in a scoped `(?flags:...)` group."""
    parts = []
    for _, pattern in patterns:
        source, letters = pattern.pattern, {ch for flag, ch in _FLAG_LETTERS if pattern.flags & flag}
        leading = _LEADING_FLAGS.match(source)
        if leading:  # a global inline flag is only allowed at the very start: make it scoped
            letters |= set(leading.group(1)) & set("imsx")
            source = source[leading.end():]
        end = "\n" if "x" in letters else ""  # a verbose pattern may end in a comment
        parts.append(f"(?{''.join(sorted(letters))}:{source}{end})" if letters else f"(?:{source})")
    return re.compile("|".join(parts))


def detect_secrets_fast(placed: Placed, fast: re.Pattern, repeat: int) -> Outcome:
    texts = {path: path.read_text() for path in placed.files}

    def run():
        return {path for path, text in texts.items() if fast.search(text)}

    seconds, flagged = best_of(repeat, run)
    return outcome("detect-secrets fast path", placed, flagged, seconds)


def fast_path_owners(placed: Placed, names: set[str], patterns: list[tuple[str, re.Pattern]]) -> dict[str, str]:
    """Which plugins' patterns match the placed text of the named entries (not timed)."""
    owners = {}
    for path, entry in placed.files.items():
        if entry.name in names:
            text = path.read_text()
            owners[entry.name] = ", ".join(sorted({owner for owner, p in patterns if p.search(text)}))
    return owners


def detect_secrets_negative_types(placed: Placed) -> dict[str, str]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection()
        for path, entry in placed.files.items():
            if entry in NEGATIVES:
                collection.scan_file(str(path))
    found: dict[str, set[str]] = {}
    for filename, secret in collection:
        found.setdefault(placed.files[Path(filename)].name, set()).add(f"{secret.type}: {secret.secret_value}")
    return {name: "; ".join(sorted(kinds)) for name, kinds in found.items()}


def detect_secrets_scan_line(placed: Placed, repeat: int) -> float:
    """In-memory cost of the normal API on one line (scan_line), for the speed comparison."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    lines = [line for path in placed.files for line in path.read_text().splitlines() if line]

    def run():
        with default_settings():
            for line in lines:
                list(scan_line(line))

    seconds, _ = best_of(repeat, run)
    return seconds / len(placed.files) * 10_000


# --- whispers ----------------------------------------------------------------------------------

def whispers_scan(placed: Placed, repeat: int) -> Outcome:
    from whispers.core.args import parse_args
    from whispers.main import run as whispers_run

    def run():
        args = parse_args([str(placed.directory)])
        return list(whispers_run(args))

    seconds, pairs = best_of(repeat, run)
    flagged = {Path(pair.file) for pair in pairs if pair.key != "file"}
    return outcome("whispers", placed, flagged, seconds)


def yaml_state_after_whispers() -> str:
    """whispers changes PyYAML's process-wide SafeLoader: say what a host process would see."""
    import yaml

    parsed = yaml.safe_load("a: yes\nb: !Ref thing\n")
    return (f"yaml.safe_load('a: yes\\nb: !Ref thing') now gives {parsed!r} "
            f"(plain PyYAML: 'a' is True and the unknown tag !Ref is an error)")


# --- report ------------------------------------------------------------------------------------

def print_outcome(result: Outcome, why: dict[str, str] | None = None) -> None:
    fps = ", ".join(f"{name} ({why[name]})" if why and name in why else name
                    for name in sorted(result.false_positives)) or "none"
    print(f"  {result.form:<5} shapes {len(result.detected):>3}/{len(SHAPES)}  "
          f"false positives {len(result.false_positives):>2}/{len(NEGATIVES)}  "
          f"{result.per_10k:8.3f} s per 10,000 values")
    print(f"        flagged negatives: {fps}")
    print(f"        missed: {', '.join(result.missed()) or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the best counts")
    parser.add_argument("--matrix", action="store_true", help="also print a per-shape detection matrix")
    options = parser.parse_args(argv)

    from importlib.metadata import version

    root = _clean_tmpdir("secret-eval-")
    try:
        placed = {form: place(form, root) for form in FORMS}
        print(f"corpus: {len(SHAPES)} shapes, {len(NEGATIVES)} negatives; placements: {', '.join(FORMS)}; "
              f"key name {KEY}\n")

        patterns = denylist_regexes()
        fast = compile_fast_path(patterns)
        results: dict[str, dict[str, Outcome]] = {"detect-secrets": {}, "fast": {}, "whispers": {}}
        ds_types: dict[str, dict[str, set[str]]] = {}

        print(f"detect-secrets {version('detect-secrets')} — normal API (SecretsCollection.scan_file, all plugins, "
              f"default filters)")
        for form in FORMS:
            results["detect-secrets"][form], ds_types[form] = detect_secrets_normal(placed[form], options.repeat)
            print_outcome(results["detect-secrets"][form], detect_secrets_negative_types(placed[form]))
        per_10k = detect_secrets_scan_line(placed["env"], options.repeat)
        print(f"  in memory: scan_line over the .env lines takes {per_10k:.3f} s per 10,000 values\n")

        owners = sorted({owner for owner, _ in patterns})
        print(f"detect-secrets fast path — {len(patterns)} denylist regexes from {len(owners)} plugins in one "
              f"alternation, one search per placed text, no filters")
        for form in FORMS:
            results["fast"][form] = detect_secrets_fast(placed[form], fast, options.repeat)
            print_outcome(results["fast"][form],
                          fast_path_owners(placed[form], results["fast"][form].false_positives, patterns))
            normal, quick = results["detect-secrets"][form].detected, results["fast"][form].detected
            same = "the SAME shapes" if normal == quick else "NOT the same shapes"
            print(f"        vs normal API: {same}; only fast: {', '.join(sorted(quick - normal)) or 'none'}; "
                  f"only normal: {', '.join(sorted(normal - quick)) or 'none'}")
        print()

        print(f"whispers {version('whispers')} — whispers.main.run(parse_args([directory])), default config and rules")
        for form in FORMS:
            results["whispers"][form] = whispers_scan(placed[form], options.repeat)
            print_outcome(results["whispers"][form])
        print(f"  side effect on the host process: {yaml_state_after_whispers()}\n")

        print("neither library's normal API detects, per placement:")
        for form in FORMS:
            seen = results["detect-secrets"][form].detected | results["whispers"][form].detected
            print(f"  {form:<5} {', '.join(s.name for s in SHAPES if s.name not in seen) or 'none'}")
        seen_anywhere = set().union(*(results[lib][f].detected for lib in ("detect-secrets", "whispers") for f in FORMS))
        never = [s.name for s in SHAPES if s.name not in seen_anywhere]
        print(f"  in no placement at all ({len(never)}): {', '.join(never) or 'none'}")

        if options.matrix:
            print("\nper shape: D = detect-secrets, F = its fast path, W = whispers; columns env yaml bare")
            flagged_negatives = set().union(*(results[lib][f].false_positives for lib in results for f in FORMS))
            for shape in SHAPES + tuple(n for n in NEGATIVES if n.name in flagged_negatives):
                cells = []
                for form in FORMS:
                    cell = "".join(mark if shape.name in results[lib][form].detected | results[lib][form].false_positives
                                   else "."
                                   for lib, mark in (("detect-secrets", "D"), ("fast", "F"), ("whispers", "W")))
                    cells.append(cell)
                kinds = sorted(set().union(*(ds_types[f].get(shape.name, set()) for f in FORMS)))
                tag = "  (negative)" if shape in NEGATIVES else ""
                print(f"  {shape.name:<40} {'  '.join(cells)}  {'; '.join(kinds)}{tag}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
