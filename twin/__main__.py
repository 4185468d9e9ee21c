"""`python -m twin`: serve the twin until Ctrl-C (for kubectl and manual exploration)."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from twin.litmus_install import PIECES, without_state
from twin.server import TwinServer

DEFAULT_STATE = Path(".chaos-advisor/twin/sock-shop.json")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, start the twin, print its URL, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m twin", description=__doc__)
    parser.add_argument("--state", type=Path, default=None,
                        help=f"state file (default: {DEFAULT_STATE}, or sock-shop-without-<pieces>.json)")
    parser.add_argument("--manifests", type=Path, nargs="*", default=None)
    parser.add_argument("--port", type=_port, default=0, help="TCP port, 0..65535 (0: any free one)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--speed", type=float, default=None,
                        help="virtual seconds per real second (default: manual clock)")
    parser.add_argument("--without", action="append", choices=PIECES, default=[],
                        help="start a cluster lacking this piece (repeatable): Litmus CRDs and operator, "
                             "the ChaosExperiments, the metrics endpoints, or the agent's RBAC grants")
    parser.add_argument("--broken-engines", action="store_true",
                        help="every ChaosEngine reports Running and Pass but injects nothing (tests the "
                             "agent's 'no observable effect' path)")
    parser.add_argument("--chaos-mesh", action="store_true",
                        help="install Chaos Mesh 2.8's CRDs too; the twin emulates its controller")
    args = parser.parse_args(argv)
    state = args.state or without_state(DEFAULT_STATE, args.without)
    server = TwinServer(state, args.manifests, port=args.port, seed=args.seed,
                        speed=args.speed, without=args.without, broken_engines=args.broken_engines,
                        chaos_mesh=args.chaos_mesh)
    lacking = f"; without {', '.join(sorted(set(args.without)))}" if args.without else ""
    print(f"twin serving at {server.start()} (state {state}{lacking}); Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _port(text: str) -> int:
    """A TCP port for argparse: 0..65535, else a usage error (exit 2) saying so."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a port in 0..65535") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range; give a port in 0..65535")
    return port


if __name__ == "__main__":
    main()
