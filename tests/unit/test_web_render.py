"""The console's pure parts: a report's Markdown as HTML (raw HTML escaped, mermaid fences left
for the browser), the resilience score and the live stream's frames."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from agent.cli.status import RunSummary
from agent.errors import ApprovalError
from agent.models import Sample, Signals
from agent.web.console import Live
from agent.web.history import history
from agent.web.live import stream
from agent.web.render import report_html


def test_raw_html_is_escaped_and_mermaid_fences_are_left_for_the_browser() -> None:
    html = report_html("# Title\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                       "```mermaid\nflowchart LR\n  a[\"x<y\"] --> b\n```\n\n```yaml\nk: v\n```\n")
    assert "<h1>Title</h1>" in html and "<table>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<pre class="mermaid">flowchart LR\n  a[&quot;x&lt;y&quot;] --&gt; b\n</pre>' in html
    assert '<code class="language-yaml">' in html


def row(run_id: str, target: str | None, outcome: str | None) -> RunSummary:
    return RunSummary(run_id=run_id, state="done" if outcome else "waiting", outcome=outcome, experiment="x",
                      target=target, started=None, duration_s=None, report_path=None)


def test_the_score_counts_completed_against_aborted_runs_only() -> None:
    rows = [row("1", "ns/carts", "completed"), row("2", "ns/carts", "aborted"), row("3", "ns/carts", "completed"),
            row("4", "ns/carts", "rejected"), row("5", "ns/user", "dry_run"), row("6", None, None)]
    carts, user = history(rows)
    assert (carts.service, carts.passed, carts.aborted, round(carts.score or 0, 1)) == ("ns/carts", 2, 1, 66.7)
    assert [r.run_id for r in carts.runs] == ["1", "2", "3", "4"]
    assert (user.service, user.score) == ("ns/user", None)


def test_the_stream_sends_new_samples_then_ends_with_the_report() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    sample = Sample(tick=3, at=at, services={"carts": Signals(error_rate_pct=12.5, latency_p95_ms=40, ready_replicas=0, replicas=1)})
    answers = [Live("r1", "running", None, None, "sock-shop/ca-r1", "running", None, None, [sample], []),
               Live("r1", "done", "completed", None, "sock-shop/ca-r1", "completed", "Pass", "reports/r1.md", [], [])]
    asked: list[int] = []

    class Console:
        def live(self, run_id: str, *, after_tick: int) -> Live:
            asked.append(after_tick)
            return answers[len(asked) - 1]

    async def run_sync(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return fn(*args, **kwargs)

    async def pause(_: float) -> None:
        return None

    async def gone() -> bool:
        return False

    async def frames() -> list[str]:
        return [f async for f in stream(Console(), "r1", after_tick=-1, run_sync=run_sync, pause=pause, gone=gone)]  # type: ignore[arg-type]

    out = asyncio.run(frames())
    assert asked == [-1, 3]  # the second read asks only for samples after the first one's
    assert out[0].startswith("id: 3\n") and '"error_rate_pct": 12.5' in out[0] and '"ready": "0/1"' in out[0]
    assert '"report_path": "reports/r1.md"' in out[1] and out[2] == "event: end\ndata: {}\n\n"


def test_the_stream_says_why_it_cannot_follow_a_run() -> None:
    class Console:
        def live(self, run_id: str, *, after_tick: int) -> Live:
            raise ApprovalError("no run 'zz'")

    async def run_sync(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return fn(*args, **kwargs)

    async def frames() -> list[str]:
        async def pause(_: float) -> None: ...
        async def gone() -> bool: return False
        return [f async for f in stream(Console(), "zz", after_tick=-1, run_sync=run_sync, pause=pause, gone=gone)]  # type: ignore[arg-type]

    assert asyncio.run(frames()) == ['event: failed\ndata: {"error": "no run \'zz\'"}\n\n']
