#!/usr/bin/env bash
# Installs what the MDX tests need on a fresh Debian 12 (as root): node and npm, then the pinned
# MDX compiler in tests/mdx (`npm ci` from its lockfile). Debian's own nodejs 18 and npm 9 are
# enough: @mdx-js/mdx 3 compiles under node 18, and npm 9 reads the lockfile (version 3).
# Safe to run again: a node of 18 or later already on PATH is used as it is, and `npm ci` runs
# only when the installed compiler is not the pinned one.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v node >/dev/null || [ "$(node_major)" -lt 18 ] || ! command -v npm >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/setup-node.sh: node >= 18 and npm are missing; run as root to install Debian's nodejs and npm" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "node $(node --version), npm $(npm --version)"

cd tests/mdx
pinned=$(node -p 'require("./package.json").dependencies["@mdx-js/mdx"]')
installed=$(node -p 'try { require("./node_modules/@mdx-js/mdx/package.json").version } catch { "" }' 2>/dev/null || true)
if [ "$installed" != "$pinned" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "@mdx-js/mdx $(node -p 'require("./node_modules/@mdx-js/mdx/package.json").version') in tests/mdx"
