"""Dockerfiles instruction by instruction (parsed by dockerfile-parse, not by regexes).

Continuation lines, repeated blanks and comments are cosmetic; the exec-form JSON of
CMD/ENTRYPOINT/RUN is compared as a list so that `["a","b"]` and `["a", "b"]` agree. A heredoc
(`RUN <<EOF` … `EOF`) is one instruction with its body, as BuildKit reads it.
"""
from __future__ import annotations

import difflib
import io
import json
import re
from dataclasses import dataclass

from bot.secrets import canonical, holds_secret, is_reference, is_secret_name


@dataclass(frozen=True)
class Instruction:
    keyword: str
    text: str  # the instruction as a person would write it on one line (a heredoc's body follows it)
    key: str  # what two instructions are compared by
    line: int  # 1-based first line


# A keyed placeholder holds a space; the masks below read a value up to a space.
_REDACTED = "<redacted>"
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*)=(\"[^\"]*\"|'[^']*'|\S*)")


def _secret(name: str, value: str) -> bool:
    value = value.strip("\"'")
    # A reference in main (`${HF_TOKEN}`) against the redacted live value: both say "set on the host".
    return holds_secret(name, value) or (is_secret_name(name) and is_reference(value)) or _REDACTED in value


def _canonical(keyword: str, value: str) -> str:
    value = " ".join(value.split())
    if keyword in ("CMD", "ENTRYPOINT", "RUN", "SHELL", "COPY", "ADD", "VOLUME") and value.startswith("["):
        try:
            return f"{keyword} {json.dumps(json.loads(value))}"
        except ValueError:
            pass
    if keyword in ("ENV", "ARG", "LABEL"):
        # A secret's value lives on the host; the instruction is compared with the value masked.
        value = canonical(value)

        def mask(m: re.Match[str]) -> str:
            return f"{m.group(1)}=<secret>" if _secret(m.group(1), m.group(2)) else m.group(0)

        value = _ASSIGNMENT.sub(mask, value)
        if keyword == "ENV" and "=" not in value.split(" ", 1)[0]:
            name, _, val = value.partition(" ")
            value = f"{name}=<secret>" if _secret(name, val) else f"{name}={val}"
    return f"{keyword} {value}"


# `<<EOF`, `<<-EOF`, `<<"EOF"`: a heredoc whose body follows the instruction (BuildKit's syntax).
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")


def _heredoc_end(lines: list[str], keyword: str, value: str, after: int) -> int:
    """The index of the last line of the heredoc bodies that follow line index `after`, or `after`."""
    if keyword not in _HEREDOC_KEYWORDS or "<<" not in value:
        return after
    end = after
    for m in _HEREDOC.finditer(value):
        strip_tabs, word = m.group(1) == "-", m.group(3)
        n = end + 1
        while n < len(lines) and (lines[n].lstrip("\t") if strip_tabs else lines[n]).rstrip("\r") != word:
            n += 1
        if n >= len(lines):
            return end  # an unclosed heredoc: what follows stays instructions, as the parser read them
        end = n
    return end


def parse_dockerfile(text: str) -> list[Instruction]:
    from dockerfile_parse import DockerfileParser  # a pure-Python parser, cheap to import

    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)
    lines = text.split("\n")
    out = []
    body_end = -1  # the parser reads heredoc bodies as instructions of their own: skip them
    for item in parser.structure:
        if item["startline"] <= body_end:
            continue
        keyword = item["instruction"].upper()
        if keyword == "COMMENT":
            continue
        value = item["value"]
        text_one_line = f"{keyword} {' '.join(value.split())}"
        body_end = _heredoc_end(lines, keyword, value, item["endline"])
        if body_end > item["endline"]:
            body = [line.rstrip("\r") for line in lines[item["endline"] + 1 : body_end + 1]]
            heredoc = "\n".join([text_one_line, *body])
            out.append(Instruction(keyword, heredoc, f"{_canonical(keyword, value)}\n" + "\n".join(body), item["startline"] + 1))
        else:
            out.append(Instruction(keyword, text_one_line, _canonical(keyword, value), item["startline"] + 1))
    return out


# Instructions a stage holds once (a second one overrides the first): named by keyword alone.
_ONCE = {"FROM", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "MAINTAINER"}
# Instructions named by what they declare: `ENV HF_HOME=…` is /ENV/HF_HOME.
_DECLARING = {"ENV", "ARG", "LABEL"}
_STAGE_NAME = re.compile(r"\s+AS\s+(\S+)\s*$", re.IGNORECASE)
_DECLARED = re.compile(r"(?:^|\s)(\"[^\"]*\"|'[^']*'|[^\s=]+)=")


def _token(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def _declared(ins: Instruction) -> str:
    value = ins.text.split("\n", 1)[0][len(ins.keyword) + 1:]
    names = [n.strip("\"'") for n in _DECLARED.findall(value)]
    if not names or (ins.keyword == "ENV" and "=" not in value.split(" ", 1)[0]):
        names = value.split(" ", 1)[:1]  # `ENV NAME value`, `ARG NAME`
    return ",".join(names)


def instruction_names(instructions: list[Instruction]) -> list[str]:
    """A pointer per instruction, by stage and instruction, never by line: `/stages/0/FROM`,
    `/stages/runtime/ENV/HF_HOME`, `/stages/1/RUN[2]` (the third RUN of that stage), and
    `/global/ARG/VERSION` before the first FROM. A line added elsewhere leaves every name alone;
    an instruction of the same kind added above in the same stage moves an ordinal only."""
    names, prefix, seen, stage = [], "/global", {}, -1
    for ins in instructions:
        if ins.keyword == "FROM":
            stage += 1
            named = _STAGE_NAME.search(ins.text.split("\n", 1)[0])
            prefix, seen = "/stages/" + _token(named.group(1) if named else str(stage)), {}
        base = ins.keyword
        if ins.keyword in _DECLARING and _declared(ins):
            base += "/" + _token(_declared(ins))
        n = seen.get(base, 0)
        seen[base] = n + 1
        plain = ins.keyword in _ONCE or ins.keyword in _DECLARING
        names.append(f"{prefix}/{base}" if plain and n == 0 else f"{prefix}/{base}[{n}]")
    return names


def paired(keys_a: list[str], keys_b: list[str], words_a: list[str],
           words_b: list[str]) -> list[tuple[str, int | None, int | None]]:
    """(kind, index in main, index live) of every instruction that differs, in live's order
    within each differing run: a removed and an added instruction of the same keyword are one
    change. Compare and the PR editing pair instructions here, so that they name the same ones."""
    return [pair for _, pairs in paired_runs(keys_a, keys_b, words_a, words_b) for pair in pairs]


def paired_runs(keys_a: list[str], keys_b: list[str], words_a: list[str],
                words_b: list[str]) -> list[tuple[int, list[tuple[str, int | None, int | None]]]]:
    """The pairs of `paired`, run by run of differing instructions, each with the index in main
    where it starts (what is added there goes after main's instruction before it): within a run,
    the changed and added in live's order, then the removed."""
    runs: list[tuple[int, list[tuple[str, int | None, int | None]]]] = []
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out: list[tuple[str, int | None, int | None]] = []
        olds = list(range(i1, i2))
        for j in range(j1, j2):
            i = next((o for o in olds if words_a[o] == words_b[j]), None)
            if i is not None:
                olds.remove(i)
                out.append(("changed", i, j))
            else:
                out.append(("added", None, j))
        out += [("removed", i, None) for i in olds]
        runs.append((i1, out))
    return runs
