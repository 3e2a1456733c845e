"""Properties of compose normalisation and of compare_file, checked on generated documents.

- `normalize` is idempotent.
- One compose document written in two equivalent spellings (every field spelt any way
  compose reads alike, keys shuffled, comments and quoting at random) yields no divergence.
- `compare_file` never raises, whatever text or YAML it is given: it answers with
  divergences or with a FileError.
"""
from __future__ import annotations

import copy
import json
import random
import re
import shlex
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from bot.capture.files import take_file
from bot.secrets import is_secret_name
from bot.compare import compare_file
from bot.compare.compose import format_duration, go_string, load_compose, normalize
from bot.compare.yamlload import YamlError, load_yaml
from bot.model import Divergence, FileError

COMPOSE = "voice/docker-compose.yml"
# Shrinking a generated compose project can take longer than the whole suite may; a failure is
# reported as generated (its assertion message carries both texts), and the unit tests in
# test_compare_compose.py hold the minimal cases.
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
PROPERTY = settings(max_examples=100, deadline=None, phases=_NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=150, deadline=None, phases=_NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])

# Words that redaction would take for a secret's name are kept out: this file is about
# spellings, and test_redact.py about what redaction takes.
_PROBES = ("secret", "token", "passw", "pwd", "key", "credential", "auth", "cookie", "session", "sign")


def _harmless(s: str) -> bool:
    return not any(p in s.lower() for p in _PROBES) and not is_secret_name(s)


# --- the document, as meaning -------------------------------------------------------------

WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._/=:,", min_size=1, max_size=10).filter(_harmless)
SHELL_WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._/=:,' \"$#&|", min_size=0, max_size=10).filter(_harmless)
NAME = st.sampled_from(["voice", "voice-stack", "gpu-01", "v2"])
ENV_KEY = st.one_of(
    st.sampled_from(["HF_HOME", "LOG_LEVEL", "TTS_VOICE", "VLLM_GPU_MEMORY_UTILIZATION", "STT_LANGUAGE", "WORKERS"]),
    st.text("ABCDEFXYZ_0123", min_size=1, max_size=6).filter(lambda s: s[0].isalpha()),
)
LABEL_KEY = st.sampled_from(["com.example.team", "com.example.tier", "org.opencontainers.image.version", "traefik.enable"])
FLOAT = st.one_of(st.sampled_from([0.6, 0.55, 0.4, 0.9, 1.5, 2.0, 100.25, 1e-05, 1e6, 123456.0]),
                  st.floats(allow_nan=False, allow_infinity=False, width=64))
ENV_VALUE = st.one_of(WORD, st.just(""), st.integers(-5, 10**6), st.booleans(), FLOAT, st.none())
DURATION = st.one_of(st.integers(0, 7200).map(lambda s: s * 10**9), st.integers(1, 5000).map(lambda ms: ms * 10**6))
IMAGES = ["vllm/vllm-omni:v0.11.0", "vllm/vllm-openai:v0.11.0", "caddy:2.8.4-alpine", "python:3.11-slim", "redis:7"]
SERVICE_NAMES = ["vllm-voxtral", "vllm-whisper", "voice-agent", "caddy", "redis"]


@dataclass(frozen=True)
class PortRange:
    host_ip: str | None
    published: int | None  # first published port
    target: int  # first target port
    count: int
    protocol: str


PORT = st.builds(
    PortRange,
    st.sampled_from([None, None, "127.0.0.1", "0.0.0.0", "::1"]),
    st.one_of(st.none(), st.integers(1, 60000)),
    st.integers(1, 60000),
    st.sampled_from([1, 1, 1, 2, 3]),
    st.sampled_from(["tcp", "tcp", "udp"]),
)


@st.composite
def healthchecks(draw) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["test"] = ("CMD", draw(st.lists(WORD, min_size=1, max_size=4)))
    else:
        out["test"] = ("CMD-SHELL", draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789 -./:|", min_size=1, max_size=30)
                                         .map(str.strip).filter(bool).filter(_harmless)))
    for key in ("interval", "timeout", "start_period"):
        if draw(st.booleans()):
            out[key] = draw(DURATION)
    if draw(st.booleans()):
        out["retries"] = draw(st.integers(0, 20))
    return out


@st.composite
def services(draw, names: list[str]) -> dict[str, Any]:
    svc: dict[str, Any] = {}
    if draw(st.booleans()):
        svc["image"] = draw(st.one_of(st.sampled_from(IMAGES), WORD))
    if draw(st.booleans()):
        svc["build"] = draw(st.sampled_from(["./agent", "./caddy", "."]))
    if draw(st.booleans()):
        svc["environment"] = draw(st.dictionaries(ENV_KEY, ENV_VALUE, max_size=5))
    if draw(st.booleans()):
        svc["labels"] = draw(st.dictionaries(LABEL_KEY, st.one_of(WORD, st.just(""), st.booleans(), st.integers(0, 99)), max_size=3))
    for key in ("command", "entrypoint"):
        if draw(st.booleans()):
            svc[key] = draw(st.lists(SHELL_WORD, min_size=1, max_size=6))
    if draw(st.booleans()):
        svc["ports"] = draw(st.lists(PORT, min_size=1, max_size=3))
    if draw(st.booleans()):
        svc["healthcheck"] = draw(healthchecks())
    if draw(st.booleans()):
        others = st.sampled_from(names)
        svc["depends_on"] = draw(st.dictionaries(others, st.tuples(
            st.sampled_from(["service_started", "service_started", "service_healthy", "service_completed_successfully"]),
            st.sampled_from([True, True, False])), max_size=2))
    if draw(st.booleans()):
        svc["networks"] = draw(st.lists(st.sampled_from(["default", "edge", "gpu-net"]), unique=True, max_size=2))
    if draw(st.booleans()):
        svc["volumes"] = draw(st.lists(st.sampled_from([
            ("volume", "models", "/models", False),
            ("volume", "caddy-data", "/data", False),
            ("bind", "./caddy/Caddyfile", "/etc/caddy/Caddyfile", True),
            ("bind", "./agent", "/app", False),
        ]), unique=True, max_size=3))
    if draw(st.booleans()):
        svc["restart"] = draw(st.sampled_from(["unless-stopped", "always", "no", "on-failure"]))
    if draw(st.booleans()):
        svc["stop_grace_period"] = draw(DURATION)
    if draw(st.booleans()):
        svc["env_file"] = ".env"
    if draw(st.booleans()):
        svc["gpu"] = True  # the x-gpu deploy block, merged in or written out
    return svc


@st.composite
def documents(draw) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(SERVICE_NAMES), min_size=1, max_size=4, unique=True))
    doc: dict[str, Any] = {"services": {n: draw(services(names)) for n in names}}
    if draw(st.booleans()):
        doc["name"] = draw(NAME)
    doc["volumes"] = draw(st.lists(st.sampled_from(["models", "caddy-data", "hf-cache"]), unique=True, max_size=3))
    doc["networks"] = draw(st.lists(st.sampled_from(["edge", "gpu-net"]), unique=True, max_size=2))
    return doc


GPU = {"deploy": {"resources": {"reservations": {"devices": [
    {"driver": "nvidia", "device_ids": ["0"], "capabilities": ["gpu"]}]}}}}


# --- the document, as one of its spellings --------------------------------------------------

class Alias:
    def __init__(self, name: str):
        self.name = name


class Anchored:
    def __init__(self, name: str, value: Any):
        self.name, self.value = name, value


class Raw:
    """A scalar written exactly as given (a spelling the writer would not choose by itself)."""

    def __init__(self, text: str):
        self.text = text


def _ns_spellings(ns: int) -> list[Any]:
    out: list[Any] = [format_duration(ns)]
    if ns % 10**9 == 0:
        s = ns // 10**9
        out += [f"{s}s", s]
        if s % 60 == 0 and s:
            out.append(f"{s // 60}m")
        if s >= 60 and s % 60:
            out.append(f"{s // 60}m{s % 60}s")
        if s % 3600 == 0 and s:
            out.append(f"{s // 3600}h")
    elif ns % 10**6 == 0:
        out.append(f"{ns // 10**6}ms")
        if (ns // 10**6) % 100 == 0:
            out.append(f"{ns / 10**9:g}s")
    return out


def _go(value: Any) -> str:
    return go_string(value)  # type: ignore[return-value]


def _int_word(w: str) -> bool:
    return bool(re.fullmatch(r"-?[1-9][0-9]{0,8}|0", w))


def _scalar_in_map(value: Any, rnd: random.Random) -> Any:
    """One spelling of an environment/label value in map form, equal after compose stringifies it."""
    if value is None:
        return rnd.choice([None, Raw("null"), Raw("~")])
    if isinstance(value, bool):
        return rnd.choice([value, Raw(rnd.choice(["true", "True", "TRUE"]) if value else rnd.choice(["false", "False", "FALSE"])), _go(value)])
    if isinstance(value, int):
        return rnd.choice([value, str(value)] + ([Raw(hex(value))] if value > 0 else []))
    if isinstance(value, float):
        text = repr(value)
        choices: list[Any] = [value, _go(value)]
        if "." in text and "e" not in text and "inf" not in text:
            choices.append(Raw(text + "0"))  # 0.60 unquoted is 0.6
        return rnd.choice(choices)
    return value


def _kv(mapping: dict[str, Any], rnd: random.Random, *, labels: bool) -> Any:
    if not mapping:
        return rnd.choice(["absent", {}, [], None])
    if rnd.random() < 0.5:
        out = []
        for k, v in mapping.items():
            if v is None:
                out.append(k)
            elif labels and v == "":
                out.append(rnd.choice([k, k + "="]))
            else:
                out.append(f"{k}={_go(v)}")
        return out
    out_map: dict[str, Any] = {}
    for k, v in mapping.items():
        if labels and v == "":
            out_map[k] = rnd.choice(["", None])
        else:
            out_map[k] = _scalar_in_map(v, rnd)
    return out_map


def _words(words: list[str], rnd: random.Random) -> Any:
    if rnd.random() < 0.4:
        return shlex.join(words)
    return [int(w) if _int_word(w) and rnd.random() < 0.5 else w for w in words]


def _ports(ports: list[PortRange], rnd: random.Random) -> list[Any]:
    out: list[Any] = []
    for p in ports:
        if rnd.random() < 0.5:
            ip = "" if p.host_ip is None else (f"[{p.host_ip}]:" if ":" in p.host_ip else f"{p.host_ip}:")
            tgt = str(p.target) if p.count == 1 else f"{p.target}-{p.target + p.count - 1}"
            if p.published is None:
                spec = f"{ip}:{tgt}" if ip else tgt
            else:
                pub = str(p.published) if p.count == 1 else f"{p.published}-{p.published + p.count - 1}"
                spec = f"{ip}{pub}:{tgt}"
            if p.protocol == "udp" or rnd.random() < 0.2:
                spec += "/" + p.protocol
            out.append(int(spec) if spec.isdigit() and rnd.random() < 0.5 else spec)
            continue
        for i in range(p.count):
            entry: dict[str, Any] = {"target": p.target + i if rnd.random() < 0.8 else str(p.target + i)}
            if p.published is not None:
                entry["published"] = rnd.choice([p.published + i, str(p.published + i)])
            if p.host_ip is not None:
                entry["host_ip"] = p.host_ip
            if p.protocol != "tcp" or rnd.random() < 0.3:
                entry["protocol"] = p.protocol
            if rnd.random() < 0.3:
                entry["mode"] = "ingress"
            out.append(entry)
    return out


def _healthcheck(hc: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    form, body = hc["test"]
    if form == "CMD":
        out["test"] = ["CMD"] + [int(w) if _int_word(w) and rnd.random() < 0.5 else w for w in body]
    else:
        out["test"] = rnd.choice([body, ["CMD-SHELL", body]])
    for key in ("interval", "timeout", "start_period"):
        if key in hc:
            out[key] = rnd.choice(_ns_spellings(hc[key]))
    if "retries" in hc:
        out["retries"] = hc["retries"]
    return out


def _depends_on(deps: dict[str, tuple[str, bool]], rnd: random.Random) -> Any:
    if not deps:
        return rnd.choice(["absent", {}, [], None])
    if all(c == "service_started" and r for c, r in deps.values()) and rnd.random() < 0.5:
        return list(deps)
    out: dict[str, Any] = {}
    for name, (condition, required) in deps.items():
        spec: dict[str, Any] = {}
        if condition != "service_started" or rnd.random() < 0.5:
            spec["condition"] = condition
        if not required or rnd.random() < 0.3:
            spec["required"] = required
        if rnd.random() < 0.2:
            spec["restart"] = False
        out[name] = spec if spec or rnd.random() < 0.5 else rnd.choice([None, {}])
    return out


def _volumes(mounts: list[tuple[str, str, str, bool]], rnd: random.Random) -> Any:
    if not mounts:
        return rnd.choice(["absent", [], None])
    out: list[Any] = []
    for kind, source, target, ro in mounts:
        if rnd.random() < 0.5:
            out.append(f"{source}:{target}" + (":ro" if ro else rnd.choice(["", ":rw"])))
            continue
        entry: dict[str, Any] = {"type": kind, "source": source, "target": target}
        if ro:
            entry["read_only"] = True
        if kind == "bind":
            entry["bind"] = {"create_host_path": True}
        out.append(entry)
    return out


def _build(context: str, rnd: random.Random) -> Any:
    bare = context.removeprefix("./")
    spellings: list[Any] = [context, {"context": context}, {"context": context, "dockerfile": "Dockerfile"}]
    if context != ".":
        spellings += [bare, {"context": bare}, context + "/"]
    else:
        spellings += ["./", {"dockerfile": "Dockerfile"}]
    return rnd.choice(spellings)


def _gpu() -> dict[str, Any]:
    """The x-gpu deploy block written out in the service instead of merged in."""
    return copy.deepcopy(GPU["deploy"])


def spell(doc: dict[str, Any], rnd: random.Random, empty_top: tuple[Any, ...] = (None, {})) -> dict[str, Any]:
    """The document in one random spelling that compose reads as the same project.

    `empty_top`: how an empty top-level `volumes:`/`networks:` may be written besides leaving it out.
    """
    out: dict[str, Any] = {}
    uses_gpu = any(svc.get("gpu") for svc in doc["services"].values())
    if uses_gpu:
        out["x-gpu"] = Anchored("gpu", GPU)
    services_out: dict[str, Any] = {}
    for name, svc in doc["services"].items():
        s: dict[str, Any] = {}
        for key, value in svc.items():
            if key in ("image", "restart"):
                s[key] = value
            elif key == "build":
                s[key] = _build(value, rnd)
            elif key in ("environment", "labels"):
                s[key] = _kv(value, rnd, labels=key == "labels")
            elif key in ("command", "entrypoint"):
                s[key] = _words(value, rnd)
            elif key == "ports":
                s[key] = _ports(value, rnd)
            elif key == "healthcheck":
                s[key] = _healthcheck(value, rnd)
            elif key == "depends_on":
                s[key] = _depends_on(value, rnd)
            elif key == "networks":
                if not value:
                    s[key] = rnd.choice(["absent", [], {}, None])
                else:
                    s[key] = list(value) if rnd.random() < 0.5 else {n: rnd.choice([None, {}]) for n in value}
            elif key == "volumes":
                s[key] = _volumes(value, rnd)
            elif key == "stop_grace_period":
                s[key] = rnd.choice(_ns_spellings(value))
            elif key == "env_file":
                s[key] = rnd.choice([value, [value], [{"path": value, "required": True}]])
            elif key == "gpu":
                if rnd.random() < 0.5:
                    s["<<"] = Alias("gpu")
                else:
                    s["deploy"] = _gpu()
        services_out[name] = {k: v for k, v in s.items() if not (isinstance(v, str) and v == "absent")}
    out["services"] = services_out
    if "name" in doc:
        out["name"] = doc["name"]
    if rnd.random() < 0.3:
        out["version"] = rnd.choice(["3.8", "3"])
    for key in ("volumes", "networks"):
        names = doc[key]
        if names:
            out[key] = {n: rnd.choice([None, {}]) for n in names}
        elif rnd.random() < 0.5:
            out[key] = rnd.choice(empty_top)
    return out


# --- writing a spelling as YAML text ---------------------------------------------------

def _plain_ok(s: str) -> bool:
    if not s or s != s.strip() or "\n" in s or " #" in s or s.startswith(("#", "&", "*", "!", "|", ">", "%", "@", "`", "'", '"', "[", "{", "-", "?", ":", ",")):
        return False
    try:
        return load_yaml(f"k: {s}\n") == {"k": s} and load_yaml(f"- {s}\n") == [s]
    except YamlError:
        return False


def _scalar(value: Any, rnd: random.Random, *, flow: bool = False) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Alias):
        return "*" + value.name
    if value is None:
        return rnd.choice(["null", "~"] if flow else ["", "null", "~"])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    s = str(value)
    styles = ["double", "single"]
    if _plain_ok(s) and not (flow and re.search(r"[,\[\]{}]", s)):
        styles += ["plain", "plain"]
    style = rnd.choice(styles)
    if style == "plain":
        return s
    if style == "single":
        return "'" + s.replace("'", "''") + "'"
    return json.dumps(s)


def _key(k: str, rnd: random.Random) -> str:
    if k == "<<":
        return k
    return _scalar(k, rnd)


def _comment(rnd: random.Random) -> str:
    return "# " + rnd.choice(["live fix", "see R-4", "", "was: 0.60", "keep: in sync", "- not a list"])


def _is_flowable(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list, Anchored)) for v in value)
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list, Anchored)) for v in value.values()) and "<<" not in value
    return False


def _flow(value: Any, rnd: random.Random) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v, rnd, flow=True) for v in value) + "]"
    return "{" + ", ".join(f"{_scalar(k, rnd, flow=True)}: {_scalar(v, rnd, flow=True)}" for k, v in value.items()) + "}"


def _emit(value: Any, indent: int, step: int, rnd: random.Random, lines: list[str]) -> None:
    """Append the block lines of a mapping or a list at `indent`."""
    pad = " " * indent
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        items.sort(key=lambda kv: kv[0] != "x-gpu")  # an anchor is written before its aliases
        for k, v in items:
            if rnd.random() < 0.15:
                lines.append(pad + _comment(rnd))
            _entry(pad + _key(k, rnd) + ":", v, indent, step, rnd, lines)
    else:
        for v in value:
            if rnd.random() < 0.1:
                lines.append(pad + _comment(rnd))
            if isinstance(v, dict) and v:
                sub: list[str] = []
                _emit(v, indent + 2, step, rnd, sub)
                first = next(i for i, line in enumerate(sub) if not line.lstrip().startswith("#"))
                sub = sub[first:]  # comments before the first key would break the `- key:` line
                lines.append(pad + "- " + sub[0].lstrip())
                lines.extend(sub[1:])
            else:
                _entry(pad + "-", v, indent, step, rnd, lines)


def _entry(head: str, v: Any, indent: int, step: int, rnd: random.Random, lines: list[str]) -> None:
    if isinstance(v, Anchored):
        lines.append(f"{head} &{v.name}")
        _emit(v.value, indent + step, step, rnd, lines)
    elif isinstance(v, (dict, list)) and not v:
        lines.append(f"{head} {'{}' if isinstance(v, dict) else '[]'}")
    elif isinstance(v, (dict, list)):
        if _is_flowable(v) and rnd.random() < 0.3:
            lines.append(f"{head} {_flow(v, rnd)}")
        else:
            lines.append(head)
            _emit(v, indent + step, step, rnd, lines)
    else:
        text = _scalar(v, rnd)
        trailing = f" {_comment(rnd)}" if rnd.random() < 0.1 else ""
        lines.append(f"{head} {text}".rstrip() + trailing)


def to_yaml(spelling: dict[str, Any], rnd: random.Random) -> str:
    lines: list[str] = []
    if rnd.random() < 0.5:
        lines.append(_comment(rnd))
    _emit(spelling, 0, rnd.choice([2, 4]), rnd, lines)
    return "\n".join(lines) + "\n"


def compare(main: str, live: str) -> tuple[list[Divergence], list[FileError]]:
    return compare_file(COMPOSE, main, take_file("docker-compose.yml", COMPOSE, live.encode()))


# --- properties -------------------------------------------------------------------------

@PROPERTY
@given(documents(), st.randoms(use_true_random=False))
def test_normalize_is_idempotent(doc, rnd):
    loaded = load_compose(to_yaml(spell(doc, rnd), rnd))
    once = normalize(loaded)
    assert normalize(once) == once


@PROPERTY
@given(documents(), documents(), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_a_service_normalised_once_a_run_is_what_normalising_it_anew_gives(doc, other, rnd_a, rnd_b):
    # parsed() hands out a service already normalised this run (written alike: main's and the
    # live file share most) instead of converting it again; the result must not tell.
    texts = [to_yaml(spell(d, rnd), rnd) for d, rnd in ((doc, rnd_a), (doc, rnd_b), (other, rnd_a), (doc, rnd_a))]
    for text in texts:
        loaded = load_compose(text)
        assert normalize(loaded, shared=True) == normalize(loaded), text


@PROPERTY
@given(documents(), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_two_spellings_of_one_document_have_no_divergence(doc, rnd_main, rnd_live):
    main = to_yaml(spell(doc, rnd_main), rnd_main)
    live = to_yaml(spell(doc, rnd_live), rnd_live)
    found, errors = compare(main, live)
    assert errors == [], (errors, main, live)
    assert found == [], ([(d.pointer, d.kind, d.before, d.after) for d in found], main, live)


@PROPERTY
@given(documents(), st.randoms(use_true_random=False))
def test_a_spelling_loads_to_the_same_services_as_its_document(doc, rnd):
    # The writer itself is right: every service and every field it wrote comes back.
    loaded = load_compose(to_yaml(spell(doc, rnd), rnd))
    assert set(loaded["services"]) == set(doc["services"])


@PROPERTY
@given(documents(), st.randoms(use_true_random=False), ENV_KEY, WORD)
def test_a_changed_environment_value_is_exactly_one_divergence_at_its_key(doc, rnd, key, value):
    name = next(iter(doc["services"]))
    svc = doc["services"][name]
    env = dict(svc.get("environment") or {})
    assume(key not in env or _go(env[key]) != value)
    changed = {**doc, "services": {**doc["services"], name: {**svc, "environment": {**env, key: value}}}}
    # Empty top-level sections are left out here: this property is about where a change is
    # reported; how empty sections compare is test_two_spellings_of_one_document_have_no_divergence's.
    found, errors = compare(to_yaml(spell(doc, rnd, empty_top=(None,)), rnd),
                            to_yaml(spell(changed, rnd, empty_top=(None,)), rnd))
    assert errors == []
    assert [(d.pointer, d.kind, d.after) for d in found] == [
        (f"/services/{name}/environment/{key}", "changed" if key in env else "added", value)]


# --- compare_file never raises -----------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
KIND_PATHS = [COMPOSE, "voice/.env.example", "voice/agent/Dockerfile", "voice/caddy/Caddyfile"]


def answers(path: str, main: str | None, live: str | None) -> None:
    data = None if live is None else live.encode()
    found, errors = compare_file(path, main, take_file(path.rsplit("/", 1)[-1], path, data))
    assert isinstance(found, list) and isinstance(errors, list)
    assert all(isinstance(d, Divergence) for d in found) and all(isinstance(e, FileError) for e in errors)


@FUZZ
@given(st.sampled_from(KIND_PATHS), st.one_of(st.none(), TEXT), st.one_of(st.none(), TEXT))
def test_compare_file_never_raises_on_arbitrary_text(path, main, live):
    answers(path, main, live)


YAMLISH = st.text("abc:-[]{}#&*!|>'\"%@`, \n\t?=0123456789.~<", max_size=120)


@FUZZ
@given(st.sampled_from(KIND_PATHS), YAMLISH, YAMLISH)
def test_compare_file_never_raises_on_yaml_like_punctuation(path, main, live):
    answers(path, main, live)


DOCKERFILE_LINE = st.builds(
    lambda kw, arg: f"{kw} {arg}",
    st.sampled_from(["FROM", "RUN", "CMD", "ENTRYPOINT", "ENV", "ARG", "LABEL", "COPY", "ADD", "WORKDIR", "HEALTHCHECK",
                     "SHELL", "VOLUME", "EXPOSE", "USER", "ONBUILD", "run", "# syntax=docker/dockerfile:1", "# escape=`"]),
    st.text("abc =\"'[],{}$<>`#-_:/\\\t", max_size=30),
)
DOTENV_LINE = st.builds(
    lambda export, key, eq, value: f"{export}{key}{eq}{value}",
    st.sampled_from(["", "export ", "  "]),
    st.sampled_from(["A", "HF_TOKEN", "LOG_LEVEL", "a.b-c", "1X", ""]),
    st.sampled_from(["=", " = ", "", ":"]),
    st.text("abc =\"'#$\\{}\t", max_size=20),
)


@FUZZ
@given(st.lists(DOCKERFILE_LINE, max_size=8).map("\n".join), st.lists(DOCKERFILE_LINE, max_size=8).map("\n".join))
def test_compare_file_never_raises_on_odd_dockerfiles(main, live):
    answers("voice/agent/Dockerfile", main, live)


@FUZZ
@given(st.lists(DOTENV_LINE, max_size=8).map("\n".join), st.lists(DOTENV_LINE, max_size=8).map("\n".join))
def test_compare_file_never_raises_on_odd_env_files(main, live):
    answers("voice/.env.example", main, live)


SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                   st.text("abc0123456789:=/.- ", max_size=12))
MAP_KEY = st.one_of(st.text("abcxyz_-", min_size=1, max_size=6),
                    st.sampled_from(["ignore", "condition", "required", "restart", "test", "interval", "context", "args",
                                     "options", "resources", "limits", "reservations", "devices", "count", "memory",
                                     "cpus", "type", "source", "target", "published", "host_ip", "bind", "path"]))
DATA = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                    st.dictionaries(MAP_KEY, inner, max_size=3)),
                    max_leaves=12)
FIELDS = ["image", "build", "environment", "labels", "annotations", "sysctls", "command", "entrypoint", "healthcheck",
          "depends_on", "deploy", "extra_hosts", "stop_grace_period", "mem_limit", "shm_size", "expose", "dns", "tmpfs",
          "env_file", "secrets", "configs", "networks", "ports", "volumes", "logging", "x-drift", "ulimits"]


@st.composite
def odd_compose(draw) -> str:
    service = draw(st.dictionaries(st.sampled_from(FIELDS), DATA, max_size=4))
    if draw(st.booleans()) and "logging" in service:
        service["logging"] = {"options": draw(DATA)}
    doc: dict[str, Any] = {"services": {"svc": service}}
    for key in ("volumes", "networks", "x-drift", "name", "version"):
        if draw(st.booleans()):
            doc[key] = draw(DATA)
    return yaml.safe_dump(doc, sort_keys=False)


@FUZZ
@given(odd_compose(), odd_compose())
def test_compare_file_never_raises_on_odd_values_in_known_compose_fields(main, live):
    answers(COMPOSE, main, live)
