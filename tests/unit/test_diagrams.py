"""The Mermaid sources' structure: participants and arrows, nodes and edges, classes, chart points,
and that hostile text reaches Mermaid only as entity codes. (tests/integration/test_mermaid_render.py
draws the same kinds of diagram with the real mmdc.)"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta

import pytest

from agent.models import Dependency, EventKind, RunEvent, Sample, Signals
from agent.report.charts import MAX_POINTS, series, signal_chart, signals_chart
from agent.report.diagrams import dependency_graph, sequence
from agent.report.mermaid import INIT_DIRECTIVE, PALETTE, label

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOSTILE = 'a"b -->|x| c; %%{init: {"theme":"dark"}}%% <br/>#35; [end] (x) `y` & \\ é 🙂'


def decode(text: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m[1])), text)


def ev(s: int, kind: EventKind, detail: str = "") -> RunEvent:
    return RunEvent(at=T0 + timedelta(seconds=s), kind=kind, detail=detail)


def samples(n: int, *, every_s: int = 5, outage: range = range(0), service: str = "carts") -> list[Sample]:
    return [
        Sample(tick=i, at=T0 + timedelta(seconds=i * every_s), services={
            service: Signals(error_rate_pct=90.0 if i in outage else 0.5, latency_p95_ms=None,
                             ready_replicas=0 if i in outage else 1),
        })
        for i in range(n)
    ]


def line_values(source: str) -> dict[str, list[float]]:
    return {
        name: [float(v) for v in values.split(", ")]
        for name, values in re.findall(r'^    line "([^"]*)" \[([^\]]*)\]$', source, flags=re.MULTILINE)
    }


# --- label -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [HOSTILE, string.punctuation, "carts-db", "end", "x\ny\tz", "ﬂ°°35¶ß"])
def test_label_keeps_only_safe_characters_and_decodes_back(text: str) -> None:
    out = label(text, limit=1000)
    assert re.fullmatch(r"(?:[A-Za-z0-9 _.,/+=@!?'*-]|#\d+;)*", out), out
    assert decode(out) == " ".join(text.split())


def test_label_escapes_what_mermaid_reads_as_syntax() -> None:
    out = label('a"b -->|x| c;')
    assert out == "a#34;b --#62;#124;x#124; c#59;"
    assert "%%" not in label("%%{init: {}}%%")


def test_label_is_one_line_and_cut() -> None:
    out = label("word " * 100, limit=20)
    assert "\n" not in out and decode(out).endswith("…") and len(decode(out)) == 20


# --- sequence --------------------------------------------------------------------------------


def run_events() -> list[RunEvent]:
    return [
        ev(-90, "discovered", "14 services"),
        ev(-50, "notified", "candidates shown"),
        ev(-40, "approved", "'carts pod delete' by cli:ann"),
        ev(-1, "dry_run", "accepted"),
        ev(0, "applied", "ChaosEngine sock-shop/carts-pod-delete created"),
        ev(12, "first_deviation", "carts error_rate_pct 0.5 -> 90"),
        ev(20, "threshold_breached", HOSTILE),
        ev(20, "abort_requested", "patched engineState: stop"),
        ev(25, "stopped", "engine stopped"),
        ev(70, "recovered", ""),
        ev(71, "reported", "reports/x.md"),
    ]


def test_sequence_has_the_four_participants_and_an_arrow_per_event() -> None:
    src = sequence(run_events(), target="carts", action="pod-delete")
    lines = src.splitlines()
    assert lines[:5] == [
        "sequenceDiagram",
        "    participant H as Human",
        "    participant A as Chaos Advisor",
        "    participant K as Kubernetes API",
        "    participant T as carts",
    ]
    steps = [ln.strip() for ln in lines[5:] if not ln.strip().startswith(("Note left of H", "rect", "end"))]
    assert [s.split(":")[0] for s in steps] == [
        "A->>H", "H->>A", "A->>K", "A->>K", "K->>T", "T-->>A", "Note over A,T", "A->>K", "K-->>A", "T-->>A",
    ]
    assert "    K->>T: pod-delete" in lines
    assert "    T-->>A: recovered: back to baseline" in lines  # a default where the detail is empty
    assert not any("14 services" in ln or "reports" in ln for ln in lines)  # kinds not drawn


def test_sequence_notes_relative_times_once_per_instant() -> None:
    src = sequence(run_events(), target="carts", action="pod-delete")
    times = re.findall(r"Note left of H: (\S+)", src)
    assert times == ["T-50s", "T-40s", "T-1s", "T+0s", "T+12s", "T+20s", "T+25s", "T+70s"]


def test_sequence_shades_the_chaos_window_and_balances_blocks() -> None:
    src = sequence(run_events(), target="carts", action="pod-delete")
    lines = [ln.strip() for ln in src.splitlines()]
    assert lines.index("rect rgba(214, 39, 40, 0.08)") < lines.index("K->>T: pod-delete")
    assert lines.index("end") == lines.index("K-->>A: chaos stopped: engine stopped") + 1
    unfinished = sequence(run_events()[:6], target="carts", action="pod-delete")  # no end event
    assert unfinished.count("rect ") == unfinished.count("\n    end") == 1


def test_sequence_without_chaos_gives_wall_clock_times() -> None:
    src = sequence([ev(0, "notified"), ev(30, "rejected", "by cli:bob")], target="carts", action="pod-delete")
    assert "Note left of H: 12#58;00#58;30 UTC" in src
    assert "H-xA: reject by cli#58;bob" in src
    assert "rect" not in src


def test_sequence_escapes_hostile_details_and_names() -> None:
    src = sequence(run_events(), target='x"; participant Z', action="a;b")
    texts = "".join(re.sub(r"#\d+;", "", ln.split(": ", 1)[-1]) for ln in src.splitlines()[4:])
    assert not set(texts) & set('";#%<>|[]{}`'), texts
    assert "participant T as x#34;#59; participant Z" in src
    assert len([ln for ln in src.splitlines() if "participant" in ln]) == 4
    assert "%%" not in src


# --- dependency graph ------------------------------------------------------------------------

DEPS = [
    Dependency(source="front-end", target="carts"),
    Dependency(source="front-end", target="orders"),
    Dependency(source="orders", target="carts"),
    Dependency(source="carts", target="carts-db", protocol="mongodb"),
    Dependency(source="shipping", target="rabbitmq", protocol="amqp", sync=False),
]


def test_graph_has_every_service_once_and_every_edge() -> None:
    src = dependency_graph(DEPS, target="carts-db", observed=set(), predicted=set())
    assert src.splitlines()[0] == "flowchart LR"
    nodes = re.findall(r'^    (s_\w+)\["([^"]*)"\]', src, flags=re.MULTILINE)
    assert sorted(name for _, name in nodes) == sorted(
        ["front-end", "carts", "orders", "carts-db", "shipping", "rabbitmq"])
    assert len({i for i, _ in nodes}) == len(nodes)
    assert '    s_carts -->|"mongodb"| s_carts_db' in src
    assert len(re.findall(r"^    s_\w+ -->\|", src, flags=re.MULTILINE)) == 4


def test_async_edges_are_dashed() -> None:
    src = dependency_graph(DEPS, target="carts", observed=set(), predicted=set())
    assert '    s_shipping -.->|"amqp"| s_rabbitmq' in src
    assert "s_shipping -->" not in src


def test_classes_mark_target_observed_and_predicted_only() -> None:
    src = dependency_graph(DEPS, target="carts-db", observed={"carts", "front-end", "carts-db"},
                           predicted={"carts", "orders"})
    assert "    class s_carts_db target" in src
    assert "    class s_front_end,s_carts affected" in src
    assert "    class s_orders predicted" in src
    for cls in ("target", "affected", "predicted"):
        assert re.search(rf"^    classDef {cls} .*fill:#", src, flags=re.MULTILINE)
    assert "stroke-dasharray" in next(ln for ln in src.splitlines() if "classDef predicted" in ln)
    quiet = dependency_graph(DEPS, target="carts", observed=set(), predicted=set())
    assert "class s_carts target" in quiet and " affected\n" not in quiet + "\n"


def test_graph_has_a_legend_of_each_class() -> None:
    src = dependency_graph(DEPS, target="carts", observed=set(), predicted=set())
    for cls in ("target", "affected", "predicted"):
        assert re.search(rf'^    lg_\w+\["[^"]+"\]:::{cls}$', src, flags=re.MULTILINE)


def test_graph_ids_are_safe_and_unique_for_awkward_names() -> None:
    deps = [Dependency(source="a-b", target="a_b"), Dependency(source="end", target=HOSTILE)]
    src = dependency_graph(deps, target="end", observed={HOSTILE}, predicted=set())
    ids = re.findall(r'^    (\S+)\["', src, flags=re.MULTILINE)
    assert all(re.fullmatch(r"(?:s|lg)_\w{1,40}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert '    s_a_b -->|"http"| s_a_b_2' in src
    assert "class s_end target" in src
    assert '"' not in "".join(re.findall(r'\["([^"]*)"\]', src))


# --- charts ----------------------------------------------------------------------------------


def test_chart_starts_with_the_palette_directive() -> None:
    src = signal_chart(samples(5), service="carts", signal="error_rate_pct", title="t", start=T0)
    lines = src.splitlines()
    assert lines[0] == INIT_DIRECTIVE
    assert '"plotColorPalette": "' + ", ".join(PALETTE) + '"' in INIT_DIRECTIVE
    assert lines[1] == "xychart-beta"


def test_chart_axes_name_the_signal_with_its_unit() -> None:
    src = signal_chart(samples(13), service="carts", signal="error_rate_pct", title="Errors: carts", start=T0)
    assert '    title "Errors#58; carts"' in src
    assert '    x-axis "seconds since start" 0 --> 60' in src
    assert '    y-axis "error rate #40;#37;#41;" 0 --> 5' in src  # not zoomed in on a quiet baseline


def test_few_samples_are_plotted_as_they_are() -> None:
    src = signal_chart(samples(6, outage=range(2, 4)), service="carts", signal="error_rate_pct", title="t", start=T0)
    assert line_values(src) == {"carts": [0.5, 0.5, 90.0, 90.0, 0.5, 0.5]}
    assert "0 --> 100" in src  # an error rate's axis stops at 100 %


def test_many_samples_are_cut_to_forty_points_keeping_a_short_outage() -> None:
    src = signal_chart(samples(500, every_s=1, outage=range(201, 203)), service="carts",
                       signal="error_rate_pct", title="t", start=T0 + timedelta(seconds=100))
    values = line_values(src)["carts"]
    assert len(values) == MAX_POINTS
    assert max(values) == 90.0 and values[0] == values[-1] == 0.5
    assert '"seconds since start" -100 --> 399' in src
    dip = signal_chart(samples(500, every_s=1, outage=range(201, 203)), service="carts",
                       signal="ready_replicas", title="t", start=T0)
    assert min(line_values(dip)["carts"]) == 0  # a dip survives as well as a spike
    assert '"ready replicas #40;pods#41;"' in dip


def test_none_values_are_skipped_and_gaps_carry_the_previous_value() -> None:
    data = samples(6)
    data[1] = Sample(tick=1, at=data[1].at, services={"carts": Signals(error_rate_pct=None)})
    data[2] = Sample(tick=2, at=data[2].at, services={})
    assert [v for _, v in series(data, service="carts", signal="error_rate_pct", start=T0)] == [0.5] * 4
    assert series(data, service="carts", signal="latency_p95_ms", start=T0) == []
    src = signal_chart(data, service="carts", signal="error_rate_pct", title="t", start=T0)
    assert line_values(src)["carts"] == [0.5, 0.5, 0.5, 0.5]


def test_gaps_in_time_keep_the_grid_even() -> None:
    data = samples(3) + [Sample(tick=9, at=T0 + timedelta(seconds=45), services={"carts": Signals(error_rate_pct=7)})]
    src = signal_chart(data, service="carts", signal="error_rate_pct", title="t", start=T0)
    assert line_values(src)["carts"] == [0.5, 0.5, 0.5, 7.0]
    assert "0 --> 45" in src


def test_several_lines_in_the_order_given_without_empty_ones() -> None:
    data = [
        Sample(tick=i, at=T0 + timedelta(seconds=5 * i), services={
            "carts": Signals(error_rate_pct=i), "front-end": Signals(error_rate_pct=2 * i),
            "orders": Signals(),
        })
        for i in range(4)
    ]
    src = signals_chart(data, services=["front-end", "orders", "carts"], signal="error_rate_pct", title="t", start=T0)
    assert list(line_values(src).items()) == [("front-end", [0, 2, 4, 6]), ("carts", [0, 1, 2, 3])]


def test_chart_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(ValueError, match="1 to 3 services"):
        signals_chart(samples(3), services=["a", "b", "c", "d"], signal="error_rate_pct", title="t", start=T0)
    with pytest.raises(ValueError, match="nothing to chart"):
        signal_chart(samples(3), service="carts", signal="latency_p95_ms", title="t", start=T0)


def test_hostile_chart_text_is_escaped() -> None:
    src = signals_chart(samples(3, service=HOSTILE), services=[HOSTILE], signal="error_rate_pct",
                        title=HOSTILE, start=T0)
    for ln in src.splitlines()[2:]:
        assert ln.count('"') in (0, 2, 4), ln
    assert src.count("%%") == 2  # only the directive's own
