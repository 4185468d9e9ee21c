"""Render an ExperimentSpec into a LitmusChaos ChaosEngine.

Names are upstream's: the experiment is the chaos-charts fault name and env variables are the
ones its ChaosExperiment declares (chaos-charts 3.18.0 / 2.14.0). The engine's name derives from
the run id, so a repeated execute finds its own engine instead of creating a second one.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict

from agent.engines.catalog import CATALOG
from agent.engines.probes import Probe
from agent.models import ExperimentSpec, Fault, Parameters

API_VERSION = "litmuschaos.io/v1alpha1"
MANAGED_BY = "chaos-advisor"
RUN_LABEL = "chaos-advisor.io/run-id"

class EnvVar(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    value: str


class ChaosEngineManifest(BaseModel):
    """A ChaosEngine ready to apply; :meth:`body` is the Kubernetes object."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str
    run_id: str
    experiment: str
    appns: str
    applabel: str
    appkind: str
    service_account: str
    cleanup: Literal["delete", "retain"]
    env: list[EnvVar]
    litmus_version: Literal["2.14", "3.x"] = "3.x"
    probes: list[Probe] = []  # steady-state probes (agent.engines.probes); none: Litmus checks nothing

    @property
    def kind(self) -> str:
        """Its kind (``agent.engines.backend.Rendered``)."""
        return "ChaosEngine"

    def body(self) -> dict[str, object]:
        """The manifest as the API server takes it."""
        run: dict[str, object] = {"components": {"env": [e.model_dump() for e in self.env]}}
        if self.probes:
            run["probe"] = [p.body(self.litmus_version) for p in self.probes]
        spec: dict[str, object] = {
            "engineState": "active",
            "appinfo": {"appns": self.appns, "applabel": self.applabel, "appkind": self.appkind},
            "chaosServiceAccount": self.service_account,
            "jobCleanUpPolicy": self.cleanup,
            "experiments": [{"name": self.experiment, "spec": run}],
        }
        if self.litmus_version == "2.14":
            spec["annotationCheck"] = "false"  # 2.x only; removed in 3.0
        return {
            "apiVersion": API_VERSION,
            "kind": "ChaosEngine",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                    RUN_LABEL: self.run_id,
                    "context": f"{self.appns}_{self.applabel.split('=')[-1]}",
                },
            },
            "spec": spec,
        }


def engine_name(run_id: str) -> str:
    """The engine name of a run: stable, so re-running execute finds it."""
    return f"ca-{run_id}"


def result_name(engine: str, experiment: str) -> str:
    """The ChaosResult the operator writes for an engine: ``<engine>-<experiment>``."""
    return f"{engine}-{experiment}"


def refusals(spec: ExperimentSpec) -> list[str]:
    """Why Litmus cannot run ``spec`` ([] when it can): a fault with no chaos-charts experiment
    (its registry entry's ``litmus_gap``), the counterpart of ``agent.engines.chaos_mesh.refusals``."""
    gap = spec.action.entry.litmus_gap
    return [f"{spec.action.value}: {gap}; use chaos_engine: chaos-mesh"] if gap else []


def env_for(fault: Fault, parameters: Parameters) -> list[EnvVar]:
    """Upstream env overrides for the set parameters that ``fault`` takes."""
    out: list[EnvVar] = []
    for field, env in CATALOG[fault].env.items():
        value = getattr(parameters, field)
        if value is None:
            continue
        if isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, list):
            text = json.dumps(value)  # TARGET_HOSTNAMES is a JSON list upstream
        else:
            text = str(value)
        out.append(EnvVar(name=env, value=text))
    return out


def render(
    spec: ExperimentSpec,
    *,
    run_id: str,
    service_account: str,
    cleanup: Literal["delete", "retain"],
    litmus_version: Literal["2.14", "3.x"] = "3.x",
    probes: list[Probe] | None = None,
) -> ChaosEngineManifest:
    """The ChaosEngine that runs ``spec`` for ``run_id`` in the target's namespace, with
    ``probes`` (:func:`agent.engines.probes.steady_state_probes`) in its experiment.

    Raises:
        ValueError: Litmus cannot run the spec (:func:`refusals` says why).
    """
    if reasons := refusals(spec):
        raise ValueError("; ".join(reasons))
    sel = spec.target_selector
    return ChaosEngineManifest(
        name=engine_name(run_id),
        namespace=sel.namespace,
        run_id=run_id,
        experiment=spec.action.value,
        appns=sel.namespace,
        applabel=sel.label_selector,
        appkind=sel.kind,
        service_account=service_account,
        cleanup=cleanup,
        env=env_for(spec.action, spec.parameters),
        litmus_version=litmus_version,
        probes=probes or [],
    )
