"""Settings: stack.yaml plus environment, read once at the entry point.

Environment variables override the file: ``CHAOS_ADVISOR_<SECTION>__<FIELD>`` (for example
``CHAOS_ADVISOR_MONITOR__POLL_INTERVAL_S=2``). Unknown keys are errors with a did-you-mean.
No other module reads files or environment variables on its own.

Import from here (``from agent.config import Settings, load_settings``); inside:

- :mod:`agent.config.sections`: the sections (``k8s``, ``policy``, ``monitor``, ...) and
  ``HIGH_RISK_FAULTS``;
- :mod:`agent.config.settings`: the :class:`Settings` root and the environment it reads;
- :mod:`agent.config.loader`: :func:`load_settings`, reading the file and explaining what is wrong;
- :mod:`agent.config.templates`: the ``design`` section and the custom experiment templates' folder;
- :mod:`agent.config.files`: bounded reads of the files a person names (stack.yaml, spec files,
  ``--manifests``) and the directories the settings name, made whole or not at all.
"""

from __future__ import annotations

from agent.config.loader import load_settings
from agent.config.sections import (
    HIGH_RISK_FAULTS,
    LLM,
    Checkpoint,
    K8s,
    Litmus,
    Monitoring,
    MonitorSettings,
    Paths,
    Policy,
    Prometheus,
    PromQueries,
    Section,
    Slack,
    TargetService,
    Twin,
)
from agent.config.settings import OpenAIEnv, Settings

__all__ = [
    "HIGH_RISK_FAULTS",
    "LLM",
    "Checkpoint",
    "K8s",
    "Litmus",
    "MonitorSettings",
    "Monitoring",
    "OpenAIEnv",
    "Paths",
    "Policy",
    "PromQueries",
    "Prometheus",
    "Section",
    "Settings",
    "Slack",
    "TargetService",
    "Twin",
    "load_settings",
]
