"""The CI artifacts from a run's data: the result JSON against its shipped JSON Schema, the JUnit
file against Jenkins' xUnit schema (read back by junitparser), and the verdict each ending gets."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import junitparser
import pytest
import xmlschema

from agent.models import Decision, RunEvent, Sample, Signals
from agent.models.spec import ExpectedSignal, Hypothesis
from agent.report import ci
from agent.report.junit import render
from agent.report.record import RunRecord
from agent.report.result import RunResult, dumps, schema_text
from tests.factories import T0, spec

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "agent" / "report" / "data" / "result.schema.json"
XSD = ROOT / "tests" / "data" / "junit" / "junit-10.xsd"
SHARED_XSD = ROOT.parent / "shared" / "fixtures" / "upstream" / "junit" / "xunit-plugin" / "junit-10.xsd"


def at(s: float) -> object:
    return T0 + timedelta(seconds=s)


def sample(tick: int, web_err: float) -> Sample:
    return Sample(tick=tick, at=at(tick * 5), services={  # type: ignore[arg-type]
        "web": Signals(error_rate_pct=web_err, latency_p95_ms=100, ready_replicas=1, replicas=1),
        "api": Signals(error_rate_pct=0.2, latency_p95_ms=20, ready_replicas=2, replicas=2),
    })


HYPOTHESIS = Hypothesis(statement="users see errors at web", affected_services=["api", "web"],
                        expected=[ExpectedSignal(service="web", signal="error_rate_pct", peak=20)], recovery_s=30)


def record(web: list[float] = (0.5, 23.4, 12.0, 0.6), **changes: object) -> RunRecord:  # type: ignore[assignment]
    events = [RunEvent(at=at(-10), kind="approved", detail="by cli:ann"),  # type: ignore[arg-type]
              RunEvent(at=at(0), kind="dry_run", detail="accepted"),  # type: ignore[arg-type]
              RunEvent(at=at(0), kind="applied", detail="ChaosEngine created"),  # type: ignore[arg-type]
              RunEvent(at=at(30), kind="completed", detail="verdict Pass")]  # type: ignore[arg-type]
    base = dict(
        run_id="r1", outcome="completed", reason=None, spec=spec(hypothesis=HYPOTHESIS),
        decision=Decision(verdict="approve", choice=1, approver="ann", channel="cli", at=at(-10)),  # type: ignore[arg-type]
        events=events, baseline=sample(0, 0.5),
        samples=[sample(-1, 0.4), sample(0, 0.5), *(sample(i + 1, v) for i, v in enumerate(web))],
        manifest=None, verdict="Pass", source="test signals", queries={"web.error_rate_pct": "sum(rate(x[1m]))"},
    )
    return RunRecord(**(base | changes))  # type: ignore[arg-type]


def test_the_shipped_schema_is_the_one_the_model_generates() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), "regenerate: python -m agent schema --result > " + str(
        SHIPPED.relative_to(ROOT))
    jsonschema.Draft202012Validator.check_schema(json.loads(SHIPPED.read_text()))


def test_the_vendored_xsd_is_the_shared_fixture() -> None:
    if not SHARED_XSD.exists():
        pytest.skip("no ../shared beside this checkout")
    assert XSD.read_bytes() == SHARED_XSD.read_bytes()


def valid(result: RunResult) -> tuple[dict[str, object], junitparser.JUnitXml]:
    """The result through its JSON Schema, and its JUnit through the XSD and junitparser."""
    data = json.loads(dumps(result))
    jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text())).validate(data)
    assert RunResult.model_validate(data) == result  # round trip
    xml = render(result)
    xmlschema.XMLSchema(str(XSD)).validate(xml)
    return data, junitparser.JUnitXml.fromstring(xml)


def cases(xml: junitparser.JUnitXml) -> dict[str, list[str]]:
    return {f"{s.name.split(': ')[-1]}/{c.name}": [type(r).__name__ for r in c.result] for s in xml for c in s}


def test_a_weakness_refutes_the_steady_state_with_the_numbers() -> None:
    result = ci.build(record(), report=Path("reports/r1.md"))
    assert (result.verdict, result.exit_code) == ("refuted", 3)
    data, xml = valid(result)
    web = next(c for c in result.steady_state if c.id == "steady_state.web.error_rate_pct")
    assert web.verdict == "failed" and web.observed == 23.4 and web.query == "sum(rate(x[1m]))"
    assert web.baseline is not None and web.baseline.samples == 2 and web.threshold.op == "within"
    assert [p.t_s for p in web.samples] == [5.0, 10.0, 15.0, 20.0]
    assert "23.4% at T+10s" in web.message and "0.0–2.5%" in web.message
    got = cases(xml)
    assert got["run/run"] == ["Failure"] and got["steady state/web error rate stays within its baseline band"] == ["Failure"]
    assert got["hypothesis/web error rate peaks near 20.0%"] == []  # 23.4 is near 20: confirmed
    assert data["plan_hash"] == ci.plan_hash(spec(hypothesis=HYPOTHESIS))
    assert [a["action"] for a in data["executed"]] == ["dry_run", "apply"] and data["skipped"] == []  # type: ignore[index]
    assert data["approval"]["approver"] == "ann"  # type: ignore[index]


def test_a_quiet_run_holds_and_the_missed_prediction_fails_only_its_case() -> None:
    result = ci.build(record(web=[0.5, 0.7, 0.4, 0.6]))
    assert (result.verdict, result.exit_code) == ("held", 0)
    _, xml = valid(result)
    got = cases(xml)
    assert got["run/run"] == [] and got["hypothesis/web error rate peaks near 20.0%"] == ["Failure"]
    err = result.prediction_error
    assert err is not None and err.peaks[0].error == pytest.approx(0.7 - 20)
    assert (err.blast_radius.observed, err.blast_radius.precision, err.blast_radius.recall) == ([], 0.0, None)


def test_the_same_run_gives_the_same_bytes() -> None:
    assert dumps(ci.build(record())) == dumps(ci.build(record()))
    assert render(ci.build(record())) == render(ci.build(record()))


@pytest.mark.parametrize(("changes", "verdict", "code"), [
    ({"outcome": "aborted", "reason": "web error rate 62% > 50%"}, "aborted", 4),
    ({"outcome": "aborted", "reason": "aborted by the user (Ctrl-C) at T+12 s"}, "stopped", 5),
    ({"outcome": "refused", "reason": "policy.max_duration_s", "events": []}, "refused", 6),
    ({"outcome": "rejected", "reason": "no", "events": []}, "rejected", 6),
    ({"outcome": "dry_run", "reason": "dry run", "events": []}, "dry_run", 0),
    ({"outcome": "failed", "reason": "Litmus not installed", "events": []}, "failed", 1),
    ({"outcome": "inconclusive", "reason": "the fault had no observable effect"}, "inconclusive", 5),
    ({"samples": [sample(0, 0.5)]}, "inconclusive", 5),  # nothing read after the injection
])
def test_each_ending_has_its_verdict_and_code(changes: dict[str, object], verdict: str, code: int) -> None:
    result = ci.build(record(**changes))
    assert (result.verdict, result.exit_code) == (verdict, code)
    _, xml = valid(result)
    run = cases(xml)["run/run"]
    assert run == {0: [], 1: ["Error"], 4: ["Failure"], 5: ["Skipped"], 6: ["Failure"]}[code]
    if not record(**changes).injected:
        assert {s.action for s in result.skipped} == {"dry_run", "apply"} and result.steady_state == []


def test_a_run_left_waiting_has_its_own_result() -> None:
    result = ci.waiting("r9")
    assert (result.verdict, result.exit_code, result.outcome) == ("waiting", 7, None)
    _, xml = valid(result)
    assert cases(xml) == {"run/run": ["Skipped"]}
