"""Hold requests and responses to GitHub's official OpenAPI description.

The description is the trimmed copy in ``openapi/github-rest-subset.json``
(see ``openapi/regenerate.py``).  OpenAPI 3.0 schemas are converted to JSON
Schema 2020-12 once (``nullable`` honoured, ``discriminator`` turned into
if/then selection, examples dropped) and compiled validators are cached per
operation and status.

The conversion is deliberately *stricter* than the description in one way:
an object schema that lists ``properties`` and says nothing about
``additionalProperties`` is closed.  For responses that means the fake may
not invent fields GitHub does not document; for request bodies it means a
client may not send fields GitHub does not document.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parent / "openapi" / "github-rest-subset.json"
_DEFS_URI = "urn:fakegithub:openapi-defs"

# Statuses GitHub may answer on any operation although the description does
# not list them per operation; their body must be a ``basic-error``.
GENERIC_STATUSES = frozenset({401, 403, 404, 429, 500, 502, 503, 504})

_KEEP = {
    "type", "enum", "required", "format", "minimum", "maximum", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "default",
    "title", "description", "multipleOf", "minProperties", "maxProperties",
}

# Request shapes the description allows in prose but not in its schema.  Each
# entry quotes the prose; the body is rewritten to the documented shape before
# it is validated.  (PyGithub's Issue.add_to_labels/set_labels send bare arrays.)
PROSE_ALLOWANCES = {
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"):
        "You can also pass an `array` of labels directly",
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"):
        "you can pass a single label as a `string` or an `array` of labels directly",
}

_DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


class ContractViolation(AssertionError):
    """The fake or its client strayed from GitHub's OpenAPI description."""


@dataclass
class Violation:
    side: str  # "request" (the client's fault) or "response" (the fake's fault)
    kind: str  # undocumented-request | unimplemented | bad-request | bad-response
    method: str
    path: str
    template: str | None
    message: str

    def __str__(self) -> str:
        who = "CLIENT sent" if self.side == "request" else "FAKE answered"
        tpl = f" [{self.template}]" if self.template else ""
        return f"{self.kind}: {who} {self.method} {self.path}{tpl}: {self.message}"


@dataclass
class Operation:
    method: str
    template: str
    operation_id: str
    regex: re.Pattern
    raw: dict
    query_params: dict[str, dict] = field(default_factory=dict)


# ---------------------------------------------------------------- conversion

def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def convert_schema(s: Any, *, in_allof: bool = False) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema 2020-12 (closed objects)."""
    if not isinstance(s, dict):
        return s
    if "$ref" in s:  # OpenAPI 3.0: siblings of $ref are ignored
        return {"$ref": f"{_DEFS_URI}#/$defs/{_ref_name(s['$ref'])}"}
    out: dict[str, Any] = {}
    for k, v in s.items():
        if k == "properties":
            out[k] = {name: convert_schema(sub) for name, sub in v.items()}
        elif k in ("items", "not"):
            out[k] = convert_schema(v)
        elif k == "additionalProperties":
            out[k] = convert_schema(v) if isinstance(v, dict) else v
        elif k == "allOf":
            out[k] = [convert_schema(x, in_allof=True) for x in v]
        elif k in ("oneOf", "anyOf"):
            out[k] = [convert_schema(x) for x in v]
        elif k in _KEEP:
            out[k] = v
        # nullable / discriminator handled below; readOnly, writeOnly, xml,
        # deprecated, externalDocs and x-* extensions are annotations only.
    disc = s.get("discriminator")
    if disc and "oneOf" in out and disc.get("mapping"):
        prop = disc["propertyName"]
        branches = out.pop("oneOf")
        out["anyOf"] = branches
        out.setdefault("allOf", [])
        for value, ref in disc["mapping"].items():
            out["allOf"].append({
                "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                "then": {"$ref": f"{_DEFS_URI}#/$defs/{_ref_name(ref)}"},
            })
    if s.get("exclusiveMinimum") is True and "minimum" in out:
        out["exclusiveMinimum"] = out.pop("minimum")
    if s.get("exclusiveMaximum") is True and "maximum" in out:
        out["exclusiveMaximum"] = out.pop("maximum")
    # closed objects
    if "properties" in out and "additionalProperties" not in out and not in_allof:
        if any(k in out for k in ("allOf", "anyOf", "oneOf")):
            out["unevaluatedProperties"] = False
        else:
            out["additionalProperties"] = False
    elif "allOf" in s and not in_allof and "additionalProperties" not in out:
        out["unevaluatedProperties"] = False
    if s.get("nullable"):
        if "type" in out and isinstance(out["type"], str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


def _format_checker() -> jsonschema.FormatChecker:
    fc = jsonschema.FormatChecker(formats=())

    @fc.checks("date-time")
    def _dt(value: object) -> bool:  # GitHub always answers ISO 8601 with Z
        return not isinstance(value, str) or bool(_DT.match(value))

    return fc


def _template_regex(template: str) -> re.Pattern:
    parts = []
    segs = template.strip("/").split("/")
    for i, seg in enumerate(segs):
        m = re.fullmatch(r"\{([^}]+)\}", seg)
        if m:
            name = m.group(1)
            last = i == len(segs) - 1
            greedy = last and name in ("ref", "branch", "path", "name")
            parts.append(f"(?P<{name.replace('-', '_')}>{'.+' if greedy else '[^/]+'})")
        else:
            parts.append(re.escape(seg))
    return re.compile("^/" + "/".join(parts) + "$")


def _specificity(template: str) -> tuple:
    return tuple(1 if seg.startswith("{") else 0 for seg in template.strip("/").split("/"))


# ---------------------------------------------------------------- the spec

class OpenAPIContract:
    """Compiled view of the trimmed description; shared by every fake."""

    _instance: "OpenAPIContract | None" = None
    _lock = threading.Lock()

    @classmethod
    def load(cls) -> "OpenAPIContract":
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
            return cls._instance

    def __init__(self, spec: dict):
        self.spec = spec
        self.source = spec.get("x-subset-of", {})
        comps = spec.get("components", {})
        self._responses = comps.get("responses", {})
        self._parameters = comps.get("parameters", {})
        defs = {name: convert_schema(s) for name, s in comps.get("schemas", {}).items()}
        resource = Resource.from_contents(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": _DEFS_URI,
             "$defs": defs},
            default_specification=DRAFT202012,
        )
        self._registry = Registry().with_resource(_DEFS_URI, resource)
        self._format_checker = _format_checker()
        self._validators: dict[tuple, Draft202012Validator | None] = {}
        self._vlock = threading.Lock()
        self._seen_ok: set[tuple] = set()

        self.operations: list[Operation] = []
        for template, item in spec["paths"].items():
            common = item.get("parameters", [])
            for method, op in item.items():
                if method == "parameters":
                    continue
                params = [self._deref_param(p) for p in common + op.get("parameters", [])]
                self.operations.append(Operation(
                    method=method.upper(), template=template,
                    operation_id=op.get("operationId", ""),
                    regex=_template_regex(template), raw=op,
                    query_params={p["name"]: p for p in params if p.get("in") == "query"},
                ))
        self.operations.sort(key=lambda o: _specificity(o.template))
        self._documented = sorted(
            ((_template_regex(t), t, set(ms))
             for t, ms in spec.get("x-documented-operations", {}).items()),
            key=lambda x: _specificity(x[1]),
        )

    def _deref_param(self, p: dict) -> dict:
        if "$ref" in p:
            return self._parameters[_ref_name(p["$ref"])]
        return p

    @property
    def served(self) -> set[tuple[str, str]]:
        return {(o.method, o.template) for o in self.operations}

    # -- routing ---------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str]]:
        for op in self.operations:
            if op.method != method:
                continue
            m = op.regex.match(path)
            if m:
                return op, {k: unquote(v) for k, v in m.groupdict().items()}
        return None, {}

    def template_for(self, path: str) -> str | None:
        for op in self.operations:
            if op.regex.match(path):
                return op.template
        return None

    def documented(self, method: str, path: str) -> str | None:
        """Template of a documented operation for method+path, else None."""
        for regex, template, methods in self._documented:
            if method in methods and regex.match(path):
                return template
        return None

    # -- validators ------------------------------------------------------
    def _validator(self, key: tuple, schema: dict | None) -> Draft202012Validator | None:
        with self._vlock:
            if key not in self._validators:
                self._validators[key] = None if schema is None else Draft202012Validator(
                    convert_schema(schema), registry=self._registry,
                    format_checker=self._format_checker)
            return self._validators[key]

    def _response_entry(self, op: Operation, status: int) -> dict | None:
        r = op.raw.get("responses", {}).get(str(status))
        if r is not None and "$ref" in r:
            r = self._responses[_ref_name(r["$ref"])]
        return r

    @staticmethod
    def _json_schema_of(entry: dict) -> dict | None:
        content = entry.get("content") or {}
        if not content:
            return None
        media = content.get("application/json") or next(iter(content.values()))
        return media.get("schema")

    def check_response(self, op: Operation, status: int, body: bytes) -> list[str]:
        """Problems with one answer of the fake (empty list when fine)."""
        entry = self._response_entry(op, status)
        if status == 304:
            if entry is None and op.method != "GET":
                return [f"304 is only for GET, not {op.method}"]
            return [] if not body else ["a 304 answer must have no body"]
        if entry is None:
            if status in GENERIC_STATUSES:
                schema: dict | None = {"$ref": "#/components/schemas/basic-error"}
                key = ("generic-error",)
            else:
                documented = sorted(op.raw.get("responses", {}))
                return [f"status {status} is not documented for {op.operation_id} "
                        f"(documented: {', '.join(documented)})"]
        else:
            schema = self._json_schema_of(entry)
            key = (op.method, op.template, status)
        if schema is None and status >= 400 and body:
            # an error the description lists without a body: GitHub still sends a
            # basic-error, so hold it to that
            schema, key = {"$ref": "#/components/schemas/basic-error"}, ("generic-error",)
        if schema is None:
            return [] if not body else [f"status {status} of {op.operation_id} has no body "
                                        f"in the description, but the fake sent one"]
        if not body:
            return [f"status {status} of {op.operation_id} needs a JSON body"]
        ok_key = (key, hash(body))
        if ok_key in self._seen_ok:
            return []
        try:
            data = json.loads(body)
        except ValueError as exc:
            return [f"body is not JSON: {exc}"]
        validator = self._validator(key, schema)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if not errors:
            if len(self._seen_ok) > 50000:
                self._seen_ok.clear()
            self._seen_ok.add(ok_key)
            return []
        return [_describe(e) for e in errors[:8]]

    def check_request(self, op: Operation, query: dict[str, list[str]],
                      body: bytes, content_type: str | None) -> list[str]:
        problems = []
        for name, values in query.items():
            p = op.query_params.get(name)
            if p is None:
                problems.append(f"query parameter {name!r} is not documented for "
                                f"{op.operation_id}")
                continue
            schema = p.get("schema") or {}
            for v in values:
                if "enum" in schema and v not in schema["enum"]:
                    problems.append(f"query parameter {name}={v!r} not in {schema['enum']}")
                if schema.get("type") == "integer" and not re.fullmatch(r"-?\d+", v):
                    problems.append(f"query parameter {name}={v!r} is not an integer")
        rb = op.raw.get("requestBody")
        if rb is None:
            if body.strip():
                problems.append(f"{op.operation_id} takes no request body")
            return problems
        if not body.strip():
            if rb.get("required"):
                problems.append(f"{op.operation_id} requires a JSON body")
            return problems
        try:
            data = json.loads(body)
        except ValueError as exc:
            return problems + [f"request body is not JSON: {exc}"]
        if (op.method, op.template) in PROSE_ALLOWANCES:
            if isinstance(data, str):
                data = {"labels": [data]}
            elif isinstance(data, list):
                data = {"labels": data}
        schema = self._json_schema_of(rb)
        validator = self._validator(("request", op.method, op.template), schema)
        if validator is not None:
            for e in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))[:8]:
                problems.append("body " + _describe(e))
        return problems


def _describe(err: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    msg = err.message
    if len(msg) > 300:
        msg = msg[:300] + "..."
    return f"at {where}: {msg}"


# ---------------------------------------------------------------- the record

class ContractRecorder:
    """Per-fake list of violations, strict by default."""

    def __init__(self, strict: bool = True):
        self.strict = strict
        self.spec = OpenAPIContract.load()
        self._violations: list[Violation] = []
        self._lock = threading.Lock()

    def add(self, v: Violation) -> None:
        with self._lock:
            self._violations.append(v)

    @property
    def violations(self) -> list[Violation]:
        with self._lock:
            return list(self._violations)

    def take(self) -> list[Violation]:
        """Return and forget the violations seen so far."""
        with self._lock:
            out, self._violations = self._violations, []
            return out

    def raise_if_any(self) -> None:
        found = self.take()
        if found:
            src = self.spec.source
            lines = "\n  ".join(str(v) for v in found)
            raise ContractViolation(
                f"{len(found)} contract violation(s) against GitHub's OpenAPI description "
                f"({src.get('package')}@{src.get('version')}):\n  {lines}")
