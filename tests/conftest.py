"""Suite-wide defaults. ``--twin`` reads the twin's signal model here unless a test asks for the
Prometheus path itself (``CHAOS_ADVISOR_TWIN__METRICS=prometheus``: tests/e2e/test_twin_prometheus_cli.py,
tests/integration/test_twin_prometheus.py): a private Prometheus costs ~5 s to its first scrape,
which every run of the CLI would pay. Set here, before any test starts a subprocess, so the CLI's
children inherit it; a value already in the environment wins."""

from __future__ import annotations

import os

os.environ.setdefault("CHAOS_ADVISOR_TWIN__METRICS", "model")
