"""CLI cold start: `python -m agent --help` and `inventory --help` vs Chaos Toolkit's `chaos --help`.

    python bench/cold_start.py [--runs 15]

Chaos Toolkit (PyPI `chaostoolkit`) is installed on first use into `.tools/bench-venv` (a venv of
its own, so it never touches the project's). The three commands run interleaved, N times each,
output discarded; prints the median wall time of each and the ratio to `chaos --help`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools" / "bench-venv"


def chaos_bin() -> Path:
    """`chaos` from the bench venv, installed there on first use."""
    chaos = TOOLS / "bin" / "chaos"
    if not chaos.exists():
        print(f"installing chaostoolkit into {TOOLS} (first use)", flush=True)
        venv.create(TOOLS, with_pip=True)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", "chaostoolkit"], check=True)
    return chaos


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=os.environ | {"PYTHONDONTWRITEBYTECODE": "0"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    chaos = chaos_bin()
    version = subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "show", "chaostoolkit"],
                             capture_output=True, text=True).stdout
    ctk = next((line.split(": ", 1)[1] for line in version.splitlines() if line.startswith("Version")), "?")
    commands = {
        "python -m agent --help": [sys.executable, "-m", "agent", "--help"],
        "python -m agent inventory --help": [sys.executable, "-m", "agent", "inventory", "--help"],
        f"chaos --help (chaostoolkit {ctk})": [str(chaos), "--help"],
    }
    for cmd in commands.values():  # warm the page cache and write .pyc files
        timed(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    peer = list(medians.values())[-1]
    for name, m in medians.items():
        print(f"{name:<42} median {m * 1000:6.0f} ms  min {min(times[name]) * 1000:5.0f} ms  "
              f"ratio to chaos {m / peer:.2f}x  (n={runs}, interleaved)")
    print("target: agent commands faster than chaos --help (ratio < 1.00x)")


if __name__ == "__main__":
    main()
