"""The run's result for CI, built from the report's data (:class:`RunRecord`), pure and deterministic:
a replay after a crash writes the same bytes. The JUnit file is written from it (:mod:`agent.report.junit`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from agent.errors import ChaosAdvisorError
from agent.models import ExperimentSpec
from agent.report import checks
from agent.report.findings import blast_radius, first, signal_findings
from agent.report.record import RunRecord, recovery_of
from agent.report.result import (
    ActionSkipped,
    ActionTaken,
    Approval,
    BlastRadiusError,
    Check,
    Cleanup,
    Confounder,
    Confounders,
    Effect,
    PeakError,
    PredictionError,
    RecoveryError,
    RunResult,
)
from agent.report.verdict import Verdict, exit_code, of_ending

ABORT_EVENTS = ("threshold_breached", "metrics_lost", "cluster_lost", "overrun", "interrupted", "engine_removed")


def plan_hash(spec: ExperimentSpec) -> str:
    """``sha256:<hex>`` of the spec as canonical JSON: the same plan, the same hash, wherever it ran."""
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def verdict_of(record: RunRecord, steady: list[Check], effect: Effect | None) -> Verdict:
    """The run's verdict (:mod:`agent.report.verdict`)."""
    ended = of_ending(record.outcome, record.reason)
    if record.spec is not None and record.spec.action.entry.control:  # nothing injected: any alarm is false
        if ended == "aborted" and first(record.events, "threshold_breached") is not None:
            return "false_alarm"
        if ended is None and any(c.verdict == "failed" for c in steady):
            return "false_alarm"
        watched = [c for c in steady if c.id.startswith("steady_state.")]
        return ended or ("held" if any(c.verdict == "passed" for c in watched) else "inconclusive")
    if ended is not None:
        return ended
    if not record.injected or (effect is not None and effect.observed is False):
        return "inconclusive"
    if any(c.verdict == "failed" for c in steady):
        return "refuted"
    watched = [c for c in steady if c.id.startswith("steady_state.")]
    return "held" if any(c.verdict == "passed" for c in watched) else "inconclusive"


def build(record: RunRecord, *, report: Path | None = None) -> RunResult:
    """The result of a run that ended (its report written, or being written, from ``record``)."""
    steady = checks.steady_state(record)
    effect, cleanup = _effect(record), _cleanup(record)
    verdict = verdict_of(record, steady, effect)
    d = record.decision
    abort = first(record.events, *ABORT_EVENTS) if record.outcome == "aborted" else None
    return RunResult(
        run_id=record.run_id, verdict=verdict, exit_code=exit_code(verdict), outcome=record.outcome,
        reason=record.reason, plan_hash=plan_hash(record.spec) if record.spec else None,
        spec=record.spec.model_dump(mode="json") if record.spec else None,
        approval=Approval(approver=d.approver, channel=d.channel, at=d.at, verdict=d.verdict, choice=d.choice,
                          note=d.note) if d else None,
        injected_at=record.start, executed=_executed(record), skipped=_skipped(record), effect=effect,
        steady_state=steady, hypothesis=checks.hypothesis(record),
        abort_reason=(record.reason or (abort.detail if abort else None)) if record.outcome == "aborted" else None,
        cleanup=cleanup, confounders=_confounders(record), prediction_error=prediction_error(record), report=str(report) if report else None,
    )


def _effect(record: RunRecord) -> Effect | None:
    e = record.effect
    if e is None:
        return None
    return Effect(observed=e.observed, summary=e.summary(),
                  evidence=[f"T+{checks.offset(record, c.at):g}s {c.detail}" for c in e.checks])


def _cleanup(record: RunRecord) -> Cleanup | None:
    c = record.cleanup
    if c is None:
        return None
    return Cleanup(verified=c.verified, at_s=checks.offset(record, c.at) if record.start else None,
                   leftovers=list(c.leftovers))


def _confounders(record: RunRecord) -> Confounders | None:
    c = record.confounders
    if c is None:
        return None
    return Confounders(found=[Confounder(kind=f.kind, detail=f.detail, services=list(f.services)) for f in c.found],
                       explained=list(c.explained))


def waiting(run_id: str) -> RunResult:
    """The result of a run left waiting for an approval: nothing applied, nothing measured."""
    return RunResult(
        run_id=run_id, verdict="waiting", exit_code=exit_code("waiting"), outcome=None,
        reason="waiting for an approval", plan_hash=None, spec=None, approval=None, injected_at=None, executed=[],
        skipped=[ActionSkipped(action="dry_run", reason="waiting for an approval"),
                 ActionSkipped(action="apply", reason="waiting for an approval")],
        steady_state=[], hypothesis=[], abort_reason=None, prediction_error=None, report=None,
    )


def _executed(record: RunRecord) -> list[ActionTaken]:
    kinds = {"dry_run": "dry_run", "applied": "apply", "engine_found": "apply", "abort_requested": "stop"}
    return [ActionTaken(action=kinds[e.kind], at=e.at, detail=e.detail)  # type: ignore[arg-type]
            for e in record.events if e.kind in kinds]


def _skipped(record: RunRecord) -> list[ActionSkipped]:
    done = {a.action for a in _executed(record)}
    why = record.reason or record.outcome
    if record.outcome == "dry_run":
        why = "a dry run: the API server only validated the engine"
    return [ActionSkipped(action=a, reason=why) for a in ("dry_run", "apply")  # type: ignore[arg-type]
            if a not in done and not (a == "dry_run" and "apply" in done)]


def prediction_error(record: RunRecord) -> PredictionError | None:
    """The hypothesis's predictions against what was observed (None: nothing injected or predicted)."""
    spec = record.spec
    if spec is None or spec.hypothesis is None or not record.injected:
        return None
    radius = blast_radius(spec, record.baseline, record.samples)
    hits = len(radius.predicted & radius.observed)
    peaks = [PeakError(service=f.expected.service, signal=f.expected.signal, predicted=f.expected.peak,
                       observed=_r(f.observed_peak),
                       error=_r(f.observed_peak - f.expected.peak) if f.observed_peak is not None else None)
             for f in signal_findings(spec, record.baseline, record.samples)]
    rec = recovery_of(record)
    return PredictionError(
        blast_radius=BlastRadiusError(
            predicted=sorted(radius.predicted), observed=sorted(radius.observed),
            precision=_r(hits / len(radius.predicted)) if radius.predicted else None,
            recall=_r(hits / len(radius.observed)) if radius.observed else None),
        peaks=peaks,
        recovery=RecoveryError(
            predicted_s=rec.predicted_s, observed_s=rec.observed_s,
            error_s=_r(rec.observed_s - rec.predicted_s) if rec.observed_s is not None else None,
            resolution_s=rec.resolution_s, measured_from=rec.measured_from) if rec else None,
    )


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def beside(report: Path) -> Path:
    """Where narrate writes a run's result: beside its report, ``<report>.result.json``."""
    return report.with_suffix(".result.json")


def load(report: Path) -> RunResult:
    """The result narrate wrote beside ``report``."""
    from pydantic import ValidationError

    path = beside(report)
    try:
        return RunResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as e:
        raise ChaosAdvisorError(f"{path}: cannot read the run's result ({e}); the report is {report}") from None
