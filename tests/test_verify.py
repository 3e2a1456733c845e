"""verify: probe specs, WAV judging on bytes, and real probes against a local HTTP server that
serves real speech (espeak-ng + sox) and the ways a speech endpoint breaks."""
from __future__ import annotations

import io
import json
import math
import socket
import struct
import time
import wave
from typing import Any

import pytest

from bot.adapters.http import HttpAnswer, send
from bot.errors import ConfigError
from bot.verify import (
    ProbeResult,
    all_passed,
    evaluate,
    exit_code,
    parse_probe,
    parse_probes,
    probe_findings,
    render_probes,
    run_probes,
)
from bot.verify.display import display_url, quote_start
from bot.verify.wav import NotWav, read_wav
from tests.audio import require_tools, speak
from tests.audio.server import AnswerServer, Reply, Request

NOW = "2025-01-02T03:04:05Z"
HTML = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>upstream down</body></html>\n"


def tone(rate: int = 24000, seconds: float = 0.5, channels: int = 1, width: int = 2) -> bytes:
    """A WAV written by the `wave` module: enough for the pure tests, which need no speech."""
    frames = int(rate * seconds)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        sample = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)]
        w.writeframes(b"".join(struct.pack("<h", s) * channels for s in sample))
    return buf.getvalue()


def speech_probe(url: str, **expect: Any) -> dict[str, Any]:
    return {"name": "tts-speech",
            "request": {"method": "POST", "url": url, "json": {"input": "hello"}},
            "expect": {"status": 200, "wav": {"sample_rate": 24000, "min_seconds": 0.3}, **expect}}


def answer(body: bytes, status: int = 200, ctype: str | None = "audio/wav", error: str | None = None) -> HttpAnswer:
    headers = (("Content-Type", ctype),) if ctype else ()
    return HttpAnswer(status, headers, body, 0.0123, error)


def judge(body: bytes, **kw: Any) -> ProbeResult:
    probe = parse_probe(speech_probe("http://127.0.0.1:8000/v1/audio/speech"))
    return evaluate(probe, answer(body, **kw), now=NOW)


# --- spec -----------------------------------------------------------------------------------


def test_the_design_example_parses() -> None:
    probe = parse_probe(speech_probe("http://127.0.0.1:8000/v1/audio/speech"))
    assert probe.method == "POST" and probe.timeout == 10.0
    assert json.loads(probe.body or b"") == {"input": "hello"}
    assert ("Content-Type", "application/json") in probe.headers
    assert probe.expect.status == (200,) and probe.expect.wav.sample_rate == 24000


def test_defaults_and_extensions() -> None:
    probe = parse_probe({"name": "stt", "request": {"url": "http://127.0.0.1:8001/health", "timeout": 2,
                                                    "headers": {"Authorization": "Bearer ${KEY}"}},
                         "expect": {"content_type": ["application/json", "Text/Plain"], "body_contains": "ok"}})
    assert probe.method == "GET" and probe.body is None and probe.timeout == 2.0
    assert probe.expect.status == () and probe.expect.content_type == ("application/json", "text/plain")
    assert probe.headers == (("Authorization", "Bearer ${KEY}"),)


@pytest.mark.parametrize("item, key", [
    ({"name": "p", "request": {"url": "http://h/"}, "expct": {}}, "`expct`"),
    ({"name": "p"}, "`request`"),
    ({"name": "p", "request": {"url": "ftp://h/"}}, "`request.url`"),
    ({"name": "p", "request": {"url": "http:///nohost"}}, "`request.url`"),
    ({"name": "p", "request": {"url": "http://h:99999/"}}, "`request.url`"),
    ({"name": "p", "request": {"url": "http://h/", "metod": "GET"}}, "`request.metod`"),
    ({"name": "p", "request": {"url": "http://h/", "method": "FETCH"}}, "`request.method`"),
    ({"name": "p", "request": {"url": "http://h/", "method": "GET", "json": {}}}, "`request.method`"),
    ({"name": "p", "request": {"url": "http://h/", "json": {}, "body": "x"}}, "`request.body`"),
    ({"name": "p", "request": {"url": "http://h/", "body": {"a": 1}}}, "`request.body`"),
    ({"name": "p", "request": {"url": "http://h/", "timeout": 0}}, "`request.timeout`"),
    ({"name": "p", "request": {"url": "http://h/", "timeout": "10s"}}, "`request.timeout`"),
    ({"name": "p", "request": {"url": "http://h/", "headers": ["a"]}}, "`request.headers`"),
    ({"name": "p", "request": {"url": "http://h/", "headers": {"X": "a\nb"}}}, "`request.headers.X`"),
    ({"name": "p", "request": {"url": "http://h/", "headers": {"Bad Name": "a"}}}, "`request.headers.Bad Name`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"status": "200"}}, "`expect.status`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"status": [200, 700]}}, "`expect.status`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"content_type": "wav"}}, "`expect.content_type`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"body_contains": ""}}, "`expect.body_contains`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"wav": {"rate": 24000}}}, "`expect.wav.rate`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"wav": {"sample_rate": "24k"}}}, "`expect.wav.sample_rate`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"wav": {"channels": 0}}}, "`expect.wav.channels`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"wav": {"min_seconds": "long"}}}, "`expect.wav.min_seconds`"),
    ({"name": "p", "request": {"url": "http://h/"}, "expect": {"wav": {"min_seconds": 2, "max_seconds": 1}}}, "`expect.wav.max_seconds`"),
    ({"name": "", "request": {"url": "http://h/"}}, "`name`"),
])
def test_a_malformed_probe_is_one_line_naming_probe_and_key(item: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_probes([item])
    message = str(err.value)
    assert "\n" not in message and message.startswith(".drift.yml: verify probe ")
    assert key in message
    assert ("`p`" in message) or item["name"] == ""


def test_probe_names_are_unique() -> None:
    item = {"name": "p", "request": {"url": "http://h/"}}
    with pytest.raises(ConfigError, match="`p` is declared twice"):
        parse_probes([item, item])


def test_run_validates_every_probe_before_sending_anything() -> None:
    sent: list[str] = []

    def fake_send(method: str, url: str, **kw: Any) -> HttpAnswer:
        sent.append(url)
        return answer(b"ok", ctype="text/plain")

    good = {"name": "a", "request": {"url": "http://127.0.0.1:1/"}}
    with pytest.raises(ConfigError, match="`b`: `expect.wav.rate`"):
        run_probes([good, {"name": "b", "request": {"url": "http://127.0.0.1:1/"}, "expect": {"wav": {"rate": 1}}}],
                   now=NOW, send=fake_send)
    assert sent == []
    assert [r.ok for r in run_probes([good], now=NOW, send=fake_send)] == [True]


# --- WAV judging on bytes ---------------------------------------------------------------------


def test_a_good_wav_passes_with_evidence_read_from_the_bytes() -> None:
    body = tone(24000, 0.5)
    result = judge(body)
    assert result.ok, result.detail
    ev = result.evidence
    assert (ev["sample_rate"], ev["channels"], ev["seconds"], ev["bytes"]) == (24000, 1, 0.5, len(body))
    assert ev["status"] == 200 and ev["url"] == "http://127.0.0.1:8000/v1/audio/speech" and ev["time"] == NOW
    assert "WAV 24000 Hz mono 0.50 s" in result.detail


def test_the_content_type_does_not_make_a_wav() -> None:
    assert judge(tone(24000, 0.5), ctype="application/octet-stream").ok
    assert judge(b"RIFF\x08\x00\x00\x00WAVEjunk", ctype="audio/wav").detail == "WAV truncated: no data chunk in 16 bytes"
    assert judge(b"OggS\x00\x02" + bytes(60), ctype="audio/wav").detail.startswith("not a WAV: starts with bytes 4f 67 67 53")


def test_wrong_rate_short_and_channels_each_say_so() -> None:
    assert judge(tone(16000, 0.5)).detail == "sample rate 16000 Hz, expected 24000 Hz"
    assert judge(tone(24000, 0.1)).detail == "0.10 s of audio, expected at least 0.3 s"
    probe = parse_probe({"name": "p", "request": {"url": "http://h/"},
                         "expect": {"wav": {"channels": 1, "max_seconds": 0.2}}})
    result = evaluate(probe, answer(tone(24000, 0.5, channels=2)), now=NOW)
    assert result.detail == "stereo, expected mono; 0.50 s of audio, expected at most 0.2 s"


def test_a_truncated_wav_fails_on_the_length_its_header_declares() -> None:
    body = tone(24000, 1.0)
    cut = body[: 44 + 24000]  # header + 0.5 s of 16-bit mono
    result = judge(cut)
    assert not result.ok
    assert result.detail == ("WAV truncated: header declares 1.00 s (48000 bytes of samples), "
                             "only 0.50 s (24000 bytes) present")
    assert result.evidence["seconds"] == 0.5 and result.evidence["declared_seconds"] == 1.0
    assert "WAV truncated" in judge(body[:30]).detail  # cut inside the header


def test_an_html_error_page_with_status_200_is_not_a_wav() -> None:
    result = judge(HTML, ctype="text/html")
    assert not result.ok and result.detail == "not a WAV: starts with <!DOCTYPE html>"
    assert judge(b"").detail == "not a WAV: the answer is empty"


def test_a_quote_is_short_printable_and_never_a_secret() -> None:
    token = "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA"
    quoted = quote_start(f'{{"error": "bad key {token}", "more": "x"}}'.encode())
    assert token not in quoted and "hf_" not in quoted and len(quoted) <= 40
    assert quote_start(b"x" * 200) == "x" * 39 + "…"
    assert quote_start(bytes(range(0, 40))).startswith("bytes 00 01 02")
    assert quote_start(b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00" * 4).startswith("bytes 49 44 33")


def test_streamed_wavs_without_a_declared_length_are_measured_by_their_bytes() -> None:
    body = bytearray(tone(24000, 0.5))
    body[4:8] = (0xFFFFFFFF).to_bytes(4, "little")
    body[40:44] = (0xFFFFFFFF).to_bytes(4, "little")
    info = read_wav(bytes(body))
    assert info.declared_frames is None and info.seconds == 0.5 and not info.truncated


def test_a_float_wav_is_read_from_its_fmt_chunk() -> None:
    rate, frames = 24000, 12000
    data = struct.pack(f"<{frames}f", *([0.1] * frames))
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    info = read_wav(body)
    assert (info.sample_rate, info.channels, info.format, info.seconds) == (24000, 1, "float", 0.5)
    with pytest.raises(NotWav, match="sample format mu-law"):
        read_wav(body.replace(struct.pack("<HH", 3, 1), struct.pack("<HH", 7, 1), 1))


def test_status_content_type_and_text_checks() -> None:
    probe = parse_probe({"name": "health", "request": {"url": "http://user:pw@h:1/health?api_key=s3cret&x=1"},
                         "expect": {"status": [200, 204], "content_type": "application/json", "body_contains": "ready"}})
    bad = evaluate(probe, answer(b"Internal Server Error", status=500, ctype="text/plain"), now=NOW)
    assert bad.detail == "status 500, expected 200 or 204: Internal Server Error"
    assert bad.url == "http://h:1/health?api_key=<redacted>&x=1" and "s3cret" not in json.dumps(bad.to_json())
    wrong = evaluate(probe, answer(b'{"status": "starting"}', ctype="text/html; charset=utf-8"), now=NOW)
    assert wrong.detail == "content type text/html, expected application/json; answer does not contain 'ready'"
    fine = evaluate(probe, answer(b'{"status": "ready"}', ctype="application/json; charset=utf-8"), now=NOW)
    assert fine.ok and fine.status == 200
    assert evaluate(probe, answer(b"", status=None, error="connection refused by h:1"), now=NOW).detail == \
        "connection refused by h:1"


def test_display_url_keeps_harmless_queries() -> None:
    assert display_url("https://a:b@example.invalid/x?voice=en&token=t") == "https://example.invalid/x?voice=en&token=<redacted>"
    assert display_url("http://127.0.0.1:8000/v1/audio/speech") == "http://127.0.0.1:8000/v1/audio/speech"


# --- results out --------------------------------------------------------------------------------


def _results() -> list[ProbeResult]:
    return [judge(tone(24000, 0.5)), judge(tone(16000, 0.5))]


def test_findings_are_stable_per_probe_name() -> None:
    good, bad = probe_findings(_results())
    assert good.check == bad.check == "verify"
    assert (good.severity, bad.severity) == ("info", "error")
    assert good.id == bad.id  # both results are of the probe named tts-speech
    again = probe_findings([evaluate(parse_probe(speech_probe("http://127.0.0.1:8000/v1/audio/speech")),
                                     answer(HTML, ctype="text/html"), now="later")])
    assert again[0].id == good.id and again[0].message.startswith("probe tts-speech failed: not a WAV")
    assert bad.evidence["sample_rate"] == 16000 and bad.evidence["probe"] == "tts-speech"


def test_json_is_exactly_the_contract() -> None:
    out = json.loads(render_probes(_results(), "json"))
    assert list(out) == ["probes"]
    for item in out["probes"]:
        assert list(item) == ["name", "ok", "url", "status", "detail", "evidence"]
        assert {"sample_rate", "channels", "seconds", "bytes"} <= set(item["evidence"])
    assert [p["ok"] for p in out["probes"]] == [True, False]


def test_text_markdown_and_exit_code() -> None:
    results = _results()
    text = render_probes(results, "text")
    assert "ok   tts-speech  POST http://127.0.0.1:8000/v1/audio/speech" in text
    assert "FAIL tts-speech" in text and text.rstrip().endswith("2 probes: 1 failed")
    assert "| tts-speech | ❌ fail |" in render_probes(results, "markdown")
    assert exit_code(results) == 2 and exit_code(results[:1]) == 0
    assert all_passed(results[:1]) and not all_passed(results) and not all_passed([])
    with pytest.raises(ValueError):
        render_probes(results, "yaml")


# --- real probes against a local server with real speech -----------------------------------------


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    require_tools()
    d = tmp_path_factory.mktemp("speech")
    return {"24k": speak("Drift verify. The voice stack answers.", d / "24k.wav"),
            "16k": speak("Drift verify. The voice stack answers.", d / "16k.wav", rate=16000)}


@pytest.fixture(scope="module")
def stack(speech: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("tts")

    def tts(request: Request) -> Reply:
        text = json.loads(request.body)["input"]  # a real synthesiser: speaks what it was sent
        return Reply(body=speak(text, d / "answer.wav"))

    good = speech["24k"]
    routes = {
        "/v1/audio/speech": tts,
        "/static/good.wav": Reply(body=good),
        "/static/16k.wav": Reply(body=speech["16k"]),
        "/static/truncated.wav": Reply(body=good[: len(good) // 3]),
        "/static/short-read.wav": Reply(body=good[: len(good) // 2], length=len(good)),
        "/static/html.wav": Reply(body=HTML, content_type="text/html; charset=utf-8"),
        "/static/error.wav": Reply(500, b'{"error": "CUDA out of memory"}', "application/json"),
        "/static/slow.wav": Reply(body=good, delay=5),
        "/static/trickle.wav": Reply(body=good, trickle=0.05),
        "/health": Reply(body=b'{"status": "ready"}', content_type="application/json"),
    }
    with AnswerServer(routes) as server:
        yield server


def probe_at(server: AnswerServer, path: str, timeout: float = 5, **expect: Any) -> ProbeResult:
    item = speech_probe(server.url(path), **expect)
    item["request"]["timeout"] = timeout
    [result] = run_probes([item], now=NOW)
    return result


def test_real_speech_at_24k_passes(stack: AnswerServer, speech: dict[str, bytes]) -> None:
    result = probe_at(stack, "/static/good.wav", content_type="audio/wav")
    assert result.ok, result.detail
    ev = result.evidence
    assert (ev["sample_rate"], ev["channels"], ev["bits"], ev["bytes"]) == (24000, 1, 16, len(speech["24k"]))
    assert ev["seconds"] > 1.0 and ev["elapsed_s"] < 5


def test_the_speech_endpoint_gets_the_request_and_speaks_it(stack: AnswerServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment must not carry a probe: it talks to the address it names.
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    item = speech_probe(stack.url("/v1/audio/speech"))
    item["request"]["headers"] = {"Authorization": "Bearer ${DRIFT_TEST_TTS_KEY}"}
    item["request"]["json"] = {"input": "hello there, this is a much longer sentence than before", "model": "voxtral"}
    [result] = run_probes([item], now=NOW, env={"DRIFT_TEST_TTS_KEY": "k-123"})
    assert result.ok, result.detail
    seen = stack.requests[-1]
    assert (seen.method, seen.path) == ("POST", "/v1/audio/speech")
    assert json.loads(seen.body)["input"].startswith("hello there")
    assert seen.headers["Authorization"] == "Bearer k-123" and seen.headers["Content-Type"] == "application/json"
    assert "k-123" not in json.dumps(result.to_json())
    assert result.evidence["seconds"] > 2.0  # the long sentence, spoken

    [unset] = run_probes([item], now=NOW, env={})
    assert unset.detail == "header Authorization needs ${DRIFT_TEST_TTS_KEY}, which is not set"


@pytest.mark.parametrize("path, detail", [
    ("/static/16k.wav", "sample rate 16000 Hz, expected 24000 Hz"),
    ("/static/truncated.wav", "WAV truncated: header declares"),
    ("/static/short-read.wav", "connection closed after"),
    ("/static/html.wav", "not a WAV: starts with <!DOCTYPE html>"),
    ("/static/error.wav", 'status 500, expected 200: {"error": "CUDA out of memory"}'),
])
def test_broken_answers_fail_with_one_line(stack: AnswerServer, path: str, detail: str) -> None:
    result = probe_at(stack, path)
    assert not result.ok
    assert result.detail.startswith(detail) and "\n" not in result.detail
    assert result.evidence["url"] == stack.url(path)
    assert [f.severity for f in probe_findings([result])] == ["error"]


def test_a_slow_answer_times_out(stack: AnswerServer) -> None:
    started = time.monotonic()
    result = probe_at(stack, "/static/slow.wav", timeout=0.3)
    assert result.detail == "no answer within 0.3 s" and result.status is None
    trickled = probe_at(stack, "/static/trickle.wav", timeout=0.4)
    assert trickled.detail.startswith("answer not complete within 0.4 s (status 200, ")
    assert time.monotonic() - started < 2.0  # the timeout bounds the whole exchange, not each read


def test_a_closed_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    [result] = run_probes([speech_probe(f"http://127.0.0.1:{port}/v1/audio/speech")], now=NOW)
    assert result.detail == f"connection refused by 127.0.0.1:{port}" and result.status is None
    assert result.evidence["sample_rate"] is None


def test_plain_http_checks_against_the_server(stack: AnswerServer) -> None:
    [ok, missing] = run_probes([
        {"name": "health", "request": {"url": stack.url("/health")},
         "expect": {"content_type": "application/json", "body_contains": "ready"}},
        {"name": "gone", "request": {"url": stack.url("/nope"), "method": "HEAD"}, "expect": {"status": 200}},
    ], now=NOW)
    assert ok.ok and ok.detail == "200 application/json, 19 bytes"
    assert missing.detail == "status 404, expected 200" and missing.status == 404


def test_send_never_raises_for_the_network() -> None:
    assert send("GET", "http://127.0.0.1:0/").error
    assert send("GET", "http://[::1:1/").error  # a URL parse problem stays an answer too
