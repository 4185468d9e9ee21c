"""The fault catalog: every LitmusChaos fault the agent knows, with upstream names.

Experiment names and env variable names are chaos-charts 3.18.0's (``faults/kubernetes/<name>/
fault.yaml``, carried in ``agent/engines/data/litmus/faults``); their defaults are read from those
files, never retyped. What each fault tests and how risky it is are ours. A test checks every
env name here against the upstream definitions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from agent.models import ExperimentSpec, Fault, RiskLevel
from agent.models.base import _ALIASES

FAULTS_DIR = Path(__file__).resolve().parent / "data" / "litmus" / "faults"

# The seed's action names (ExperimentSpec accepts them too).
ALIASES: dict[str, Fault] = dict(_ALIASES)

# Parameters field -> upstream env variable; a fault uses the fields its definition declares.
PARAMETER_ENV: dict[str, str] = {
    "duration_s": "TOTAL_CHAOS_DURATION",
    "pods_affected_perc": "PODS_AFFECTED_PERC",
    "chaos_interval_s": "CHAOS_INTERVAL",
    "force": "FORCE",
    "network_latency_ms": "NETWORK_LATENCY",
    "jitter_ms": "JITTER",
    "packet_loss_pct": "NETWORK_PACKET_LOSS_PERCENTAGE",
    "packet_corruption_pct": "NETWORK_PACKET_CORRUPTION_PERCENTAGE",
    "packet_duplication_pct": "NETWORK_PACKET_DUPLICATION_PERCENTAGE",
    "destination_hosts": "DESTINATION_HOSTS",
    "cpu_cores": "CPU_CORES",
    "cpu_load_pct": "CPU_LOAD",
    "memory_consumption_mb": "MEMORY_CONSUMPTION",
    "number_of_workers": "NUMBER_OF_WORKERS",
    "fill_percentage": "FILL_PERCENTAGE",
    "signal": "SIGNAL",
    "target_hostnames": "TARGET_HOSTNAMES",
    "target_node": "TARGET_NODE",
}


@dataclass(frozen=True)
class FaultInfo:
    """One fault: what it tests, its risk, and which parameters it takes."""

    fault: Fault
    tests: str
    risk: RiskLevel
    parameters: tuple[str, ...]  # Parameters fields this fault uses
    node_level: bool = False

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(PARAMETER_ENV[p] for p in self.parameters)


_POD = ("duration_s", "pods_affected_perc")
_NET = (*_POD, "destination_hosts")

CATALOG: dict[Fault, FaultInfo] = {
    f.fault: f
    for f in [
        FaultInfo(Fault.POD_DELETE, "restart tolerance: replicas, readiness, reconnects", "medium",
                  (*_POD, "chaos_interval_s", "force")),
        FaultInfo(Fault.CONTAINER_KILL, "crash recovery of one container and its restart cost", "medium",
                  (*_POD, "chaos_interval_s", "signal")),
        FaultInfo(Fault.POD_CPU_HOG, "CPU limits, throttling and autoscaling under CPU pressure", "low",
                  (*_POD, "cpu_cores", "cpu_load_pct")),
        FaultInfo(Fault.POD_MEMORY_HOG, "memory limits: slowdown below the limit, OOM kill above it", "medium",
                  (*_POD, "memory_consumption_mb", "number_of_workers")),
        FaultInfo(Fault.POD_NETWORK_LATENCY, "timeouts and retries of callers when a dependency is slow", "medium",
                  (*_NET, "network_latency_ms", "jitter_ms")),
        FaultInfo(Fault.POD_NETWORK_LOSS, "error handling and retries when packets are dropped", "medium",
                  (*_NET, "packet_loss_pct")),
        FaultInfo(Fault.POD_NETWORK_CORRUPTION, "integrity checks and retries on corrupted packets", "medium",
                  (*_NET, "packet_corruption_pct")),
        FaultInfo(Fault.POD_NETWORK_DUPLICATION, "idempotency of requests seen twice", "low",
                  (*_NET, "packet_duplication_pct")),
        FaultInfo(Fault.POD_DNS_ERROR, "behaviour when service names stop resolving", "medium",
                  (*_POD, "target_hostnames")),
        FaultInfo(Fault.DISK_FILL, "ephemeral-storage limits and eviction", "high",
                  (*_POD, "fill_percentage")),
        FaultInfo(Fault.NODE_DRAIN, "rescheduling, PodDisruptionBudgets and spread across nodes", "high",
                  ("duration_s", "target_node"), node_level=True),
    ]
}


def resolve(action: str) -> Fault:
    """The Fault for an upstream name or one of the seed's aliases; ValueError otherwise."""
    if action in ALIASES:
        return ALIASES[action]
    try:
        return Fault(action)
    except ValueError:
        known = ", ".join([f.value for f in Fault] + sorted(ALIASES))
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
