"""The policy in force now, and the kill switch that overrides it.

:class:`LivePolicy` implements :class:`agent.ports.PolicySource`: each call reads stack.yaml
again (so a long-lived ``slack serve`` meets a policy narrowed an hour ago) and the kill switch
from the state backend (so ``python -m agent freeze`` on one replica stops applies on all).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from agent.config import Policy, Settings, load_settings
from agent.config.clusters import settings_for
from agent.errors import ConfigError
from agent.models import KillSwitch
from agent.ports import RunStore


class LivePolicy:
    """The policy of ``settings.source`` as it is now, frozen when the kill switch is on.

    While the file still reads as it did when ``settings`` were loaded from it (however long
    ago: a ``slack serve`` up for days), ``settings.policy`` is the policy (with whatever the
    process was given on top of the file); once the file changed, the file's.
    """

    def __init__(self, settings: Settings, store: RunStore) -> None:
        self._settings = settings
        self._store = store

    def _changed(self) -> bool:
        source, loaded = self._settings.source, self._settings.source_sha256
        if source is None or loaded is None:
            return False
        try:
            now = hashlib.sha256(source.read_bytes()).hexdigest()
        except OSError as e:
            raise ConfigError(f"{source}: cannot read it now ({e.strerror})") from None
        return now != loaded

    def current(self) -> Policy:
        policy = self._settings.policy
        if self._changed():
            assert self._settings.source is not None
            fresh = load_settings(self._settings.source)  # narrowed to this cluster again, if it is one of several
            policy = settings_for(fresh, self._settings.cluster).policy if self._settings.cluster else fresh.policy
        if self._store.kill_switch().on:
            policy = policy.model_copy(update={"frozen": True})
        return policy


def set_kill_switch(store: RunStore, *, on: bool, by: str, at: datetime, reason: str = "") -> KillSwitch:
    """Turn the kill switch on or off for every replica sharing ``store``; returns what was set."""
    switch = KillSwitch(on=on, by=by, at=at, reason=reason)
    store.set_kill_switch(switch)
    return switch
