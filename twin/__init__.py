"""The Sock Shop twin: a small, faithful stand-in for a Kubernetes cluster running Sock Shop
with LitmusChaos, served over HTTP on 127.0.0.1 for the real `kubernetes` client and kubectl.

    from twin import TwinServer
    with TwinServer(Path(".chaos-advisor/twin/sock-shop.json")) as twin:
        twin.url  # "http://127.0.0.1:PORT"

Modules: server (HTTP, TwinServer), api (routing, /twin/v1), crud (API server rules),
store (state file), state (models, object keys), refusals (what kube-apiserver refuses
before touching an object: media types, options, preconditions, each with its upstream source), shapes / litmus_shapes (typed parts of
Kubernetes and Litmus objects), seed (manifests -> cluster), owners / pods / pod_status /
workloads (ownership, pod lifecycle, pods and controllers at a virtual time), operator /
records / targets / faults (Litmus emulation), model (SLO signals), exposition (those signals
as Prometheus series, /metrics), topology (service graph), schema / selectors / patch / units /
tables (API details), builtin / builtin_workloads (install kinds accepted for server-side
dry-run and stored only: RBAC, ServiceAccounts, ConfigMaps, Secrets, Deployments), failures
(5xx and held requests injected on purpose, for the agent's failure paths), litmus_install
(the seeded Litmus install, and the pieces a twin can be started without), access
(SelfSubjectAccessReviews).
"""

from __future__ import annotations

from twin.seed import DEFAULT_MANIFESTS
from twin.server import TwinServer

__all__ = ["DEFAULT_MANIFESTS", "TwinServer"]
