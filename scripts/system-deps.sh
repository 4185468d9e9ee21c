#!/usr/bin/env bash
# System packages the integration tests run for real: Prometheus (Debian's package, 2.42).
# Idempotent and quiet: nothing happens when `prometheus` is already on PATH. Uses sudo only when
# not root; --no-install-recommends keeps node-exporter out. When it cannot install (no apt-get,
# no root and no sudo), it says so in one line and exits 0: the Prometheus tests then skip.
set -euo pipefail
command -v prometheus >/dev/null 2>&1 && exit 0
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "system-deps: prometheus is not installed and this is not root (no sudo); the Prometheus tests will skip" >&2
    exit 0
  fi
  SUDO=sudo
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: no apt-get here; install Prometheus >= 2.42 on PATH for the Prometheus tests" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install_prometheus() {
  $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1
}
if ! install_prometheus; then
  # a fresh image has no package lists yet: fetch them once and retry
  if ! { $SUDO apt-get update -qq >/dev/null 2>&1 && install_prometheus; }; then
    echo "system-deps: 'apt-get install prometheus' failed; the Prometheus tests will skip" >&2
  fi
fi
