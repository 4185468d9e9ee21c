"""Generated specs in the seed's shape, and the seed's default safety (abort past 5% errors at the edge)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.design.planner import PlannerDesigner
from agent.design.propose import load_spec, save
from agent.models import AbortCondition, AbortThreshold, Candidate, ExperimentSpec, Parameters
from agent.models.seed import SeedSpec, is_seed, to_seed
from tests.factories import inventory, shop, spec, target


def planned() -> list[ExperimentSpec]:
    return [c.spec for c in PlannerDesigner().rank(shop(), 100)]


def test_every_planned_spec_written_in_the_seeds_shape_reads_back_equal(tmp_path: Path) -> None:
    specs = planned()
    assert len({s.action for s in specs}) >= 5  # restarts, hogs, latency, packet faults: every writer branch
    saved, _ = save([Candidate(rank=n, score=1, spec=s) for n, s in enumerate(specs, 1)], tmp_path, dialect="seed")
    for c in saved:
        assert c.saved_path is not None
        data = json.loads(Path(c.saved_path).read_text())
        assert is_seed(data) and data["chaos_engine"] == "litmuschaos"
        assert isinstance(data["target_selector"]["label_selector"], str) and data["parameters"]["duration"].endswith("s")
        assert load_spec(Path(c.saved_path)) == c.spec


def test_the_writer_uses_the_seeds_names_and_units() -> None:
    kill = spec(parameters=Parameters(duration_s=60), abort_threshold=AbortThreshold(service="web", error_rate_pct=5))
    data = to_seed(kill).model_dump(mode="json", exclude_none=True)
    assert data["action"] == "pod-kill"
    assert data["parameters"] == {"duration": "60s", "replicas_to_kill": 1}
    assert data["abort_threshold"] == {"metric": "error_rate", "value": 0.05, "operator": ">", "service": "web"}
    several = AbortThreshold(service="web", error_rate_pct=12.5, latency_p95_ms=800, reason="why", conditions=[
        AbortCondition(signal="memory_mib", op=">=", value=512, service="db")])
    written = to_seed(kill.model_copy(update={"abort_threshold": several})).model_dump(mode="json", exclude_none=True)
    assert written["abort_threshold"] == [
        {"metric": "error_rate", "value": 0.125, "operator": ">", "service": "web", "reason": "why"},
        {"metric": "latency_p95", "value": 0.8, "operator": ">", "service": "web"},
        {"metric": "memory_usage", "value": 512 * 2**20, "operator": ">=", "service": "db"},
    ]
    assert SeedSpec.model_validate(written).to_native().abort_threshold == several


def test_no_abort_threshold_is_not_written_as_the_seeds_default() -> None:
    with pytest.raises(ValueError, match="no abort threshold"):
        to_seed(spec(abort_threshold=None))


def test_generated_specs_abort_past_5_percent_at_the_edge_unless_the_hypothesis_expects_more() -> None:
    specs = planned()
    assert specs and all(s.abort_threshold is not None and s.abort_threshold.service == "web" for s in specs)
    def users_see_errors(s: ExperimentSpec) -> bool:
        h = s.hypothesis
        assert h is not None
        return "web" in h.affected_services and any(
            e.signal == "error_rate_pct" and (e.peak > 5 or e.op == "at_least") for e in h.expected)

    quiet = [s for s in specs if not users_see_errors(s)]
    assert quiet  # e.g. a pod of the 2-replica api, a CPU hog, the worker off every user path
    for s in quiet:
        assert s.abort_threshold is not None
        assert (s.abort_threshold.error_rate_pct, s.abort_threshold.reason) == (5.0, "")
    loud = [s for s in specs if s not in quiet]
    assert loud
    for s in loud:
        assert s.abort_threshold is not None and s.abort_threshold.error_rate_pct == 50.0
        assert s.abort_threshold.reason.startswith("above the default 5%: the hypothesis expects errors ")
        assert s.target_selector.service in s.abort_threshold.reason  # at it, or from it at the caller that shows it
        assert "users see at web" in s.abort_threshold.reason


def test_errors_off_every_user_path_keep_the_default() -> None:
    # "batch" is called by nobody users reach: its outage is not seen at the edge, so 5% stays.
    inv = inventory(target("web", tier="edge", readiness_delay=5), target("batch", readiness_delay=5), deps=[])
    batch = [c.spec for c in PlannerDesigner().rank(inv, 20) if c.spec.target_selector.service == "batch"]
    assert batch and all(s.abort_threshold and s.abort_threshold.error_rate_pct == 5.0 for s in batch)
