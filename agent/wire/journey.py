"""The user-journey probe, built from ``journey`` (see :mod:`agent.run.journey`).

Off unless ``journey.enabled`` (default: on with ``--twin``). Its URL is ``journey.url``, or on
the twin the API server's service proxy of the stack's edge
(``<twin>/api/v1/namespaces/<ns>/services/<edge>/proxy``, the path ``kubectl proxy`` serves too).
The run's clock becomes a :class:`~agent.run.journey.ProbingClock`, which fires the probe's rounds
while time passes; on the twin each round is answered before the virtual clock moves on.
"""

from __future__ import annotations

from dataclasses import replace

from agent.config import Settings
from agent.errors import ConfigError
from agent.ports import Deps


def with_journey(deps: Deps, *, twin_url: str | None) -> Deps:
    """``deps`` with the probe (and its clock) when the journey is on; else ``deps`` unchanged."""
    from agent.adapters.journey_http import fetch
    from agent.run.journey import JourneyProbe, ProbingClock

    settings = deps.settings
    on = settings.journey.enabled if settings.journey.enabled is not None else twin_url is not None
    if not on:
        return deps
    url = settings.journey.url or (_twin_edge(settings, twin_url) if twin_url else None)
    if url is None:
        raise ConfigError("journey.url: missing, but journey.enabled is true; set the edge's base URL "
                          "(e.g. http://front-end.sock-shop.svc) or journey.enabled: false")
    probe = JourneyProbe(settings.journey, url, fetch, wait_answers=twin_url is not None)
    return replace(deps, journey=probe, clock=ProbingClock(deps.clock, probe))


def _twin_edge(settings: Settings, twin_url: str) -> str:
    """The twin's service proxy of the edge named in stack.yaml (tier: edge), else Sock Shop's front-end."""
    edge = next((t for t in settings.k8s.target_services if t.tier == "edge"), None)
    namespace = edge.namespace if edge else settings.k8s.namespaces[0] if settings.k8s.namespaces else "sock-shop"
    name = edge.name if edge else "front-end"
    return f"{twin_url.rstrip('/')}/api/v1/namespaces/{namespace}/services/{name}/proxy"
