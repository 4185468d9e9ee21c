"""Shared kinds of the domain models: literals and the frozen base (fault names: ``agent.models.faults``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Tier = Literal["edge", "business", "data", "queue"]
Criticality = Literal["low", "medium", "high"]
RiskLevel = Literal["low", "medium", "high"]
WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet"]
SignalName = Literal["error_rate_pct", "latency_p95_ms", "cpu_millicores", "memory_mib"]
# What a hypothesis may predict: the SLO signals, and ready replicas as the Kubernetes API reports
# them (a data store exports no request metrics; its readiness and its callers show its failure).
PredictedSignal = SignalName | Literal["ready_replicas"]


class Frozen(BaseModel):
    """Base for value objects: immutable, unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")
