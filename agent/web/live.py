"""A run's live view as server-sent events: every ``interval_s`` the run's checkpoint (phase,
outcome, engine) and the samples recorded since the last event, read from the same state the run
writes from whatever process executes it. The stream ends once the run has its report.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict

from agent.errors import ChaosAdvisorError
from agent.models import Sample
from agent.web.console import Live, WebConsole

INTERVAL_S = 0.5  # between reads: live updates within half a second of the run recording them (bench: web_live_latency.py)
MAX_EVENTS = 7200  # one stream's length (an hour at 0.5 s); the browser's EventSource reconnects
MAX_SAMPLES = 300  # samples in one event (the first one after a reconnect carries the history)


def payload(live: Live, samples: list[Sample]) -> str:
    """One event's JSON: where the run stands and the new samples, per service."""
    data = asdict(live)
    data["samples"] = [
        {"tick": s.tick, "at": s.at.isoformat(), "services": {
            name: {"error_rate_pct": v.error_rate_pct, "latency_p95_ms": v.latency_p95_ms,
                   "ready": f"{v.ready_replicas}/{v.replicas}" if v.replicas is not None else "-"}
            for name, v in sorted(s.services.items())}}
        for s in samples[-MAX_SAMPLES:]
    ]
    data["events"] = [{"at": e.at.isoformat(), "kind": e.kind, "detail": e.detail} for e in live.events[-20:]]
    return json.dumps(data)


async def stream(console: WebConsole, run_id: str, *, after_tick: int,
                 run_sync: Callable[..., Awaitable[Live]], pause: Callable[[float], Awaitable[None]],
                 gone: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """SSE frames for ``run_id``. ``run_sync`` runs a blocking read off the event loop, ``pause``
    waits between reads and ``gone`` tells a closed connection (injected: tests need no server)."""
    last = after_tick
    for _ in range(MAX_EVENTS):
        try:
            live = await run_sync(console.live, run_id, after_tick=last)
        except ChaosAdvisorError as e:
            yield f"event: failed\ndata: {json.dumps({'error': str(e)})}\n\n"
            return
        if live.samples:
            last = live.samples[-1].tick
        yield f"id: {last}\ndata: {payload(live, live.samples)}\n\n"
        if live.report_path:
            yield "event: end\ndata: {}\n\n"
            return
        if await gone():
            return
        await pause(INTERVAL_S)
