"""Shared kinds of the domain models: the fault names, literals and the frozen base."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

Tier = Literal["edge", "business", "data", "queue"]
Criticality = Literal["low", "medium", "high"]
RiskLevel = Literal["low", "medium", "high"]
WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet"]


class Fault(StrEnum):
    """LitmusChaos experiment names (chaos-charts 3.18.0 ``faults/kubernetes/<name>``)."""

    POD_DELETE = "pod-delete"
    CONTAINER_KILL = "container-kill"
    POD_CPU_HOG = "pod-cpu-hog"
    POD_MEMORY_HOG = "pod-memory-hog"
    POD_NETWORK_LATENCY = "pod-network-latency"
    POD_NETWORK_LOSS = "pod-network-loss"
    POD_NETWORK_CORRUPTION = "pod-network-corruption"
    POD_NETWORK_DUPLICATION = "pod-network-duplication"
    POD_DNS_ERROR = "pod-dns-error"
    DISK_FILL = "disk-fill"
    NODE_DRAIN = "node-drain"


_ALIASES = {
    "pod-kill": Fault.POD_DELETE,
    "network-delay": Fault.POD_NETWORK_LATENCY,
    "network-loss": Fault.POD_NETWORK_LOSS,
    "network-corruption": Fault.POD_NETWORK_CORRUPTION,
}


class Frozen(BaseModel):
    """Base for value objects: immutable, unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")
