"""What else changed the namespace during a run (agent.run.confounders), on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.models import EngineInfo, Hypothesis, Pod
from agent.models.verify import SceneBefore
from agent.run.confounders import find, line, mark, scene
from tests.factories import shop, spec

T0 = datetime(2027, 1, 1, tzinfo=UTC)
SINCE = T0 + timedelta(seconds=10)


def pod(name: str, uid: str, *, restarts: int = 0, labels: dict[str, str] | None = None) -> Pod:
    service = name.rsplit("-", 1)[0]
    return Pod(name=name, namespace="shop", labels=labels or {"name": service}, owner_kind="Deployment",
               owner_name=service, ready=True, uid=uid, restarts=restarts)


BEFORE = [pod("api-0", "u-api0"), pod("db-0", "u-db0"), pod("worker-0", "u-w0"), pod("web-0", "u-web0")]


def before(engines: list[EngineInfo] = []) -> SceneBefore:  # noqa: B006 - read only
    inv = shop()
    return scene(BEFORE, inv.workloads, engines, namespace="shop", own="ca-mine")


def run(now: list[Pod], *, engines: list[EngineInfo] = [], scene_before: SceneBefore | None = None,  # noqa: B006
        **changes: object):  # type: ignore[no-untyped-def]
    inv = shop()
    return find(scene_before or before(), pods=now, workloads=inv.workloads, engines=engines, spec=spec(**changes),
                inv=inv, own="ca-mine", since=SINCE, at=SINCE + timedelta(seconds=60))


def test_a_quiet_namespace_with_the_target_replaced_and_chaos_pods_has_no_confounder() -> None:
    chaos = pod("ca-mine-runner", "u-run", labels={"chaosUID": "x"})
    result = run([pod("api-1", "u-api1"), pod("db-0", "u-db0"), pod("worker-0", "u-w0"), pod("web-0", "u-web0"), chaos],
                 engines=[EngineInfo(name="ca-mine", namespace="shop", engine_state="active", created_at=SINCE),
                          EngineInfo(name="old", namespace="shop", engine_state="stop", created_at=T0)])
    assert result.found == [] and result.explained == []
    assert line(result, SINCE).startswith("none: no other ChaosEngine, rollout or pod change outside the target up to T+60 s")


def test_a_pod_replaced_outside_the_target_confounds_its_service_and_its_callers() -> None:
    result = run([pod("api-0", "u-api0"), pod("db-0", "u-db9"), pod("worker-0", "u-w0"), pod("web-0", "u-web0")])
    assert [(c.kind, c.services) for c in result.found] == [("pod-replaced", ["api", "db", "web"])]
    assert "db-0 (u-db0) gone" in result.found[0].detail and "(u-db9) new" in result.found[0].detail
    assert mark(result, "web").startswith(" (may be confounded: db: pod db-0")
    assert mark(result, "worker") == ""
    assert line(result, SINCE).startswith("1 change not made by this run up to T+60 s: pod-replaced: db:")


def test_a_restart_is_explained_inside_the_predicted_blast_radius_only() -> None:
    now = [pod("api-0", "u-api0"), pod("db-0", "u-db0", restarts=1), pod("worker-0", "u-w0", restarts=2),
           pod("web-0", "u-web0")]
    hyp = Hypothesis(statement="db restarts under api chaos", affected_services=["api", "db"], expected=[],
                     recovery_s=30)
    result = run(now, hypothesis=hyp)
    assert [(c.kind, c.detail) for c in result.found] == [("pod-restarted", "worker: pod worker-0 restartCount 0 -> 2")]
    assert result.explained == ["db: pod db-0 restartCount 0 -> 1 (in the predicted blast radius)"]


def test_another_engine_active_during_the_run_confounds_every_service_but_a_finished_old_one_does_not() -> None:
    engines = [EngineInfo(name="theirs", namespace="shop", engine_state="active", created_at=T0),
               EngineInfo(name="later", namespace="shop", engine_state="stop", created_at=SINCE + timedelta(seconds=5)),
               EngineInfo(name="old", namespace="shop", engine_state="stop", created_at=T0)]
    result = run(BEFORE, engines=engines)
    assert [c.detail for c in result.found] == ["ChaosEngine shop/later (stop, not labelled as the agent's)",
                                                "ChaosEngine shop/theirs (active, not labelled as the agent's)"]
    assert mark(result, "worker").count("ChaosEngine") == 2
    gone = run(BEFORE, scene_before=before([EngineInfo(name="was", namespace="shop", engine_state="active")]))
    assert [c.detail for c in gone.found] == ["ChaosEngine shop/was (active at the apply, deleted since)"]


def test_a_workload_whose_generation_changed_is_a_rollout() -> None:
    b = before().model_copy(update={"generations": {**before().generations, "Deployment/db": 3}})
    inv = shop()
    workloads = [w.model_copy(update={"generation": 4}) if w.name == "db" else w for w in inv.workloads]
    for w in workloads:
        b.generations.setdefault(f"{w.kind}/{w.name}", w.generation)
    result = find(b, pods=BEFORE, workloads=workloads, engines=[], spec=spec(), inv=inv, own="ca-mine", since=SINCE, at=SINCE)
    assert [(c.kind, c.detail, c.services) for c in result.found] == [
        ("rollout", "Deployment/db generation 3 -> 4 (a rollout)", ["api", "db", "web"])]
    assert line(None, SINCE).startswith("not checked")
