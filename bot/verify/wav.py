"""A WAV read from the bytes of an answer, never trusted from a content type: the standard
`wave` module reads the header, and the data chunk's announced size is checked against the
bytes actually present (a speech endpoint that dies mid-stream sends a truncated file)."""
from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterable
from dataclasses import dataclass

from bot.verify.display import quote_start


class NotWav(ValueError):
    """The bytes are no WAV, or one whose header cannot be read; the message is the detail."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    sample_width: int  # bytes per sample
    frames: int  # whole frames present in the answer
    declared_frames: int | None  # what the header's data chunk announces; None: not declared (streamed)
    format: str = "pcm"

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def declared_seconds(self) -> float | None:
        if self.declared_frames is None or not self.sample_rate:
            return None
        return self.declared_frames / self.sample_rate

    @property
    def truncated(self) -> bool:
        return self.declared_frames is not None and self.frames < self.declared_frames


_FORMATS = {1: "pcm", 3: "float", 6: "a-law", 7: "mu-law", 0xFFFE: "extensible"}
# Servers that stream a WAV before they know its length write one of these as the data size.
_UNKNOWN_SIZES = {0, 0xFFFFFFFF, 0x7FFFFFFF}


def read_wav(data: bytes) -> WavInfo:
    """Parse a WAV from its bytes: the `wave` module reads the RIFF header and the PCM format;
    the data chunk's announced size is compared with the bytes actually present."""
    if not data:
        raise NotWav("not a WAV: the answer is empty")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        if data[:4] == b"RIFF" and len(data) < 12:
            raise NotWav(f"WAV truncated: the answer ends after {len(data)} bytes of the RIFF header")
        raise NotWav(f"not a WAV: starts with {quote_start(data)}")
    span = _data_chunk(data)
    if span is None:
        raise NotWav(f"WAV truncated: no data chunk in {len(data)} bytes")
    offset, announced = span
    if int.from_bytes(data[4:8], "little") in _UNKNOWN_SIZES:
        data = data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:]  # streamed: RIFF size not known yet
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        fmt = "pcm"
    except wave.Error as exc:
        # Python 3.11's wave reads PCM only; IEEE float and WAVE_FORMAT_EXTENSIBLE are valid
        # WAVs a TTS server may send, so their fmt chunk is read by hand.
        if not str(exc).startswith("unknown format"):
            raise NotWav(f"not a readable WAV: {exc}") from None
        rate, channels, width, fmt = _fmt_chunk(data)
    except (EOFError, struct.error):
        raise NotWav(f"WAV truncated: the header ends after {len(data)} bytes") from None
    if not rate or not channels or not width:
        raise NotWav(f"not a readable WAV: {rate} Hz, {channels} channels, {width * 8}-bit samples")
    frame = channels * width
    present = max(0, len(data) - offset)
    if announced in _UNKNOWN_SIZES and (announced or present):  # a placeholder, not a length
        declared = None
    else:
        declared = announced // frame
        present = min(present, announced)
    return WavInfo(rate, channels, width, present // frame, declared, fmt)


def _chunks(data: bytes) -> Iterable[tuple[bytes, int, int]]:
    """(id, offset of the chunk's data, announced size) of each RIFF chunk in the WAVE form."""
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        yield cid, pos + 8, size
        pos += 8 + size + (size & 1)


def _data_chunk(data: bytes) -> tuple[int, int] | None:
    return next(((at, size) for cid, at, size in _chunks(data) if cid == b"data"), None)


def _fmt_chunk(data: bytes) -> tuple[int, int, int, str]:
    for cid, at, size in _chunks(data):
        if cid == b"fmt " and size >= 16 and at + 16 <= len(data):
            tag, channels, rate, _rate, _align, bits = struct.unpack_from("<HHIIHH", data, at)
            if tag == 0xFFFE and size >= 40 and at + 26 <= len(data):
                tag = struct.unpack_from("<H", data, at + 24)[0]  # the sub-format GUID's first two bytes
            if tag not in (1, 3):
                raise NotWav(f"not a readable WAV: sample format {_FORMATS.get(tag, hex(tag))}")
            return rate, channels, (bits + 7) // 8, _FORMATS[tag]
    raise NotWav("not a readable WAV: no fmt chunk")
