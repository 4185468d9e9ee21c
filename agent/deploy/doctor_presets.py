"""The doctor's comparison of label presets (``k8s.monitoring.prometheus.preset``): every query of
every preset, for every target, against the configured Prometheus; per preset what returns data,
what returns nothing, and why (:class:`PresetReader` explains an empty query).

These checks only inform: ``ok`` when the preset finds every signal of every target, else
``warn`` with the reasons. Whether a run can start is the ``metrics:<namespace>`` check's call
(it reads through the preset in use).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agent.config.presets import LabelPreset
from agent.deploy.doctor import Check
from agent.errors import ChaosAdvisorError
from agent.models import Inventory, Signals

SIGNALS = ("error_rate_pct", "latency_p95_ms", "cpu_millicores", "memory_mib")


class PresetReader(Protocol):
    """One preset's queries against the configured Prometheus."""

    preset: LabelPreset

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        """Every signal of ``services`` (None: no value), through this preset's labels."""
        ...

    def why_empty(self, namespace: str, service: str, signal: str) -> str:
        """Why one query returned nothing, in one line (the service's name in it as written)."""
        ...


def preset_checks(inv: Inventory, readers: Sequence[PresetReader], *, selected: str) -> list[Check]:
    """One check per preset and namespace of the targets."""
    return [_check(reader, namespace, [t.name for t in inv.targets if t.namespace == namespace], selected=selected)
            for reader in readers for namespace in sorted({t.namespace for t in inv.targets})]


def _check(reader: PresetReader, namespace: str, names: list[str], *, selected: str) -> Check:
    p = reader.preset
    title = (f"label preset {p.name}{' (in use)' if p.name == selected else ''}: {p.namespace_label}=<namespace>, "
             f"{p.service_label}=<service>, in {namespace}")
    name = f"preset:{p.name}:{namespace}"
    try:
        read = reader.read(namespace, names)
        empty = [(s, sig) for s in names for sig in SIGNALS if getattr(read.get(s, Signals()), sig) is None]
        why = {(s, sig): reader.why_empty(namespace, s, sig) for s, sig in empty}
    except ChaosAdvisorError as e:
        return Check(name=name, status="warn", title=title, detail=f"could not ask: {e}")
    counts = ", ".join(f"{sig} {sum(getattr(read[s], sig) is not None for s in names)}/{len(names)}" for sig in SIGNALS)
    if not empty:
        return Check(name=name, status="ok", title=title, detail=f"data for every target: {counts}")
    return Check(name=name, status="warn", title=title, detail=f"data: {counts}", notes=_grouped(why))


def _grouped(why: dict[tuple[str, str], str]) -> list[str]:
    """One line per reason: which signals of which services return nothing, and why (the
    service's own name in the reason is generalised so that services with one cause share a line)."""
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for (service, signal), reason in why.items():
        services, signals = groups.setdefault(reason.replace(f'"{service}', '"<service>'), ([], []))
        services += [service] if service not in services else []
        signals += [signal] if signal not in signals else []
    return [f"nothing for {', '.join(signals)} of {', '.join(services)}: {reason}"
            for reason, (services, signals) in groups.items()]
