"""Typed shapes of the parts of Litmus objects the twin reads and writes (litmus 3.18 CRDs).

What the operator reads of a ChaosEngine's spec (the experiment to run, env overrides, 3.x
`selectors`), and what it and litmus-go write: the ChaosEngine's status and the ChaosResult's
status. The objects themselves stay `KObj` (see `twin.state`); these name their parts, as
`twin.shapes` does for the Kubernetes kinds. The spec parts are checked against the CRD schema
when an engine is written (`schema`), not again here.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

EngineStatus = Literal["initialized", "completed", "stopped"]
ChaosStatus = Literal["targeted", "injected", "reverted"]  # of a ChaosResult history target


# ChaosEngine spec: what the operator reads
class EnvVar(TypedDict, total=False):
    """An env entry of a ChaosExperiment definition or of an engine's experiment components."""

    name: str
    value: str


class ExperimentComponents(TypedDict, total=False):
    """spec.experiments[].spec.components of a ChaosEngine: env overriding the experiment's."""

    env: list[EnvVar]


class ExperimentRunSpec(TypedDict, total=False):
    """spec.experiments[].spec of a ChaosEngine (its `probe` list is listed by `records`)."""

    components: ExperimentComponents


class EngineExperiment(TypedDict, total=False):
    """spec.experiments[] of a ChaosEngine: the ChaosExperiment to run, and how."""

    name: str
    spec: ExperimentRunSpec


class PodSelector(TypedDict, total=False):
    """spec.selectors.pods[] of a 3.x ChaosEngine: pods by name (`names` comma-separated)."""

    namespace: str
    names: str


class WorkloadSelector(TypedDict, total=False):
    """spec.selectors.workloads[]: a workload's pods, by workload name or by a label selector."""

    kind: str
    namespace: str
    names: str
    labels: str


class AppSelectors(TypedDict, total=False):
    """spec.selectors of a 3.x ChaosEngine (instead of appinfo)."""

    pods: list[PodSelector]
    workloads: list[WorkloadSelector]


# ChaosEngine status: what the operator writes
class EngineExperimentStatus(TypedDict):
    """status.experiments[] of a ChaosEngine: the run of its experiment, in Litmus's words."""

    name: str
    runner: str
    experimentPod: str
    status: str
    verdict: str
    lastUpdateTime: str


class ChaosEngineStatus(TypedDict):
    """A ChaosEngine's status as the operator writes it; ``experiments`` only once the chaos-runner
    runs (the operator's Go nil is null, which the API server prunes: ``twin.litmus_launch``)."""

    engineStatus: EngineStatus
    experiments: NotRequired[list[EngineExperimentStatus]]


# ChaosResult status: what litmus-go writes
class ErrorOutput(TypedDict):
    """status.experimentStatus.errorOutput of a ChaosResult: litmus-go's error code and why."""

    errorCode: str
    reason: str


class ExperimentStatus(TypedDict):
    """status.experimentStatus of a ChaosResult."""

    phase: str
    verdict: str
    probeSuccessPercentage: str
    errorOutput: NotRequired[ErrorOutput]


class ProbeVerdict(TypedDict):
    """status.probeStatuses[].status of a ChaosResult (`description` is omitempty upstream)."""

    verdict: str
    description: NotRequired[str]


class ProbeStatus(TypedDict):
    """status.probeStatuses[] of a ChaosResult: one per probe the engine declares."""

    name: str
    type: str
    mode: str
    status: ProbeVerdict


class HistoryTarget(TypedDict):
    """status.history.targets[] of a ChaosResult: a workload the run acts on."""

    name: str
    kind: str
    chaosStatus: ChaosStatus
