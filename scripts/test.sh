#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh Debian 12 (as root) and runs it.
# Safe to run again: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# The project's own Python environment first: the setup steps below use its pip, never the system's.
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'

if [ "$(id -u)" = 0 ]; then
  PYTHON="$PWD/.venv/bin/python" bash scripts/setup-docker.sh      # Docker engine, Compose v2, sshd, a local busybox image
  bash scripts/setup-audio.sh       # espeak-ng and sox: real speech for the verification probes
  bash scripts/setup-node.sh        # node >= 20.9, the pinned MDX compiler and Fumadocs site, Debian's chromium: the docs pages compiled, built and rendered
elif [ "${CI:-}" = true ]; then
  echo "scripts/test.sh: CI needs root to install the Docker engine, the audio tools and node" >&2
  exit 1
fi

exec .venv/bin/python -m pytest -q -n 2 "$@"   # two workers: the machine has two cores
