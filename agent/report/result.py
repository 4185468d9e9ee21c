"""The run's result as a versioned JSON document for CI (``--result PATH``), and its JSON Schema.

The schema is generated from these models and ships in ``agent/report/data/result.schema.json``
(``python -m agent schema --result`` prints it; a test keeps the two equal). ``schema_version``
changes its major number when a field is removed or changes meaning, its minor one when a field
is added. Times are on the run's clock (the twin's virtual time on the twin), offsets in seconds
from the injection.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import Field, JsonValue

from agent.models.base import Frozen
from agent.report.verdict import Verdict

SCHEMA_VERSION = "1.1"  # 1.1: confounders
SCHEMA_ID = "urn:chaos-advisor:result:1"  # a name, not a URL: the schema ships in the package

CheckVerdict = Literal["passed", "failed", "not measured"]


class Window(Frozen):
    """The samples a check read: from the first to the last one after the injection."""

    start: datetime | None = Field(description="the first sample read (run clock)")
    end: datetime | None = Field(description="the last sample read (run clock)")
    from_s: float | None = Field(description="start, in seconds after the injection")
    to_s: float | None = Field(description="end, in seconds after the injection")


class Baseline(Frozen):
    """The signal before chaos: its band is mean ± max(3 × stddev, the signal's floor)."""

    mean: float
    low: float
    high: float
    samples: int = Field(ge=0, description="samples in the baseline window")


class Threshold(Frozen):
    """What the observed value is held against: ``value`` with ``op``, or the band ``low``..``high`` (op ``within``)."""

    op: Literal[">", "<", ">=", "<=", "within", "near"] = Field(
        description="abort conditions fail when the value compares true; 'within' passes inside low..high; "
                    "'near' (a prediction) passes within low..high around value")
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = Field(description="%, ms, m (millicores), MiB or s")


class Point(Frozen):
    """One sample of one signal."""

    t_s: float = Field(description="seconds after the injection")
    value: float


class Check(Frozen):
    """One steady-state check or one prediction of the hypothesis, with its numbers."""

    id: str = Field(description="stable within a spec, e.g. steady_state.front-end.error_rate_pct")
    name: str
    service: str | None
    signal: str | None
    query: str | None = Field(description="the exact PromQL (or the twin's field) the values came from")
    window: Window
    baseline: Baseline | None
    threshold: Threshold
    observed: float | None = Field(description="the value that decided: the peak, the worst, or the measured time")
    observed_at_s: float | None = None
    samples: list[Point]
    verdict: CheckVerdict
    message: str = Field(description="the verdict in one sentence, with the numbers")


class Approval(Frozen):
    approver: str
    channel: str
    at: datetime = Field(description="when the person decided (real time, UTC)")
    verdict: Literal["approve", "reject"]
    choice: int | None
    note: str = ""


class ActionTaken(Frozen):
    action: Literal["dry_run", "apply", "stop"]
    at: datetime
    detail: str = ""


class ActionSkipped(Frozen):
    action: Literal["dry_run", "apply"]
    reason: str


class Effect(Frozen):
    """Whether the fault took effect, checked from the cluster and the metrics (not the engine)."""

    observed: bool | None = Field(description="None: not checked")
    summary: str
    evidence: list[str] = []


class Cleanup(Frozen):
    """What was left after the run: engines, chaos pods, targets not Ready, signals off their band."""

    verified: bool
    at_s: float | None = Field(None, description="when it was verified, seconds after the injection")
    leftovers: list[str] = []


class Confounder(Frozen):
    """Something else that changed the namespace during the run (agent.run.confounders)."""

    kind: Literal["engine", "rollout", "pod-replaced", "pod-restarted"]
    detail: str
    services: list[str] = Field(description="the services whose signals it may have moved; empty: every service")


class Confounders(Frozen):
    """What else changed the namespace between the apply and the verify step: a finding on a service
    it may have moved is not the fault's alone."""

    found: list[Confounder]
    explained: list[str] = Field(description="changes the fault's predicted blast radius explains (not confounders)")


class PeakError(Frozen):
    service: str
    signal: str
    predicted: float
    observed: float | None
    error: float | None = Field(description="observed - predicted, in the signal's unit")


class RecoveryError(Frozen):
    predicted_s: float
    observed_s: float | None
    error_s: float | None = Field(description="observed - predicted")
    resolution_s: float
    measured_from: str


class BlastRadiusError(Frozen):
    predicted: list[str]
    observed: list[str]
    precision: float | None = Field(description="share of the predicted services that were affected; None: none predicted")
    recall: float | None = Field(description="share of the affected services that were predicted; None: none affected")


class PredictionError(Frozen):
    """The hypothesis's predictions next to what was observed."""

    blast_radius: BlastRadiusError
    peaks: list[PeakError]
    recovery: RecoveryError | None


class RunResult(Frozen):
    """A run's result: what was planned, approved and done, and how each check came out."""

    schema_version: Literal["1.1"] = "1.1"  # SCHEMA_VERSION
    run_id: str
    verdict: Verdict = Field(description="held 0, refuted 3, aborted 4, inconclusive/stopped 5, refused/rejected 6, "
                                         "waiting 7, dry_run 0, failed 1, false_alarm 8 (a control moved) (the exit code)")
    exit_code: int
    outcome: str | None = Field(description="completed, aborted, rejected, refused, failed, dry_run; None while waiting")
    reason: str | None
    plan_hash: str | None = Field(description="sha256 of the spec as canonical JSON (sorted keys, no spaces)")
    spec: dict[str, JsonValue] | None = Field(description="the spec as run (python -m agent schema)")
    approval: Approval | None
    injected_at: datetime | None
    executed: list[ActionTaken]
    skipped: list[ActionSkipped]
    effect: Effect | None = None
    steady_state: list[Check]
    hypothesis: list[Check]
    abort_reason: str | None
    cleanup: Cleanup | None = None
    confounders: Confounders | None = Field(None, description="None: not checked (the run never reached verify)")
    prediction_error: PredictionError | None
    report: str | None = Field(description="the Markdown report's path")


def schema() -> dict[str, JsonValue]:
    """The result's JSON Schema (what ``agent/report/data/result.schema.json`` holds)."""
    out: dict[str, JsonValue] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID}
    return out | RunResult.model_json_schema(mode="serialization")


def schema_text() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def dumps(result: RunResult) -> str:
    """The result as the file holds it (the same bytes for the same run: replays rewrite it unchanged)."""
    return result.model_dump_json(indent=2) + "\n"
