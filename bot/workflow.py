"""What a GitHub Actions job shows of a run: annotations for findings and unrouted divergences,
the step outputs of the composite action (in the style of peter-evans/create-pull-request), and
the apply's result in the job summary. Pure text in, text out; the action's last step calls
`python -m bot.workflow` to write them."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.model import DiffReport

LEVELS = {"error": "error", "warning": "warning", "info": "notice", "notice": "notice"}


def _data(text: str) -> str:
    # Workflow command escaping, as the runner unescapes it.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, *, file: str | None, line: int | None, title: str) -> str:
    props = [f"title={_prop(title)}"]
    if file:
        props.insert(0, f"file={_prop(file)}")
        if line:
            props.insert(1, f"line={int(line)}")
    return f"::{level} {','.join(props)}::{_data(message)}"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def annotations(report: DiffReport) -> list[str]:
    """`::warning file=…,line=…::` lines: every finding, and every divergence no child claims
    (routed ones become pull requests; an unrouted one would otherwise go unseen)."""
    out = []
    for finding in report.findings:
        evidence = finding.evidence or {}
        out.append(_command(LEVELS.get(finding.severity, "warning"), finding.message, file=evidence.get("file"),
                            line=evidence.get("line"), title=f"drift-bot: {finding.check}"))
    for d in report.unrouted:
        where = f" {d.pointer}" if d.pointer else ""
        message = (f"{d.kind}{where}: main {_value(d.before)}, live {_value(d.after)}. No child of .drift.yml claims "
                   "this divergence: add a rule under `children:` or an `ignore:`")
        out.append(_command("warning", message, file=d.file, line=d.line, title="drift-bot: unrouted divergence"))
    for error in report.errors:
        out.append(_command("error", error.message, file=error.file or None, line=None, title="drift-bot: unreadable file"))
    return out


def step_outputs(pulls: list[dict[str, Any]]) -> str:
    """`pull-requests` (JSON: number, url, operation, branch per pull request the run wrote) and
    `pull-request-numbers` (space-separated), as GITHUB_OUTPUT lines."""
    compact = json.dumps(pulls, separators=(",", ":"))
    numbers = " ".join(str(p["number"]) for p in pulls)
    return f"pull-requests={compact}\npull-request-numbers={numbers}\n"


def summary(command: str, lines: list[str], errors: list[str], pulls: list[dict[str, Any]]) -> str:
    """The job summary's section for the command: what it did (created, updated, closed, held
    back, or nothing to do), with a link per pull request, then its errors."""
    import re

    out = [f"### drift {command}", ""]
    links = {int(p["number"]): p["url"] for p in pulls}

    def link(m: re.Match[str]) -> str:
        number = int(m.group(1))
        return f"[#{number}]({links[number]})" if number in links else m.group(0)

    for line in lines:
        text = line.strip()
        if text:
            text = re.sub(r"(?<![\w\[])#(\d+)\b", link, text)
            out.append(text if text.startswith("- ") else f"- {text}")
    if pulls:
        out += ["", "| pull request | operation | branch |", "| --- | --- | --- |"]
        out += [f"| [#{p['number']}]({p['url']}) | {p['operation']} | `{p['branch']}` |" for p in pulls]
    if errors:
        out += ["", "**Errors**", ""] + [f"- {e.removeprefix('drift: error: ')}" for e in errors if e.strip()]
    return "\n".join(out) + "\n\n"


def main(argv: list[str]) -> int:
    """python -m bot.workflow COMMAND RESULT_JSON STDOUT_FILE STDERR_FILE: append the outputs to
    $GITHUB_OUTPUT and the section to $GITHUB_STEP_SUMMARY."""
    import os

    command, result, stdout, stderr = argv
    data = json.loads(Path(result).read_text(encoding="utf-8")) if Path(result).is_file() else {}
    pulls = list(data.get("pull_requests") or [])
    lines = Path(stdout).read_text(encoding="utf-8").splitlines() if Path(stdout).is_file() else []
    errors = Path(stderr).read_text(encoding="utf-8").splitlines() if Path(stderr).is_file() else []
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(step_outputs(pulls))
    with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
        if command == "plan":  # already markdown: the plan's table
            handle.write(f"### drift plan\n\n" + "\n".join(lines) + "\n\n")
        else:
            handle.write(summary(command, lines, errors, pulls))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
