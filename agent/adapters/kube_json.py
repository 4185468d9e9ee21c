"""What the Kubernetes adapter reads of the API's JSON (and passes to its client), as TypedDicts.

Discovery reads lists as raw JSON (see ``kube_objects``) and the Litmus objects are custom
resources the ``kubernetes`` client returns as plain dicts, so these name only the fields the
adapter reads; they are not validated (the readers treat every field as possibly missing or null,
as the API may send it) and never leave ``agent.adapters``: ``kube_objects`` turns them into
``agent.models`` at the edge.
"""

from __future__ import annotations

from typing import TypedDict

Labels = dict[str, str]
Quantities = dict[str, str | int]  # resource name -> quantity, e.g. {"cpu": "250m", "memory": "512Mi"}


class OwnerRefJson(TypedDict, total=False):
    kind: str
    name: str
    controller: bool | None


class ObjectMetaJson(TypedDict, total=False):
    name: str
    namespace: str  # absent on cluster-scoped objects
    uid: str
    resourceVersion: str
    creationTimestamp: str | None  # RFC 3339
    labels: Labels | None
    annotations: dict[str, str] | None
    ownerReferences: list[OwnerRefJson] | None


class KubeObjectJson(TypedDict, total=False):
    """Any object of a list: the adapter filters lists by ``metadata.namespace``."""

    metadata: ObjectMetaJson


class ReplicaSetJson(KubeObjectJson, total=False):
    """Only its owner (``metadata.ownerReferences``) is read."""


# --- pods and workloads --------------------------------------------------------------------------


class ProbeJson(TypedDict, total=False):
    initialDelaySeconds: int | None
    periodSeconds: int | None


class ResourcesJson(TypedDict, total=False):
    requests: Quantities | None
    limits: Quantities | None


class KeyRefJson(TypedDict, total=False):
    name: str
    key: str


class EnvSourceJson(TypedDict, total=False):
    configMapKeyRef: KeyRefJson | None  # resolved from the ConfigMap; Secrets are never read


class ContainerEnvJson(TypedDict, total=False):
    name: str
    value: str | None
    valueFrom: EnvSourceJson | None


class ConfigMapRefJson(TypedDict, total=False):
    name: str


class EnvFromJson(TypedDict, total=False):
    configMapRef: ConfigMapRefJson | None
    prefix: str | None


class ContainerJson(TypedDict, total=False):
    name: str
    image: str | None
    resources: ResourcesJson | None
    readinessProbe: ProbeJson | None
    livenessProbe: ProbeJson | None
    env: list[ContainerEnvJson] | None
    envFrom: list[EnvFromJson] | None
    command: list[str] | None
    args: list[str] | None


class ConfigMapVolumeJson(TypedDict, total=False):
    name: str


class VolumeJson(TypedDict, total=False):
    name: str
    configMap: ConfigMapVolumeJson | None
    persistentVolumeClaim: dict[str, str | bool] | None  # only its presence is read


class PodConditionJson(TypedDict, total=False):
    type: str
    status: str  # "True" / "False" / "Unknown"


class ContainerStatusJson(TypedDict, total=False):
    restartCount: int | None


class PodStatusJson(TypedDict, total=False):
    phase: str | None  # Pending, Running, Succeeded, Failed
    conditions: list[PodConditionJson] | None
    containerStatuses: list[ContainerStatusJson] | None


class PodSpecJson(TypedDict, total=False):
    nodeName: str | None
    containers: list[ContainerJson] | None
    volumes: list[VolumeJson] | None


class PodJson(KubeObjectJson, total=False):
    spec: PodSpecJson | None
    status: PodStatusJson | None


class PodTemplateJson(TypedDict, total=False):
    metadata: ObjectMetaJson | None
    spec: PodSpecJson | None


class LabelSelectorJson(TypedDict, total=False):
    matchLabels: Labels | None


class WorkloadSpecJson(TypedDict, total=False):
    replicas: int | None
    selector: LabelSelectorJson | None
    template: PodTemplateJson | None
    volumeClaimTemplates: list[KubeObjectJson] | None  # StatefulSets: only their presence is read


class WorkloadStatusJson(TypedDict, total=False):
    readyReplicas: int | None
    desiredNumberScheduled: int | None  # DaemonSets: one pod per matching node
    numberReady: int | None


class WorkloadJson(KubeObjectJson, total=False):
    """A Deployment, a StatefulSet or a DaemonSet."""

    spec: WorkloadSpecJson | None
    status: WorkloadStatusJson | None


class ServicePortJson(TypedDict, total=False):
    port: int
    name: str | None


class ServiceSpecJson(TypedDict, total=False):
    selector: Labels | None
    ports: list[ServicePortJson] | None
    type: str | None


class ServiceJson(KubeObjectJson, total=False):
    spec: ServiceSpecJson | None


class ConfigMapJson(KubeObjectJson, total=False):
    data: dict[str, str] | None


class BackendServiceJson(TypedDict, total=False):
    name: str


class BackendJson(TypedDict, total=False):
    service: BackendServiceJson | None


class IngressPathJson(TypedDict, total=False):
    backend: BackendJson | None


class IngressHttpJson(TypedDict, total=False):
    paths: list[IngressPathJson] | None


class IngressRuleJson(TypedDict, total=False):
    host: str | None
    http: IngressHttpJson | None


class IngressSpecJson(TypedDict, total=False):
    defaultBackend: BackendJson | None
    rules: list[IngressRuleJson] | None


class IngressJson(KubeObjectJson, total=False):
    """Only the Services it routes to are read: they are entry points for users."""

    spec: IngressSpecJson | None


# --- Litmus custom resources ---------------------------------------------------------------------


class EnvVarJson(TypedDict, total=False):
    name: str
    value: object  # a string by the CRD, but read defensively (str(value) then int)


class ComponentsJson(TypedDict, total=False):
    env: list[EnvVarJson] | None


class EngineExperimentSpecJson(TypedDict, total=False):
    components: ComponentsJson | None


class EngineExperimentJson(TypedDict, total=False):
    name: str
    spec: EngineExperimentSpecJson | None


class EngineSpecJson(TypedDict, total=False):
    engineState: str  # "active" / "stop"
    experiments: list[EngineExperimentJson | None] | None


class EngineRunJson(TypedDict, total=False):
    status: str | None  # one experiment's status as the operator reports it


class EngineStatusJson(TypedDict, total=False):
    engineStatus: str | None
    experiments: list[EngineRunJson] | None


class ChaosEngineJson(KubeObjectJson, total=False):
    spec: EngineSpecJson
    status: EngineStatusJson | None


class ResultExperimentStatusJson(TypedDict, total=False):
    phase: str | None
    verdict: str | None
    probeSuccessPercentage: str | None


class ProbeVerdictJson(TypedDict, total=False):
    verdict: str | None
    description: str | None


class ProbeStatusJson(TypedDict, total=False):
    name: str | None
    type: str | None
    mode: str | None
    status: ProbeVerdictJson | None


class ResultStatusJson(TypedDict, total=False):
    experimentStatus: ResultExperimentStatusJson | None
    probeStatuses: list[ProbeStatusJson] | None


class ChaosResultJson(KubeObjectJson, total=False):
    status: ResultStatusJson | None


# --- keyword arguments of client calls -----------------------------------------------------------


class ListOptions(TypedDict, total=False):
    """One paginated list call of the ``kubernetes`` client."""

    limit: int
    _request_timeout: float
    _preload_content: bool  # False: the raw JSON, not the client's (slow) typed models
    _continue: str


class CreateOptions(TypedDict, total=False):
    """A create call: ``dry_run="All"`` for a server-side dry run, else nothing."""

    dry_run: str
