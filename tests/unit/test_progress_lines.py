"""The line a person follows a run by: the baseline's progress, each abort signal against its
threshold and the signals of the services on the predicted path; in a terminal over the live
table, and one plain line per tick on stderr when piped."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from agent.adapters.terminal import TerminalNotifier
from agent.models import AbortCondition, AbortThreshold, Sample, Signals
from agent.run.progress import baseline_head, run_head, tick_line, watch_line
from tests.factories import shop, spec

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def sample(**errors: float | None) -> Sample:
    return Sample(tick=3, at=T0, services={
        name: Signals(error_rate_pct=e, latency_p95_ms=None if e is None else 100 + 10 * e) for name, e in errors.items()})


def test_the_baseline_says_how_much_of_its_window_is_measured() -> None:
    assert baseline_head(6, 15, window_s=30) == "measuring baseline 12/30 s"
    assert baseline_head(15, 15, window_s=30) == "measuring baseline 30/30 s"
    assert run_head("running", started=T0, now=T0 + timedelta(seconds=35.4)) == "T+35 s running"
    assert run_head("recovering", started=None, now=T0) == "recovering"


def test_a_tick_shows_the_abort_signal_against_its_threshold_and_the_path_not_only_the_edge() -> None:
    line = watch_line("T+8 s running", sample(api=80.0, web=2.5, db=0.0, slow=0.0), spec(), shop())
    assert line == ("T+8 s running · abort when web error rate > 50%: now 2.5% · "
                    "path api 80.0% 900 ms → web 2.5% 125 ms")


def test_any_service_shows_the_one_closest_to_firing_and_a_missing_signal_says_so() -> None:
    threshold = AbortThreshold(service="*", error_rate_pct=5, conditions=[
        AbortCondition(signal="cpu_millicores", op=">", value=900, service="db")])
    line = tick_line("T+2 s running", sample(api=1.0, web=3.0, db=None), threshold, ["db", "api", "web"])
    assert line == ("T+2 s running · abort when any service error rate > 5%: now 3% (web) · "
                    "abort when db CPU > 900m: no signal · path db - - → api 1.0% 110 ms → web 3.0% 130 ms")
    assert tick_line("T+4 s running", None, threshold, ["db"]) == "T+4 s running · no metrics this tick"


def test_a_long_path_is_cut_and_counted() -> None:
    path = [f"s{i}" for i in range(9)]
    line = tick_line("h", sample(**{p: 0.0 for p in path}), None, path)
    assert line.endswith("s5 0.0% 100 ms → 3 more") and "s6" not in line


def test_piped_each_tick_is_one_plain_line_on_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    notifier = TerminalNotifier(Console(file=out), err=Console(file=err, width=40))
    long = "T+2 s running · " + "x" * 200
    notifier.observe("r1", "Api pod delete", "running", sample(api=1.0), line=long)
    notifier.observe("r1", "Api pod delete", "running", None, line="T+4 s running")
    assert err.getvalue() == f"[r1] {long}\n[r1] T+4 s running\n"  # never wrapped, no markup
    assert out.getvalue() == ""  # stdout keeps the progress lines and the result only


def test_in_a_terminal_the_line_heads_the_live_table_and_stderr_stays_quiet() -> None:
    out, err = io.StringIO(), io.StringIO()
    term = Console(file=out, force_terminal=True, width=200)
    notifier = TerminalNotifier(term, err=Console(file=err, force_terminal=True))
    notifier.observe("r1", "Api pod delete", "baseline", sample(api=1.0), line="measuring baseline 2/30 s")
    assert notifier._live is not None  # the live view runs
    shown = notifier._live.get_renderable()
    check = Console(file=io.StringIO(), width=200, record=True)
    check.print(shown)
    text = check.export_text()
    assert text.startswith("measuring baseline 2/30 s\n") and "Api pod delete" in text and "api" in text
    notifier._live.stop()
    assert err.getvalue() == ""
