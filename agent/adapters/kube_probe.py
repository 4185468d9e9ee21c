"""The read-only Kubernetes calls ``python -m agent doctor`` makes beside the Cluster port's:
the server's version, SelfSubjectAccessReviews (authorization.k8s.io/v1: "may I?", asked as
the identity this process runs as) and whether a ServiceAccount exists.

Every call goes through ``kube_calls.call`` (bounded retries, errors mapped to ``agent.errors``),
so nothing of the ``kubernetes`` client leaves this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from agent.adapters.kube_calls import RetryPolicy, api_client, call
from agent.errors import ClusterError, NotFound


class KubeProbe:
    """Implements :class:`agent.deploy.doctor.Probe` over the official client."""

    def __init__(self, api: client.ApiClient, *, retry: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> None:
        self.server: str = api.configuration.host
        self._retry, self._sleep, self._timeout = retry, sleep, retry.request_timeout()
        self._version = client.VersionApi(api)
        self._auth = client.AuthorizationV1Api(api)
        self._core = client.CoreV1Api(api)

    def version(self) -> str:
        info = self._call(lambda: self._version.get_code(_request_timeout=self._timeout), "GET /version")
        return str(info.git_version)

    def can_i(self, verb: str, group: str, resource: str, namespace: str | None) -> bool:
        where = f" in {namespace}" if namespace else " cluster-wide"
        review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(verb=verb, group=group, resource=resource,
                                                           namespace=namespace)))
        answer = self._call(lambda: self._auth.create_self_subject_access_review(review, _request_timeout=self._timeout),
                            f"SelfSubjectAccessReview {verb} {resource}{where}")
        if answer is None or answer.status is None:
            raise ClusterError(f"SelfSubjectAccessReview {verb} {resource}{where}: the API server answered no status")
        return bool(answer.status.allowed)

    def service_account(self, namespace: str, name: str) -> bool:
        try:
            self._call(lambda: self._core.read_namespaced_service_account(name, namespace, _request_timeout=self._timeout),
                       f"get ServiceAccount {namespace}/{name}")
        except NotFound:
            return False
        return True

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call(fn, what, server=self.server, policy=self._retry, sleep=self._sleep)


def connect_probe(*, host: str | None, kubeconfig: str | None, context: str | None, retry: RetryPolicy) -> KubeProbe:
    """A probe of ``host`` (the twin), else the kubeconfig's context, else the in-cluster config:
    the same identity as :func:`agent.adapters.kube.connect`."""
    return KubeProbe(api_client(host=host, kubeconfig=kubeconfig, context=context), retry=retry)
