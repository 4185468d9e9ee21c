"""The policy in force now, and the kill switch that overrides it.

:class:`LivePolicy` implements :class:`agent.ports.PolicySource`: each call reads stack.yaml
again (so a long-lived ``slack serve`` meets a policy narrowed an hour ago) and the kill switch
from the state backend (so ``python -m agent freeze`` on one replica stops applies on all).
"""

from __future__ import annotations

from datetime import datetime

from agent.config import Policy, Settings, load_settings
from agent.errors import ConfigError
from agent.models import KillSwitch
from agent.ports import RunStore


class LivePolicy:
    """The policy of ``settings.source`` as it is now, frozen when the kill switch is on.

    While the file still reads as it did when this was built, ``settings.policy`` is the policy
    (with whatever the process was given on top of the file); once the file changed, the file's.
    """

    def __init__(self, settings: Settings, store: RunStore) -> None:
        self._settings = settings
        self._store = store
        self._loaded = self._text()

    def _text(self) -> bytes | None:
        source = self._settings.source
        if source is None:
            return None
        try:
            return source.read_bytes()
        except OSError as e:
            raise ConfigError(f"{source}: cannot read it now ({e.strerror})") from None

    def current(self) -> Policy:
        policy = self._settings.policy
        if self._text() != self._loaded:
            assert self._settings.source is not None
            policy = load_settings(self._settings.source).policy
        if self._store.kill_switch().on:
            policy = policy.model_copy(update={"frozen": True})
        return policy


def set_kill_switch(store: RunStore, *, on: bool, by: str, at: datetime, reason: str = "") -> KillSwitch:
    """Turn the kill switch on or off for every replica sharing ``store``; returns what was set."""
    switch = KillSwitch(on=on, by=by, at=at, reason=reason)
    store.set_kill_switch(switch)
    return switch
