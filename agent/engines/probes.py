"""Litmus steady-state probes derived from an experiment's hypothesis and abort threshold.

A ChaosEngine without probes gets the verdict Pass whenever the fault ran: Litmus then checked
nothing about steady state. So each engine carries (shapes: ChaosEngine CRD of chaos-operator
3.18.0 / 2.14.0, ``experiments[].spec.probe[]``; semantics: litmus-go 3.18.0 ``pkg/probe``):

- a ``promProbe`` per abort condition on a named service, when Prometheus is configured: the
  watched signal's own PromQL, with the comparator the negation of the abort condition (abort
  when ``> 5`` is steady while ``<= 5``). Mode ``Continuous`` (checked all through chaos) unless
  the hypothesis expects that service to be hit, then ``Edge`` (checked before and after chaos:
  steady state must hold before, and be back after);
- an ``httpProbe`` GET on the edge service's in-cluster URL expecting 200, ``Continuous``.

Litmus 3.x takes ``runProperties`` durations as strings (``"2s"``), 2.14 as integer seconds.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agent.models import ExperimentSpec, Inventory
from agent.models.spec import AbortCondition

ProbeMode = Literal["SOT", "EOT", "Edge", "Continuous", "OnChaos"]
PROBE_TIMEOUT_S = 5  # one query or request; Prometheus answers in well under a second
PROBE_INTERVAL_S = 2  # the monitor's default tick: the probe sees what the agent sees
_NEGATION = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


@runtime_checkable
class PromQLSource(Protocol):
    """A metrics adapter that reads PromQL from a Prometheus server (the twin's reads do not)."""

    @property
    def url(self) -> str: ...

    def describe(self, namespace: str, service: str, signal: str) -> str: ...


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Comparator(_Wire):
    criteria: str
    value: str


class PromInputs(_Wire):
    endpoint: str
    query: str
    comparator: Comparator


class HttpGet(_Wire):
    criteria: Literal["==", "!="] = "=="
    responseCode: str = "200"  # noqa: N815 - the CRD's field name


class HttpMethod(_Wire):
    get: HttpGet = HttpGet()


class HttpInputs(_Wire):
    url: str
    insecureSkipVerify: bool = False  # noqa: N815
    method: HttpMethod = HttpMethod()


class Probe(_Wire):
    """One ``experiments[].spec.probe[]`` entry; ``body`` gives it for a Litmus version."""

    name: str = Field(min_length=1, max_length=63)
    type: Literal["promProbe", "httpProbe"]
    mode: ProbeMode
    prom: PromInputs | None = None
    http: HttpInputs | None = None
    timeout_s: int = PROBE_TIMEOUT_S
    interval_s: int = PROBE_INTERVAL_S
    watches: str = ""  # what it checks, in words, for the report

    def body(self, litmus_version: Literal["2.14", "3.x"]) -> dict[str, object]:
        """The probe as the CRD takes it."""
        def seconds(n: int) -> object:
            return n if litmus_version == "2.14" else f"{n}s"

        out: dict[str, object] = {
            "name": self.name, "type": self.type, "mode": self.mode,
            "runProperties": {"probeTimeout": seconds(self.timeout_s), "interval": seconds(self.interval_s),
                              "retry": 1, "stopOnFailure": False},
        }
        if self.prom is not None:
            out["promProbe/inputs"] = self.prom.model_dump()
        if self.http is not None:
            out["httpProbe/inputs"] = self.http.model_dump()
        return out


def edge_url(inventory: Inventory, namespace: str) -> str | None:
    """The in-cluster URL of the namespace's first entry service (its first port), if any."""
    for name in inventory.entries():
        target = inventory.target(name)
        if target is None or target.namespace != namespace:
            continue
        for service in inventory.services:
            if service.namespace != namespace or not service.ports or not service.selector:
                continue
            if any(all(p.labels.get(k) == v for k, v in service.selector.items()) for p in target.pods) or (
                service.name == target.name
            ):
                port = 80 if 80 in service.ports else service.ports[0]
                return f"http://{service.name}.{namespace}.svc.cluster.local:{port}/"
    return None


def _prom_probe(spec: ExperimentSpec, condition: AbortCondition, source: PromQLSource, endpoint: str) -> Probe:
    namespace = spec.target_selector.namespace
    hit = spec.hypothesis is not None and condition.service in spec.hypothesis.affected_services
    criteria = _NEGATION[condition.op]
    value = f"{condition.value:g}"
    return Probe(
        name=f"{condition.service}-{condition.signal.replace('_', '-')}"[:63],
        type="promProbe",
        mode="Edge" if hit else "Continuous",
        prom=PromInputs(endpoint=endpoint, query=source.describe(namespace, condition.service, condition.signal),
                        comparator=Comparator(criteria=criteria, value=value)),
        watches=f"{condition.service} {condition.signal} {criteria} {value} "
                f"({'before and after chaos' if hit else 'throughout chaos'})",
    )


def steady_state_probes(
    spec: ExperimentSpec,
    inventory: Inventory | None,
    *,
    prometheus: PromQLSource | None,
    endpoint: str | None = None,
) -> list[Probe]:
    """The probes of ``spec``'s engine: a promProbe per abort condition on a named service (with
    ``prometheus``; ``endpoint``: its URL as pods in the cluster reach it, default its own), and an
    httpProbe on the edge service (when the inventory has one)."""
    probes: list[Probe] = []
    if prometheus is not None and spec.abort_threshold is not None:
        for condition in spec.abort_threshold.all_conditions():
            if condition.service != "*":
                probe = _prom_probe(spec, condition, prometheus, endpoint or prometheus.url)
                if probe.name not in {p.name for p in probes}:
                    probes.append(probe)
    url = edge_url(inventory, spec.target_selector.namespace) if inventory is not None else None
    if url is not None:
        probes.append(Probe(name="edge-http-200", type="httpProbe", mode="Continuous", http=HttpInputs(url=url),
                            watches=f"GET {url} answers 200 (throughout chaos)"))
    return probes
