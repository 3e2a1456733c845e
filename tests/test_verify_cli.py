"""`drift verify` as a user runs it: the probes of .drift.yml against a real local speech server."""
from __future__ import annotations

import json
from pathlib import Path

from tests.audio import require_tools, speak
from tests.audio.server import AnswerServer, Reply
from tests.cli_support import run


def config(tmp_path: Path, url: str) -> Path:
    (tmp_path / ".drift.yml").write_text(
        "version: 1\nfiles: {a: b}\nverify:\n"
        f"  - name: tts-speech\n    request: {{method: POST, url: '{url}', json: {{input: hello there}}}}\n"
        "    expect: {status: 200, content_type: audio/wav, wav: {sample_rate: 24000, min_seconds: 0.3}}\n")
    return tmp_path


def test_a_real_24khz_answer_passes_with_evidence_read_from_the_wav(tmp_path: Path) -> None:
    require_tools()
    wav = speak("hello there, the voice stack is up", tmp_path / "ok.wav", rate=24000)
    with AnswerServer({"/v1/audio/speech": Reply(200, wav)}) as server:
        code, out, err = run("verify", "--repo", str(config(tmp_path, server.url("/v1/audio/speech"))), "--format", "json")
    assert (code, err) == (0, ""), err
    (probe,) = json.loads(out)["probes"]
    assert probe["ok"] is True and probe["status"] == 200
    ev = probe["evidence"]
    assert ev["sample_rate"] == 24000 and ev["channels"] == 1 and ev["seconds"] > 0.3 and ev["bytes"] == len(wav)


def test_a_16khz_answer_fails_with_exit_2_and_says_why(tmp_path: Path) -> None:
    require_tools()
    wav = speak("hello there", tmp_path / "low.wav", rate=16000)
    with AnswerServer({"/v1/audio/speech": Reply(200, wav)}) as server:
        code, out, err = run("verify", "--repo", str(config(tmp_path, server.url("/v1/audio/speech"))))
    assert code == 2 and "16000" in out and "24000" in out


def test_an_html_error_page_is_not_a_wav(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"
    with AnswerServer({"/v1/audio/speech": Reply(200, page, "audio/wav")}) as server:
        code, out, _ = run("verify", "--repo", str(config(tmp_path, server.url("/v1/audio/speech"))))
    assert code == 2 and "not a WAV" in out


def test_a_malformed_probe_is_one_line_before_any_request(tmp_path: Path) -> None:
    (tmp_path / ".drift.yml").write_text("version: 1\nfiles: {a: b}\nverify:\n  - name: p\n    expect: {wav: {rate: 1}}\n")
    code, out, err = run("verify", "--repo", str(tmp_path))
    assert code == 1 and err.startswith("drift: error: ") and "`p`" in err and err.count("\n") == 1
