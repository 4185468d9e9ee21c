"""Inputs for the CLI property tests: files a person could name, good and bad, and the rule that
keeps the generated commands on their fast paths (none starts a twin, serves, or runs chaos).

Each pool maps a short name to a path. ``LOAD_FAILS`` configs fail as they are read (stack.yaml
itself is wrong); ``STATE_FAILS`` configs read fine but name state that cannot be opened.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
STACK_TEXT = (ROOT / "stack.yaml").read_text(encoding="utf-8")
STACK = yaml.safe_load(STACK_TEXT)
SPEC = factories.spec().model_dump(mode="json")

# "ghost" (a dependency on a service no one runs) loads: discovery refuses it (issue 14: a dependency may
# name a discovered service), so it is no load failure and never steers a heavy command.
LOAD_FAILS = ("absent", "missing", "directory", "devnull", "fifo", "binary", "malformed", "list",
              "unknown_key", "huge_int")
STATE_FAILS = ("state_in_proc", "sqlite_is_dir", "sqlite_not_a_db")
BAD_SPECS = ("missing", "directory", "devzero", "fifo", "big", "binary", "malformed", "bool_duration",
             "huge_duration", "string_duration", "deep", "label_injection", "empty")
BAD_MANIFESTS = ("missing", "directory", "devzero", "fifo", "binary", "malformed", "control_char")
# Commands that, given a usable config, would start a twin, reach a cluster, serve or read a
# terminal: generated only with a config that fails, a bad --manifests, or (run) a bad spec.
HEAVY = frozenset({"init", "inventory", "suggest", "run-graph", "run", "recover", "twin", "chat", "doctor", "web"})


def _with(doc: dict[str, object], section: str, **values: object) -> str:
    out = json.loads(json.dumps(doc))
    out[section] = {**out.get(section, {}), **values}
    return yaml.safe_dump(out, sort_keys=False)


@dataclass(frozen=True)
class Pools:
    """Every file the generated commands may name, under one temporary directory."""

    root: Path
    configs: dict[str, Path]
    specs: dict[str, Path]
    manifests: dict[str, Path]
    outputs: dict[str, Path]

    @property
    def valid_config(self) -> Path:
        return self.configs["valid"]


def make_pools(root: Path) -> Pools:
    """Write the pools under ``root`` (a FIFO there has no writer: reading it would block)."""
    files, cwd = root / "files", root / "cwd"
    files.mkdir()
    cwd.mkdir()  # the working directory: no stack.yaml, so a command without --config fails
    fifo = files / "fifo"
    os.mkfifo(fifo)
    (files / "directory").mkdir()

    def put(name: str, content: str | bytes) -> Path:
        path = files / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    ghost = {**STACK, "k8s": {**STACK["k8s"], "dependencies": [*STACK["k8s"]["dependencies"],
                                                                {"source": "front-end", "target": "ghost"}]}}
    common = {"missing": files / "nope.yaml", "directory": files / "directory", "fifo": fifo,
              "binary": put("binary.bin", b"\xff\xfe\x00\x01garbage"), "malformed": put("malformed.txt", "{a: [\n")}
    configs = {
        **common, "absent": Path(""), "devnull": Path("/dev/null"), "valid": put("stack.yaml", STACK_TEXT),
        "list": put("list.yaml", "- a\n- b\n"), "ghost": put("ghost.yaml", yaml.safe_dump(ghost)),
        "unknown_key": put("unknown.yaml", _with(STACK, "policy", max_duraton_s=30)),
        "huge_int": put("huge.yaml", _with(STACK, "policy", max_duration_s=10**30)),
        "state_in_proc": put("state-proc.yaml", _with(STACK, "paths", state_dir="/proc/nope/state")),
        "sqlite_is_dir": put("sqlite-dir.yaml", _with(STACK, "checkpoint", sqlite_path="/")),
        "sqlite_not_a_db": put("sqlite-text.yaml", _with(STACK, "checkpoint", sqlite_path="stack.yaml")),
    }

    def spec(name: str, **parameters: object) -> Path:
        return put(f"{name}.json", json.dumps({**SPEC, "parameters": {**SPEC["parameters"], **parameters}}))

    specs = {
        **common, "devzero": Path("/dev/zero"), "big": put("big.json", b" " * (2 * 1024 * 1024)),
        "valid": put("spec.json", json.dumps(SPEC)), "empty": put("empty.json", ""),
        "bool_duration": spec("bool", duration_s=True), "huge_duration": spec("huge", duration_s=10**30),
        "string_duration": spec("string", duration_s="30"), "deep": put("deep.json", "[" * 100_000),
        "label_injection": put("labels.json", json.dumps(
            {**SPEC, "target_selector": {**SPEC["target_selector"], "labels": {"name": "a,name!=b"}}})),
    }
    manifests = {**common, "devzero": Path("/dev/zero"), "valid": ROOT / "twin" / "data" / "complete-demo.yaml",
                 "control_char": put("control.yaml", "kind: Service\nmetadata: {name: \x01}\n")}
    outputs = {"proc": Path("/proc/nope"), "a_file": configs["valid"], "fresh": root / "out" / "new",
               "relative": Path("out-rel")}
    return Pools(root=root, configs=configs, specs=specs, manifests=manifests, outputs=outputs)

