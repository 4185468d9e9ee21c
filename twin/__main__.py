"""`python -m twin`: serve the twin until Ctrl-C (for kubectl and manual exploration)."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from twin.server import TwinServer


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, start the twin, print its URL, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m twin", description=__doc__)
    parser.add_argument("--state", type=Path, default=Path(".chaos-advisor/twin/sock-shop.json"))
    parser.add_argument("--manifests", type=Path, nargs="*", default=None)
    parser.add_argument("--port", type=_port, default=0, help="TCP port, 0..65535 (0: any free one)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--speed", type=float, default=None,
                        help="virtual seconds per real second (default: manual clock)")
    args = parser.parse_args(argv)
    server = TwinServer(args.state, args.manifests, port=args.port, seed=args.seed,
                        speed=args.speed)
    print(f"twin serving at {server.start()} (state {args.state}); Ctrl-C to stop", flush=True)
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
