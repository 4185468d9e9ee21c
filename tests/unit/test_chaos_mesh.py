"""Chaos Mesh as a second engine: every fault it can do renders to an object valid under upstream's
v2.8.3 CRDs (validated as the API server's strict field validation would: unknown fields fail); a
fault or parameter it cannot do is refused by the policy with the reason; its status reads as the
neutral phase the way upstream's dashboard judges conditions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from agent.design.policy import violations
from agent.engines import chaos_mesh
from agent.engines.backend import engine_of
from agent.models import Fault, Parameters
from tests.factories import shop, spec

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "twin" / "data" / "chaos-mesh"
EXAMPLES = ROOT / "tests" / "data" / "chaos-mesh-2.8.3"
PARAMETERS = {  # a few set, the rest left to the upstream defaults
    Fault.POD_DELETE: Parameters(duration_s=30, force=True, pods_affected_perc=50),
    Fault.CONTAINER_KILL: Parameters(duration_s=30),
    Fault.POD_NETWORK_LATENCY: Parameters(duration_s=60, network_latency_ms=300, jitter_ms=20,
                                          destination_hosts="db,queue"),
    Fault.POD_NETWORK_LOSS: Parameters(duration_s=60, packet_loss_pct=40),
    Fault.POD_NETWORK_CORRUPTION: Parameters(duration_s=60),
    Fault.POD_NETWORK_DUPLICATION: Parameters(duration_s=60, packet_duplication_pct=10, pods_affected_perc=100),
    Fault.POD_CPU_HOG: Parameters(duration_s=60, cpu_cores=2, cpu_load_pct=80),
    Fault.POD_MEMORY_HOG: Parameters(duration_s=60, memory_consumption_mb=256),
    Fault.POD_DNS_ERROR: Parameters(duration_s=45, target_hostnames=["catalogue", "user-db"]),
    Fault.IO_LATENCY: Parameters(duration_s=40, io_latency_ms=250, io_percent=50, volume_path="/data/db"),
}


def _strict(node: Any) -> Any:
    """The schema with unknown fields refused wherever it declares properties (kube-apiserver's
    strict field validation; plain JSON Schema would let a misspelt field through)."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [_strict(v) for v in node]
    return node


def _schemas() -> dict[str, dict[str, Any]]:
    out = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
        out[crd["spec"]["names"]["kind"]] = _strict(version["schema"]["openAPIV3Schema"])
    return out


SCHEMAS = _schemas()


def _validate(obj: dict[str, Any]) -> None:
    jsonschema.validate(obj, SCHEMAS[obj["kind"]])


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_upstream_examples_pass_the_check(example: str) -> None:
    _validate(yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8")))


def test_the_check_catches_a_misspelt_field() -> None:
    body = chaos_mesh.render(spec(action=Fault.POD_DELETE, parameters=PARAMETERS[Fault.POD_DELETE]),
                             run_id="r1").body()
    bad = copy.deepcopy(body)
    bad["spec"]["gracePeriods"] = 0  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError, match="gracePeriods"):
        _validate(bad)


@pytest.mark.parametrize("fault", list(PARAMETERS), ids=str)
def test_every_mapped_fault_renders_a_valid_object(fault: Fault) -> None:
    obj = chaos_mesh.render(spec(action=fault, parameters=PARAMETERS[fault]), run_id="r1", inventory=shop())
    body = obj.body()
    _validate(body)
    mapped = fault.entry.chaos_mesh
    assert mapped is not None and body["kind"] == mapped.kind == obj.kind
    assert body["metadata"] == {"name": "ca-r1", "namespace": "shop", "labels": {
        "app.kubernetes.io/managed-by": "chaos-advisor", "chaos-advisor.io/run-id": "r1"}}
    s = body["spec"]
    assert s["selector"] == {"namespaces": ["shop"], "labelSelectors": {"name": "api"}}  # type: ignore[index]
    assert s["duration"] == f"{PARAMETERS[fault].duration_s}s"  # type: ignore[index]


def test_fields_carry_the_parameters() -> None:
    def rendered(fault: Fault) -> dict[str, Any]:
        obj = chaos_mesh.render(spec(action=fault, parameters=PARAMETERS[fault]), run_id="r", inventory=shop())
        return obj.spec

    kill = rendered(Fault.POD_DELETE)
    assert (kill["action"], kill["gracePeriod"], kill["mode"], kill["value"]) == ("pod-kill", 0, "fixed-percent", "50")
    assert rendered(Fault.CONTAINER_KILL)["containerNames"] == ["api"]  # the workload's container
    assert rendered(Fault.CONTAINER_KILL)["mode"] == "one"
    latency = rendered(Fault.POD_NETWORK_LATENCY)
    assert latency["delay"] == {"latency": "300ms", "jitter": "20ms", "correlation": "0"}
    assert latency["externalTargets"] == ["db", "queue"] and latency["direction"] == "to"
    assert rendered(Fault.POD_NETWORK_LOSS)["loss"] == {"loss": "40", "correlation": "0"}
    assert rendered(Fault.POD_NETWORK_CORRUPTION)["corrupt"]["corrupt"] == "100"  # chaos-charts' default
    assert rendered(Fault.POD_NETWORK_DUPLICATION)["mode"] == "all"
    assert rendered(Fault.POD_CPU_HOG)["stressors"] == {"cpu": {"workers": 2, "load": 80}}
    assert rendered(Fault.POD_MEMORY_HOG)["stressors"] == {"memory": {"workers": 1, "size": "256MB"}}
    dns = rendered(Fault.POD_DNS_ERROR)  # each name, and the name under any domain (the pod's search path)
    assert (dns["action"], dns["patterns"]) == ("error", ["catalogue", "catalogue.*", "user-db", "user-db.*"])
    every = chaos_mesh.render(spec(action=Fault.POD_DNS_ERROR, parameters=Parameters(duration_s=30)), run_id="r").spec
    assert "patterns" not in every and every["action"] == "error"  # no names: every lookup fails, as with Litmus


def test_a_dns_chaos_has_the_shape_of_upstreams_example_and_the_schema_holds_it_to_it() -> None:
    example = yaml.safe_load((EXAMPLES / "dns-chaos-example.yaml").read_text(encoding="utf-8"))
    body: dict[str, Any] = chaos_mesh.render(
        spec(action=Fault.POD_DNS_ERROR, parameters=PARAMETERS[Fault.POD_DNS_ERROR]), run_id="r1").body()
    assert (body["apiVersion"], body["kind"]) == (example["apiVersion"], example["kind"])
    assert set(body["spec"]) == set(example["spec"])  # action, mode, patterns, selector, duration
    for field, bad in (("action", "spoof"), ("mode", "most"), ("patterns", "catalogue")):
        broken = copy.deepcopy(body)
        broken["spec"][field] = bad
        with pytest.raises(jsonschema.ValidationError):
            _validate(broken)


def test_names_with_wildcards_are_refused_on_chaos_mesh_only() -> None:
    s = spec(action=Fault.POD_DNS_ERROR, parameters=Parameters(duration_s=30, target_hostnames=["cat*", "user"]),
             chaos_engine="chaos-mesh")
    reasons = [v.reason for v in violations(s, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]
    assert reasons == ["chaos-mesh cannot run it: target_hostnames: 'cat*' hold * or ?, which DNSChaos reads as "
                       "wildcards; give plain names or use chaos_engine: litmus"]
    with pytest.raises(ValueError, match="cat"):
        chaos_mesh.render(s, run_id="r1")
    assert not [v for v in violations(s.model_copy(update={"chaos_engine": "litmus"}), shop(), _any_policy())
                if v.rule == "chaos_engine"]


@pytest.mark.parametrize(("found", "refused"), [(False, True), (True, False), (None, False)],
                         ids=["absent", "present", "not-known"])
def test_dns_chaos_is_refused_where_the_inventory_shows_no_dns_server(found: bool | None, refused: bool) -> None:
    inv = _mesh_shop()
    inv = inv.model_copy(update={"litmus": inv.litmus.model_copy(update={"chaos_mesh_dns_server": found})})
    s = spec(action=Fault.POD_DNS_ERROR, parameters=Parameters(duration_s=30), chaos_engine="chaos-mesh")
    reasons = [v.reason for v in violations(s, inv, _any_policy()) if v.rule == "chaos_engine"]
    if refused:
        assert reasons == [
            "chaos-mesh cannot run it on this cluster: pod-dns-error: DNSChaos needs Chaos Mesh's DNS server "
            "(Service chaos-mesh/chaos-mesh-dns-server, Helm dnsServer.create=true) and this cluster has none; "
            "install it (helm upgrade chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --reuse-values --set "
            "dnsServer.create=true) or use chaos_engine: litmus"]
    else:
        assert reasons == []
    others = spec(action=Fault.POD_NETWORK_LOSS, parameters=Parameters(duration_s=30), chaos_engine="chaos-mesh")
    assert not [v for v in violations(others, inv, _any_policy()) if v.rule == "chaos_engine"]  # only DNSChaos needs it
    litmus = s.model_copy(update={"chaos_engine": "litmus"})
    assert not [v for v in violations(litmus, inv, _any_policy()) if v.rule == "chaos_engine"]


@pytest.mark.parametrize(("fault", "why"), [
    (Fault.NODE_DRAIN, "Chaos Mesh has no node drain"),
    (Fault.DISK_FILL, "Chaos Mesh has no disk fill"),
], ids=str)
def test_a_fault_chaos_mesh_cannot_do_is_refused_with_the_reason(fault: Fault, why: str) -> None:
    params = Parameters(duration_s=30, target_node="node-1") if fault == Fault.NODE_DRAIN else Parameters(duration_s=30)
    s = spec(action=fault, parameters=params, chaos_engine="chaos-mesh")
    refused = [v for v in violations(s, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]
    assert len(refused) == 1 and why in refused[0].reason and "use chaos_engine: litmus" in refused[0].reason
    with pytest.raises(ValueError, match=why):
        chaos_mesh.render(s, run_id="r1")
    assert not [v for v in violations(s.model_copy(update={"chaos_engine": "litmus"}), shop(), _any_policy())
                if v.rule == "chaos_engine"]


def test_a_parameter_chaos_mesh_has_no_field_for_is_refused() -> None:
    once = spec(chaos_engine="chaos-mesh")  # the factory's pod-delete: an interval of its whole duration, one kill
    assert once.parameters.chaos_interval_s is not None and once.parameters.chaos_interval_s >= once.parameters.duration_s
    assert not [v for v in violations(once, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]
    s = once.model_copy(update={"parameters": once.parameters.model_copy(
        update={"chaos_interval_s": once.parameters.duration_s // 2})})  # kills twice: needs a Schedule
    reasons = [v.reason for v in violations(s, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]
    assert reasons == ["chaos-mesh cannot run it: chaos_interval_s: a PodChaos kills once (repeating needs a "
                       "Schedule, which the agent does not make); remove it or use chaos_engine: litmus"]
    sigterm = spec(action=Fault.CONTAINER_KILL, parameters=Parameters(duration_s=30, signal="SIGTERM"),
                   chaos_engine="chaos-mesh")
    assert any("SIGKILL" in v.reason for v in violations(sigterm, _mesh_shop(), _any_policy()))
    sigkill = sigterm.model_copy(update={"parameters": sigterm.parameters.model_copy(update={"signal": "SIGKILL"})})
    assert not [v for v in violations(sigkill, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]


def test_the_spec_picks_its_backend() -> None:
    backends: dict[str, Any] = {"litmus": "L"}
    assert engine_of(spec(), backends) == "L"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'chaos-mesh' is not enabled on this cluster .enabled: litmus"):
        engine_of(spec(chaos_engine="chaos-mesh"), backends)  # type: ignore[arg-type]


@pytest.mark.parametrize(("conditions", "desired", "failure", "phase"), [
    ({}, None, "", "pending"),
    ({"Selected": "True", "AllInjected": "True", "AllRecovered": "False", "Paused": "False"}, "Run", "", "running"),
    ({"Selected": "True", "AllInjected": "False", "AllRecovered": "True", "Paused": "False"}, "Stop", "", "completed"),
    ({"Selected": "True", "AllInjected": "False", "AllRecovered": "False", "Paused": "False"}, "Stop", "", "running"),
    ({"Selected": "True", "AllInjected": "False", "AllRecovered": "True", "Paused": "True"}, "Stop", "", "stopped"),
    ({"Selected": "False", "Paused": "False"}, "Run", "no pod is selected", "failed"),
    ({"Selected": "False", "Paused": "False"}, "Stop", "", "failed"),
])
def test_status_reads_as_upstream_judges_it(conditions: dict[str, str], desired: str | None, failure: str,
                                            phase: str) -> None:
    assert chaos_mesh.phase(conditions, desired, failure=failure)[0] == phase


def _any_policy() -> Any:
    from agent.config import Policy

    return Policy(namespaces=["shop"], actions=list(Fault), allow_high_risk=True, max_pods_affected_perc=100,
                  max_pods_affected=10)


def _mesh_shop() -> Any:
    """The shop on a cluster that has Chaos Mesh's CRDs (inventory lists the engine)."""
    inv = shop()
    return inv.model_copy(update={"litmus": inv.litmus.model_copy(update={"chaos_mesh_crds": ["podchaos.chaos-mesh.org"]})})


def test_a_chaos_mesh_spec_runs_where_chaos_mesh_is_installed_and_is_refused_where_it_is_not() -> None:
    s = spec(action=Fault.POD_NETWORK_LATENCY, parameters=Parameters(duration_s=30, network_latency_ms=100),
             chaos_engine="chaos-mesh")
    assert not [v for v in violations(s, _mesh_shop(), _any_policy()) if v.rule in ("chaos_engine", "engine")]
    refused = [v.reason for v in violations(s, shop(), _any_policy()) if v.rule == "chaos_engine"]
    assert refused == ["chaos-mesh is not installed on this cluster (no podchaos.chaos-mesh.org CRD; inventory "
                       "lists the engines); install Chaos Mesh 2.8 or use chaos_engine: litmus"]
    assert not [v for v in violations(s.model_copy(update={"chaos_engine": "litmus"}), shop(), _any_policy())
                if v.rule == "chaos_engine"]


def test_the_catalog_says_per_fault_which_engines_run_it_as_the_policy_does() -> None:
    from agent.cli.catalog import rows

    by_fault = {r.fault: r for r in rows()}
    assert set(by_fault) == {f.value for f in Fault}
    assert by_fault["pod-delete"].chaos_mesh == "PodChaos pod-kill" and by_fault["pod-delete"].engines == ("litmus", "chaos-mesh")
    assert by_fault["disk-fill"].engines == ("litmus",) and "no disk fill" in by_fault["disk-fill"].chaos_mesh_gap
    dns = by_fault["pod-dns-error"]
    assert (dns.chaos_mesh, dns.engines) == ("DNSChaos error", ("litmus", "chaos-mesh"))
    assert "chaos-mesh-dns-server" in dns.chaos_mesh_needs and not by_fault["pod-delete"].chaos_mesh_needs
    for r in rows():  # the table and the policy agree: a fault listed without Chaos Mesh is refused there, with its words
        extra = {"node-drain": {"target_node": "node-1"}, "io-latency": {"volume_path": "/tmp"}}.get(r.fault, {})
        s = spec(action=Fault(r.fault), parameters=Parameters(duration_s=30, **extra), chaos_engine="chaos-mesh")
        reasons = chaos_mesh.refusals(s)
        assert ("chaos-mesh" in r.engines) == (not reasons), (r.fault, reasons)
        if reasons:
            assert r.chaos_mesh_gap in reasons[0]


@pytest.mark.parametrize(("phase", "state", "status", "finished"), [
    ("pending", "active", "initialized", False), ("running", "active", "initialized", False),
    ("completed", "active", "completed", True), ("stopped", "stop", "stopped", True), ("failed", "active", "completed", True),
])
def test_a_chaos_mesh_phase_reads_in_the_runs_engine_fields(phase: str, state: str, status: str, finished: bool) -> None:
    from agent.engines.backend import ChaosStatus, engine_status

    read = engine_status(ChaosStatus(engine="chaos-mesh", phase=phase, detail="why"))  # type: ignore[arg-type]
    assert (read.engine_state, read.engine_status, read.finished, read.experiment_status) == (state, status, finished, "why")


def test_an_io_latency_renders_an_iochaos_with_the_shape_of_upstreams_example() -> None:
    example = yaml.safe_load((EXAMPLES / "io-delay-example.yaml").read_text(encoding="utf-8"))
    body: dict[str, Any] = chaos_mesh.render(
        spec(action=Fault.IO_LATENCY, parameters=PARAMETERS[Fault.IO_LATENCY]), run_id="r1").body()
    _validate(body)
    assert (body["apiVersion"], body["kind"]) == (example["apiVersion"], example["kind"])
    assert set(body["spec"]) == set(example["spec"])  # action, mode, selector, volumePath, path, delay, percent, duration
    assert {k: body["spec"][k] for k in ("action", "volumePath", "path", "delay", "percent", "duration", "mode")} == {
        "action": "latency", "volumePath": "/data/db", "path": "/data/db/**/*", "delay": "250ms", "percent": 50,
        "duration": "40s", "mode": "one"}
    unset = chaos_mesh.render(spec(action=Fault.IO_LATENCY, parameters=Parameters(duration_s=30, volume_path="/tmp")),
                              run_id="r2").spec
    assert (unset["delay"], unset["percent"]) == ("100ms", 100)  # IO_DELAY_MS; the CRD's own percent default
    for field, bad in (("action", "slow"), ("percent", "50"), ("volumePath", None)):
        broken = copy.deepcopy(body)
        broken["spec"][field] = bad
        with pytest.raises(jsonschema.ValidationError):
            _validate(broken)
    del broken["spec"]["volumePath"]
    with pytest.raises(jsonschema.ValidationError, match="volumePath"):  # required upstream
        _validate(broken)


def test_io_latency_needs_a_volume_path_on_chaos_mesh() -> None:
    s = spec(action=Fault.IO_LATENCY, parameters=Parameters(duration_s=30), chaos_engine="chaos-mesh")
    reasons = [v.reason for v in violations(s, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]
    assert reasons == ["chaos-mesh cannot run it: volume_path: io-latency needs the mount path of the target's "
                       "volume (IOChaos volumePath, e.g. /data/db); set it"]
    with pytest.raises(ValueError, match="volume_path"):
        chaos_mesh.render(s, run_id="r1")


def test_io_latency_is_refused_on_litmus_with_the_reason() -> None:
    from agent.engines import litmus

    s = spec(action=Fault.IO_LATENCY, parameters=PARAMETERS[Fault.IO_LATENCY])  # chaos_engine: litmus
    refused = [v.reason for v in violations(s, _mesh_shop(), _any_policy()) if v.rule == "chaos_engine"]
    assert refused == ["litmus cannot run it: io-latency: Litmus has no I/O latency fault in chaos-charts 3.18.0: "
                       "pod-io-stress loads the disk, it delays nothing; use chaos_engine: chaos-mesh"]
    with pytest.raises(ValueError, match="Litmus has no I/O latency fault"):
        litmus.render(s, run_id="r1", service_account="litmus-admin", cleanup="delete")
    mesh = s.model_copy(update={"chaos_engine": "chaos-mesh"})
    assert violations(mesh, _mesh_shop(), _any_policy()) == []  # the same spec runs on Chaos Mesh
    assert not litmus.refusals(spec(action=Fault.POD_NETWORK_LATENCY, parameters=Parameters(duration_s=30)))


def test_the_catalog_lists_io_latency_for_chaos_mesh_only(capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli.catalog import catalog, rows

    io = next(r for r in rows() if r.fault == "io-latency")
    assert (io.engines, io.chaos_mesh, io.litmus) == (("chaos-mesh",), "IOChaos latency", "")
    assert io.litmus_gap.startswith("Litmus has no I/O latency fault")
    catalog()
    line = " ".join(next(x for x in capsys.readouterr().out.splitlines() if x.startswith("io-latency")).split())
    assert "no (Litmus has no I/O latency fault" in line and "yes (IOChaos latency)" in line


def test_the_planner_never_proposes_io_latency() -> None:
    """The inventory knows a workload has a volume (``persistent``), not where it is mounted: a spec file,
    a template or the LLM designer names ``volume_path``."""
    from agent.design.planner import PlannerDesigner

    inv = shop()
    inv = inv.model_copy(update={"workloads": [w.model_copy(update={"persistent": True}) for w in inv.workloads]})
    assert Fault.IO_LATENCY.entry.planner is None
    assert not [c for c in PlannerDesigner().rank(inv, 100) if c.spec.action == Fault.IO_LATENCY]
