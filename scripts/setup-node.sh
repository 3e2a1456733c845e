#!/usr/bin/env bash
# Installs what the docs-page tests need on a fresh Debian 12 (as root):
# - node >= 20.9 and npm: Debian's nodejs 18 and npm 9 first, then, since next 16 needs node
#   20.9 or later, the pinned node from the npm registry (`npm install -g node@…`: the package
#   ships the binary for this platform; it lands in /usr/local/bin, ahead of /usr/bin on PATH);
# - the pinned MDX compiler in tests/mdx (`npm ci` from its lockfile);
# - the minimal Fumadocs site in tests/docs_site (`npm ci` from its lockfile: next, fumadocs-ui,
#   fumadocs-core, fumadocs-mdx at exact versions);
# - Debian's chromium, which loads the built site's pages headless.
# Safe to run again: each step is skipped when what it installs is already there at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PINNED=20.20.2     # what `npm install -g node@…` brings when the node on PATH is too old
NODE_MIN=(20 9)         # next 16's floor

node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    node -e "const [a, b] = process.versions.node.split('.').map(Number);
             process.exit(a > $1 || (a === $1 && b >= $2) ? 0 : 1)" 2>/dev/null
}
need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/setup-node.sh: $1; run as root to install it" >&2
    exit 1
  fi
}
apt_updated=
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! node_ok 18 0; then
  need_root "node >= 18 and npm are missing"
  apt_install nodejs npm
fi
if ! node_ok "${NODE_MIN[0]}" "${NODE_MIN[1]}"; then
  need_root "node $(node --version) is older than ${NODE_MIN[0]}.${NODE_MIN[1]}, which next 16 needs"
  npm install -g --no-audit --no-fund --loglevel=error "node@$NODE_PINNED"
  hash -r
  node_ok "${NODE_MIN[0]}" "${NODE_MIN[1]}" || {
    echo "scripts/setup-node.sh: installed node@$NODE_PINNED, but $(command -v node) is still $(node --version): put $(npm prefix -g)/bin first on PATH" >&2
    exit 1
  }
fi
echo "node $(node --version) at $(command -v node), npm $(npm --version)"

# npm ci in a folder when any of the named packages is not installed at its pinned version.
install_pinned() {
  local folder=$1; shift
  local stale
  stale=$(cd "$folder" && node -e '
    const fs = require("fs");
    const pkg = require("./package.json");
    const pins = {...pkg.dependencies, ...pkg.devDependencies};
    const off = process.argv.slice(1).filter((name) => {
      try { return JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version !== pins[name]; }
      catch { return true; }
    });
    console.log(off.join(" "));' "$@")
  if [ -n "$stale" ]; then
    echo "npm ci in $folder ($stale not at the pinned version)"
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

install_pinned tests/mdx @mdx-js/mdx remark-frontmatter remark-gfm
echo "@mdx-js/mdx $(node -p 'require("./tests/mdx/node_modules/@mdx-js/mdx/package.json").version') in tests/mdx"

install_pinned tests/docs_site next fumadocs-ui fumadocs-core fumadocs-mdx react react-dom tailwindcss
echo "next $(node -p 'require("./tests/docs_site/node_modules/next/package.json").version'), fumadocs-ui $(node -p 'require("./tests/docs_site/node_modules/fumadocs-ui/package.json").version') in tests/docs_site"

if ! command -v chromium >/dev/null; then
  need_root "chromium is missing"
  apt_install chromium fonts-dejavu-core
fi
echo "$(chromium --version 2>/dev/null | head -1)"
