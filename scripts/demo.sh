#!/usr/bin/env bash
# The main job: set up, then run the whole graph on the embedded Sock Shop twin (offline, no keys).
# In a terminal it asks which experiment to approve; elsewhere pass --approve N (or --reject).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m agent run-graph --twin "$@"
