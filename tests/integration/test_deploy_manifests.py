"""deploy/: the agent's install manifests. They are the generator's output for stack.yaml, the
twin accepts every object by server-side dry-run (official client and kubectl) and refuses broken
copies naming the field, and the RBAC is least privilege yet sufficient: computed from the rendered
objects against the API calls agent/adapters/kube.py makes.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from kubernetes import utils
from typer.testing import CliRunner

from agent.config import Settings, load_settings
from agent.deploy import manifests as dm
from agent.errors import ConfigError
from twin.resources import RESOURCES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
LITMUS = "litmuschaos.io"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}

# Every Kubernetes API call of agent/adapters/kube.py, keyed by (client method, custom plural):
# (verb, group, resource, where) with where one of
#   discovery: in each k8s.namespaces; chaos: in each policy.namespaces; cluster: cluster-scoped;
#   all-namespaces: the cluster-wide list tried with many namespaces, which falls back to
#   per-namespace lists on 403 (so it must NOT be granted: never broader).
CALLS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("list_namespaced_pod", ""): ("list", "", "pods", "discovery"),
    ("list_namespaced_service", ""): ("list", "", "services", "discovery"),
    ("list_namespaced_deployment", ""): ("list", "apps", "deployments", "discovery"),
    ("list_namespaced_replica_set", ""): ("list", "apps", "replicasets", "discovery"),
    ("list_namespaced_stateful_set", ""): ("list", "apps", "statefulsets", "discovery"),
    ("list_pod_for_all_namespaces", ""): ("list", "", "pods", "all-namespaces"),
    ("list_service_for_all_namespaces", ""): ("list", "", "services", "all-namespaces"),
    ("list_deployment_for_all_namespaces", ""): ("list", "apps", "deployments", "all-namespaces"),
    ("list_replica_set_for_all_namespaces", ""): ("list", "apps", "replicasets", "all-namespaces"),
    ("list_stateful_set_for_all_namespaces", ""): ("list", "apps", "statefulsets", "all-namespaces"),
    ("list_namespaced_config_map", ""): ("list", "", "configmaps", "discovery"),
    ("list_namespaced_daemon_set", ""): ("list", "apps", "daemonsets", "discovery"),
    ("list_namespaced_ingress", ""): ("list", "networking.k8s.io", "ingresses", "discovery"),
    ("list_config_map_for_all_namespaces", ""): ("list", "", "configmaps", "all-namespaces"),
    ("list_daemon_set_for_all_namespaces", ""): ("list", "apps", "daemonsets", "all-namespaces"),
    ("list_ingress_for_all_namespaces", ""): ("list", "networking.k8s.io", "ingresses", "all-namespaces"),
    ("list_custom_resource_definition", ""): ("list", "apiextensions.k8s.io", "customresourcedefinitions",
                                              "cluster"),
    ("list_namespaced_custom_object", "chaosexperiments"): ("list", LITMUS, "chaosexperiments", "discovery"),
    ("create_namespaced_custom_object", "chaosengines"): ("create", LITMUS, "chaosengines", "chaos"),
    ("get_namespaced_custom_object", "chaosengines"): ("get", LITMUS, "chaosengines", "chaos"),
    ("list_namespaced_custom_object", "chaosengines"): ("list", LITMUS, "chaosengines", "chaos"),
    ("patch_namespaced_custom_object", "chaosengines"): ("patch", LITMUS, "chaosengines", "chaos"),
    ("get_namespaced_custom_object", "chaosresults"): ("get", LITMUS, "chaosresults", "chaos"),
    # the retention sweep (agent/adapters/kube_cleanup.py); pods are also listed there by chaosUID
    ("delete_namespaced_custom_object", "chaosengines"): ("delete", LITMUS, "chaosengines", "chaos"),
    ("list_namespaced_custom_object", "chaosresults"): ("list", LITMUS, "chaosresults", "chaos"),
    ("delete_namespaced_custom_object", "chaosresults"): ("delete", LITMUS, "chaosresults", "chaos"),
    ("delete_namespaced_pod", ""): ("delete", "", "pods", "chaos"),
    # DNSChaos's DNS server, by name, in Chaos Mesh's namespace: granted with engines.default: chaos-mesh only
    ("read_namespaced_service", ""): ("get", "", "services", "chaos-mesh-dns"),
}
CHAOS_POD_LIST = ("list", "", "pods", "chaos")  # list_namespaced_pod by chaosUID, in each policy namespace
MESH = "chaos-mesh.org"
# agent/adapters/chaos_backends.py (ChaosMeshBackend): its calls name the plural through chaos_mesh.PLURALS
MESH_METHODS = {"create_namespaced_custom_object": "create", "get_namespaced_custom_object": "get",
                "list_namespaced_custom_object": "list", "patch_namespaced_custom_object": "patch",
                "delete_namespaced_custom_object": "delete"}
CALLS |= {(method, plural): (verb, MESH, plural, "chaos") for method, verb in MESH_METHODS.items()
          for plural in ("podchaos", "networkchaos", "stresschaos", "dnschaos", "iochaos")}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The repository's stack.yaml, untouched by this machine's CHAOS_ADVISOR_* variables."""
    for name in [n for n in __import__("os").environ if n.startswith("CHAOS_ADVISOR_")]:
        monkeypatch.delenv(name)
    return load_settings(ROOT / "stack.yaml")


def checked_in() -> dict[str, list[dict[str, Any]]]:
    return {p.relative_to(DEPLOY).as_posix(): [d for d in yaml.safe_load_all(p.read_text()) if d]
            for p in sorted(DEPLOY.rglob("*.yaml"))}


def all_objects() -> list[dict[str, Any]]:
    return [obj for objs in checked_in().values() for obj in objs]


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, (kind, name)
    return found[0]


def api_path(obj: dict[str, Any], *, named: bool = True) -> str:
    resource = next(r for r in RESOURCES if (r.kind, r.api_version) == (obj["kind"], obj["apiVersion"]))
    root = f"/apis/{resource.group}/{resource.version}" if resource.group else "/api/v1"
    scope = f"/namespaces/{obj['metadata']['namespace']}" if resource.namespaced else ""
    return f"{root}{scope}/{resource.plural}" + (f"/{obj['metadata']['name']}" if named else "")


def http(url: str, method: str = "GET", body: Any = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def grants(objects: list[dict[str, Any]], verb: str, group: str, resource: str,
           namespace: str | None) -> bool:
    """Whether the agent's ServiceAccount may do this (namespace None: cluster-wide)."""
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects
             if o["kind"] in ("Role", "ClusterRole")}
    for binding in (o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        scope = binding["metadata"].get("namespace")
        if not any((s["kind"], s["name"], s.get("namespace", scope)) == ("ServiceAccount", dm.NAME, dm.NAMESPACE)
                   for s in binding["subjects"]) or scope not in (None, namespace):
            continue
        ref = binding["roleRef"]
        role = roles.get((ref["kind"], scope if ref["kind"] == "Role" else None, ref["name"]), {})
        if any(group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"]
               for r in role.get("rules", [])):
            return True
    return False


def rules(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for obj in objects:
        for rule in obj.get("rules") or []:
            yield obj, rule


# --- the files -------------------------------------------------------------------------------


def test_deploy_is_the_generators_output_for_stack_yaml(settings: Settings) -> None:
    expected = dm.texts(settings, stack_yaml=(ROOT / "stack.yaml").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(DEPLOY).as_posix(): p.read_text(encoding="utf-8")
               for p in sorted(DEPLOY.rglob("*.yaml"))}
    assert on_disk == expected, "regenerate: python -m agent manifests --output-dir deploy"


def test_render_is_deploy_without_the_example_secret(settings: Settings) -> None:
    stack_yaml = (ROOT / "stack.yaml").read_text(encoding="utf-8")
    rendered = dm.render(settings, stack_yaml=stack_yaml)
    assert rendered == [o for name, objs in checked_in().items() if not name.startswith("examples/")
                        for o in objs]
    assert "Secret" not in {o["kind"] for o in rendered}
    bare = dm.render(settings)  # no file text: no ConfigMap, no config checksum
    assert [o["kind"] for o in bare] == [o["kind"] for o in rendered if o["kind"] != "ConfigMap"]


def test_a_stack_yaml_holding_a_secret_is_not_put_in_a_config_map() -> None:
    with pytest.raises(ConfigError, match=r"slack\.bot_token: a secret must not go into a ConfigMap"):
        dm.config_map("slack:\n  bot_token: xoxb-123\n")


# --- the twin accepts them -------------------------------------------------------------------


def test_every_object_passes_server_side_dry_run_and_none_is_stored(twin) -> None:
    api = twin.core.api_client
    objects = all_objects()
    namespace = one(objects, "Namespace")
    utils.create_from_dict(api, copy.deepcopy(namespace), dry_run="All")
    assert http(twin.url + api_path(namespace))[0] == 404
    utils.create_from_dict(api, copy.deepcopy(namespace))  # the rest lives in it
    for obj in (o for o in objects if o["kind"] != "Namespace"):
        created = utils.create_from_dict(api, copy.deepcopy(obj), dry_run="All")
        assert created[0].metadata.uid, obj["metadata"]["name"]
    for obj in (o for o in objects if o["kind"] != "Namespace"):
        assert http(twin.url + api_path(obj))[0] == 404, f"{obj['kind']} {obj['metadata']['name']} stored"


@pytest.mark.skipif(shutil.which("kubectl") is None,
                    reason="kubectl is not installed (the official-client dry-run test covers the objects)")
def test_kubectl_apply_dry_run_server_accepts_deploy(twin, tmp_path: Path) -> None:
    base = ["kubectl", "--server", twin.url, "--cache-dir", str(tmp_path / "kube-cache")]
    first = subprocess.run([*base, "apply", "-f", str(DEPLOY / "00-namespace.yaml")],  # as deploy/README.md says
                           capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    run = subprocess.run([*base, "apply", "--dry-run=server", "-f", str(DEPLOY), "-f", str(DEPLOY / "examples")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("created (server dry run)") == len(all_objects()) - 1  # all but the namespace
    stored = subprocess.run([*base, "get", "-f", str(DEPLOY / "40-slack-server.yaml")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert stored.returncode != 0 and "NotFound" in stored.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_names_the_broken_field(twin, tmp_path: Path) -> None:
    binding = copy.deepcopy(one(all_objects(), "RoleBinding", f"{dm.NAME}-chaos"))
    del binding["roleRef"]["name"]
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(binding))
    run = subprocess.run(["kubectl", "--server", twin.url, "--cache-dir", str(tmp_path / "kube-cache"),
                          "apply", "--dry-run=server", "-f", str(tmp_path / "broken.yaml")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode != 0 and "roleRef.name: Required value" in run.stderr, run.stderr


def _break(kind: str, name: str, field: str) -> tuple[str, str, str]:
    return kind, name, field


BROKEN = {
    "rolebinding without roleRef.name": _break("RoleBinding", f"{dm.NAME}-chaos", "roleRef.name"),
    "selector does not match the pod labels": _break("Deployment", f"{dm.NAME}-slack",
                                                     "spec.template.metadata.labels"),
    "rule without verbs": _break("ClusterRole", f"{dm.NAME}-discovery", "rules[0].verbs"),
    "container without image": _break("Deployment", f"{dm.NAME}-slack", "spec.template.spec.containers[0].image"),
    "mount of a missing volume": _break("Deployment", f"{dm.NAME}-slack",
                                        "spec.template.spec.containers[0].volumeMounts[0].name"),
    "service port 0": _break("Service", f"{dm.NAME}-slack", "spec.ports[0].port"),
}


def _broken_copy(obj: dict[str, Any], field: str) -> dict[str, Any]:
    broken = copy.deepcopy(obj)
    if field == "roleRef.name":
        del broken["roleRef"]["name"]
    elif field == "spec.template.metadata.labels":
        broken["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] = "other"
    elif field == "rules[0].verbs":
        broken["rules"][0]["verbs"] = []
    elif field.endswith("containers[0].image"):
        del broken["spec"]["template"]["spec"]["containers"][0]["image"]
    elif field.endswith("volumeMounts[0].name"):
        broken["spec"]["template"]["spec"]["volumes"] = broken["spec"]["template"]["spec"]["volumes"][1:]
    else:
        broken["spec"]["ports"][0]["port"] = 0
    return broken


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_copy_is_refused_naming_the_field(twin, case: str) -> None:
    kind, name, field = BROKEN[case]
    twin.core.create_namespace({"metadata": {"name": dm.NAMESPACE}})
    broken = _broken_copy(one(all_objects(), kind, name), field)
    status, answer = http(twin.url + api_path(broken, named=False) + "?dryRun=All", "POST", broken)
    assert (status, answer["reason"]) == (422, "Invalid"), answer
    assert field in [c["field"] for c in answer["details"]["causes"]], answer
    assert http(twin.url + api_path(broken))[0] == 404


# --- least privilege, and enough ---------------------------------------------------------------


def test_the_call_table_is_what_the_kube_adapter_calls() -> None:
    source = "\n".join((ROOT / f"agent/adapters/{name}.py").read_text(encoding="utf-8")
                       for name in ("kube", "kube_cleanup"))
    apis = dict(re.findall(r"self\.(_\w+) = client\.(\w+Api)\(", source))
    assert set(apis) == {"_core", "_apps", "_ext", "_net", "_custom"}, f"a new API class: add its calls to CALLS: {apis}"
    typed = {(m, "") for m in re.findall(r"self\._(?:core|apps|ext|net)\.(\w+)", source)}
    custom = re.findall(r'self\._custom\.(\w+)\(\s*GROUP,\s*VERSION,\s*[\w.]+,\s*"(\w+)"', source)
    assert len(custom) == len(re.findall(r"self\._custom\.\w+", source)), "a custom call without a literal plural"
    kube = {key for key, (_, group, _, _) in CALLS.items() if group != MESH}  # Chaos Mesh's: the test below
    assert typed | set(custom) == kube, "update CALLS here and the grants in agent/deploy/rbac.py"


def _check_least_privilege(objects: list[dict[str, Any]], settings: Settings) -> None:
    for obj, rule in rules(objects):
        for key in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
            assert not any("*" in value for value in rule.get(key) or []), (obj["metadata"]["name"], rule)
        if WRITE_VERBS & set(rule["verbs"]):
            assert obj["kind"] == "Role" and obj["metadata"]["namespace"] in settings.policy.namespaces
            # outside Litmus's group only the chaos pods of an ended engine are deleted (retention sweep)
            assert rule["apiGroups"] in ([LITMUS], [MESH]) or (
                rule["apiGroups"] == [""] and rule["resources"] == ["pods"] and WRITE_VERBS & set(rule["verbs"]) == {"delete"}
            ), rule
    mesh_dns = settings.engines.default == "chaos-mesh"  # only then may the agent read the DNS server's Service
    used = {(verb, group, resource) for verb, group, resource, where in CALLS.values()
            if where != "all-namespaces" and (where != "chaos-mesh-dns" or mesh_dns)}
    granted = {(verb, group, resource) for _, rule in rules(objects) for group in rule["apiGroups"]
               for resource in rule["resources"] for verb in rule["verbs"]}
    assert granted == used, f"granted but never called: {granted - used}; called but not granted: {used - granted}"
    scopes = {"discovery": settings.k8s.namespaces, "chaos": settings.policy.namespaces, "cluster": [None],
              "chaos-mesh-dns": ["chaos-mesh"] if mesh_dns else []}
    for verb, group, resource, where in [*CALLS.values(), CHAOS_POD_LIST]:
        if where == "all-namespaces":
            assert not grants(objects, verb, group, resource, None), (verb, resource)
            continue
        for namespace in scopes[where]:
            assert grants(objects, verb, group, resource, namespace), (verb, group, resource, namespace)
        assert where == "cluster" or not grants(objects, verb, group, resource, "kube-system")


def test_the_chaos_mesh_calls_are_the_ones_granted() -> None:
    """ChaosMeshBackend's calls (the plural comes from chaos_mesh.PLURALS: every kind the agent renders)."""
    from agent.engines import chaos_mesh

    source = (ROOT / "agent/adapters/chaos_backends.py").read_text(encoding="utf-8")
    called = set(re.findall(r"self\._custom\.(\w+)\(", source))
    assert called == set(MESH_METHODS)
    assert set(chaos_mesh.PLURALS.values()) == {"podchaos", "networkchaos", "stresschaos", "dnschaos", "iochaos"}
    assert re.findall(r"self\._ext\.(\w+)\(", source) == ["list_custom_resource_definition"]  # granted cluster-wide


def test_the_rbac_grants_exactly_what_the_adapter_calls(settings: Settings) -> None:
    _check_least_privilege(all_objects(), settings)
    assert {(o["kind"], o["metadata"].get("namespace")) for o in all_objects() if "Role" in o["kind"]} == {
        ("ClusterRole", None), ("ClusterRoleBinding", None), ("RoleBinding", "sock-shop"), ("Role", "sock-shop")}
    cluster_wide = [o for o in all_objects() if o["kind"] == "ClusterRoleBinding"]
    assert [o["roleRef"]["name"] for o in cluster_wide] == [f"{dm.NAME}-crds"]  # CRDs are cluster-scoped


def test_more_namespaces_get_their_own_roles(settings: Settings, twin) -> None:
    wider = settings.model_copy(update={
        "policy": settings.policy.model_copy(update={"namespaces": ["sock-shop", "shop-b"]}),
        "k8s": settings.k8s.model_copy(update={"namespaces": ["sock-shop", "shop-b", "c", "d"]}),
    })
    objects = dm.render(wider)
    _check_least_privilege(objects, wider)
    roles = {(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")) for o in objects}
    for namespace in ("sock-shop", "shop-b"):
        assert {("Role", f"{dm.NAME}-chaos", namespace), ("RoleBinding", f"{dm.NAME}-chaos", namespace)} <= roles
    assert {ns for kind, name, ns in roles if name == f"{dm.NAME}-discovery" and kind == "RoleBinding"} == {
        "sock-shop", "shop-b", "c", "d"}
    twin.core.create_namespace({"metadata": {"name": "shop-b"}})
    for obj in (o for o in objects if o["kind"] in ("Role", "RoleBinding") and o["metadata"]["namespace"] == "shop-b"):
        utils.create_from_dict(twin.core.api_client, copy.deepcopy(obj), dry_run="All")


def test_with_chaos_mesh_the_agent_may_read_only_the_dns_servers_service_there(settings: Settings, twin) -> None:
    assert not [o for o in all_objects() if o["metadata"].get("namespace") == "chaos-mesh"]  # Litmus: no such Role
    mesh = settings.model_copy(update={"engines": settings.engines.model_copy(update={"default": "chaos-mesh"})})
    objects = dm.render(mesh)
    _check_least_privilege(objects, mesh)
    there = [o for o in objects if o["metadata"].get("namespace") == "chaos-mesh"]
    assert [(o["kind"], o["metadata"]["name"]) for o in there] == [
        ("Role", f"{dm.NAME}-chaos-mesh-dns"), ("RoleBinding", f"{dm.NAME}-chaos-mesh-dns")]
    assert there[0]["rules"] == [{"apiGroups": [""], "resources": ["services"],
                                  "resourceNames": ["chaos-mesh-dns-server"], "verbs": ["get"]}]
    twin.core.create_namespace({"metadata": {"name": "chaos-mesh"}})
    for obj in there:
        utils.create_from_dict(twin.core.api_client, copy.deepcopy(obj), dry_run="All")


# --- the server's pod is wired to what the code reads ----------------------------------------


def _container() -> dict[str, Any]:
    pod = one(all_objects(), "Deployment")["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1
    container: dict[str, Any] = pod["containers"][0]
    return container


def test_the_pod_uses_the_account_config_and_secret_it_is_shipped_with() -> None:
    objects = all_objects()
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == one(objects, "ServiceAccount")["metadata"]["name"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    config = one(objects, "ConfigMap")
    assert volumes["stack"]["configMap"]["name"] == config["metadata"]["name"]
    assert "stack.yaml" in config["data"]
    service, container = one(objects, "Service"), _container()
    assert service["spec"]["selector"] == one(objects, "Deployment")["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] in [p["name"] for p in container["ports"]]
    assert [p["containerPort"] for p in container["ports"]] == [dm.PORT] == [service["spec"]["ports"][0]["port"]]


def test_the_pod_environment_makes_the_settings_the_server_needs(monkeypatch: pytest.MonkeyPatch,
                                                                 settings: Settings) -> None:
    secret = one(all_objects(), "Secret")
    container = _container()
    for env in container["env"]:
        if "value" in env:
            monkeypatch.setenv(env["name"], env["value"])
            continue
        ref = env["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
        monkeypatch.setenv(env["name"], secret["stringData"][ref["key"]])
    loaded = load_settings(ROOT / "stack.yaml")
    assert loaded.checkpoint.backend == "postgres" and loaded.slack.enabled
    values = secret["stringData"]
    assert loaded.checkpoint.postgres_url and loaded.checkpoint.postgres_url.get_secret_value() == values["postgres-url"]
    assert loaded.slack.bot_token and loaded.slack.bot_token.get_secret_value() == values["slack-bot-token"]
    assert loaded.slack.signing_secret and loaded.slack.signing_secret.get_secret_value() == values["slack-signing-secret"]
    writable = [m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")]
    for path in (loaded.paths.state_dir, loaded.paths.experiments, loaded.paths.reports):
        assert any(path.startswith(mount + "/") for mount in writable), path
    config_arg = container["args"][container["args"].index("--config") + 1]
    assert Path(config_arg).parent.as_posix() in [m["mountPath"] for m in container["volumeMounts"] if m.get("readOnly")]


def test_the_server_args_are_ones_slack_serve_accepts() -> None:
    from agent.cli import slack as cli_slack

    args = _container()["args"]
    assert args[:2] == ["slack", "serve"]
    command = typer.main.get_command(cli_slack.app)  # a one-command group collapses into the command
    serve = getattr(command, "commands", {}).get("serve", command)
    known = {opt for param in serve.params for opt in param.opts}
    missing = [a for a in args[2:] if a.startswith("--") and a not in known]
    assert missing == []
    params = serve.make_context("serve", list(args[2:])).params
    assert params["port"] == dm.PORT
    assert params["host"] == "0.0.0.0"  # a Service reaches the pod on its IP, not on loopback


# --- the command ------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    from agent.cli.manifests import manifests

    app = typer.Typer(add_completion=False)
    app.command()(manifests)
    return app


def test_the_command_prints_render_and_writes_deploy(settings: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["--config", str(ROOT / "stack.yaml")])
    assert result.exit_code == 0, result.output
    stack_yaml = (ROOT / "stack.yaml").read_text(encoding="utf-8")
    assert [d for d in yaml.safe_load_all(result.stdout) if d] == dm.render(settings, stack_yaml=stack_yaml)
    assert "policy.approvers has no slack:" in result.stderr
    written = CliRunner().invoke(_cli(), ["--config", str(ROOT / "stack.yaml"), "--output-dir", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.yaml")} == {
        p.relative_to(DEPLOY).as_posix(): p.read_text() for p in DEPLOY.rglob("*.yaml")}


def test_the_command_refuses_a_stack_yaml_holding_a_secret(settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "stack.yaml"
    config.write_text((ROOT / "stack.yaml").read_text().replace(
        'channel: "#chaos"', 'channel: "#chaos"\n  signing_secret: s3cret'))
    result = CliRunner().invoke(_cli(), ["--config", str(config)])
    assert isinstance(result.exception, ConfigError) and "slack.signing_secret" in str(result.exception)
    assert "s3cret" not in result.stdout


def test_the_command_module_imports_nothing_heavy() -> None:
    heavy = ["agent.models", "agent.deploy.manifests", "pydantic_settings", "yaml", "kubernetes"]
    code = f"import sys, agent.cli.manifests; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"

