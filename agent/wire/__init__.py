"""Wiring that no longer fits in :mod:`agent.wiring` (at the module size limit), under the same
rules: the only other place adapters are built from Settings (``.importlinter`` lets the CLI
reach adapters only through these)."""
