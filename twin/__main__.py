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
    parser.add_argument("--port", type=int, default=0)
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


if __name__ == "__main__":
    main()
