"""What ``python -m agent doctor`` runs on: the usual Deps, and a probe of the same API server
as the same identity (version, SelfSubjectAccessReviews, ServiceAccounts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from agent.config import Settings
from agent.wiring import ClusterBinding, open_deps, retry_policy

if TYPE_CHECKING:
    from agent.deploy.doctor import Probe
    from agent.ports import Deps


@contextmanager
def open_doctor(settings: Settings, binding: ClusterBinding, *, console: Console) -> Iterator[tuple[Deps, Probe]]:
    """Deps (the twin, if bound, serves until the block ends) and the doctor's probe."""
    from agent.adapters.kube_probe import connect_probe

    with open_deps(settings, binding, console=console, realtime=False) as deps:
        host = str(getattr(deps.cluster, "server", "")) if binding.twin else None
        yield deps, connect_probe(host=host, kubeconfig=settings.k8s.kubeconfig, context=settings.k8s.context,
                                  retry=retry_policy(settings))
