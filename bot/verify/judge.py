"""One answer judged against its probe's expectations: status, content type, text and, for
speech endpoints, the WAV itself. Pure: the answer is data, the time is given."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.adapters.http import HttpAnswer
from bot.verify.display import _short, display_url, quote_start
from bot.verify.spec import Probe, WavExpectation
from bot.verify.wav import NotWav, WavInfo, read_wav


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    url: str  # as shown: no credentials, secret query values redacted
    status: int | None
    detail: str  # one line: what failed, or what was seen when all passed
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "url": self.url, "status": self.status,
                "detail": self.detail, "evidence": self.evidence}


def evaluate(probe: Probe, answer: HttpAnswer, *, now: str | datetime) -> ProbeResult:
    """Judge one answer against its probe's expectations; pure."""
    url = display_url(probe.url)
    ctype = _media_type(answer.header("Content-Type"))
    evidence: dict[str, Any] = {
        "url": url, "method": probe.method, "status": answer.status, "content_type": ctype,
        "bytes": len(answer.body), "elapsed_s": round(answer.elapsed, 3), "time": _stamp(now),
    }
    wav_expected = probe.expect.wav
    if wav_expected is not None:
        evidence.update(sample_rate=None, channels=None, seconds=None)

    def result(problems: list[str], summary: str) -> ProbeResult:
        return ProbeResult(probe.name, not problems, url, answer.status, "; ".join(problems) or summary, evidence)

    if answer.error:
        evidence["error"] = answer.error
        return result([answer.error], "")
    allowed = probe.expect.status
    if (answer.status not in allowed) if allowed else not (200 <= (answer.status or 0) < 300):
        want = " or ".join(str(s) for s in allowed) if allowed else "2xx"
        said = f": {quote_start(answer.body)}" if answer.body else ""
        return result([f"status {answer.status}, expected {want}{said}"], "")

    problems: list[str] = []
    if probe.expect.content_type and ctype not in probe.expect.content_type:
        want = " or ".join(probe.expect.content_type)
        problems.append(f"content type {ctype}, expected {want}" if ctype else f"no content type, expected {want}")
    if probe.expect.body_contains is not None:
        if probe.expect.body_contains not in answer.body.decode("utf-8", errors="replace"):
            problems.append(f"answer does not contain {_short(probe.expect.body_contains)!r}")
    summary = f"{answer.status} {ctype or 'without content type'}, {_size(len(answer.body))}"
    if wav_expected is not None:
        try:
            info = read_wav(answer.body)
        except NotWav as exc:
            problems.append(str(exc))
        else:
            evidence.update(sample_rate=info.sample_rate, channels=info.channels, seconds=round(info.seconds, 3),
                            bits=info.sample_width * 8, format=info.format)
            if info.declared_frames is not None and info.truncated:
                evidence["declared_seconds"] = round(info.declared_seconds or 0.0, 3)
            problems.extend(_judge_wav(info, wav_expected, frame=info.channels * info.sample_width))
            summary = (f"{answer.status} {ctype or 'without content type'}, WAV {info.sample_rate} Hz "
                       f"{_channels(info.channels)} {info.seconds:.2f} s, {_size(len(answer.body))}")
    return result(problems, summary)


def _judge_wav(info: WavInfo, want: WavExpectation, *, frame: int) -> list[str]:
    if info.truncated:
        declared = info.declared_frames or 0
        # A cut file says nothing reliable about the rest; its length is the only finding.
        return [f"WAV truncated: header declares {info.declared_seconds:.2f} s ({declared * frame} bytes of samples), "
                f"only {info.seconds:.2f} s ({info.frames * frame} bytes) present"]
    problems = []
    if want.sample_rate is not None and info.sample_rate != want.sample_rate:
        problems.append(f"sample rate {info.sample_rate} Hz, expected {want.sample_rate} Hz")
    if want.channels is not None and info.channels != want.channels:
        problems.append(f"{_channels(info.channels)}, expected {_channels(want.channels)}")
    if want.min_seconds is not None and info.seconds < want.min_seconds:
        problems.append(f"{info.seconds:.2f} s of audio, expected at least {want.min_seconds:g} s")
    if want.max_seconds is not None and info.seconds > want.max_seconds:
        problems.append(f"{info.seconds:.2f} s of audio, expected at most {want.max_seconds:g} s")
    return problems


def _media_type(value: str | None) -> str | None:
    return value.split(";", 1)[0].strip().lower() or None if value else None


def _stamp(now: str | datetime) -> str:
    if isinstance(now, datetime):
        now = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
        return now.isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(now)


def _channels(n: int) -> str:
    return {1: "mono", 2: "stereo"}.get(n, f"{n} channels")


def _size(n: int) -> str:
    return f"{n} bytes" if n < 10_000 else f"{n / 1024:.0f} KiB" if n < 10 * 1024 * 1024 else f"{n / 1048576:.1f} MiB"
