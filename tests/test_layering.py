"""The package's shape, as DESIGN.md and issue 19 state it: no import circles (an import placed
inside a function to dodge one still counts), and a pure core — compare, route, plan, render,
checks, the tracker, the GitHub planner, secrets, edits — that imports no adapter, no
`subprocess`, reads no environment and no clock. Read from the source, so a new module is held
to it without anyone listing it."""
from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# The pure core, by module or package prefix. Everything else is an edge (adapters, capture of a
# live host, the CLI and its wiring, observe/apply/access/cycle of the GitHub side).
CORE = ("bot.compare", "bot.route", "bot.plan", "bot.render", "bot.checks", "bot.tracker", "bot.fleet", "bot.gates",
        "bot.secrets", "bot.edit", "bot.model", "bot.kinds", "bot.globs", "bot.handover", "bot.handover_entry",
        "bot.docs_meta", "bot.migrate", "bot.mdx", "bot.sections", "bot.github.plan", "bot.github.pulls",
        "bot.github.tracker", "bot.github.docs", "bot.github.texts", "bot.github.ops", "bot.github.markers",
        "bot.github.world", "bot.github.blobs", "bot.github.attachments", "bot.pipeline", "bot.capture.manifest")
FORBIDDEN_MODULES = ("bot.adapters", "subprocess", "socket", "bot.github.observe", "bot.github.apply",
                     "bot.github.access", "bot.github.cycle", "bot.cli")
FORBIDDEN_CALLS = ("os.environ", "os.getenv", "time.time", "datetime.now", "datetime.utcnow", "date.today")


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(BOT.rglob("*.py")):
        name = ".".join(path.relative_to(BOT.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Imports under `if TYPE_CHECKING:` run for the type checker only."""
    return {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
            for n in ast.walk(node)}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    return {m: {o for i in imports(p) if (o := owner(i)) and o != m} for m, p in known.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_circles() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def is_core(name: str) -> bool:
    return any(name == c or name.startswith(c + ".") for c in CORE)


def test_the_core_imports_no_adapter_no_subprocess_and_reads_no_environment_or_clock() -> None:
    problems = []
    for name, path in modules().items():
        if not is_core(name):
            continue
        for imported in imports(path):
            if any(imported == f or imported.startswith(f + ".") for f in FORBIDDEN_MODULES):
                problems.append(f"{name} imports {imported}")
        text = path.read_text(encoding="utf-8")
        problems += [f"{name} reads {call}" for call in FORBIDDEN_CALLS if call in text]
    assert problems == []


def test_no_module_is_much_longer_than_the_guide() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 410}
    assert long == {}
