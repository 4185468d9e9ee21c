"""Refusals a user meets before any advice: a namespace the policy forbids, a namespace with no
workloads, a stack.yaml naming services that do not run. Each is one sentence that says where,
what, and the fix, raised as a project error (the CLI prints it and exits 1), never a traceback
further down (an empty inventory used to end in an ``IndexError`` in the planner).
"""

from __future__ import annotations

import difflib

from agent.config import Policy, Settings
from agent.errors import ConfigError, NotFound, SpecRejected
from agent.models import Inventory

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def require_allowed(namespaces: list[str], policy: Policy, *, where: str = "k8s.namespaces") -> None:
    """Every namespace advised on must be one the policy lets the agent act in."""
    if not [n for n in namespaces if n.strip()]:
        raise NotFound(f"{where} is empty: name the namespace(s) your application runs in")
    for n in namespaces:
        if n not in policy.namespaces:
            raise SpecRejected(
                "policy.namespaces",
                f"namespace {n!r} of {where} is not allowed (allowed: {', '.join(policy.namespaces) or 'none'}); "
                f"add it to policy.namespaces or advise on another namespace",
            )


def require_workloads(inv: Inventory, namespaces: list[str]) -> None:
    """Each namespace must run at least one Deployment, StatefulSet or DaemonSet."""
    for n in namespaces:
        if any(w.namespace == n for w in inv.workloads):
            continue
        services = sum(s.namespace == n for s in inv.services)
        pods = sum(p.namespace == n for p in inv.pods)
        if not services and not pods:
            raise NotFound(f"namespace {n!r} is empty or does not exist on {inv.cluster}: no workloads, Services "
                           "or pods; check k8s.namespaces and the kube context (or --manifests)")
        raise NotFound(f"namespace {n!r} runs no Deployment, StatefulSet or DaemonSet ({services} Service(s), "
                       f"{pods} bare pod(s)); advice needs workloads: check k8s.namespaces")


def require_configured(inv: Inventory, settings: Settings) -> None:
    """Every service stack.yaml names must run: a typo would otherwise advise on nothing."""
    for i, t in enumerate(settings.k8s.target_services):
        found = inv.target(t.name)
        if found is not None and (found.workload is not None or found.pods):
            continue
        here = sorted(w.name for w in inv.workloads if w.namespace == t.namespace)
        guess = difflib.get_close_matches(t.name, here, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else f"workloads there: {', '.join(here[:8]) or 'none'}"
        label = settings.k8s.pod_label
        raise NotFound(
            f"stack.yaml k8s.target_services[{i}] {t.name!r}: no workload in namespace {t.namespace!r} runs pods "
            f"labelled {','.join(f'{k}={v}' for k, v in t.pod_selector(label).items())}; {hint} "
            "(fix the name or its selector, or remove it: discovery finds every workload of the namespace)"
        )


def require_known_calls(inv: Inventory, settings: Settings) -> None:
    """Every end of a stack.yaml dependency must be a service of the stack, written or discovered
    (a ConfigError: the file is wrong, as when it is loaded)."""
    names = sorted(t.name for t in inv.targets)
    for i, dep in enumerate(settings.k8s.dependencies):
        for end, name in (("source", dep.source), ("target", dep.target)):
            if inv.target(name) is None:
                guess = difflib.get_close_matches(name, names, n=1)
                fix = f"did you mean {guess[0]!r}?" if guess else "add it to k8s.target_services or fix the name"
                raise ConfigError(f"{settings.source or 'stack.yaml'} k8s.dependencies[{i}].{end}: {name!r} is not a "
                                  f"service of the stack (not in k8s.target_services, not running in "
                                  f"{', '.join(settings.k8s.namespaces)}); {fix}")


def require_usable(inv: Inventory, settings: Settings) -> None:
    """All of the above, for a discovered inventory: what ``inventory`` and ``suggest`` check."""
    require_workloads(inv, settings.k8s.namespaces)
    require_configured(inv, settings)
    require_known_calls(inv, settings)
