#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) for the `drift verify` tests that need real
# speech: Debian's espeak-ng (speaks a sentence into a WAV) and sox (resamples it to 24 kHz,
# the rate vLLM-Omni Voxtral answers with, and to 16 kHz for the wrong-rate case).
#
# Idempotent: each tool is installed only when missing, so a second run installs nothing and
# does not touch the network. Runs without a terminal or stdin (CI=true bash .ci/run).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
say() { printf 'setup-audio: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (it installs Debian packages)"
  exit 1
fi

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq </dev/null
  # No recommends: sox would pull in every format plugin, espeak-ng the pulseaudio stack.
  # espeak-ng writes WAV itself (-w) and sox reads and writes WAV without libsox-fmt-*.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# Prove the pair works end to end, the way tests/audio/ uses it.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
espeak-ng -w "$tmp/raw.wav" "drift verify" </dev/null
sox "$tmp/raw.wav" -r 24000 "$tmp/24k.wav" </dev/null
rate="$(sox --i -r "$tmp/24k.wav")"
if [ "$rate" != 24000 ]; then
  say "sox wrote a ${rate} Hz file where 24000 Hz was asked for"
  exit 1
fi

say "ready: espeak-ng $(espeak-ng --version | awk '{print $4; exit}'), sox $(sox --version | sed 's/.*SoX v//')"
