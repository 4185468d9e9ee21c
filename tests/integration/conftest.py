"""Fixtures for the Sock Shop twin's integration tests: a TwinServer per test, on its own state
file, driven through the real `kubernetes` client (no mocks) and the twin's /twin/v1 endpoints.
Time never passes by sleeping: tests advance the twin's virtual clock. ``settings`` and ``deps``
give the agent itself on a twin of its own (a private copy of stack.yaml, wiring's in-process twin).
"""

from __future__ import annotations

import io
import json
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from kubernetes import client
from rich.console import Console

from agent.config import Settings, load_settings
from agent.ports import Deps
from agent.wiring import ClusterBinding, open_deps
from twin import TwinServer

if TYPE_CHECKING:
    from tests.integration.postgres_fixture import RunningPostgres

ROOT = Path(__file__).resolve().parents[2]
TWIN_START = 1_800_000_000.0  # a fixed virtual start time keeps timestamps reproducible
NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")


@dataclass
class Twin:
    """The twin under test, with the official clients bound to it."""

    url: str
    core: client.CoreV1Api
    apps: client.AppsV1Api
    custom: client.CustomObjectsApi
    apiext: client.ApiextensionsV1Api

    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
        return result

    def now(self) -> float:
        return float(self._call("/twin/v1/clock")["now"])

    def advance(self, seconds: float) -> float:
        return float(self._call("/twin/v1/clock/advance", {"seconds": seconds})["now"])

    def signals(self, namespace: str = NS) -> dict[str, dict[str, Any]]:
        services: dict[str, dict[str, Any]] = self._call(
            f"/twin/v1/signals?namespace={namespace}")["services"]
        return services

    def events(self, engine: str) -> list[str]:
        return [e["message"] for e in self._call(f"/twin/v1/events?namespace={NS}&engine={engine}")
                ["events"]]

    def create_engine(self, body: dict[str, Any], namespace: str = NS,
                      **kwargs: Any) -> dict[str, Any] | None:
        created: dict[str, Any] | None = self.custom.create_namespaced_custom_object(
            *LITMUS, namespace, "chaosengines", body, **kwargs)
        return created

    def get(self, plural: str, name: str, namespace: str = NS) -> dict[str, Any]:
        found: dict[str, Any] = self.custom.get_namespaced_custom_object(
            *LITMUS, namespace, plural, name)
        return found

    def pods(self, selector: str, namespace: str = NS) -> list[client.V1Pod]:
        return list(self.core.list_namespaced_pod(namespace, label_selector=selector).items)


def engine(name: str, experiment: str, applabel: str, *, appkind: str = "deployment",
           env: dict[str, str] | None = None, state: str = "active") -> dict[str, Any]:
    """A ChaosEngine body shaped like the ones Litmus documents."""
    return {
        "apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosEngine",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "engineState": state,
            "appinfo": {"appns": NS, "applabel": applabel, "appkind": appkind},
            "chaosServiceAccount": "litmus-admin", "jobCleanUpPolicy": "retain",
            "experiments": [{"name": experiment, "spec": {"components": {"env": [
                {"name": k, "value": v} for k, v in (env or {}).items()]}}}],
        },
    }


def connect(url: str) -> Twin:
    """Bind the official clients to a twin served at `url`."""
    api = client.ApiClient(client.Configuration(host=url))
    return Twin(url, client.CoreV1Api(api), client.AppsV1Api(api),
                client.CustomObjectsApi(api), client.ApiextensionsV1Api(api))


@contextmanager
def open_twin(path: Path, manifests: list[Path] | None = None, **kwargs: Any) -> Iterator[Twin]:
    """Serve a twin on `path` (virtual start fixed at TWIN_START unless given) and connect."""
    kwargs.setdefault("start_time", TWIN_START)
    with TwinServer(path, manifests, **kwargs) as server:
        yield connect(server.url)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "twin" / "sock-shop.json"


@pytest.fixture
def twin(state_path: Path) -> Iterator[Twin]:
    with open_twin(state_path) as connected:
        yield connected


@pytest.fixture
def twin_start() -> float:
    """The virtual time every test twin starts at."""
    return TWIN_START


@pytest.fixture
def make_engine() -> Callable[..., dict[str, Any]]:
    """Build a ChaosEngine body: make_engine(name, experiment, applabel, env=..., ...)."""
    return engine


@pytest.fixture
def twin_at() -> Callable[..., AbstractContextManager[Twin]]:
    """Open another twin: twin_at(state_path, manifests=None, **TwinServer kwargs)."""
    return open_twin


@pytest.fixture
def connect_url() -> Callable[[str], Twin]:
    """Connect the official clients to a twin served elsewhere (another process)."""
    return connect


@pytest.fixture(scope="session")
def postgres() -> Iterator[RunningPostgres]:
    """A private PostgreSQL server for the whole session; tests take ``postgres.fresh_database()``."""
    from tests.integration.postgres_fixture import run_postgres  # psycopg only where it is used

    with run_postgres() as server:
        yield server


# --- the agent on a twin of its own (wiring's in-process twin, stack.yaml copied) ---------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    return load_settings(tmp_path / "stack.yaml")


@pytest.fixture
def deps(settings: Settings) -> Iterator[Deps]:
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as d:
        yield d
