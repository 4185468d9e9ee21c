"""The run's graph state: JSON-shaped data only (models dumped with mode="json"), no clients.

Anything large or write-once (inventory, candidates, baseline, manifest, samples) lives in the
RunStore: the SQLite checkpointer re-stores every channel at every step.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal

from typing_extensions import TypedDict  # typing's cannot be turned into a JSON schema (Studio) before 3.12

Phase = Literal["designed", "running", "stopping", "recovering", "done"]


class RunState(TypedDict, total=False):
    run_id: str
    count: int
    preset: dict[str, object] | None  # ExperimentSpec from a file (`run SPEC`): no designer
    dry_run: bool  # stop after the server-side dry-run
    cluster: dict[str, object]  # how this run reaches its cluster (twin or kubeconfig)
    candidates: list[str]  # titles; the Candidates themselves are in the RunStore
    rejected: list[dict[str, object]]  # [Rejection]
    llm_usage: dict[str, object]  # LLMUsage of the design step
    asked_at: str | None  # when the approval was asked for (real time, ISO): it expires
    decision: dict[str, object] | None  # Decision
    engine: dict[str, object] | None  # EngineRef
    has_baseline: bool  # the baseline Sample is in the RunStore
    engine_status: dict[str, object] | None  # EngineStatus
    tick: int
    phase: Phase
    chaos_started_at: str | None  # the engine's creationTimestamp (or when it was applied)
    last_cluster_at: str | None  # the Kubernetes API's last answer about the engine
    cluster_error: str | None  # the last engine read's failure, if it failed
    stop_requested_at: str | None  # when the monitor decided to stop the engine
    chaos_ended_at: str | None
    last_metrics_at: str | None
    metrics_error: str | None  # the last read's failure, if it failed
    last_progress_at: str | None
    deviated: bool
    back: bool  # deviated, then back within the baseline band while chaos still ran
    outcome: str | None  # agent.models.Outcome
    reason: str | None
    report_path: str | None
    tldr: str | None
    events: Annotated[list[dict[str, object]], operator.add]  # [RunEvent]


class RunInput(TypedDict, total=False):
    """What a caller may give a new run (the graph's input schema): nothing internal, so no caller
    can seed an outcome, an engine or a phase. Without ``run_id`` (Studio), the run takes one from
    its thread id."""

    run_id: str
    count: int
    cluster: dict[str, object]
    preset: dict[str, object] | None
    dry_run: bool
