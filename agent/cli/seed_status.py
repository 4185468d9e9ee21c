"""The seed's ``craterctl status`` fields: status, started, current metrics (in the seed's units:
error_rate a fraction, latency_p95 seconds, cpu_usage cores) and where Slack updates go.

    📊 Run ID: chaos-a1b2c3d4
       Status: running
       Started: 2025-01-22T14:30:15.123Z
       Current Metrics:
         error_rate: 0.023
         ...
       Slack Updates: https://slack.com/app_redirect?channel=sre-chaos
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from rich.console import Console

    from agent.cli.status import RunStatus
    from agent.config import Settings
    from agent.models import ExperimentSpec, Sample

# the seed's metric, the native signal, and the factor from native to seed units
_METRICS = (("error_rate", "error_rate_pct", 0.01), ("latency_p95", "latency_p95_ms", 0.001),
            ("cpu_usage", "cpu_millicores", 0.001))


def seed_state(state: Mapping[str, object]) -> str:
    """The seed's Status: the run's outcome once it has one, else waiting (for an approval) or running."""
    outcome = state.get("outcome")
    if isinstance(outcome, str) and outcome:
        return outcome
    return "running" if state.get("decision") else "waiting"


def started(state: Mapping[str, object]) -> datetime | None:
    """When the run began: its first event (real time, UTC)."""
    from agent.models import RunEvent

    events = state.get("events")
    if not isinstance(events, list) or not events:
        return None
    first = RunEvent.model_validate(events[0])
    at = first.wall or first.at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def watched(spec: ExperimentSpec | None) -> str | None:
    """The service whose signals the progress updates show: the abort threshold's (else the target)."""
    if spec is None:
        return None
    service = spec.abort_threshold.service if spec.abort_threshold else "*"
    return spec.target_selector.service if service == "*" else service


def current_metrics(sample: Sample | None, service: str | None) -> dict[str, float]:
    """``service``'s latest signals in the seed's units; the ones not measured are left out."""
    signals = sample.services.get(service) if sample and service else None
    if signals is None:
        return {}
    values = {name: getattr(signals, field) for name, field, _ in _METRICS}
    return {name: round(values[name] * factor, 6) for name, _, factor in _METRICS if values[name] is not None}


def slack_updates(settings: Settings) -> str | None:
    """Where progress goes in Slack (the channel's app_redirect link), None when Slack is off."""
    if not settings.slack.enabled:
        return None
    return f"https://slack.com/app_redirect?channel={quote(settings.slack.channel.lstrip('#'), safe='')}"


def print_seed_status(console: Console, st: RunStatus) -> None:
    """The seed's layout, then what the agent adds (phase, engine, verdict, report)."""
    say = lambda line: console.print(line, highlight=False, markup=False)  # noqa: E731
    say(f"📊 Run ID: {st.run_id}")
    say(f"   Status: {st.status}")
    say(f"   Started: {st.started.isoformat(timespec='milliseconds').replace('+00:00', 'Z') if st.started else '-'}")
    say(f"   Current Metrics:{'' if st.current_metrics else ' none yet'}" +
        (f" ({st.metrics_service})" if st.current_metrics else ""))
    for name, value in st.current_metrics.items():
        say(f"     {name}: {value:g}")
    say(f"   Slack Updates: {st.slack_updates or 'off (slack.enabled: false): the terminal only'}")
    say(f"   Phase: {st.phase}" + (f" ({st.reason})" if st.reason else ""))
    if st.engine:
        verdict = st.engine_status.verdict if st.engine_status else None
        say(f"   Engine: {st.engine}" + (f", verdict {verdict}" if verdict else "") +
            (f" ({st.engine_seen})" if st.engine_seen else ""))
    if st.report_path:
        say(f"   Report: {st.report_path}")
