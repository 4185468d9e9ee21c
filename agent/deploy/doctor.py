"""``python -m agent doctor``: can a run start on this cluster? Each check says what it found
and, when it fails, the exact command that fixes it.

In order (a check that cannot run because an earlier one failed is ``skip``):

- the Kubernetes API answers (``/version``);
- RBAC of the identity the agent runs as, asked with SelfSubjectAccessReviews: every grant of
  :mod:`agent.deploy.manifests` (``CLUSTER_READS`` cluster-wide, ``DISCOVERY`` in each of
  ``k8s.namespaces``, ``CHAOS`` in each of ``policy.namespaces``), so the checks and the RBAC
  that ``python -m agent manifests`` installs are one list;
- the stack can be discovered; then, in :mod:`agent.deploy.doctor_checks`: the Litmus CRDs, the
  chaos operator, each allowed fault's ChaosExperiment and the chaos service account in every
  namespace experiments run in, the metrics every target's monitor reads, the targets' pods Ready.

``ok`` and ``warn`` let a run start; a ``fail`` (or ``skip``) does not: the command exits 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, computed_field

from agent.deploy.manifests import CHAOS, CLUSTER_READS, DISCOVERY, NAME, NAMESPACE, Grant
from agent.errors import ChaosAdvisorError
from agent.ports import Deps

if TYPE_CHECKING:
    from agent.deploy.doctor_presets import PresetReader

Status = Literal["ok", "warn", "fail", "skip"]


class Probe(Protocol):
    """The read-only API calls the doctor makes beside the Cluster port's."""

    server: str

    def version(self) -> str:
        """The API server's gitVersion (``/version``)."""
        ...

    def can_i(self, verb: str, group: str, resource: str, namespace: str | None) -> bool:
        """A SelfSubjectAccessReview: may this identity do ``verb`` (``namespace`` None: cluster-wide)?"""
        ...

    def service_account(self, namespace: str, name: str) -> bool:
        """Whether the ServiceAccount exists (Forbidden when this identity may not read it)."""
        ...


class Check(BaseModel):
    """One line of the doctor's answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str  # stable id, e.g. "litmus-crds", "rbac:sock-shop"
    status: Status
    title: str  # what was checked
    detail: str = ""  # what was found
    fix: str = ""  # the exact command or setting that fixes a fail (or a warn)
    notes: list[str] = []  # further lines under it (the label presets' reasons)


class DoctorReport(BaseModel):
    """Every check, and whether a run could start."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: str
    twin: bool
    checks: list[Check]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ready(self) -> bool:
        """True when no check failed (or was skipped): a run could start."""
        return all(c.status in ("ok", "warn") for c in self.checks)


class ClusterDoctor(BaseModel):
    """One cluster's report, by its name in stack.yaml's ``clusters:``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: str
    report: DoctorReport


class ClustersDoctor(BaseModel):
    """``doctor -o json`` with several clusters: each cluster's report, in stack.yaml's order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clusters: list[ClusterDoctor]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ready(self) -> bool:
        """True when a run could start on every cluster."""
        return all(c.report.ready for c in self.clusters)


def examine(deps: Deps, probe: Probe, *, twin: bool, presets: Sequence[PresetReader] = ()) -> DoctorReport:
    """Run every check against the cluster (and metrics) of ``deps``; ``presets``: every label
    preset's queries against the same Prometheus, compared (none on the twin)."""
    from agent.deploy.doctor_checks import cluster_checks  # it builds on this module's Check

    checks = [api_check(probe, twin=twin)]
    if checks[0].status != "ok":
        checks.append(Check(name="rest", status="skip", title="every other check",
                            detail="skipped: the Kubernetes API did not answer"))
        return DoctorReport(cluster=probe.server, twin=twin, checks=checks)
    checks += rbac_checks(deps, probe, twin=twin)
    checks += cluster_checks(deps, probe, twin=twin, presets=presets)
    return DoctorReport(cluster=probe.server, twin=twin, checks=checks)


def api_check(probe: Probe, *, twin: bool) -> Check:
    title = f"Kubernetes API at {probe.server}"
    try:
        version = probe.version()
    except ChaosAdvisorError as e:
        fix = ("start the twin (python -m agent twin) or unset twin.url" if twin else
               "check k8s.kubeconfig and k8s.context in stack.yaml (kubectl cluster-info shows the server)")
        return Check(name="api", status="fail", title=title, detail=str(e), fix=fix)
    return Check(name="api", status="ok", title=title, detail=f"version {version}")


def scopes(deps: Deps) -> list[tuple[str | None, tuple[Grant, ...]]]:
    """Where each grant of the install manifests applies: (namespace or None, grants), the
    cluster-wide ones first, then per namespace (discovery and chaos grants together)."""
    settings, policy = deps.settings, deps.policy()
    per: dict[str, list[Grant]] = {}
    for namespace in settings.k8s.namespaces:
        per.setdefault(namespace, []).extend(DISCOVERY)
    for namespace in policy.namespaces:
        per.setdefault(namespace, []).extend(CHAOS)
    return [(None, CLUSTER_READS), *((ns, tuple(grants)) for ns, grants in per.items())]


def rbac_checks(deps: Deps, probe: Probe, *, twin: bool) -> list[Check]:
    """One check per scope: every verb of every grant, asked with a SelfSubjectAccessReview."""
    out = []
    for namespace, grants in scopes(deps):
        where = f"in namespace {namespace}" if namespace else "cluster-wide"
        name = f"rbac:{namespace or 'cluster'}"
        asked = list(dict.fromkeys((verb, g.group, g.resource) for g in grants for verb in g.verbs))
        try:
            denied = [f"{verb} {_qualified(group, resource)}" for verb, group, resource in asked
                      if not probe.can_i(verb, group, resource, namespace)]
        except ChaosAdvisorError as e:
            out.append(Check(name=name, status="fail", title=f"RBAC {where}", detail=str(e),
                             fix="the API must answer SelfSubjectAccessReviews (authorization.k8s.io/v1)"))
            continue
        title = f"RBAC {where}: {len(asked)} verb{'s' if len(asked) > 1 else ''} the agent uses"
        if not denied:
            out.append(Check(name=name, status="ok", title=title, detail="all allowed"))
            continue
        verb, resource = denied[0].split(" ", 1)
        ns_flag = f" -n {namespace}" if namespace else ""
        fix = ("the twin answers every access review no: start it without --without rbac" if twin else
               f"python -m agent manifests > chaos-advisor.yaml && kubectl apply -f chaos-advisor.yaml "
               f"(make k8s-rbac), then run the agent as ServiceAccount {NAMESPACE}/{NAME} "
               f"(check: kubectl auth can-i {verb} {resource}{ns_flag} --as system:serviceaccount:{NAMESPACE}:{NAME})")
        out.append(Check(name=name, status="fail", title=title,
                         detail=f"denied to this identity: {', '.join(denied)}", fix=fix))
    return out


def _qualified(group: str, resource: str) -> str:
    return f"{resource}.{group}" if group else resource
