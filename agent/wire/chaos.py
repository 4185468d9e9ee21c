"""The chaos backends of a run's cluster besides Litmus (``Deps.engines``; Litmus is built over
``Deps.cluster`` by ``agent.run.chaos``, its writes audited there).

Chaos Mesh gets its own API client on the same cluster (the twin's URL, else the kubeconfig or
in-cluster identity) and an :class:`~agent.run.chaos.AuditedBackend`. It is built whether or not the
cluster has its CRDs: the policy refuses an engine the inventory does not show, and listing an
absent kind finds nothing.
"""

from __future__ import annotations

from dataclasses import replace

from agent.ports import Deps


def with_engines(deps: Deps, *, twin: bool) -> Deps:
    """``deps`` with ``engines`` filled: ``chaos-mesh`` (``twin``: on the twin the cluster serves)."""
    from agent.adapters.chaos_backends import ChaosMeshBackend
    from agent.adapters.kube_calls import api_client
    from agent.run.chaos import AuditedBackend
    from agent.wiring import retry_policy

    s = deps.settings
    twin_url = str(getattr(deps.cluster, "server", "")) if twin else None  # the audited cluster names its server
    api = api_client(host=twin_url, kubeconfig=None if twin_url else s.k8s.kubeconfig,
                     context=None if twin_url else s.k8s.context)
    mesh = AuditedBackend(ChaosMeshBackend(api, retry=retry_policy(s)), deps.audit, deps.clock)
    return replace(deps, engines={"chaos-mesh": mesh})
