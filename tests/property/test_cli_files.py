"""Any bytes in the files a person hands the CLI: spec files (``run SPEC``), stack.yaml
(``--config``) and ``--manifests``, through ``python -m agent``'s real entry point (in-process).

Each case also checks who is blamed: a file the product cannot use gets one ``error:`` line naming
that file, exit 1 (a spec) or 2 (configuration, manifests); a file it can use never gets blamed.
Commands end before a twin starts: a valid spec or config meets a bad ``--manifests`` next.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agent.config import load_settings
from agent.config.files import check_manifests
from agent.design.propose import load_spec
from agent.errors import ConfigError, SpecInvalid
from tests.property.cli_harness import CASES, Outcome, invoke
from tests.property.cli_inputs import SPEC, STACK, Pools, make_pools
from tests.property.strategies import JSON, mutated

FILES = settings(derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
YAMLISH = st.sampled_from(["kind: Deployment\n", "---\n", "- a\n", "a: [\n", "\t", "&a [*a]", "!!binary x", "{", "%YAML 9\n",
                           "apiVersion: v1\nkind: List\nitems: 5\n", ": :", "\x85", "\ufeff", "\x00", "key: 'unterminated\n"])


@pytest.fixture(scope="module")
def pools(tmp_path_factory: pytest.TempPathFactory) -> Pools:
    return make_pools(tmp_path_factory.mktemp("cli-files"))


@pytest.fixture
def here(pools: Pools, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pools]:
    for name in list(os.environ):
        if name.startswith(("CHAOS_ADVISOR_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(pools.root / "cwd")
    yield pools


def _one_error_naming(outcome: Outcome, *names: str | Path) -> str:
    [line] = outcome.errors()
    assert any(str(n) in line for n in names), f"{line!r} names none of {names}"
    return line


def _write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


# --- spec files: python -m agent run SPEC -------------------------------------------------------------


@settings(FILES, max_examples=400)
@given(content=st.one_of(mutated(SPEC).map(json.dumps), JSON.map(json.dumps), st.binary(max_size=300),
                         st.text(max_size=200)))
@example(content=json.dumps({**SPEC, "parameters": {"duration_s": 10**30}}))
@example(content=json.dumps({**SPEC, "parameters": {"duration_s": True}}))
@example(content=json.dumps({**SPEC, "parameters": {"duration_s": "30"}}))
@example(content=json.dumps({**SPEC, "description": "x" * 5000}))
@example(content=json.dumps(SPEC))
@example(content=b"\xff\xfe" + b"[" * 10)
def test_any_spec_file(here: Pools, content: str | bytes) -> None:
    spec = _write(here.root / "files" / "any-spec.json", content)
    bad_manifests = here.manifests["malformed"]
    outcome = invoke("run", spec, "--yes", "--manifests", bad_manifests, "--config", here.valid_config,
                     case="spec files").check()
    try:
        load_spec(spec)
    except SpecInvalid:
        assert outcome.code == 1
        _one_error_naming(outcome, spec)
    else:  # a usable spec: the bad manifests stop the command, and the spec is not blamed
        assert outcome.code == 2
        assert str(spec) not in _one_error_naming(outcome, bad_manifests)


def test_spec_files_drove_enough_cases() -> None:
    if not CASES["spec files"]:
        pytest.skip("its property test did not run")
    assert CASES["spec files"] >= 350


# --- stack.yaml: --config F ---------------------------------------------------------------------------

# None of these writes anything, whatever paths a mutated stack.yaml names (it could name "/x").
COMMANDS = [("manifests",), ("run", "SPEC"), ("inventory", "--twin", "--manifests", "MANIFESTS")]


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@settings(FILES, max_examples=400)
@given(content=st.one_of(mutated(STACK).map(_dump), st.text(max_size=200), st.binary(max_size=200),
                         st.lists(YAMLISH, max_size=4).map("".join)),
       command=st.sampled_from(COMMANDS))
@example(content=_dump({**STACK, "policy": {**STACK["policy"], "max_duration_s": 10**40}}), command=("manifests",))
@example(content=_dump({**STACK, "k8s": {**STACK["k8s"], "dependencies": [{"source": "front-end", "target": "ghost"}]}}),
         command=("manifests",))
@example(content=b"\xff\xfe\x00\x01garbage", command=("manifests",))
def test_any_stack_yaml(here: Pools, content: str | bytes, command: tuple[str, ...]) -> None:
    config = _write(here.root / "files" / "any-stack.yaml", content)
    replace = {"SPEC": str(here.specs["malformed"]), "MANIFESTS": str(here.manifests["malformed"])}
    outcome = invoke(*(replace.get(a, a) for a in command), "--config", config, case="stack.yaml").check()
    try:
        load_settings(config)
    except ConfigError:
        assert outcome.code == 2
        _one_error_naming(outcome, config)


def test_stack_yaml_drove_enough_cases() -> None:
    if not CASES["stack.yaml"]:
        pytest.skip("its property test did not run")
    assert CASES["stack.yaml"] >= 350


# --- --manifests F ------------------------------------------------------------------------------------------


@settings(FILES, max_examples=300)
@given(content=st.one_of(st.text(max_size=200), st.binary(max_size=200), st.lists(YAMLISH, max_size=5).map("".join)),
       command=st.sampled_from(["inventory", "suggest", "run-graph", "recover", "twin", "chat"]))
@example(content="a: [\n", command="inventory")
@example(content=b"\xff\xfe\x00\x01garbage", command="twin")
@example(content="kind: Service\nmetadata: {name: \x01}\n", command="run-graph")
def test_any_manifests_file(here: Pools, content: str | bytes, command: str) -> None:
    manifests = _write(here.root / "files" / "any-manifests.yaml", content)
    bad = here.manifests["binary"]  # after it, so the twin never starts on a file that is fine
    outcome = invoke(command, "--manifests", manifests, "--manifests", bad, "--config", here.valid_config,
                     case="--manifests").check()
    assert outcome.code == 2
    try:
        check_manifests([manifests])
    except ConfigError:
        line = _one_error_naming(outcome, manifests)
        assert line.startswith(f"error: --manifests {manifests}")
    else:
        assert _one_error_naming(outcome, bad).startswith(f"error: --manifests {bad}")


def test_manifests_drove_enough_cases() -> None:
    if not CASES["--manifests"]:
        pytest.skip("its property test did not run")
    assert CASES["--manifests"] >= 250
