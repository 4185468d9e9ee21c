"""Any arguments to any command of ``python -m agent``, through its real entry point (in-process).

The commands and their options are read from the Typer app itself, so an option added later is
driven too (and must get a value pool below). What every command promises for any argv: exit 0,
1 or 2, no traceback, no exception but SystemExit escaping the entry point. The commands that
would start a twin or reach a cluster get inputs that fail before that (``cli_inputs.HEAVY``); a
few valid commands run in full at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.property.cli_harness import CASES, invoke
from tests.property.cli_inputs import BAD_MANIFESTS, BAD_SPECS, HEAVY, LOAD_FAILS, Pools, make_pools

CLI = settings(derandomize=True, deadline=None, database=None, max_examples=1000,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=24)  # argv cannot carry NUL
ODD = ["", "-", "--", "--help", "-x", "\udcff", "ü💥", "x" * 5000, "../../etc/passwd", "a\tb", "\x1b[31m"]


@dataclass(frozen=True)
class Param:
    name: str
    flag: str  # "--config"; for an argument, its name
    positional: bool
    is_flag: bool
    multiple: bool


def command_table() -> dict[tuple[str, ...], list[Param]]:
    """Every leaf command of the app with its parameters (``("slack", "serve")`` for a sub-command)."""
    import typer.main

    from agent.cli.main import app

    table: dict[tuple[str, ...], list[Param]] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
            return
        table[path] = [Param(name=p.name or "", flag=(p.opts or [p.name])[0], positional=p.param_type_name == "argument",
                             is_flag=bool(getattr(p, "is_flag", False)), multiple=bool(getattr(p, "multiple", False)))
                       for p in command.params]  # type: ignore[attr-defined]

    walk(typer.main.get_command(app), ())
    return table


TABLE = command_table()
INTS = st.one_of(st.integers(-5, 70_000), st.sampled_from([10**30, 2**63, -(2**63) - 1])).map(str) | st.sampled_from(
    ["abc", "1.5", "", " 3", "0x10", "1e3", "٣", "+1", "--"])
FLOATS = st.floats(allow_nan=True, allow_infinity=True).map(str) | st.sampled_from(["nan", "inf", "-1e309", "x", ""])
WORDS = TEXT | st.sampled_from([*ODD, "0.0.0.0", "::1", "999.1.1.1", "localhost", "chaos-advisor:0.1.0"])
# Every parameter of every command, by name: where its values come from (a pool key or raw text).
VALUES = {"count": INTS, "approve": INTS, "port": INTS, "timeout": FLOATS, "speed": FLOATS, "note": WORDS,
          "reason": WORDS, "image": WORDS, "host": WORDS, "run_id": WORDS | st.sampled_from(["nosuch", "9b34d0d2"]),
          "config": None, "manifests": None, "spec_file": None, "output": None, "output_dir": None,
          "junit": None, "result": None,
          "limit": INTS, "since": WORDS | st.sampled_from(["24h", "7d", "2026-01-22", "1x"]),
          "status": WORDS | st.sampled_from(["aborted", "waiting"]), "dialect": WORDS | st.sampled_from(["native", "seed"]),
          "spec_format": WORDS | st.sampled_from(["native", "seed"]),
          "output_format": WORDS | st.sampled_from(["table", "json", "yaml"]), "namespace": WORDS,
          "without": WORDS | st.sampled_from(["litmus", "experiments", "metrics", "rbac"]),
          "context": WORDS | st.sampled_from(["a", "b", "twin"])}


def test_every_parameter_has_a_value_pool() -> None:
    names = {p.name for params in TABLE.values() for p in params if not p.is_flag}
    assert names - set(VALUES) == set(), "give each new option a pool in VALUES (and HEAVY if it starts things)"


@pytest.fixture(scope="module")
def pools(tmp_path_factory: pytest.TempPathFactory) -> Pools:
    return make_pools(tmp_path_factory.mktemp("cli-argv"))


@pytest.fixture
def in_pools(pools: Pools, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pools]:
    for name in list(os.environ):
        if name.startswith(("CHAOS_ADVISOR_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(pools.root / "cwd")  # no stack.yaml here: the default --config is missing
    yield pools


@st.composite
def command_lines(draw: st.DrawFn, pools: Pools) -> list[str]:
    """A command, its arguments and some options, values from the pools or raw; never one that
    would get past its checks into a twin, a cluster or a server (see ``HEAVY``)."""
    path = draw(st.sampled_from(sorted(TABLE)))
    argv: list[str] = []
    spec = draw(st.sampled_from(sorted(pools.specs)) | TEXT)
    manifests = draw(st.lists(st.sampled_from(sorted(pools.manifests)) | TEXT, max_size=2))
    config = draw(st.sampled_from(sorted(pools.configs) + ["absent"] * 3))
    bad_first = any(m not in pools.manifests or m in BAD_MANIFESTS for m in manifests) or (
        path == ("run",) and (spec not in pools.specs or spec in BAD_SPECS))
    if path[0] in HEAVY and config not in LOAD_FAILS and not (config == "valid" and bad_first):
        config = draw(st.sampled_from(LOAD_FAILS))
    for p in TABLE[path]:
        if p.name == "config":
            argv += [] if config == "absent" else [p.flag, str(pools.configs[config])]
        elif p.name == "manifests":
            for m in manifests:
                argv += [p.flag, str(pools.manifests.get(m, m))]
        elif p.name == "spec_file":
            argv.append(str(pools.specs.get(spec, spec)))
        elif p.is_flag:
            argv += [p.flag] if draw(st.booleans()) else []
        elif p.name in ("output", "output_dir"):
            key = draw(st.sampled_from(sorted(pools.outputs)) | st.none())
            argv += [p.flag, str(pools.outputs[key])] if key else []
        elif p.name in ("junit", "result"):  # written only when a run ends: never the valid config file
            key = draw(st.sampled_from(sorted(set(pools.outputs) - {"a_file"})) | st.none())
            argv += [p.flag, str(pools.outputs[key] / "out.xml" if key == "fresh" else pools.outputs[key])] if key else []
        elif p.positional:
            argv.append(draw(VALUES[p.name]))  # type: ignore[arg-type]
        elif draw(st.booleans()):
            argv += [p.flag, draw(VALUES[p.name])]  # type: ignore[arg-type]
    argv = draw(st.permutations(argv)) if draw(st.integers(0, 9)) == 0 else argv  # options in any order (rarely)
    junk = draw(st.lists(st.sampled_from(["--nope", "extra", "--", "-q"]), max_size=1))
    return [*path, *argv, *junk]


def test_any_arguments_of_any_command(in_pools: Pools) -> None:
    pools = in_pools

    @CLI
    @given(argv=command_lines(pools))
    @example(argv=["resume", "9b34d0d2", "--approve", "0"])
    @example(argv=["resume", "9b34d0d2", "--approve", "-1"])
    @example(argv=["suggest", "--count", "100000"])
    @example(argv=["status", "\udcff", "--config", str(pools.valid_config)])
    @example(argv=["run", "/dev/zero", "--config", str(pools.valid_config)])
    @example(argv=["manifests", "--output-dir", "/proc/nope", "--config", str(pools.valid_config)])
    def run(argv: list[str]) -> None:
        invoke(*argv, case="argv").check()
        # ``init`` (e.g. ``init --twin``) may draft stack.yaml into the cwd, its default --config;
        # taken away again so that "absent" keeps meaning "no config" for every later command.
        (pools.root / "cwd" / "stack.yaml").unlink(missing_ok=True)

    before = CASES["argv"]
    run()
    assert CASES["argv"] - before >= 1000


def test_valid_commands_run_in_full(in_pools: Pools) -> None:
    # The fast paths above are failures; these are the successes, twin included (a handful).
    config = str(in_pools.valid_config)
    out = in_pools.root / "out" / "specs"
    for argv, code in (
        (["unfreeze", "--config", config], 0),  # the argv test may have left the kill switch on
        (["schema"], 0), (["manifests", "--config", config], 0), (["approvals", "--config", config], 0),
        (["audit", "--config", config], 0), (["status", "nosuch", "--config", config], 1),
        (["inventory", "--twin", "--config", config], 0),
        (["suggest", "--twin", "-n", "2", "--output", str(out), "--config", config], 0),
    ):
        outcome = invoke(*argv, case="valid").check()
        assert outcome.code == code, outcome.out
    assert len(list(out.glob("*.json"))) == 2
    assert (Path(config).parent / ".chaos-advisor").is_dir()
