"""Typed shapes of the parts of Kubernetes objects the twin builds or reads.

Objects themselves stay `KObj` (see `twin.state` for why). These TypedDicts name, as the
Kubernetes API defines them, the parts the twin's controllers write (owner references, pod and
controller status, list envelopes) and the fields of pod templates they read. Objects may carry
more fields than a shape lists; those pass through untouched. Nothing checks the shapes at run
time: pods come from the twin's own controllers, templates from the seeded manifests or from
Deployments that `builtin_workloads` validated on create.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from twin.state import KObj

ConditionStatus = Literal["True", "False", "Unknown"]
QOSClass = Literal["Guaranteed", "Burstable", "BestEffort"]
Quantity = str | float
"""A resource quantity as written: `300m`, `512Mi`, or a bare number (`cpu: 1`)."""


class OwnerReference(TypedDict):
    """metadata.ownerReferences[]: who owns an object (the controller one recreates its pods)."""

    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: NotRequired[bool]
    blockOwnerDeletion: NotRequired[bool]


class ObjectMeta(TypedDict, total=False):
    """metadata: the fields the twin sets on the objects it creates."""

    name: str
    generateName: str
    namespace: str
    uid: str
    resourceVersion: str
    generation: int
    creationTimestamp: str
    labels: dict[str, str]
    annotations: dict[str, str]
    ownerReferences: list[OwnerReference]


ListMeta = TypedDict("ListMeta", {
    "resourceVersion": str,
    "continue": str,  # a keyword in Python, hence the functional form
    "remainingItemCount": int,
}, total=False)
"""metadata of a list response: its resourceVersion, and the token of the next page if any."""


class ObjectList(TypedDict):
    """A list response (`PodList`, `ChaosEngineList`, ...): one page of objects of one kind."""

    apiVersion: str
    kind: str
    metadata: ListMeta
    items: list[KObj]


class Probe(TypedDict, total=False):
    """A container probe; the twin reads only the readiness probe's initial delay."""

    initialDelaySeconds: float


class ContainerPort(TypedDict, total=False):
    """spec.containers[].ports[]."""

    name: str
    containerPort: int
    protocol: str


class ResourceRequirements(TypedDict, total=False):
    """spec.containers[].resources: quantities by resource name (`cpu`, `memory`, ...)."""

    requests: dict[str, Quantity]
    limits: dict[str, Quantity]


class Container(TypedDict, total=False):
    """spec.containers[]: what the twin reads (limits, readiness) and defaults on pods."""

    name: str
    image: str
    imagePullPolicy: str
    terminationMessagePath: str
    terminationMessagePolicy: str
    ports: list[ContainerPort]
    resources: ResourceRequirements
    readinessProbe: Probe


class PodSpec(TypedDict, total=False):
    """A pod's spec: its containers, its node, and the fields the API server defaults."""

    containers: list[Container]
    nodeName: str
    restartPolicy: str
    dnsPolicy: str
    schedulerName: str
    serviceAccountName: str
    terminationGracePeriodSeconds: int


class PodTemplateSpec(TypedDict, total=False):
    """spec.template of a Deployment, ReplicaSet or StatefulSet."""

    metadata: ObjectMeta
    spec: PodSpec


class ContainerStateRunning(TypedDict):
    """state.running of a container status."""

    startedAt: str


class ContainerStateTerminated(TypedDict):
    """lastState.terminated: why and when a container last stopped."""

    exitCode: int
    reason: str
    startedAt: str
    finishedAt: str


class ContainerState(TypedDict, total=False):
    """A container's state (one key set) or an empty lastState."""

    running: ContainerStateRunning
    terminated: ContainerStateTerminated


class ContainerStatus(TypedDict):
    """status.containerStatuses[] of a pod, rendered at a virtual time."""

    name: str
    ready: bool
    started: bool
    restartCount: int
    image: str
    imageID: str
    containerID: str
    state: ContainerState
    lastState: ContainerState


class ConditionReason(TypedDict, total=False):
    """Why a condition is not True (omitted when it is)."""

    reason: str
    message: str


class PodCondition(ConditionReason):
    """status.conditions[] of a pod."""

    type: str
    status: ConditionStatus
    lastProbeTime: None
    lastTransitionTime: str


class PodIP(TypedDict):
    """status.podIPs[]."""

    ip: str


class PodStatus(TypedDict):
    """A pod's status as the twin serves it (always Running: pods restart in place)."""

    phase: Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"]
    conditions: list[PodCondition]
    hostIP: str
    podIP: str
    podIPs: list[PodIP]
    startTime: str
    containerStatuses: list[ContainerStatus]
    qosClass: QOSClass


class ReplicaCounts(TypedDict, total=False):
    """The replica counts controllers report; a zero count is omitted, as the API server omits
    it (a ReplicaSet's and a StatefulSet's `replicas` excepted)."""

    replicas: int
    updatedReplicas: int
    readyReplicas: int
    availableReplicas: int
    unavailableReplicas: int
    fullyLabeledReplicas: int
    currentReplicas: int


class DeploymentCondition(TypedDict):
    """status.conditions[] of a Deployment (Available, Progressing)."""

    type: str
    status: ConditionStatus
    reason: str
    message: str
    lastUpdateTime: str
    lastTransitionTime: str


class DeploymentStatus(ReplicaCounts):
    """A Deployment's status, computed from its pods."""

    observedGeneration: int
    conditions: list[DeploymentCondition]


class ReplicaSetStatus(ReplicaCounts):
    """A ReplicaSet's status, computed from its pods."""

    observedGeneration: int


class StatefulSetStatus(ReplicaCounts):
    """A StatefulSet's status, computed from its pods."""

    observedGeneration: int
    currentRevision: str
    updateRevision: str
    collisionCount: int


class DaemonSetStatus(TypedDict):
    """A DaemonSet's status: one pod per node, counted from its pods."""

    observedGeneration: int
    desiredNumberScheduled: int
    currentNumberScheduled: int
    numberReady: int
    numberAvailable: int
    numberMisscheduled: int
    updatedNumberScheduled: int


ControllerStatus = DeploymentStatus | ReplicaSetStatus | StatefulSetStatus | DaemonSetStatus
