"""The catalog's names are upstream's: checked against the carried chaos-charts definitions."""

from __future__ import annotations

import pytest

from agent.engines.catalog import CATALOG, resolve, upstream_defaults
from agent.models import Fault, Parameters


def test_every_fault_is_catalogued_with_upstream_env_names() -> None:
    assert set(CATALOG) == set(Fault)
    for fault, info in CATALOG.items():
        assert set(info.parameters) <= set(Parameters.model_fields)
        if info.control:  # the no-fault control: no upstream experiment, nothing rendered
            continue
        if not info.litmus:  # io-latency: no Litmus experiment, so no Litmus env to name
            assert not info.env and info.litmus_gap, fault
            continue
        assert set(info.env_names) <= set(upstream_defaults(fault)), fault


def test_defaults_come_from_the_upstream_files() -> None:
    assert upstream_defaults(Fault.POD_DELETE)["TOTAL_CHAOS_DURATION"] == "15"
    assert upstream_defaults(Fault.POD_MEMORY_HOG)["MEMORY_CONSUMPTION"] == "500"
    assert upstream_defaults(Fault.POD_NETWORK_LATENCY)["NETWORK_LATENCY"] == "2000"


def test_seed_aliases_and_unknown_actions() -> None:
    assert resolve("pod-kill") == Fault.POD_DELETE
    assert resolve("network-delay") == Fault.POD_NETWORK_LATENCY
    assert resolve("network-loss") == Fault.POD_NETWORK_LOSS
    assert resolve("network-corruption") == Fault.POD_NETWORK_CORRUPTION
    with pytest.raises(ValueError, match="unknown action 'pod-explode'"):
        resolve("pod-explode")


def test_high_risk_faults_are_marked() -> None:
    assert {f for f, i in CATALOG.items() if i.risk == "high"} == {Fault.DISK_FILL, Fault.NODE_DRAIN}
