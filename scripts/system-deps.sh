#!/usr/bin/env bash
# System packages the integration tests run for real: Prometheus (Debian's package, 2.42) and
# PostgreSQL (Debian's postgresql, 15: initdb and pg_ctl live in /usr/lib/postgresql/15/bin; it
# also brings libpq5, which psycopg needs). Idempotent and quiet: nothing happens when both are
# there. Uses sudo only when not root; --no-install-recommends keeps node-exporter out. When it
# cannot install (no apt-get, no root and no sudo), it says so in one line and exits 0: those
# tests then skip.
set -euo pipefail
missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "system-deps: ${missing[*]} not installed and this is not root (no sudo); their tests will skip" >&2
    exit 0
  fi
  SUDO=sudo
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: no apt-get here; install ${missing[*]} (Prometheus >= 2.42, PostgreSQL >= 15) for their tests" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install_missing() {
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1
}
if ! install_missing; then
  # a fresh image has no package lists yet: fetch them once and retry
  if ! { $SUDO apt-get update -qq >/dev/null 2>&1 && install_missing; }; then
    echo "system-deps: 'apt-get install ${missing[*]}' failed; their tests will skip" >&2
  fi
fi
