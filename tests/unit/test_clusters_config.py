"""stack.yaml's ``clusters:`` (issue 20, point 3): each entry becomes single-cluster settings; an
unknown name, a duplicate, or an entry that says not how to reach it is a clear error; without
``clusters:`` nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.config import load_settings
from agent.config.clusters import settings_for
from agent.errors import ConfigError
from agent.models import ExperimentSpec
from agent.models.seed import to_seed
from agent.run.files import FileRunStore
from agent.run.switch import LivePolicy
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
TWO = """
engines:
  default: litmus
clusters:
  - name: prod
    context: kind-prod
    namespaces: [sock-shop]
    engine: chaos-mesh
  - name: staging
    kubeconfig: staging.kubeconfig
    namespaces: [shop-staging, payments]
    prometheus: {url: "http://prom.staging:9090", preset: kube-prometheus}
"""


def stack(tmp_path: Path, extra: str = TWO) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text((ROOT / "stack.yaml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_each_cluster_is_the_single_cluster_settings_of_its_entry(tmp_path: Path) -> None:
    settings = load_settings(stack(tmp_path))
    prod, staging = settings_for(settings, "prod"), settings_for(settings, "staging")
    assert (prod.cluster, prod.k8s.context, prod.engines.default) == ("prod", "kind-prod", "chaos-mesh")
    assert prod.k8s.kubeconfig == settings.k8s.kubeconfig  # none of its own: k8s.kubeconfig
    assert prod.policy.namespaces == prod.k8s.namespaces == ["sock-shop"]
    assert [t.name for t in prod.k8s.target_services] == [t.name for t in settings.k8s.target_services]
    assert prod.k8s.monitoring.prometheus == settings.k8s.monitoring.prometheus
    assert staging.k8s.kubeconfig == str(tmp_path / "staging.kubeconfig")  # relative to stack.yaml
    assert (staging.k8s.context, staging.engines.default) == (None, "litmus")
    assert staging.policy.namespaces == ["shop-staging", "payments"]
    assert staging.k8s.target_services == [] and staging.k8s.dependencies == []  # Sock Shop's are in sock-shop
    prom = staging.k8s.monitoring.prometheus
    assert (prom.url, prom.namespace_label, prom.service_label) == ("http://prom.staging:9090", "namespace", "service")
    assert settings_for(settings, None) == prod  # the first by default
    assert settings_for(staging, None) == settings_for(staging, "staging") == staging  # idempotent


def test_an_unknown_cluster_is_refused_with_the_known_names(tmp_path: Path) -> None:
    settings = load_settings(stack(tmp_path))
    with pytest.raises(ConfigError, match=r"--context 'prd': no such cluster .*did you mean 'prod'\? known: prod, staging"):
        settings_for(settings, "prd")
    plain = load_settings(stack(tmp_path, ""))
    assert settings_for(plain, None) == plain  # the k8s section is the one cluster, as before
    with pytest.raises(ConfigError, match=r"spec cluster 'prod': .* lists no clusters"):
        settings_for(plain, "prod", where="spec cluster")


@pytest.mark.parametrize(("entry", "problem"), [
    ("  - {name: a, namespaces: [x]}\n", "give its context, its kubeconfig, or both"),
    ("  - {name: a, context: c, namespaces: [x]}\n  - {name: a, context: d, namespaces: [y]}\n", "listed twice"),
    ("  - {name: a, context: c, namespaces: []}\n", "clusters[0].namespaces"),
    ("  - {name: 'a b', context: c, namespaces: [x]}\n", "clusters[0].name"),
    ("  - {name: a, context: c, namespaces: [x], contxt: d}\n", "did you mean 'context'"),
])
def test_a_broken_cluster_entry_is_a_clear_error(tmp_path: Path, entry: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        load_settings(stack(tmp_path, "clusters:\n" + entry))


def test_the_live_policy_read_again_stays_the_clusters(tmp_path: Path) -> None:
    path = stack(tmp_path)
    staging = settings_for(load_settings(path), "staging")
    live = LivePolicy(staging, FileRunStore(tmp_path / "runs"))
    assert live.current().namespaces == ["shop-staging", "payments"]
    path.write_text(path.read_text(encoding="utf-8").replace("[shop-staging, payments]", "[shop-staging]"), encoding="utf-8")
    assert live.current().namespaces == ["shop-staging"]  # the file's policy, for this cluster


def test_a_spec_names_its_cluster_in_both_dialects_and_in_its_file_name() -> None:
    spec = factories.spec().model_copy(update={"cluster": "staging"})
    assert spec.slug.startswith("staging-") and factories.spec().slug == spec.slug.removeprefix("staging-")
    assert to_seed(spec).to_native().cluster == "staging"
    with pytest.raises(ValidationError, match="cluster"):
        ExperimentSpec.model_validate(factories.spec().model_dump(mode="json") | {"cluster": "no such/name"})
