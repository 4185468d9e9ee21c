"""The run's graph state: JSON-shaped data only (models dumped with mode="json"), no clients.

Samples are not here (they would be re-stored whole at every tick); they live in the RunStore.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

Phase = Literal["designed", "running", "stopping", "recovering", "done"]


class RunState(TypedDict, total=False):
    run_id: str
    count: int
    preset: dict[str, object] | None  # ExperimentSpec from a file (`run SPEC`): no designer
    dry_run: bool  # stop after the server-side dry-run
    cluster: dict[str, object]  # how this run reaches its cluster (twin or kubeconfig)
    inventory: dict[str, object]  # Inventory
    candidates: list[dict[str, object]]  # [Candidate]
    rejected: list[dict[str, object]]  # [Rejection]
    llm_usage: dict[str, object]  # LLMUsage of the design step
    decision: dict[str, object] | None  # Decision
    manifest: dict[str, object] | None  # ChaosEngineManifest
    engine: dict[str, object] | None  # EngineRef
    baseline: dict[str, object] | None  # Sample
    last_sample: dict[str, object] | None  # Sample
    engine_status: dict[str, object] | None  # EngineStatus
    tick: int
    phase: Phase
    chaos_ended_at: str | None
    last_metrics_at: str | None
    metrics_error: str | None  # the last read's failure, if it failed
    last_progress_at: str | None
    deviated: bool
    outcome: str | None  # agent.models.Outcome
    reason: str | None
    report_path: str | None
    tldr: str | None
    events: Annotated[list[dict[str, object]], operator.add]  # [RunEvent]
