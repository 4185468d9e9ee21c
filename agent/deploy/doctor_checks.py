"""The doctor's checks of what a run needs in the cluster (see :mod:`agent.deploy.doctor`): the
Litmus CRDs and operator, each fault's ChaosExperiment and the chaos service account where the
engines go, the series the monitor reads for every target, and the targets' pods Ready.

Fixes name the pinned upstream files (chaos-operator and chaos-charts at the tag the project's
copies come from: 3.18.0, or 2.14.0 with ``litmus.version: "2.14"``) and the Makefile targets
that apply them (docs/real-cluster.md walks through them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agent.config import PromQueries
from agent.deploy.doctor import Check
from agent.deploy.doctor_presets import expected_series, preset_checks, silent_targets
from agent.deploy.doctor_ready import readiness_checks
from agent.errors import ChaosAdvisorError, Forbidden
from agent.inventory.discovery import discover
from agent.models import Inventory, Signals

if TYPE_CHECKING:
    from agent.deploy.doctor import Probe
    from agent.deploy.doctor_presets import PresetReader
    from agent.ports import Deps

LITMUS_NAMESPACE = "litmus"  # upstream's operator.yaml and rbac.yaml install it there
OPERATOR_LABEL = ("name", "chaos-operator")  # the operator pods' label in upstream's operator.yaml
CRDS = ("chaosengines.litmuschaos.io", "chaosexperiments.litmuschaos.io", "chaosresults.litmuschaos.io")
TAGS = {"3.x": "3.18.0", "2.14": "2.14.0"}
RAW = "https://raw.githubusercontent.com/litmuschaos"
SIGNALS = tuple(PromQueries.model_fields)  # the monitor reads one query per signal and target


def cluster_checks(deps: Deps, probe: Probe, *, twin: bool, presets: Sequence[PresetReader] = ()) -> list[Check]:
    """Discover the stack, then check the Litmus install, the metrics (and compare the label
    presets) and the pods."""
    try:
        inv = discover(deps)
    except ChaosAdvisorError as e:
        return [Check(name="discovery", status="fail", title=f"discover {', '.join(deps.settings.k8s.namespaces)}",
                      detail=str(e), fix="check k8s.namespaces in stack.yaml and the RBAC checks above")]
    namespaces = chaos_namespaces(deps, inv)
    checks = [crd_check(inv, deps, twin=twin), operator_check(deps, twin=twin)]
    if checks[0].status == "ok":
        checks += [experiment_check(inv, deps, ns, twin=twin) for ns in namespaces]
    else:  # no CRDs, no ChaosExperiments: one cause, one fix
        checks += [Check(name=f"experiments:{ns}", status="skip", title=f"ChaosExperiments in {ns}",
                         detail="skipped: the Litmus CRDs are missing") for ns in namespaces]
    checks += [account_check(probe, deps, ns) for ns in namespaces]
    checks += metrics_checks(inv, deps, twin=twin)
    checks += readiness_checks(inv, deps)
    checks += preset_checks(inv, presets, selected=deps.settings.k8s.monitoring.prometheus.preset)
    checks.append(pods_check(inv))
    return checks


def chaos_namespaces(deps: Deps, inv: Inventory) -> list[str]:
    """Where engines go: the namespaces of the targets that the policy lets the agent act in."""
    allowed = deps.policy().namespaces
    return sorted({t.namespace for t in inv.targets if t.namespace in allowed})


def on_twin(fix: str, piece: str, *, twin: bool) -> str:
    """A cluster's fix, and on the twin how to get the piece back."""
    return f"{fix}; on the twin: start it without --without {piece}" if twin else fix


def _tag(deps: Deps) -> str:
    return TAGS[deps.settings.litmus.version]


def crd_check(inv: Inventory, deps: Deps, *, twin: bool) -> Check:
    missing = [c for c in CRDS if c not in inv.litmus.crds]
    title = "Litmus CRDs (chaosengines, chaosexperiments, chaosresults .litmuschaos.io)"
    if not missing:
        return Check(name="litmus-crds", status="ok", title=title, detail="installed")
    fix = on_twin(f"kubectl apply -f {RAW}/chaos-operator/{_tag(deps)}/deploy/chaos_crds.yaml (make k8s-install-litmus)",
                  "litmus", twin=twin)
    return Check(name="litmus-crds", status="fail", title=title, detail=f"missing: {', '.join(missing)}", fix=fix)


def operator_check(deps: Deps, *, twin: bool) -> Check:
    title = f"Litmus chaos operator (pods labelled {'='.join(OPERATOR_LABEL)} in namespace {LITMUS_NAMESPACE})"
    try:
        found = deps.cluster.snapshot([LITMUS_NAMESPACE])
    except Forbidden as e:
        return Check(name="litmus-operator", status="warn", title=title, detail=f"cannot look: {e}",
                     fix=f"check yourself: kubectl get pods -n {LITMUS_NAMESPACE} -l {'='.join(OPERATOR_LABEL)}")
    except ChaosAdvisorError as e:
        return Check(name="litmus-operator", status="fail", title=title, detail=str(e))
    key, value = OPERATOR_LABEL
    pods = [p for p in found.pods if p.labels.get(key) == value]
    ready = [p for p in pods if p.ready]
    if ready:
        return Check(name="litmus-operator", status="ok", title=title,
                     detail=f"running: {', '.join(p.name for p in ready)}")
    tag = _tag(deps)
    fix = on_twin(f"make k8s-install-litmus (applies {RAW}/chaos-operator/{tag}/deploy/rbac.yaml and operator.yaml, "
                  f"image tag {tag}); if it is installed: kubectl describe pods -n {LITMUS_NAMESPACE} -l {key}={value}",
                  "litmus", twin=twin)
    detail = f"{len(pods)} operator pod(s), none Ready" if pods else "no operator pod"
    return Check(name="litmus-operator", status="fail", title=title, detail=detail, fix=fix)


def experiment_url(deps: Deps, fault: str) -> str:
    """The upstream ChaosExperiment of ``fault`` at the pinned chaos-charts tag."""
    tag = _tag(deps)
    if tag.startswith("2."):
        return f"{RAW}/chaos-charts/{tag}/charts/generic/{fault}/experiment.yaml"
    return f"{RAW}/chaos-charts/{tag}/faults/kubernetes/{fault}/fault.yaml"


def experiment_check(inv: Inventory, deps: Deps, namespace: str, *, twin: bool) -> Check:
    faults = [str(f) for f in deps.policy().actions]
    present = set(inv.litmus.experiments.get(namespace, []))
    missing = [f for f in faults if f not in present]
    title = f"ChaosExperiments in {namespace} for policy.actions ({len(faults)} faults)"
    if not missing:
        return Check(name=f"experiments:{namespace}", status="ok", title=title, detail="all present")
    fix = on_twin(f"kubectl apply -n {namespace} " + " ".join(f"-f {experiment_url(deps, f)}" for f in missing)
                  + f" (make k8s-install-experiments NS={namespace})", "experiments", twin=twin)
    return Check(name=f"experiments:{namespace}", status="fail", title=title,
                 detail=f"missing: {', '.join(missing)}", fix=fix)


def account_check(probe: Probe, deps: Deps, namespace: str) -> Check:
    account = deps.settings.litmus.chaos_service_account
    title = f"chaos service account {namespace}/{account} (litmus.chaos_service_account: the engines' chaosServiceAccount)"
    try:
        exists = probe.service_account(namespace, account)
    except Forbidden as e:
        return Check(name=f"service-account:{namespace}", status="warn", title=title, detail=f"cannot look: {e}",
                     fix=f"check yourself: kubectl get serviceaccount {account} -n {namespace}")
    except ChaosAdvisorError as e:
        return Check(name=f"service-account:{namespace}", status="fail", title=title, detail=str(e))
    if exists:
        return Check(name=f"service-account:{namespace}", status="ok", title=title, detail="exists")
    fix = (f"kubectl apply -f {RAW}/chaos-charts/{_tag(deps)}/service-accounts/litmus-admin-rbac.yaml && "
           f"kubectl create serviceaccount {account} -n {namespace} && kubectl create clusterrolebinding "
           f"{account}-{namespace} --clusterrole=litmus-admin --serviceaccount={namespace}:{account} "
           f"(make k8s-install-experiments NS={namespace})")
    return Check(name=f"service-account:{namespace}", status="fail", title=title, detail="not found", fix=fix)


def metrics_checks(inv: Inventory, deps: Deps, *, twin: bool) -> list[Check]:
    """Per namespace: the metrics answer, and every signal has a series for every target.

    A target with no series at all, or a signal with none for any target, fails (the source does
    not scrape them, or a query is wrong). A signal missing for some targets only warns: Sock
    Shop's data stores export no request metrics, so an abort condition on those signals of theirs
    could never fire, yet runs watching other signals can start."""
    out = []
    source = deps.metrics_source
    for namespace in sorted({t.namespace for t in inv.targets}):
        names = [t.name for t in inv.targets if t.namespace == namespace]
        title = f"metrics of {len(names)} targets in {namespace} from {source}"
        name = f"metrics:{namespace}"
        try:
            read = deps.metrics.read(namespace, names)
        except ChaosAdvisorError as e:
            fix = ("the twin serves no metrics: start it without --without metrics" if twin else
                   "set k8s.monitoring.prometheus.url to a Prometheus that scrapes the namespace "
                   "(docs/real-cluster.md, make k8s-install-prometheus)")
            out.append(Check(name=name, status="fail", title=title, detail=str(e), fix=fix))
            continue
        silent = sorted(silent_targets(inv) & set(names), key=names.index)
        out.append(_series_check(name, title, deps, namespace, names, read, twin=twin, silent=silent))
    return out


def _series_check(name: str, title: str, deps: Deps, namespace: str, names: list[str],
                  read: dict[str, Signals], *, twin: bool, silent: list[str]) -> Check:
    """``silent``: targets that export no request metrics by design (data stores, queues, services
    nothing calls: :mod:`agent.models.measure`); their missing error rate and p95 is expected."""
    def has(service: str, signal: str) -> bool:
        found = read.get(service)
        return found is not None and getattr(found, signal) is not None

    expected = expected_series(names, set(silent))
    blind = [s for s in names if not any(has(s, sig) for sig in SIGNALS)]
    empty = [sig for sig in SIGNALS if expected[sig] and not any(has(s, sig) for s in expected[sig])]
    partial = {sig: [s for s in expected[sig] if not has(s, sig)] for sig in SIGNALS if sig not in empty}
    partial = {sig: missing for sig, missing in partial.items() if missing}
    example = blind[0] if blind else names[0]
    query = deps.metrics.describe(namespace, example, empty[0] if empty else SIGNALS[0])
    fix_src = "the twin serves no metrics: start it without --without metrics" if twin else f"check that Prometheus scrapes them; the query: {query}"
    if blind or empty:
        detail = "; ".join(filter(None, [
            f"no series at all for {', '.join(blind)}" if blind else "",
            f"no series for any target: {', '.join(empty)}" if empty else ""]))
        return Check(name=name, status="fail", title=title, detail=detail, fix=fix_src)
    if partial:
        detail = "; ".join(f"{sig}: no series for {', '.join(m)}" for sig, m in partial.items())
        return Check(name=name, status="warn", title=title, detail=detail,
                     fix="an abort condition on these signals of those services can never fire: watch another "
                         "signal of theirs, or a caller that exports it (e.g. front-end)")
    if not silent:
        return Check(name=name, status="ok", title=title, detail=f"{len(SIGNALS)} signals for every target")
    served = len(names) - len(silent)
    return Check(name=name, status="ok", title=title, detail=(
        f"CPU and memory for every target; error rate and p95 for the {served} that export request metrics; "
        f"none, by design, for {', '.join(silent)}: judged by readiness and their callers"))


def pods_check(inv: Inventory) -> Check:
    pods = [p for t in inv.targets for p in t.pods]
    title = f"pods of the {len(inv.targets)} targets Ready"
    idle = sorted(t.name for t in inv.targets if not t.pods)
    waiting = sorted(f"{p.namespace}/{p.name}" for p in pods if not p.ready)
    if not idle and not waiting:
        return Check(name="pods", status="ok", title=title, detail=f"{len(pods)}/{len(pods)} Ready")
    detail = "; ".join(filter(None, [f"no pods: {', '.join(idle)}" if idle else "",
                                     f"not Ready: {', '.join(waiting)}" if waiting else ""]))
    first = waiting[0].split("/") if waiting else None
    fix = (f"kubectl describe pod {first[1]} -n {first[0]} (events say why); wait for Ready, then run doctor again"
           if first else "scale the workloads up or fix k8s.target_services")
    return Check(name="pods", status="fail", title=title, detail=detail, fix=fix)
