"""A run after design: approval, engine, signals, events and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, model_validator

from agent.models.base import Frozen

# --- approval ------------------------------------------------------------------------------------


class ApprovalRequest(Frozen):
    """The interrupt payload: what a human is asked to decide."""

    run_id: str
    candidates: list[str]
    question: str = "Which experiment should run?"


class Decision(Frozen):
    """A human's answer to an ApprovalRequest; ``choice`` is the 1-based candidate rank."""

    verdict: Literal["approve", "reject"]
    choice: int | None = Field(None, ge=1)
    approver: str = Field(min_length=1)
    channel: Literal["cli", "slack", "chat", "web"]
    at: datetime
    note: str = ""

    @model_validator(mode="after")
    def _choice_when_approving(self) -> Decision:
        if self.verdict == "approve" and self.choice is None:
            raise ValueError("an approval must name the experiment (choice)")
        return self


# --- execution and monitoring ----------------------------------------------------------------------


ChaosEngineName = Literal["litmus", "chaos-mesh"]


class EngineRef(Frozen):
    """Where an applied chaos object lives (a Litmus ChaosEngine or a Chaos Mesh PodChaos, ...);
    ``created`` is False when it already existed. ``engine`` is recorded so a resumed run, ``abort``
    and ``recover`` drive the same backend (older checkpoints lack it: they were Litmus)."""

    engine: ChaosEngineName = "litmus"
    kind: str = "ChaosEngine"
    name: str
    namespace: str
    uid: str
    created: bool
    created_at: datetime | None = None  # the API server's creationTimestamp: when chaos began
    run_id: str | None = None  # its chaos-advisor.io/run-id label: whose engine it is


class EngineInfo(Frozen):
    """A chaos object as listed in a namespace (``recover`` looks for the agent's own): a Litmus
    ChaosEngine, or a Chaos Mesh object (``engine_status`` then its neutral phase)."""

    engine: ChaosEngineName = "litmus"
    kind: str = "ChaosEngine"
    name: str
    namespace: str
    uid: str = ""
    created_at: datetime | None = None
    engine_state: str = ""
    engine_status: str | None = None
    managed: bool = False  # labelled app.kubernetes.io/managed-by: chaos-advisor
    duration_s: int | None = None  # its TOTAL_CHAOS_DURATION, when set
    resource_version: str = ""  # as listed: a delete sent with it as precondition fails if it changed since

    @property
    def run_id(self) -> str | None:
        """The run that created it (the agent names engines ``ca-<run id>``), else None."""
        return self.name[3:] if self.name.startswith("ca-") and len(self.name) > 3 else None

    @property
    def active(self) -> bool:
        """Chaos may still be injected: not asked to stop and not finished by the operator."""
        return self.engine_state != "stop" and self.engine_status not in {"completed", "stopped"}


class ChaosLeftover(Frozen):
    """A pod or ChaosResult Litmus made for one engine: the operator's runner pod, litmus-go's
    experiment and helper pods and its ChaosResult all carry the label ``chaosUID=<engine uid>``."""

    kind: Literal["Pod", "ChaosResult"]
    namespace: str
    name: str
    uid: str = ""  # a delete sent with it as precondition never removes a newer object of that name
    engine: str = ""  # the engine's name: the audit files the deletion under its run
    phase: str = ""  # a pod's status.phase: Succeeded or Failed pods no longer act (kept for their logs)


class ProbeOutcome(Frozen):
    """One Litmus probe of the ChaosResult (``status.probeStatuses[]``): Passed, Failed, Awaited or N/A."""

    name: str
    type: str = ""
    mode: str = ""
    verdict: str = "Awaited"
    description: str = ""


class EngineStatus(Frozen):
    """The engine's and its ChaosResult's state, as the operator reports them."""

    engine_state: str
    engine_status: str | None = None
    experiment_status: str | None = None
    phase: str | None = None
    verdict: str | None = None
    probe_success_pct: str | None = None  # ChaosResult probeSuccessPercentage: "Awaited", "0".."100"
    probes: list[ProbeOutcome] = []

    @property
    def finished(self) -> bool:
        """True once the operator considers the run over (completed, stopped or errored)."""
        return self.engine_status in {"completed", "stopped"} or self.phase in {
            "Completed",
            "Stopped",
            "Error",
            "Completed_With_Probe_Failure",
        }


class Signals(Frozen):
    """One service's SLO signals at one instant; None = not measured."""

    error_rate_pct: float | None = None
    latency_p95_ms: float | None = None
    cpu_millicores: float | None = None
    memory_mib: float | None = None
    ready_replicas: int | None = None
    replicas: int | None = None


class Sample(Frozen):
    """All services' signals at one tick."""

    tick: int
    at: datetime
    services: dict[str, Signals]


EventKind = Literal[
    "discovered",
    "designed",
    "notified",
    "approved",
    "rejected",
    "refused",  # the policy in force refused the plan (at approval or just before the apply)
    "dry_run",
    "applied",
    "engine_found",
    "chaos_running",
    "first_deviation",
    "threshold_breached",
    "abort_requested",
    "interrupted",  # the person running the agent asked it to stop (Ctrl-C, SIGTERM)
    "engine_removed",  # the watched ChaosEngine was deleted outside the agent (a 404 is an answer)
    "stopped",
    "completed",
    "recovered",
    "recovery_timeout",
    "metrics_lost",
    "cluster_lost",  # the Kubernetes API stopped answering longer than monitor.cluster_grace_s
    "overrun",  # the engine still ran past its planned duration (+ monitor.overrun_grace_s)
    "stop_unconfirmed",  # a stop could not be confirmed before the planned end of chaos
    "resumed",  # `python -m agent recover` picked the run up after the agent stopped
    "failed",
    "reported",
]


class RunEvent(Frozen):
    """A timestamped event of a run, for the timeline: ``at`` on the run's clock (the twin's
    virtual time on the twin: offsets from the injection are computed on it), ``wall`` the real
    time in UTC when it was recorded (what a person reads; None in runs recorded before it was)."""

    at: datetime
    kind: EventKind
    detail: str = ""
    wall: datetime | None = None


# "inconclusive": the engine ran, but the cluster and the metrics showed no effect of the fault
# (agent.run.effect); never reported as a held hypothesis.
Outcome = Literal["completed", "aborted", "rejected", "refused", "failed", "dry_run", "inconclusive"]


# --- audit -------------------------------------------------------------------------------------

AuditAction = Literal[
    "decision",  # a human approved or rejected a run
    "decision_refused",  # an answer that changed nothing: stale, duplicate, not allowed, expired, or the policy
    "apply_refused",  # the policy in force refused a plan immediately before its engine was applied
    "freeze",  # the kill switch was turned on (`python -m agent freeze`)
    "unfreeze",  # the kill switch was turned off
    "abort_requested",  # a human asked to stop a run (`python -m agent abort RUN`)
    "engine_dry_run",  # server-side dry-run of a ChaosEngine
    "engine_apply",  # live create of a ChaosEngine
    "engine_stop",  # patch engineState: stop
    "engine_delete",  # an ended engine older than policy.engine_retention deleted (`recover`)
    "leftover_delete",  # a chaos pod or ChaosResult of such an engine deleted with it
    "run_outcome",  # how the run ended, when its report was written
    "claim_released",  # `recover` dropped an approval claim whose claimer died before answering
    "run_recovered",  # `recover` resumed a run whose process had died
]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditEntry(Frozen):
    """One line of the append-only audit log: who did what to which run, when, and the result."""

    at: datetime = Field(default_factory=_utcnow)  # wall clock, UTC: when it was recorded
    run_at: datetime | None = None  # the run's clock (the twin's virtual time on the twin)
    run_id: str
    who: str  # the approver, or "agent" for the agent's own cluster writes
    channel: str | None = None  # cli / slack / chat, for decisions
    action: AuditAction
    what: str  # e.g. "approve #1 'Catalogue pod delete'", "ChaosEngine sock-shop/ca-1234abcd"
    result: str = "ok"  # "ok", or the error (or the refusal) in one line
    cluster: str | None = None  # its name in stack.yaml's clusters: (None: a single-cluster stack.yaml)


class KillSwitch(Frozen):
    """The kill switch in the shared state (``python -m agent freeze``): while ``on``, every
    apply is refused, on every replica. ``by``/``at``/``reason`` say who turned it last."""

    on: bool = False
    by: str = ""
    at: datetime | None = None
    reason: str = ""


class StopRequest(Frozen):
    """A person's request, from another process, to stop a run that has no engine to patch (a no-fault
    control): the watching process reads it each tick (``agent.run.abort``)."""

    by: str  # channel:who, e.g. "cli:alice"
    at: datetime  # the run's clock
