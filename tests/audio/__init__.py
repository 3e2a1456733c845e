"""Real speech for the `drift verify` tests, made at test time by Debian's espeak-ng and sox.

Made, not committed: the repository carries no audio binaries, the tests run exactly the two
tools `scripts/setup-audio.sh` installs, and a WAV costs about 50 ms to make. espeak-ng speaks
at 22 050 Hz; sox resamples that to the rate a test asks for (24 kHz like vLLM-Omni Voxtral's
`/v1/audio/speech`, 16 kHz for the wrong-rate case), 16-bit PCM.

Without the tools the tests that need them are skipped with the reason; under CI=true they
fail instead, because CI is meant to have run the setup script.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.dockerenv import unavailable

SETUP = "run `bash scripts/setup-audio.sh` as root"
TOOLS = ("espeak-ng", "sox")


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        unavailable(f"{' and '.join(missing)} not found, needed to make real speech for the verify probes; {SETUP}")


def speak(text: str, out: Path, *, rate: int = 24000, channels: int = 1) -> bytes:
    """Speak `text` into `out` as a WAV at `rate` Hz and return its bytes."""
    raw = out.with_name(out.stem + ".espeak.wav")
    _run(["espeak-ng", "-w", str(raw), "--", text])
    _run(["sox", str(raw), "-r", str(rate), "-c", str(channels), "-b", "16", "-e", "signed-integer", str(out)])
    raw.unlink()
    return out.read_bytes()


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[:300]}")
