"""One experiment per blast radius: locks in the state backend (files or PostgreSQL, so they
hold across replicas), taken just before an engine is applied and released when the run ends.

With ``policy.concurrency: namespace`` (the default) a run locks its target's namespace; with
``blast-radius`` it locks its target and every service that reaches it through synchronous calls,
so experiments on unrelated parts of one namespace may run side by side. A run whose process died
keeps its locks: its chaos may still be running; ``recover`` finishes the run, which releases them.
"""

from __future__ import annotations

from datetime import datetime

from agent.errors import ChaosAdvisorError
from agent.models import ExperimentSpec, Inventory
from agent.models.base import Frozen
from agent.ports import RunStore

LOCKS = "_locks"  # the store's pseudo-run holding every lock (run ids are hex, never this)


class LockHolder(Frozen):
    """Who holds a lock: the run, its experiment and when it took it (real time, UTC)."""

    run_id: str
    title: str
    at: datetime


class LockSet(Frozen):
    """The keys a run asked for, stored before any is taken so the run's end finds them."""

    keys: list[str]


def lock_keys(spec: ExperimentSpec, inventory: Inventory, mode: str) -> list[str]:
    """What ``spec`` must hold alone: its namespace, or its target and blast radius."""
    ns = spec.target_selector.namespace
    if mode == "blast-radius":
        names = [spec.target_selector.service, *inventory.upstream(spec.target_selector.service)]
        return [f"svc:{ns}:{n}" for n in sorted(set(names))]
    return [f"ns:{ns}"]


def take(store: RunStore, run_id: str, keys: list[str], holder: LockHolder) -> str | None:
    """Take every key for ``run_id`` (all or none); None when held, else why not (who holds it)."""
    store.save(run_id, "locks", LockSet(keys=keys))
    taken: list[str] = []
    for key in keys:
        if store.claim(LOCKS, key):
            store.save(LOCKS, _holder_doc(key), holder)
            taken.append(key)
            continue
        other = _holder(store, key)
        if other is not None and other.run_id == run_id:  # a replay after a crash: already ours
            continue
        for k in taken:
            store.release(LOCKS, k)
        who = f"run {other.run_id} ({other.title!r}, since {other.at:%Y-%m-%d %H:%M:%S} UTC)" if other else "another run"
        return (f"{_what(key)} is in use by {who}: one experiment at a time there (policy.concurrency); "
                f"wait for it to end (python -m agent status {other.run_id if other else 'RUN'}) or abort it")
    return None


def release(store: RunStore, run_id: str) -> list[str]:
    """Release the locks ``run_id`` holds (its run has ended); returns the keys released."""
    try:
        keys = store.load(run_id, "locks", LockSet).keys
    except ChaosAdvisorError:
        return []  # it never asked for any (ended before its apply)
    released = []
    for key in keys:
        other = _holder(store, key)
        if other is not None and other.run_id == run_id and store.release(LOCKS, key):
            released.append(key)
    return released


def _holder(store: RunStore, key: str) -> LockHolder | None:
    try:
        return store.load(LOCKS, _holder_doc(key), LockHolder)
    except ChaosAdvisorError:
        return None  # claimed a moment ago, holder not written yet


def _holder_doc(key: str) -> str:
    return "holder-" + key.replace(":", "_").replace("/", "_")


def _what(key: str) -> str:
    kind, _, rest = key.partition(":")
    return f"namespace {rest}" if kind == "ns" else f"service {rest.replace(':', '/')}"
