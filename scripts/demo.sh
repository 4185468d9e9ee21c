#!/usr/bin/env bash
# The main job: set up, then run the whole graph on the embedded Sock Shop twin (offline, no keys).
# In a terminal it asks which experiment to approve; elsewhere pass --approve N (or --reject).
#
# run-graph's exit code is a verdict for pipelines (README, "Exit codes": 3 = a weakness found,
# 4 = aborted by a threshold, ...). The demo succeeds when the loop ran to any verdict; it fails
# (1 or 2) only on an error or bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
code=0
.venv/bin/python -m agent run-graph --twin "$@" || code=$?
case "$code" in
  0) ;;
  1|2) exit "$code" ;;
  *) echo "demo: the run ended with verdict exit code $code (see README, Exit codes); the demo itself succeeded" >&2 ;;
esac
