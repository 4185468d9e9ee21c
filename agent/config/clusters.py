"""Several clusters in one stack.yaml (``clusters:``), and the single-cluster settings of one of them.

Each entry names a cluster and how to reach it (a kube ``context`` and/or a ``kubeconfig`` file),
the namespaces the agent may advise on and act in there, and what differs from the rest of the
file (the chaos engine, Prometheus). Without ``clusters:``, the ``k8s`` section is the one cluster,
as before. :func:`settings_for` projects an entry onto the ``k8s``/``policy``/``engines`` sections,
so everything downstream (discovery, policy, wiring, the live policy re-read) works on one cluster
at a time, unchanged.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from agent.config.sections import Prometheus, Section
from agent.errors import ConfigError

if TYPE_CHECKING:
    from agent.config.settings import Settings

NAME = r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"  # also the spec's ``cluster`` and ``--context``


class Cluster(Section):
    """One cluster of ``clusters:``."""

    name: str = Field(pattern=NAME, description="how specs, runs, the audit log and --context name it")
    context: str | None = Field(None, description="the kube context; None: the kubeconfig's current one")
    kubeconfig: str | None = Field(None, description="kubeconfig file (relative to stack.yaml); None: k8s.kubeconfig, "
                                   "else the default (~/.kube/config or KUBECONFIG)")
    namespaces: list[str] = Field(min_length=1, description="discovered there, and the only ones the policy allows "
                                  "there (policy.namespaces is not used for this cluster)")
    engine: Literal["litmus", "chaos-mesh"] | None = Field(None, description="engines.default there; None: engines.default")
    prometheus: Prometheus | None = Field(None, description="its Prometheus; None: k8s.monitoring.prometheus")

    @model_validator(mode="after")
    def _reachable(self) -> Cluster:
        if self.context is None and self.kubeconfig is None:
            raise ValueError(f"cluster {self.name!r}: give its context, its kubeconfig, or both")
        return self


def _unique(clusters: list[Cluster]) -> list[Cluster]:
    seen: set[str] = set()
    for c in clusters:
        if c.name in seen:
            raise ValueError(f"cluster name {c.name!r} is listed twice; give each cluster its own name")
        seen.add(c.name)
    return clusters


Clusters = Annotated[list[Cluster], AfterValidator(_unique)]


def cluster_names(settings: Settings) -> list[str]:
    """The names of ``clusters:``, in file order (empty: the ``k8s`` section is the one cluster)."""
    return [c.name for c in settings.clusters]


def pick(settings: Settings, name: str | None, *, where: str = "--context") -> Cluster | None:
    """The entry called ``name`` (None: the first); None when stack.yaml lists no clusters.
    A name stack.yaml does not list is a ConfigError naming the known ones."""
    if not settings.clusters:
        if name is None or name == settings.cluster:
            return None
        raise ConfigError(f"{where} {name!r}: {settings.source or 'stack.yaml'} lists no clusters (its k8s section is "
                          "the one cluster); add a clusters: section naming it, or leave the cluster out")
    if name is None:
        return settings.clusters[0]
    for c in settings.clusters:
        if c.name == name:
            return c
    names = cluster_names(settings)
    guess = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    raise ConfigError(f"{where} {name!r}: no such cluster in {settings.source or 'stack.yaml'} clusters; "
                      f"{hint}known: {', '.join(names)}")


def settings_for(settings: Settings, name: str | None, *, where: str = "--context") -> Settings:
    """``settings`` for the cluster ``name`` alone (None: the first listed): its kubeconfig and
    context, namespaces (discovered and allowed), engine and Prometheus; ``k8s.target_services``
    outside its namespaces and the dependencies naming them left out. Idempotent; without
    ``clusters:`` the settings as they are."""
    entry = pick(settings, name if name is not None else settings.cluster, where=where)
    if entry is None:
        return settings
    k8s = settings.k8s
    kept = [t for t in k8s.target_services if t.namespace in entry.namespaces]
    gone = {t.name for t in k8s.target_services} - {t.name for t in kept}
    monitoring = k8s.monitoring.model_copy(update={"prometheus": entry.prometheus or k8s.monitoring.prometheus})
    return settings.model_copy(update={
        "cluster": entry.name,
        "k8s": k8s.model_copy(update={
            "kubeconfig": str(settings.path(entry.kubeconfig)) if entry.kubeconfig else k8s.kubeconfig,
            "context": entry.context, "namespaces": list(entry.namespaces), "target_services": kept,
            "dependencies": [d for d in k8s.dependencies if d.source not in gone and d.target not in gone],
            "monitoring": monitoring,
        }),
        "policy": settings.policy.model_copy(update={"namespaces": list(entry.namespaces)}),
        "engines": settings.engines.model_copy(update={"default": entry.engine or settings.engines.default}),
    })
