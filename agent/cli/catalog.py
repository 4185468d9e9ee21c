"""``python -m agent catalog``: the faults the agent knows, and which chaos engine runs each.

Read from the fault registry (``agent.models.faults``): Litmus runs every fault with a chaos-charts
experiment (not io-latency: ``litmus_gap``); Chaos Mesh runs those with a ``chaos_mesh`` mapping (the
kind and action it renders). For the others the table says why not (the policy refuses them with the
same words).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.cli.output import Format, FormatOpt


@dataclass(frozen=True)
class CatalogRow:
    """One fault as ``catalog -o json`` prints it (a dataclass: ``--help`` loads no pydantic)."""

    fault: str
    tests: str
    risk: str
    litmus: str  # the ChaosExperiment Litmus runs, "" when Litmus cannot run it
    chaos_mesh: str | None  # "<Kind> <action>", None when Chaos Mesh cannot run it
    chaos_mesh_gap: str = ""  # why not, when it cannot
    chaos_mesh_needs: str = ""  # what it needs besides the CRD, when it can (DNSChaos: Chaos Mesh's DNS server)
    engines: tuple[str, ...] = ()  # chaos_engine values that can run it
    litmus_gap: str = ""  # why Litmus cannot run it, when it cannot


def rows() -> list[CatalogRow]:
    """Every fault of the registry, in its order."""
    from agent.engines import chaos_mesh
    from agent.models.faults import FAULTS

    out = []
    for fault, entry in FAULTS.items():
        if entry.control:  # injects nothing: either engine "runs" it (no object is applied)
            out.append(CatalogRow(fault=fault.value, tests=entry.tests, risk=entry.risk, litmus="nothing applied",
                                  chaos_mesh="nothing applied", engines=("litmus", "chaos-mesh")))
            continue
        mesh = entry.chaos_mesh
        gap = "" if mesh else chaos_mesh.GAPS.get(fault.value, f"Chaos Mesh has no counterpart of {fault.value}")
        engines = tuple(e for e, can in (("litmus", entry.litmus), ("chaos-mesh", mesh is not None)) if can)
        out.append(CatalogRow(fault=fault.value, tests=entry.tests, risk=entry.risk,
                              litmus=entry.name if entry.litmus else "", litmus_gap=entry.litmus_gap,
                              chaos_mesh=f"{mesh.kind} {mesh.action}" if mesh else None, chaos_mesh_gap=gap,
                              chaos_mesh_needs=chaos_mesh.NEEDS.get(mesh.kind, "") if mesh else "",
                              engines=engines))
    return out


def catalog(output_format: FormatOpt = Format.TABLE) -> None:
    """List every fault with the engines that run it (spec field chaos_engine; default engines.default)."""
    from rich.table import Table

    from agent.cli.common import console
    from agent.cli.output import emit

    found = rows()
    if output_format is not Format.TABLE:
        emit(found, output_format)
        return
    table = Table(title="Faults and the engines that run them")
    for column in ("fault", "tests", "risk", "litmus", "chaos-mesh"):
        table.add_column(column)
    for r in found:
        table.add_row(r.fault, r.tests, r.risk, f"yes ({r.litmus})" if r.litmus else f"no ({r.litmus_gap})",
                      f"yes ({'; '.join(filter(None, (r.chaos_mesh, r.chaos_mesh_needs)))})" if r.chaos_mesh
                      else f"no: {r.chaos_mesh_gap}")
    console.print(table)
