"""Which chaos engine runs a spec that does not name one (``engines:`` in stack.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.config.sections import Section


class Engines(Section):
    """The chaos engines the agent drives (``agent.engines.backend``); a spec's ``chaos_engine`` wins."""

    default: Literal["litmus", "chaos-mesh"] = Field(
        "litmus", description="the engine of designed specs that name none: litmus (every fault) or chaos-mesh "
        "(pod, network and stress faults); the policy refuses an engine the cluster lacks")
