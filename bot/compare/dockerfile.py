"""Dockerfiles instruction by instruction (parsed by dockerfile-parse, not by regexes).

Continuation lines, repeated blanks and comments are cosmetic; the exec-form JSON of
CMD/ENTRYPOINT/RUN is compared as a list so that `["a","b"]` and `["a", "b"]` agree.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from bot.capture.redact import TOKEN_RE, is_secret_name


@dataclass(frozen=True)
class Instruction:
    keyword: str
    text: str  # the instruction as a person would write it on one line
    key: str  # what two instructions are compared by
    line: int  # 1-based first line


def _canonical(keyword: str, value: str) -> str:
    value = " ".join(value.split())
    if keyword in ("CMD", "ENTRYPOINT", "RUN", "SHELL", "COPY", "ADD", "VOLUME") and value.startswith("["):
        try:
            return json.dumps(json.loads(value))
        except ValueError:
            pass
    if keyword in ("ENV", "ARG", "LABEL"):
        # A secret's value lives on the host; the instruction is compared with the value masked.
        def mask(m: re.Match[str]) -> str:
            name, val = m.group(1), m.group(2)
            return f"{name}=<secret>" if is_secret_name(name) or TOKEN_RE.search(val) else m.group(0)

        value = re.sub(r"([A-Za-z_][A-Za-z0-9_.\-]*)=(\"[^\"]*\"|'[^']*'|\S*)", mask, value)
        if keyword == "ENV" and "=" not in value.split(" ", 1)[0]:
            name, _, val = value.partition(" ")
            value = f"{name}=<secret>" if is_secret_name(name) or TOKEN_RE.search(val) else f"{name}={val}"
    return f"{keyword} {value}"


def parse_dockerfile(text: str) -> list[Instruction]:
    from dockerfile_parse import DockerfileParser  # a pure-Python parser, cheap to import

    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)
    out = []
    for item in parser.structure:
        keyword = item["instruction"].upper()
        if keyword == "COMMENT":
            continue
        value = item["value"]
        out.append(Instruction(keyword, f"{keyword} {' '.join(value.split())}", _canonical(keyword, value), item["startline"] + 1))
    return out
