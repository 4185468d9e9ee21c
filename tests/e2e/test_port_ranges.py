"""Ports out of 0..65535 are usage errors (exit 2, the reason in one line), not tracebacks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
@pytest.mark.parametrize("command", [("slack", "serve"), ("twin",)])
def test_agent_servers_refuse_a_port_out_of_range(cli: Cli, command: tuple[str, ...], port: str) -> None:
    out = cli(*command, "--port", port)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    [reason] = [line for line in out.stderr.splitlines() if "Invalid value for '--port'" in line]
    assert ("less than or equal to 65535" if port != "-1" else "greater than or equal to 0") in reason


@pytest.mark.parametrize(("port", "says"), [("99999", "99999 is out of range"), ("-1", "-1 is out of range"),
                                            ("http", "'http' is not a number")])
def test_python_m_twin_refuses_a_port_out_of_range(tmp_path: Path, port: str, says: str) -> None:
    out = subprocess.run([sys.executable, "-m", "twin", "--state", str(tmp_path / "t.json"), "--port", port],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1] == f"python -m twin: error: argument --port: {says}; give a port in 0..65535"
    assert not (tmp_path / "t.json").exists()  # refused before anything started
