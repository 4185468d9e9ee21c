"""Every kind of diagram the report draws, for Sock Shop data, drawn by the real mmdc (mermaid 11
in Debian's chromium): the call graph from stack.yaml, a run's events, and signals with a visible
outage. All report-like blocks go through one mmdc call (a browser start is ~1.2 s); a broken
diagram must fail, so a pass means something. Hostile text must show as written."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.models import Dependency, EventKind, RunEvent, Sample, Signals
from agent.report.charts import signal_chart, signals_chart
from agent.report.diagrams import dependency_graph, sequence
from agent.report.mermaid import PALETTE
from tests.integration.mermaid_fixture import ROOT, RenderedMarkdown, RenderError, render, render_markdown

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # chaos starts here
HOSTILE = 'a"b -->|x| c; %%{init: {"theme":"dark"}}%% <b>50%</b> #35; end'
OUTAGE = range(0, 60)  # seconds after T0 while carts has no ready pod


def sock_shop_dependencies() -> list[Dependency]:
    return load_settings(ROOT / "stack.yaml").k8s.dependencies


def sock_shop_samples() -> list[Sample]:
    """Every 5 s from T-60 s to T+240 s; carts is down for the first minute of chaos."""
    out = []
    for tick, s in enumerate(range(-60, 241, 5)):
        down = s in OUTAGE
        out.append(Sample(tick=tick, at=T0 + timedelta(seconds=s), services={
            "carts": Signals(error_rate_pct=100.0 if down else 0.4, latency_p95_ms=None if down else 38.0,
                             ready_replicas=0 if down else 1, replicas=1),
            "front-end": Signals(error_rate_pct=41.5 if down else 0.6, latency_p95_ms=900.0 if down else 120.0),
            "orders": Signals(error_rate_pct=22.0 if down else 0.2, latency_p95_ms=650.0 if down else 80.0),
        }))
    return out


def run_events(detail: str = "") -> list[RunEvent]:
    def ev(s: int, kind: EventKind, text: str) -> RunEvent:
        return RunEvent(at=T0 + timedelta(seconds=s), kind=kind, detail=detail or text)

    return [
        ev(-50, "notified", "candidates shown, waiting for approval"),
        ev(-40, "approved", "'carts pod delete' by cli:ann"),
        ev(-2, "dry_run", "server-side dry-run accepted the ChaosEngine"),
        ev(0, "applied", "ChaosEngine sock-shop/carts-pod-delete created"),
        ev(5, "first_deviation", "carts error_rate_pct 0.4 -> 100"),
        ev(10, "threshold_breached", "front-end error_rate_pct 41.5 > 20"),
        ev(10, "abort_requested", "patched engineState: stop"),
        ev(15, "stopped", "engine stopped, verdict Stopped"),
        ev(65, "recovered", "every service back within its baseline"),
        ev(66, "metrics_lost", "no metrics for 20 s: timeout"),
        ev(70, "failed", "boom"),
    ]


def block(source: str) -> str:
    return f"```mermaid\n{source}\n```"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], RenderedMarkdown]:
    """A report-like Markdown file of every diagram kind (plus hostile variants), drawn once."""
    deps, data = sock_shop_dependencies(), sock_shop_samples()
    sources = [
        sequence(run_events(), target="carts", action="pod-delete"),
        sequence(run_events(HOSTILE), target=HOSTILE, action=HOSTILE),
        dependency_graph(deps, target="carts", observed={"carts", "front-end", "orders"},
                         predicted={"front-end", "user"}),
        dependency_graph(deps + [Dependency(source="end", target=HOSTILE, protocol=HOSTILE, sync=False)],
                         target=HOSTILE, observed={"end"}, predicted={"graph"}),
        signal_chart(data, service="carts", signal="ready_replicas", title="carts ready pods", start=T0),
        signals_chart(data, services=["carts", "front-end", "orders"], signal="error_rate_pct",
                      title=HOSTILE, start=T0),
        signal_chart(data, service="carts", signal="latency_p95_ms", title="carts p95", start=T0),
    ]
    markdown = "# Chaos report\n\n" + "\n\nSome prose.\n\n".join(block(s) for s in sources) + "\n"
    return sources, render_markdown(markdown, tmp_path_factory.mktemp("report"))


def svg_text(path: Path) -> str:
    """All the text an SVG shows (labels may sit in <text> or in foreignObject HTML)."""
    return " ".join(" ".join(ET.parse(path).getroot().itertext()).split())


def test_every_block_of_the_report_is_drawn(report: tuple[list[str], RenderedMarkdown]) -> None:
    sources, rendered = report
    assert len(rendered.svgs) == len(sources)
    assert rendered.markdown.count("![diagram](") == len(sources)
    assert "```mermaid" not in rendered.markdown
    for svg in rendered.svgs:
        assert ET.parse(svg).getroot().tag.endswith("svg")


def test_the_drawings_show_the_data(report: tuple[list[str], RenderedMarkdown]) -> None:
    _, rendered = report
    seq, _, graph, _, ready, errors, _ = (svg_text(p) for p in rendered.svgs)
    assert "Kubernetes API" in seq and "T+10s" in seq and "pod-delete" in seq
    assert all(name in graph for name in ("front-end", "queue-master", "rabbitmq", "amqp", "Legend:"))
    assert "ready replicas (pods)" in ready
    assert "error rate (%)" in errors and "front-end" in errors  # the legend names the lines


def test_hostile_text_is_drawn_as_written(report: tuple[list[str], RenderedMarkdown]) -> None:
    _, rendered = report
    for i in (1, 3, 5):  # the hostile sequence, graph and chart
        assert HOSTILE.replace("  ", " ") in svg_text(rendered.svgs[i]), rendered.svgs[i].name
    # the %%{init: dark}%% in the text configured nothing: the theme's CSS is the plain one's
    assert style(rendered.svgs[1]) == style(rendered.svgs[0])


def style(svg: Path) -> str:
    return "".join(e.text or "" for e in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}style"))


def test_the_palette_colours_the_chart_lines(report: tuple[list[str], RenderedMarkdown], tmp_path: Path) -> None:
    sources, rendered = report
    errors_svg = rendered.svgs[5].read_text(encoding="utf-8")
    lines = re.findall(r'<path [^>]*stroke="(#[0-9a-f]{6})"', errors_svg)
    assert lines[: len(PALETTE)] == list(PALETTE)  # line 1 red, 2 blue, 3 green
    # without the directive mermaid's default pastels come back: the directive is what changed them
    bare = render(sources[5].split("\n", 1)[1], tmp_path, name="bare").read_text(encoding="utf-8")
    assert not any(f'stroke="{colour}"' in bare for colour in PALETTE)


def test_a_broken_diagram_fails(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="Parse error"):
        render("flowchart LR\n    a -->", tmp_path, name="broken")


def test_a_broken_block_fails_the_whole_report(tmp_path: Path) -> None:
    good = dependency_graph(sock_shop_dependencies(), target="carts", observed=set(), predicted=set())
    markdown = block(good) + "\n\n" + block('sequenceDiagram\n    A->>B: "unclosed\n    end') + "\n"
    with pytest.raises(RenderError):
        render_markdown(markdown, tmp_path)
