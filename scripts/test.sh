#!/usr/bin/env bash
# Set up, then run every test (unit, integration against the twin, end-to-end CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
