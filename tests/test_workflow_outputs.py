"""bot.workflow: annotations, step outputs and the job summary, from plain values."""
from __future__ import annotations

import json

from bot.model import DiffReport, Divergence, FileError, Finding
from bot.workflow import annotations, main, step_outputs, summary


def report() -> DiffReport:
    return DiffReport(
        base="main", base_commit="c0ffee", source="dir:x", snapshot_id="snap-1", host="h", captured_at=None,
        divergences=(Divergence("voice/.env.example", "changed", "/A", "1", "2", line=5, child="R-3"),
                     Divergence("voice/docker-compose.yml", "added", "/services/new/ports", None, ["80:80"], line=12)),
        findings=(Finding("f1", "vram", "warning", "GPU 0: 97 % claimed,\nabove 90 %", {"file": "voice/docker-compose.yml", "line": 18}),
                  Finding("f2", "images", "info", "no tag", {})),
        errors=(FileError("voice/agent/Dockerfile", "voice/agent/Dockerfile: is a binary file"),))


def test_findings_unrouted_divergences_and_unreadable_files_become_annotations() -> None:
    lines = annotations(report())
    assert lines == [
        "::warning file=voice/docker-compose.yml,line=18,title=drift-bot%3A vram::GPU 0: 97 %25 claimed,%0Aabove 90 %25",
        "::notice title=drift-bot%3A images::no tag",
        "::warning file=voice/docker-compose.yml,line=12,title=drift-bot%3A unrouted divergence::added /services/new/ports: "
        "main null, live [\"80:80\"]. No child of .drift.yml claims this divergence: add a rule under `children:` or an `ignore:`",
        "::error file=voice/agent/Dockerfile,title=drift-bot%3A unreadable file::voice/agent/Dockerfile: is a binary file",
    ]  # the routed divergence becomes a pull request, not an annotation


def test_outputs_are_json_and_numbers_in_the_style_of_create_pull_request() -> None:
    pulls = [{"number": 7, "url": "https://github.com/o/r/pull/7", "operation": "created", "branch": "drift/r-3"},
             {"number": 9, "url": "https://github.com/o/r/pull/9", "operation": "closed", "branch": "drift/r-9"}]
    text = step_outputs(pulls)
    lines = dict(line.split("=", 1) for line in text.splitlines())
    assert json.loads(lines["pull-requests"]) == pulls and lines["pull-request-numbers"] == "7 9"
    assert step_outputs([]) == "pull-requests=[]\npull-request-numbers=\n"


def test_the_summary_says_what_apply_did_with_links_and_what_was_held_back() -> None:
    pulls = [{"number": 7, "url": "https://github.com/o/r/pull/7", "operation": "created", "branch": "drift/r-3"}]
    text = summary("apply", ["drift/r-9: held back: R-9 waits for RT-2, still open", "created #7 (drift/r-3)", ""],
                   ["drift: error: close drift/r-5: GitHub answered 500"], pulls)
    assert text.startswith("### drift apply\n\n- drift/r-9: held back: R-9 waits for RT-2, still open\n"
                           "- created [#7](https://github.com/o/r/pull/7) (drift/r-3)\n")
    assert "| [#7](https://github.com/o/r/pull/7) | created | `drift/r-3` |" in text
    assert text.endswith("**Errors**\n\n- close drift/r-5: GitHub answered 500\n\n")


def test_the_action_step_appends_outputs_and_summary(tmp_path, monkeypatch) -> None:
    out, summ = tmp_path / "out", tmp_path / "summary"
    summ.write_text("earlier\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summ))
    (tmp_path / "stdout").write_text("nothing to do: GitHub already matches the live host\n")
    assert main(["apply", str(tmp_path / "absent.json"), str(tmp_path / "stdout"), str(tmp_path / "none")]) == 0
    assert out.read_text() == "pull-requests=[]\npull-request-numbers=\n"
    assert summ.read_text() == "earlier\n### drift apply\n\n- nothing to do: GitHub already matches the live host\n\n"
