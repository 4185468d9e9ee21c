"""twin.metrics: where --twin reads its signals (agent.wire.twin), chosen from the setting and PATH."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.adapters.twin import TwinMetrics
from agent.config import Settings, load_settings
from agent.errors import ConfigError
from agent.wire.twin import NOT_INSTALLED, twin_metrics


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAOS_ADVISOR_TWIN__METRICS", raising=False)  # tests/conftest.py sets model


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    def sleep(self, seconds: float) -> None:
        raise AssertionError("choosing a source must not move time")


def test_auto_is_the_default_and_a_bad_choice_names_the_field_and_the_choices(tmp_path: Path) -> None:
    assert Settings().twin.metrics == "auto"
    p = tmp_path / "stack.yaml"
    p.write_text("twin:\n  metrics: prom\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p)
    assert "twin.metrics: 'prom' is not valid" in str(e.value) and "'prometheus'" in str(e.value)


def test_without_the_binary_auto_reads_the_model_and_says_so_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no prometheus here
    said: list[str] = []
    with twin_metrics(Settings(twin={"metrics": "auto"}), "http://127.0.0.1:1", _Clock(), warn=said.append) as (m, source):
        assert isinstance(m, TwinMetrics)
        assert source == NOT_INSTALLED == "twin model (Prometheus not installed)"
    assert len(said) == 1 and "prometheus is not installed" in said[0]


def test_model_is_read_without_a_word_and_prometheus_without_the_binary_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    said: list[str] = []
    with twin_metrics(Settings(twin={"metrics": "model"}), "http://127.0.0.1:1", _Clock(), warn=said.append) as (m, source):
        assert isinstance(m, TwinMetrics) and source == "twin model (http://127.0.0.1:1)"
    assert said == []
    with pytest.raises(ConfigError, match="twin.metrics: 'prometheus', but no prometheus binary is on PATH"), \
            twin_metrics(Settings(twin={"metrics": "prometheus"}), "http://127.0.0.1:1", _Clock(), warn=said.append):
        pass
    assert said == []
