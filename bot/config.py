"""`.drift.yml` -> Config, validated, with the line of every mistake in its message."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.compare.yamlload import Yaml12Loader, YamlError, load_yaml
from bot.errors import ConfigError
from bot.schema_check import did_you_mean, schema_problems

CONFIG_NAME = ".drift.yml"


@dataclass(frozen=True)
class ChildRule:
    name: str
    issue: int | None
    title: str | None
    match: tuple[str, ...]


@dataclass(frozen=True)
class TrackerConfig:
    parent: int | None = None
    mega: int | None = None
    research: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Instance:
    """One host of a fleet: its own source; `apply: false` reports without opening pull requests."""

    name: str
    source: str
    apply: bool = True
    host: str | None = None  # the instance's name on pages, when it is not what the capture records


# Every commit the bot makes is the bot's: git's own idea of the user (its config, or a name made
# from the host name, which fails on a runner whose host name has no domain) is never asked.
DEFAULT_IDENTITY = ("drift-bot", "drift-bot@users.noreply.github.com")  # `bot:` overrides it
DOCS_DIR = "apps/docs/content/docs/operations"


@dataclass(frozen=True)
class HandoverDocs:
    """`docs.handover`: `drift apply` keeps the handover entry of this slug in a pull request."""

    slug: str = "bring-up"
    architecture: bool = False  # the stack's architecture page too


@dataclass(frozen=True)
class DocsConfig:
    """`docs:` in .drift.yml: where the docs site's pages are and how they are listed."""

    dir: str = DOCS_DIR
    changelog: str | None = None
    content_root: str | None = None
    base_url: str | None = None
    sidebar: str = "newest-first"
    head: tuple[str, ...] = ()
    architecture: str | None = None  # the architecture page's name
    doc_only: dict[str, str] = field(default_factory=dict)  # child -> why it closes without code
    icons: bool | dict[str, str] = True
    handover: HandoverDocs | None = None
    migrate: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    repository: str | None
    base: str
    source: str | None
    files: tuple[tuple[str, str], ...]
    ignore: tuple[str, ...] = ()
    children: tuple[ChildRule, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    tracker: TrackerConfig = TrackerConfig()
    gpus: dict[str, Any] = field(default_factory=dict)
    remote: str = "origin"
    gates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    verify: tuple[dict[str, Any], ...] = ()
    docs: DocsConfig = DocsConfig()
    instances: tuple[Instance, ...] = ()
    host: str | None = None  # the instance's name on pages (a `dir:` source cannot tell it)
    kinds: dict[str, str] = field(default_factory=dict)  # repo path -> kind, where `files:` says it
    identity: tuple[str, str] = DEFAULT_IDENTITY  # every commit's author and committer (`bot:`)
    templates: str | None = None  # the team's templates folder, relative to the root
    close_children: bool = False
    checks: dict[str, Any] = field(default_factory=dict)  # check name -> its settings
    slash_roles: dict[str, str] = field(default_factory=dict)  # /drift command -> the role it needs
    issues: dict[str, int] = field(default_factory=dict)  # other issues gates and verify_closes name
    verify_closes: str | None = None  # the child a run whose probes all pass may close

    @property
    def root(self) -> Path:
        return self.path.parent

    def instance(self, name: str) -> Instance:
        found = next((i for i in self.instances if i.name == name), None)
        if found is None:
            known = ", ".join(i.name for i in self.instances) or "none: add `instances:` to .drift.yml"
            raise ConfigError(f"no instance {name!r} in .drift.yml (instances: {known})")
        return found

    def child(self, name: str) -> ChildRule | None:
        return next((c for c in self.children if c.name == name), None)


class _Lines:
    """Line numbers of keys in the YAML node tree, looked up by key path."""

    def __init__(self, node: Any):
        self.node = node

    def line(self, *path: Any) -> int | None:
        node, line = self.node, None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == str(key):
                        node, line = v, k.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def load_config(repo: Path, path: Path | None = None) -> Config:
    path = path or repo / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} not found; create it (see README: .drift.yml) or pass --repo") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None
    # jsonschema costs more to import than a whole `drift diff` of the example takes: a text the
    # schema accepted before is remembered by its digest (with the schema's) and not validated again.
    known, digest, where = _accepted_before(text)
    config = parse_config(text, path, schema_checked=digest in known)
    if where is not None and digest not in known:
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_text("\n".join([*known[-63:], digest]) + "\n")
        except OSError:
            pass
    from bot.kinds import declare, kinds_of

    declare(kinds_of(config.files, config.kinds), config.kinds)  # every stage then reads a tracked file as the same kind
    return config


def _accepted_before(text: str) -> tuple[list[str], str, Path | None]:
    """(digests of texts the schema accepted, this text's digest, the file keeping them)."""
    import hashlib

    from bot.cache import cache_dir
    from bot.schema_check import schema_digest

    digest = hashlib.sha256(f"{schema_digest('drift')}\0{text}".encode()).hexdigest()
    try:
        where = cache_dir() / "valid-configs.txt"
        known = where.read_text(encoding="utf-8").split() if where.is_file() else []
    except (OSError, RuntimeError, UnicodeDecodeError):
        return [], digest, None
    return known, digest, where


def parse_config(text: str, path: Path, schema_checked: bool = False) -> Config:
    problems = config_problems(text, path, schema_checked)
    if problems:
        raise ConfigError(problems[0])
    return _build(load_yaml(text), path, _fail_at(text, path))


def config_problems(text: str, path: Path, schema_checked: bool = False) -> list[str]:
    """Every mistake in a `.drift.yml`, one line each (file, line, key, "did you mean"), in the
    order of their lines: what the schema refuses, then what refers to something undeclared."""
    name = path.name
    try:
        raw = load_yaml(text)
    except YamlError as exc:
        return [f"{name} {exc}"]
    fail = _fail_at(text, path)
    found = [] if schema_checked else schema_problems(raw, "drift", fail.lines.line)
    if found:
        return [f"{name}{f' line {line}' if line else ''}: {message}" for line, message in found]
    try:
        _build(raw, path, fail)
    except ConfigError as exc:
        return [str(exc)]
    return []


class _Fail:
    """Makes a ConfigError naming the file and the line of a key path."""

    def __init__(self, name: str, lines: _Lines):
        self.name, self.lines = name, lines

    def __call__(self, message: str, *key_path: Any) -> ConfigError:
        line = self.lines.line(*key_path) if key_path else None
        return ConfigError(f"{self.name}{f' line {line}' if line else ''}: {message}")


def _fail_at(text: str, path: Path) -> _Fail:
    return _Fail(path.name, _Lines(yaml.compose(text, Loader=Yaml12Loader)))


def _build(raw: dict[str, Any], path: Path, fail: _Fail) -> Config:
    """The Config of a `.drift.yml` the schema accepted, after the checks a schema cannot make:
    paths stay inside their roots, globs compile, every name referred to is declared, and no two
    children make the same branch."""
    files = []
    for live, target in raw["files"].items():
        spec = target if isinstance(target, dict) else {"path": target}
        for p, what in ((live, "live path"), (spec["path"], "repo path")):
            if p.startswith("/") or ".." in Path(p).parts or not p.strip():
                raise fail(f"{what} {p!r} must be relative and stay inside its root", "files", live)
        files.append((live, spec["path"]))
    kinds = {spec["path"]: spec["kind"] for spec in raw["files"].values() if isinstance(spec, dict) and "kind" in spec}

    ignore = raw.get("ignore") or []
    for i, rule in enumerate(ignore):
        _check_rule(rule, lambda m, i=i: fail(m, "ignore", i))

    children = []
    for child_name, spec in (raw.get("children") or {}).items():
        match = [spec["match"]] if isinstance(spec["match"], str) else spec["match"]
        for i, rule in enumerate(match):
            _check_rule(rule, lambda m, i=i: fail(f"child {child_name}: {m}", "children", child_name, "match", i))
        children.append(ChildRule(child_name, spec.get("issue"), spec.get("title"), tuple(match)))
    known = {c.name for c in children}

    groups = []
    seen: dict[str, int] = {}
    for i, group in enumerate(raw.get("groups") or []):
        for member in group:
            if member not in known:
                raise fail(f"group names unknown child {member!r}{_did_you_mean(member, known)}", "groups", i)
            if member in seen:
                raise fail(f"child {member} is in two groups", "groups", i)
            seen[member] = i
        groups.append(tuple(group))
    _check_branches(children, groups, fail)

    tracker_raw = raw.get("tracker") or {}
    research = tracker_raw.get("research") or []
    tracker = TrackerConfig(tracker_raw.get("parent"), tracker_raw.get("mega"), tuple(research))
    named = raw.get("issues") or {}
    # What gates and verify_closes may name: children, research keys, `issues:` and the parent.
    names = known | set(named) | {r["key"] for r in research if isinstance(r, dict) and "key" in r} | {"R-0"}
    gates = {}
    for item, spec in (raw.get("gates") or {}).items():
        for ref in (item, *spec["after"]):
            if ref not in names:
                raise fail(f"gate {item}: {ref} is not declared (children, tracker.research keys, issues:, R-0)"
                           f"{_did_you_mean(ref, names)}", "gates", item)
        gates[item] = tuple(spec["after"])
    closes = raw.get("verify_closes")
    if closes is not None and closes not in names:
        raise fail(f"`verify_closes` names {closes}, which is not declared{_did_you_mean(closes, names)}", "verify_closes")
    docs = raw.get("docs") or {}
    for child in docs.get("doc_only") or {}:
        if child not in known:
            raise fail(f"docs.doc_only names unknown child {child!r}{_did_you_mean(child, known)}", "docs", "doc_only", child)

    instances = []
    for i, item in enumerate(raw.get("instances") or []):
        if any(x.name == item["name"] for x in instances):
            raise fail(f"instance name {item['name']!r} is declared twice; names must be unique", "instances", i)
        instances.append(Instance(item["name"], item["source"], bool(item.get("apply", True)), item.get("host")))

    return Config(
        path=path,
        repository=raw.get("repository"),
        base=raw.get("base") or "main",
        source=raw.get("source"),
        files=tuple(files),
        ignore=tuple(ignore),
        children=tuple(children),
        groups=tuple(groups),
        tracker=tracker,
        gpus={str(k): v for k, v in (raw.get("gpus") or {}).items()},
        remote=raw.get("remote") or "origin",
        gates=gates,
        verify=tuple(raw.get("verify") or ()),
        docs=_docs(docs),
        instances=tuple(instances),
        host=raw.get("host"),
        kinds=kinds,
        identity=_identity(raw.get("bot"), fail),
        templates=raw.get("templates"),
        close_children=bool(raw.get("close_children")),
        checks=dict(raw.get("checks") or {}),
        slash_roles=dict((raw.get("slash") or {}).get("roles") or {}),
        issues=dict(raw.get("issues") or {}),
        verify_closes=closes,
    )


def _docs(raw: dict[str, Any]) -> DocsConfig:
    handover = raw.get("handover")
    if isinstance(handover, dict):
        handover = HandoverDocs(str(handover.get("slug") or "bring-up"), bool(handover.get("architecture")))
    else:
        handover = HandoverDocs() if handover else None
    return DocsConfig(dir=str(raw.get("dir") or DOCS_DIR), changelog=raw.get("changelog") or None,
                      content_root=raw.get("content_root"), base_url=raw.get("base_url"),
                      sidebar=str(raw.get("sidebar") or "newest-first"), head=tuple(str(h) for h in raw.get("head") or ()),
                      architecture=raw.get("architecture"), doc_only={str(k): str(v) for k, v in (raw.get("doc_only") or {}).items()},
                      icons=raw.get("icons", True), handover=handover, migrate=tuple(str(p) for p in raw.get("migrate") or ()))


def _identity(raw: Any, fail: "_Fail") -> tuple[str, str]:
    """`bot: {name, email}`: an identity git can write, or one line naming what to fix."""
    bot = raw or {}
    name = str(bot.get("name") or DEFAULT_IDENTITY[0]).strip()
    email = str(bot.get("email") or DEFAULT_IDENTITY[1]).strip()
    if any(c in name + email for c in "<>\n") or not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise fail(f"`bot:` {name!r} <{email}> is not an identity git can write "
                   "(a name, and an email such as drift-bot@users.noreply.github.com)", "bot")
    return name, email


def slug_for(children: Sequence[str]) -> str:
    """The branch name's tail of a pull request carrying these children: drift/<slug>."""
    return "-".join(re.sub(r"[^a-z0-9]+", "-", c.lower()).strip("-") for c in children)


def _check_branches(children: list[ChildRule], groups: list[tuple[str, ...]], fail: _Fail) -> None:
    """Two pull requests may not share a branch: R-1 and R.1 would both be drift/r-1."""
    grouped = {m for g in groups for m in g}
    units = [*groups, *((c.name,) for c in children if c.name not in grouped)]
    taken: dict[str, tuple[str, ...]] = {}
    for unit in units:
        slug = slug_for(unit)
        if slug in taken:
            first, second = ", ".join(taken[slug]), ", ".join(unit)
            raise fail(f"children {first} and {second} would both push to branch drift/{slug}; rename one of them",
                       "children", unit[0])
        taken[slug] = unit


def check_only(config: Config, only: Any) -> None:
    """`--only` names children of `.drift.yml`, or it is a usage error naming the unknown one."""
    known = [c.name for c in config.children]
    for name in only or ():
        if name not in known:
            raise ConfigError(f"--only {name}: no child {name!r} in .drift.yml{_did_you_mean(name, known)} "
                              f"(children: {', '.join(known) or 'none'})")


def _host_name(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}", value))


def _did_you_mean(word: str, choices: Any) -> str:
    return did_you_mean(word, sorted(choices))


def _check_rule(rule: str, fail: Any) -> None:
    from bot.globs import glob_problem

    file_glob, _, pointer_glob = rule.partition("#")
    if not file_glob:
        raise fail(f"rule {rule!r} has no file part (write `voice/docker-compose.yml#/services/...`)")
    if "#" in rule and not (pointer_glob.startswith("/") or pointer_glob.startswith("**")):
        raise fail(f"rule {rule!r}: the part after `#` must be a pointer starting with `/`")
    problem = glob_problem(file_glob) or (glob_problem(pointer_glob) if "#" in rule else None)
    if problem:
        raise fail(f"rule {rule!r}: {problem}")
