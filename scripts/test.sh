#!/usr/bin/env bash
# Set up, then run every check: lint (ruff), types (mypy), import contracts (lint-imports), and all tests (unit, integration
# against the twin through the real kubernetes client, end-to-end CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/system-deps.sh
# The Prometheus tests run the real server: a test run without it would not be the real thing.
command -v prometheus >/dev/null || { echo "test.sh: prometheus is not installed (see scripts/system-deps.sh)" >&2; exit 1; }
# Likewise the shared-state tests run a private PostgreSQL (initdb, pg_ctl: off PATH on Debian).
for pg in initdb pg_ctl; do
  compgen -G "/usr/lib/postgresql/*/bin/$pg" >/dev/null || command -v "$pg" >/dev/null \
    || { echo "test.sh: PostgreSQL's $pg is not installed (see scripts/system-deps.sh)" >&2; exit 1; }
done
# Likewise the report's diagrams are drawn by the real mmdc (chromium + mermaid-cli in .tools/).
./scripts/mermaid-deps.sh
[ -x .tools/mermaid/node_modules/.bin/mmdc ] || { echo "test.sh: mmdc is not installed (see scripts/mermaid-deps.sh)" >&2; exit 1; }
.venv/bin/ruff check --quiet .
.venv/bin/mypy --no-error-summary agent graphs tools prompts twin
# Import contracts (.importlinter): layers, adapters only through agent.wiring, the twin on its own.
out=$(.venv/bin/lint-imports --no-cache 2>&1) || { echo "$out" >&2; exit 1; }
exec .venv/bin/python -m pytest "$@"
