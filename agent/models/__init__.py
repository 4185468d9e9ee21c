"""Domain models: what crosses module boundaries (``from agent.models import X``).

YAML, JSON, Kubernetes objects and LLM output become these once, at the edge. Everything here is
JSON-shaped so it can live in the checkpointed graph state (``model_dump(mode="json")``).

Modules: ``base`` (literals, the frozen base), ``faults`` (the fault registry), ``inventory`` (the discovered stack),
``spec`` (experiment specs, candidates, proposals), ``run`` (approval, engine, signals, events,
audit), ``verify`` (the effect and cleanup checks after a run).
"""

from __future__ import annotations

from agent.models.base import (  # noqa: F401
    Criticality,
    Frozen,
    PredictedSignal,
    RiskLevel,
    Tier,
    WorkloadKind,
)
from agent.models.faults import FAULTS, Fault, FaultEntry  # noqa: F401
from agent.models.inventory import (  # noqa: F401
    Container,
    Dependency,
    Inventory,
    KubeService,
    LitmusInstall,
    Pod,
    Probe,
    Target,
    Workload,
)
from agent.models.run import (  # noqa: F401
    ApprovalRequest,
    AuditAction,
    AuditEntry,
    ChaosLeftover,
    Decision,
    EngineInfo,
    EngineRef,
    EngineStatus,
    EventKind,
    KillSwitch,
    Outcome,
    RunEvent,
    Sample,
    Signals,
    StopRequest,
)
from agent.models.spec import (  # noqa: F401
    AbortCondition,
    AbortThreshold,
    Candidate,
    Comparison,
    ExpectedSignal,
    ExperimentSpec,
    Hypothesis,
    LLMUsage,
    Parameters,
    Proposal,
    Rejection,
    SignalName,
    TargetSelector,
)
from agent.models.verify import CleanupResult, EffectCheck, EffectResult  # noqa: F401

__all__ = [
    "AbortCondition",
    "AbortThreshold",
    "ApprovalRequest",
    "AuditAction",
    "AuditEntry",
    "Candidate",
    "ChaosLeftover",
    "CleanupResult",
    "Comparison",
    "Container",
    "Criticality",
    "Decision",
    "EffectCheck",
    "EffectResult",
    "Dependency",
    "EngineInfo",
    "EngineRef",
    "EngineStatus",
    "EventKind",
    "ExpectedSignal",
    "ExperimentSpec",
    "FAULTS",
    "Fault",
    "FaultEntry",
    "Frozen",
    "Hypothesis",
    "Inventory",
    "KubeService",
    "LLMUsage",
    "LitmusInstall",
    "KillSwitch",
    "Outcome",
    "StopRequest",
    "Parameters",
    "Pod",
    "PredictedSignal",
    "Probe",
    "Proposal",
    "Rejection",
    "RiskLevel",
    "RunEvent",
    "Sample",
    "SignalName",
    "Signals",
    "Target",
    "TargetSelector",
    "Tier",
    "Workload",
    "WorkloadKind",
]
