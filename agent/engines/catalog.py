"""The fault catalog: the registry (``agent.models.faults.FAULTS``) seen from the engine side,
with the upstream definitions.

Experiment names and env variable names are chaos-charts 3.18.0's (``faults/kubernetes/<name>/
fault.yaml``, carried in ``agent/engines/data/litmus/faults``); their defaults are read from those
files, never retyped. A test checks every env name of the registry against them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from agent.models import ExperimentSpec, Fault
from agent.models.faults import FAULTS, FaultEntry, aliases

FAULTS_DIR = Path(__file__).resolve().parent / "data" / "litmus" / "faults"

# The registry (``agent.models.faults``), read by fault: ``CATALOG[fault].parameters``, ``.risk``.
CATALOG: dict[Fault, FaultEntry] = FAULTS


def resolve(action: str) -> Fault:
    """The Fault for an upstream name or one of the seed's aliases; ValueError otherwise."""
    seed = aliases()
    if action in seed:
        return seed[action]
    try:
        return Fault(action)
    except ValueError:
        known = ", ".join([*FAULTS, *sorted(seed)])
        raise ValueError(f"unknown action {action!r}; use one of {known}") from None


@functools.cache
def upstream_defaults(fault: Fault) -> dict[str, str]:
    """The env defaults of the upstream ChaosExperiment (chaos-charts 3.18.0)."""
    doc = yaml.safe_load((FAULTS_DIR / f"{fault.value}.yaml").read_text(encoding="utf-8"))
    env = doc["spec"]["definition"]["env"]
    return {str(e["name"]): str(e.get("value", "")) for e in env}


def unused_parameters(spec: ExperimentSpec) -> list[str]:
    """Parameters set on ``spec`` that its fault does not take (they would be silently ignored)."""
    takes = set(CATALOG[spec.action].parameters)
    return [p for p in spec.parameters.set_fields() if p not in takes]
