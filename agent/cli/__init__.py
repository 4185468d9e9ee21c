"""The command line: `python -m agent` (Typer) and the seed's `craterctl`."""
