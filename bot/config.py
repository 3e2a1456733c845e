"""`.drift.yml` -> Config, validated, with the line of every mistake in its message."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.compare.yamlload import Yaml12Loader, YamlError, load_yaml
from bot.errors import ConfigError

CONFIG_NAME = ".drift.yml"
_TOP_KEYS = {
    "version", "repository", "base", "source", "files", "ignore", "children", "groups", "tracker",
    "gpus", "remote", "gates", "verify", "docs", "bot", "templates", "instances", "close_children", "checks", "slash",
    "issues", "verify_closes", "host",
}
_CHILD_KEYS = {"issue", "title", "match"}
_TRACKER_KEYS = {"parent", "mega", "research", "title"}
_CHILD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


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
    docs: dict[str, Any] = field(default_factory=dict)
    instances: tuple[Instance, ...] = ()
    host: str | None = None  # the instance's name on pages (a `dir:` source cannot tell it)
    extra: dict[str, Any] = field(default_factory=dict)  # keys later stages read (bot, templates, instances...)

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
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    name = path.name
    try:
        raw = load_yaml(text)
        node = yaml.compose(text, Loader=Yaml12Loader)
    except YamlError as exc:
        raise ConfigError(f"{name} {exc}") from None
    lines = _Lines(node)

    def fail(message: str, *key_path: Any) -> ConfigError:
        line = lines.line(*key_path) if key_path else None
        return ConfigError(f"{name}{f' line {line}' if line else ''}: {message}")

    if not isinstance(raw, dict):
        raise fail("the top level must be a mapping of settings")
    for key in raw:
        if key not in _TOP_KEYS:
            raise fail(f"unknown key `{key}` (known keys: {', '.join(sorted(_TOP_KEYS))})", key)
    if raw.get("version", 1) != 1:
        raise fail(f"version {raw.get('version')!r} is not supported; this drift-bot reads version 1", "version")

    def string(key: str, default: str | None = None) -> str | None:
        value = raw.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(f"`{key}` must be a string", key)
        return value

    repository = string("repository")
    if repository is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise fail(f"`repository` must look like owner/name, not {repository!r}", "repository")

    files_raw = raw.get("files")
    if not isinstance(files_raw, dict) or not files_raw:
        raise fail("`files` must map live paths (relative to the source root) to repo paths", "files")
    files = []
    for live, repo_path in files_raw.items():
        if not isinstance(live, str) or not isinstance(repo_path, str):
            raise fail("every `files` entry must be `live/path: repo/path`", "files", live)
        for p, what in ((live, "live path"), (repo_path, "repo path")):
            if p.startswith("/") or ".." in Path(p).parts or not p.strip():
                raise fail(f"{what} {p!r} must be relative and stay inside its root", "files", live)
        files.append((live, repo_path))

    ignore = raw.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(r, str) for r in ignore):
        raise fail("`ignore` must be a list of `file-glob#pointer-glob` rules", "ignore")
    for i, rule in enumerate(ignore):
        _check_rule(rule, lambda m, i=i: fail(m, "ignore", i))

    children = []
    for child_name, spec in (raw.get("children") or {}).items():
        if not isinstance(child_name, str) or not _CHILD_NAME.match(child_name):
            raise fail(f"child name {child_name!r} must start with a letter (e.g. R-4)", "children", child_name)
        if not isinstance(spec, dict):
            raise fail(f"child {child_name} must be a mapping with `issue` and `match`", "children", child_name)
        for key in spec:
            if key not in _CHILD_KEYS:
                raise fail(f"child {child_name}: unknown key `{key}` (known: issue, match, title)", "children", child_name, key)
        issue = spec.get("issue")
        if issue is not None and (not isinstance(issue, int) or isinstance(issue, bool) or issue <= 0):
            raise fail(f"child {child_name}: `issue` must be an issue number", "children", child_name, "issue")
        match = spec.get("match")
        if isinstance(match, str):
            match = [match]
        if not isinstance(match, list) or not match or not all(isinstance(m, str) for m in match):
            raise fail(f"child {child_name}: `match` must be a list of `file-glob#pointer-glob` rules", "children", child_name, "match")
        for i, rule in enumerate(match):
            _check_rule(rule, lambda m, i=i: fail(f"child {child_name}: {m}", "children", child_name, "match", i))
        title = spec.get("title")
        children.append(ChildRule(child_name, issue, str(title) if title is not None else None, tuple(match)))
    known = {c.name for c in children}

    groups = []
    seen: dict[str, int] = {}
    for i, group in enumerate(raw.get("groups") or []):
        if not isinstance(group, list) or len(group) < 2:
            raise fail("each group must list two or more children, e.g. [R-4, R-6]", "groups", i)
        for member in group:
            if member not in known:
                raise fail(f"group names unknown child {member!r}", "groups", i)
            if member in seen:
                raise fail(f"child {member} is in two groups", "groups", i)
            seen[member] = i
        groups.append(tuple(group))

    tracker_raw = raw.get("tracker") or {}
    if not isinstance(tracker_raw, dict):
        raise fail("`tracker` must be a mapping (parent, mega, research)", "tracker")
    for key in tracker_raw:
        if key not in _TRACKER_KEYS:
            raise fail(f"tracker: unknown key `{key}` (known: {', '.join(sorted(_TRACKER_KEYS))})", "tracker", key)
    for key in ("parent", "mega"):
        value = tracker_raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise fail(f"tracker: `{key}` must be an issue number", "tracker", key)
    research = tracker_raw.get("research") or []
    if not isinstance(research, list):
        raise fail("tracker: `research` must be a list of issue numbers or {key, title, body} items", "tracker", "research")
    for i, item in enumerate(research):
        if isinstance(item, dict):
            unknown = set(item) - {"key", "issue", "title", "body"}
            if unknown or not (item.get("issue") or item.get("title")):
                raise fail("tracker: a research item needs `issue`, or `title` (and `body`) to create it"
                           + (f"; unknown key `{sorted(unknown)[0]}`" if unknown else ""), "tracker", "research", i)
        elif not isinstance(item, int) or isinstance(item, bool):
            raise fail("tracker: a research item is an issue number or {key, title, body}", "tracker", "research", i)
    tracker = TrackerConfig(tracker_raw.get("parent"), tracker_raw.get("mega"), tuple(research))

    gates = {}
    for item, spec in (raw.get("gates") or {}).items():
        after = spec.get("after") if isinstance(spec, dict) else None
        if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
            raise fail(f"gate {item}: write `{item}: {{after: [RT-1]}}`", "gates", item)
        gates[str(item)] = tuple(after)

    named = raw.get("issues") or {}
    if not isinstance(named, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in named.values()):
        raise fail("`issues` must map names to issue numbers, e.g. {R-10: 670, R-12: 671}", "issues")

    verify = raw.get("verify") or []
    if not isinstance(verify, list) or not all(isinstance(v, dict) and "name" in v for v in verify):
        raise fail("`verify` must be a list of probes, each with a `name`", "verify")
    docs = raw.get("docs") or {}
    if not isinstance(docs, dict):
        raise fail("`docs` must be a mapping (dir, changelog, ...)", "docs")
    handover = docs.get("handover")
    if handover is not None and not isinstance(handover, bool) and not (
            isinstance(handover, dict) and set(handover) <= {"slug", "architecture"}
            and isinstance(handover.get("slug", ""), str) and isinstance(handover.get("architecture", False), bool)):
        raise fail("`docs.handover` must be true, or {slug: NAME, architecture: true|false}", "docs", "handover")
    migrate = docs.get("migrate")
    if migrate is not None and not (isinstance(migrate, list) and all(isinstance(m, str) and m.strip() for m in migrate)):
        raise fail("`docs.migrate` must be a list of repo paths of legacy Markdown files", "docs", "migrate")
    gpus = raw.get("gpus") or {}
    if not isinstance(gpus, dict):
        raise fail("`gpus` must map a GPU index to {model, memory_gib}", "gpus")
    _check_checks(raw.get("checks"), fail)
    _check_slash(raw.get("slash"), fail)

    instances = []
    for i, item in enumerate(raw.get("instances") or []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("source"), str):
            raise fail("each instance needs `name` and `source`, e.g. {name: gpu-l4-01, source: 'ssh://deploy@gpu-l4-01?project=voice'}",
                       "instances", i)
        unknown = set(item) - {"name", "source", "apply", "host"}
        if unknown:
            raise fail(f"instance {item['name']}: unknown key `{sorted(unknown)[0]}` (known: apply, host, name, source)", "instances", i)
        if item.get("host") is not None and not _host_name(item["host"]):
            raise fail(f"instance {item['name']}: `host` must be a host name, e.g. gpu-l4-01", "instances", i, "host")
        if not _CHILD_NAME.match(item["name"]) or any(x.name == item["name"] for x in instances):
            raise fail(f"instance name {item['name']!r} must be unique and start with a letter", "instances", i)
        instances.append(Instance(item["name"], item["source"], bool(item.get("apply", True)), item.get("host")))
    for key in ("remote", "base"):
        if str(raw.get(key) or "").startswith("-"):
            raise fail(f"`{key}` cannot start with '-' (git would read it as an option): name a git {key}", key)
    host = raw.get("host")
    if host is not None and not _host_name(host):
        raise fail("`host` must be a host name, e.g. gpu-l4-01 (the instance's name on pages)", "host")

    return Config(
        path=path,
        repository=repository,
        base=string("base", "main") or "main",
        source=string("source"),
        files=tuple(files),
        ignore=tuple(ignore),
        children=tuple(children),
        groups=tuple(groups),
        tracker=tracker,
        gpus={str(k): v for k, v in gpus.items()},
        remote=string("remote", "origin") or "origin",
        gates=gates,
        verify=tuple(verify),
        docs=dict(docs),
        instances=tuple(instances),
        host=host,
        extra={k: raw[k] for k in ("bot", "templates", "close_children", "checks", "slash", "issues", "verify_closes")
               if k in raw},
    )


def _host_name(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}", value))


_RUNTIME_KEYS = {"enabled", "max_restarts"}


def _check_checks(checks: Any, fail: Any) -> None:
    """`checks:` is a mapping of check names to their settings; `checks.runtime` is validated
    here (the other checks read theirs leniently)."""
    if checks is None:
        return
    if not isinstance(checks, dict):
        raise fail("`checks` must map check names to their settings, e.g. {runtime: {max_restarts: 5}}", "checks")
    spec = checks.get("runtime")
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise fail("checks: `runtime` must be a mapping (enabled, max_restarts)", "checks", "runtime")
    for key in spec:
        if key not in _RUNTIME_KEYS:
            raise fail(f"checks.runtime: unknown key `{key}` (known: {', '.join(sorted(_RUNTIME_KEYS))})",
                       "checks", "runtime", key)
    if "enabled" in spec and not isinstance(spec["enabled"], bool):
        raise fail("checks.runtime: `enabled` must be true or false", "checks", "runtime", "enabled")
    limit = spec.get("max_restarts")
    if "max_restarts" in spec and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise fail("checks.runtime: `max_restarts` must be a whole number, 0 or more (restarts allowed before a warning)",
                   "checks", "runtime", "max_restarts")


ROLES = ("read", "triage", "write", "maintain", "admin")  # GitHub's repository roles, lowest first


def _check_slash(slash: Any, fail: Any) -> None:
    """`slash: {roles: {COMMAND: ROLE}}`: a role outside GitHub's five is an error, never a fallback."""
    if slash is None:
        return
    if not isinstance(slash, dict) or set(slash) - {"roles"}:
        raise fail("`slash` must be a mapping with `roles`, e.g. {roles: {apply: maintain}}", "slash")
    roles = slash.get("roles")
    if roles is None:
        return
    if not isinstance(roles, dict):
        raise fail("slash: `roles` must map commands to roles, e.g. {apply: maintain}", "slash", "roles")
    from bot.slash.parse import COMMANDS

    for command, role in roles.items():
        if command not in COMMANDS:
            raise fail(f"slash.roles: unknown command `{command}`{_did_you_mean(str(command), COMMANDS)}",
                       "slash", "roles", command)
        if role not in ROLES:
            raise fail(f"slash.roles.{command}: {role!r} is not a role; use one of {', '.join(ROLES)}"
                       f"{_did_you_mean(str(role), ROLES)}", "slash", "roles", command)


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6) or [
        c for c in choices if c.lower() == word.lower()]
    return f" (did you mean `{close[0]}`?)" if close else ""


def _check_rule(rule: str, fail: Any) -> None:
    file_glob, _, pointer_glob = rule.partition("#")
    if not file_glob:
        raise fail(f"rule {rule!r} has no file part (write `voice/docker-compose.yml#/services/...`)")
    if "#" in rule and not (pointer_glob.startswith("/") or pointer_glob.startswith("**")):
        raise fail(f"rule {rule!r}: the part after `#` must be a pointer starting with `/`")
