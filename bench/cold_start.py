"""CLI cold start: `python -m agent --help` and `craterctl --help` vs Chaos Toolkit's `chaos --help`.

    python bench/cold_start.py [--runs 21] [--chaos PATH]

`chaos` comes from ``--chaos PATH``, else ``$CHAOS_BIN``, else the PATH. Install it in a venv of
its own, never the project's, e.g. ``python3 -m venv /tmp/ctk && /tmp/ctk/bin/pip install
chaostoolkit`` and pass ``--chaos /tmp/ctk/bin/chaos``. The commands run interleaved (one of each
per round, after a warm-up round that writes .pyc files and fills the page cache), each a fresh
process with its output discarded; prints the median and min wall time of each and its ratio to
`chaos --help`. Target (issue 16): both agent commands at most 0.80x. Exits 1 when a target is
missed, 2 when `chaos` cannot be found.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.80


def find_chaos(given: str | None) -> Path | None:
    """``--chaos``, else ``$CHAOS_BIN``, else ``chaos`` on the PATH; None when none exists."""
    for candidate in (given, os.environ.get("CHAOS_BIN"), shutil.which("chaos")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def craterctl() -> list[str]:
    """The installed console script beside this interpreter, else the module."""
    script = shutil.which("craterctl", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "agent.cli.craterctl"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds (one run of each command per round)")
    parser.add_argument("--chaos", help="path of Chaos Toolkit's `chaos` (default: $CHAOS_BIN, then PATH)")
    args = parser.parse_args()
    chaos = find_chaos(args.chaos)
    if chaos is None:
        print("chaos (Chaos Toolkit) not found: pass --chaos PATH or set CHAOS_BIN, after e.g.\n"
              "  python3 -m venv /tmp/ctk && /tmp/ctk/bin/pip install chaostoolkit\n"
              "  python bench/cold_start.py --chaos /tmp/ctk/bin/chaos", file=sys.stderr)
        return 2
    commands = {
        "python -m agent --help": [sys.executable, "-m", "agent", "--help"],
        "craterctl --help": [*craterctl(), "--help"],
        "chaos --help": [str(chaos), "--help"],
    }
    for cmd in commands.values():  # warm-up: .pyc files and the page cache
        timed(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    peer = statistics.median(times["chaos --help"])
    missed = []
    print(f"{args.runs} interleaved rounds, load {os.getloadavg()[0]:.2f}, {chaos}")
    for name, ts in times.items():
        ratio = statistics.median(ts) / peer
        print(f"{name:<24} median {statistics.median(ts) * 1000:6.1f} ms  min {min(ts) * 1000:6.1f} ms  "
              f"ratio {ratio:.2f}x")
        if name != "chaos --help" and ratio > TARGET:
            missed.append(name)
    print(f"target: each agent command at most {TARGET:.2f}x chaos --help: " + ("missed by " + ", ".join(missed)
                                                                                if missed else "met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
