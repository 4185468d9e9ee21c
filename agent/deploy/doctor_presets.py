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
from agent.design import measurable
from agent.errors import ChaosAdvisorError
from agent.models import Inventory, Signals

SIGNALS = ("error_rate_pct", "latency_p95_ms", "cpu_millicores", "memory_mib")
REQUEST = ("error_rate_pct", "latency_p95_ms")  # request_duration_seconds: not every target exports it


def silent_targets(inv: Inventory) -> set[str]:
    """Targets that export no request metrics by design (:mod:`agent.models.measure`: data stores,
    queues, services nothing calls): their missing error rate and p95 is expected."""
    return {t.name for t in inv.targets if measurable.kind(inv, t.name) == "none"}


def expected_series(names: list[str], silent: set[str]) -> dict[str, list[str]]:
    """Per signal, the targets of ``names`` that should have a series for it."""
    return {sig: [s for s in names if sig not in REQUEST or s not in silent] for sig in SIGNALS}


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
    """One check per preset and namespace of the targets. Targets that export no request metrics
    by design (:mod:`agent.models.measure`: data stores, queues) are not expected to have them."""
    silent = silent_targets(inv)
    return [_check(reader, namespace, [t.name for t in inv.targets if t.namespace == namespace], selected=selected,
                   silent=silent)
            for reader in readers for namespace in sorted({t.namespace for t in inv.targets})]


def _check(reader: PresetReader, namespace: str, names: list[str], *, selected: str, silent: set[str]) -> Check:
    p = reader.preset
    title = (f"label preset {p.name}{' (in use)' if p.name == selected else ''}: {p.namespace_label}=<namespace>, "
             f"{p.service_label}=<service>, in {namespace}")
    name = f"preset:{p.name}:{namespace}"
    try:
        read = reader.read(namespace, names)
        expected = expected_series(names, silent)
        empty = [(s, sig) for sig in SIGNALS for s in expected[sig] if getattr(read.get(s, Signals()), sig) is None]
        why = {(s, sig): reader.why_empty(namespace, s, sig) for s, sig in empty}
    except ChaosAdvisorError as e:
        return Check(name=name, status="warn", title=title, detail=f"could not ask: {e}")
    counts = ", ".join(f"{sig} {sum(getattr(read[s], sig) is not None for s in expected[sig])}/{len(expected[sig])}"
                       for sig in SIGNALS)
    none = sorted(silent & set(names))
    by_design = f" ({len(none)} targets export no request metrics by design: {', '.join(none)})" if none else ""
    if not empty:
        return Check(name=name, status="ok", title=title, detail=f"data for every target: {counts}{by_design}")
    return Check(name=name, status="warn", title=title, detail=f"data: {counts}{by_design}", notes=_grouped(why))


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
