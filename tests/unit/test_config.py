"""Config loading: the real stack.yaml, and errors that name file, field, value and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import load_settings
from agent.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "stack.yaml"
    p.write_text(text)
    return p


def test_stack_yaml_describes_the_upstream_sock_shop() -> None:
    s = load_settings(ROOT / "stack.yaml")
    names = {t.name: t for t in s.k8s.target_services}
    assert len(names) == 14
    assert {t.namespace for t in names.values()} == {"sock-shop"}
    assert names["carts-db"].store == "mongodb" and names["orders-db"].store == "mongodb"
    assert names["user-db"].store == "mongodb"
    assert names["catalogue-db"].store == "mysql"
    assert names["session-db"].store == "redis"
    assert names["rabbitmq"].tier == "queue"
    assert names["front-end"].tier == "edge"
    assert names["carts"].pod_selector(s.k8s.pod_label) == {"name": "carts"}
    async_edges = {(d.source, d.target) for d in s.k8s.dependencies if not d.sync}
    assert async_edges == {("shipping", "rabbitmq"), ("queue-master", "rabbitmq")}
    assert "kube-system" not in s.policy.namespaces


def test_unknown_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    p = write(tmp_path, "k8s:\n  namspaces: [sock-shop]\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p)
    assert str(p) in str(e.value)
    assert "k8s.namspaces" in str(e.value)
    assert "did you mean 'namespaces'" in str(e.value)


def test_bad_value_names_field_path_value_and_fix(tmp_path: Path) -> None:
    p = write(tmp_path, "k8s:\n  target_services:\n    - {name: a, namespace: x, type: go, tier: middle}\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p)
    msg = str(e.value)
    assert "k8s.target_services[0].tier" in msg
    assert "'middle'" in msg
    assert "use one of" in msg and "'edge'" in msg


def test_dependency_on_unknown_service_is_rejected(tmp_path: Path) -> None:
    # A dependency may name a service discovery finds (issue 14: target_services only adds or
    # overrides), so its names are checked against the inventory, not when the file is loaded.
    from agent.inventory.checks import require_known_calls
    from tests.factories import inventory, target

    p = write(
        tmp_path,
        "k8s:\n  namespaces: [x]\n  target_services:\n    - {name: a, namespace: x, type: go, tier: edge}\n"
        "  dependencies:\n    - {source: a, target: c}\n    - {source: a, target: b}\n",
    )
    settings = load_settings(p)
    with pytest.raises(ConfigError, match=r"k8s\.dependencies\[1\]\.target: 'b' is not a service of the stack"):
        require_known_calls(inventory(target("a", namespace="x"), target("c", namespace="x")), settings)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "k8s:\n  namespaces: [sock-shop\npolicy: {}\n")
    with pytest.raises(ConfigError, match=r"stack.yaml line \d+: not valid YAML"):
        load_settings(p)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file; pass --config FILE"):
        load_settings(tmp_path / "nope.yaml")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment is a real input of Settings (pydantic-settings reads it); setting it here is
    # the input, not a patch of our code.
    monkeypatch.setenv("CHAOS_ADVISOR_MONITOR__POLL_INTERVAL_S", "2.5")
    p = write(tmp_path, "monitor:\n  poll_interval_s: 9\n")
    assert load_settings(p).monitor.poll_interval_s == 2.5


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    p = write(tmp_path, "paths:\n  reports: out/reports\n")
    s = load_settings(p)
    assert s.path(s.paths.reports) == tmp_path / "out" / "reports"


def test_an_empty_openai_api_key_is_no_key(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    from agent.config import load_settings

    shutil.copy(Path(__file__).resolve().parents[2] / "stack.yaml", tmp_path / "stack.yaml")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.setenv("OPENAI_BASE_URL", "  ")
    settings = load_settings(tmp_path / "stack.yaml")
    assert settings.llm.api_key is None and settings.llm.base_url is None
