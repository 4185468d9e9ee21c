"""The entry service's pages, through the API server's service proxy.

``GET /api/v1/namespaces/{ns}/services/{name}[:port]/proxy/{path}`` is how a client reaches a
Service through kube-apiserver (``kubectl proxy`` serves the same path); the twin answers it for
its entry service (front-end) and the pages its topology lists (``paths`` in
``data/topology.yaml``), so the agent's user-journey probe meets what a user would, at the
virtual time of the request:

- no Ready pod of the entry: 503, as the proxy answers for a Service without endpoints;
- else the page fails (500, as front-end answers a failed backend call) with the probability
  the signal model gives (``model.page``: the entry's own errors, then each service the page
  calls, with their dependencies), drawn deterministically from (seed, path, millisecond), so
  a page whose backend is down fails every time and a healthy one almost never;
- a path the topology does not list: 404, as front-end answers an unknown route.

The answer carries no timing: the twin answers at once, so a client measures only the loopback
round trip; the modelled latency is in the signals (``/twin/v1/signals``).
"""

from __future__ import annotations

import functools
import hashlib
import math

from twin import errors
from twin.errors import ApiError
from twin.model import page
from twin.state import State, okey
from twin.topology import load_topology

PREFIX_LEN = 7  # api v1 namespaces {ns} services {ref} proxy


def is_proxy(parts: list[str]) -> bool:
    """Whether a path is a service-proxy request."""
    return (len(parts) >= PREFIX_LEN and parts[:3] == ["api", "v1", "namespaces"]
            and parts[4] == "services" and parts[6] == "proxy")


def _service_name(ref: str) -> str:
    """``front-end``, ``front-end:80`` or ``http:front-end:80`` -> ``front-end``."""
    bits = ref.split(":")
    return bits[1] if len(bits) > 1 and bits[0] in ("http", "https") else bits[0]


@functools.cache
def _known_paths(services: tuple[str, ...]) -> dict[str, list[str]]:
    """The pages of data/topology.yaml, for a state seeded before its topology had them."""
    return {p: [c for c in callees if c in services] for p, callees in load_topology().paths.items()}


def _draw(seed: int, path: str, t: float) -> float:
    """A deterministic value in [0, 1) for this path and millisecond of virtual time."""
    digest = hashlib.blake2b(f"{seed}|page|{path}|{math.floor(t * 1000)}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def proxy(state: State, method: str, parts: list[str]) -> tuple[int, str]:
    """(status, text) of one proxied request at the state's virtual time."""
    namespace, name = parts[3], _service_name(parts[5])
    if okey(namespace, name) not in state.bucket("core/v1/services"):
        raise errors.not_found("services", "", name)
    entry = state.topology.entry
    if name != entry:
        raise ApiError(404, "NotFound", f'the twin serves pages of its entry service {entry!r} only, '
                                        f'not of "{name}"')
    if method not in ("GET", "HEAD"):
        raise errors.method_not_allowed(method, "services/proxy")
    path = "/" + "/".join(parts[PREFIX_LEN:])
    pages = state.topology.paths or _known_paths(tuple(state.topology.services))
    if path not in pages:
        return 404, f"Cannot {method} {path}"
    now = state.now
    found = page(state, namespace, now, name, pages[path])
    if found is None or found.endpoints == 0:
        raise ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{name}"')
    if _draw(state.seed, path, now) < found.failing:
        return 500, "Internal Server Error"
    return 200, "OK"
