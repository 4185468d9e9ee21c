"""The no-fault control: the whole run with nothing injected (pure).

A control takes the lease, reads the baseline, watches for the spec's duration, verifies and
reports exactly as a fault run does, but applies no ChaosEngine: the engine port is skipped (there
is nothing to render, dry-run, stop or clean up). It measures how often the measurement itself cries
wolf: with nothing injected, nothing should leave its baseline band, so the verdict is *held* when
nothing moved and *false_alarm* (``agent.report.verdict``) when the monitor aborted on a threshold
or a steady-state check failed. It needs no ``policy.actions`` entry (it touches nothing) but an
approval like any run: "nothing runs without an approval" stays one rule without exceptions.

Here: the control version of a spec (``run SPEC --control``), the engine status the monitor reads
in place of the operator's, and the effect and cleanup the verify step records.
"""

from __future__ import annotations

from datetime import datetime

from agent.models import (
    CleanupResult,
    EffectResult,
    EngineStatus,
    ExperimentSpec,
    Fault,
    Hypothesis,
    Parameters,
)

PREFIX = "Control run: "
NO_ENGINE = "control (no ChaosEngine)"
APPLIED = "control run: nothing injected, no ChaosEngine applied; watching for the spec's duration"
NOTHING_TO_STOP = "control run: nothing injected, nothing to stop"


def is_control(spec: ExperimentSpec | None) -> bool:
    """Whether ``spec`` is a no-fault control."""
    return spec is not None and spec.action.entry.control


def title(spec: ExperimentSpec) -> str:
    """The report's title: "Control run: <the spec's title>" (once)."""
    return spec.title if spec.title.startswith(PREFIX) else f"{PREFIX}{spec.title}"[:120]


def as_control(spec: ExperimentSpec) -> ExperimentSpec:
    """The control of ``spec``: the same target, duration, abort threshold and namespace, with nothing
    injected and the hypothesis that nothing moves."""
    service = spec.target_selector.service
    return spec.model_copy(update={
        "title": title(spec),
        "description": f"No-fault control of {spec.title!r}: the same watch on {service}, with nothing injected.",
        "action": Fault.CONTROL,
        "parameters": Parameters(duration_s=spec.parameters.duration_s),
        "expected_impact": "none: nothing is injected",
        "risk_level": "low",
        "rationale": "a control measures the measurement: any deviation is a false alarm",
        "hypothesis": Hypothesis(statement="with nothing injected, no SLO signal leaves its baseline band",
                                 affected_services=[], expected=[], recovery_s=0),
    })


def status(phase: str, *, now: datetime, planned_end: datetime) -> EngineStatus:
    """What the monitor reads in place of an engine: running until the planned end, then completed;
    stopped once the monitor asked to stop (a false abort)."""
    if phase == "stopping":
        return EngineStatus(engine_state="stop", engine_status="stopped", verdict="Stopped")
    if now >= planned_end:
        return EngineStatus(engine_state="active", engine_status="completed", verdict="control")
    return EngineStatus(engine_state="active", engine_status="initialized")


def effect(*, window_s: float) -> EffectResult:
    """The control's effect check: no effect expected, none looked for."""
    return EffectResult(fault=Fault.CONTROL.value, kind="none", what="no fault injected: no effect expected (control)",
                        observed=False, checks=[], window_s=window_s)


def cleanup(*, at: datetime) -> CleanupResult:
    """Nothing was applied, so nothing can be left: verified by construction."""
    return CleanupResult(verified=True, at=at, checked=["no ChaosEngine applied (control run)"])
