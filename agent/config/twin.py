"""The ``twin`` section of stack.yaml: the embedded Sock Shop twin that ``--twin`` runs on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TwinMetricsSource = Literal["auto", "prometheus", "model"]


class Twin(BaseModel):
    """How ``--twin`` runs and where their signals come from."""

    model_config = ConfigDict(extra="forbid")

    speed: float = Field(20.0, gt=0, description="virtual seconds per real second in demos (20: the private Prometheus scrapes about once a monitor tick)")
    seed: int = 42
    url: str | None = Field(
        None, description="attach --twin runs to a twin already serving here (python -m agent twin) "
        "instead of starting one in-process; env CHAOS_ADVISOR_TWIN__URL"
    )
    metrics: TwinMetricsSource = Field(
        "auto", description="where --twin reads signals: prometheus (a private Prometheus scraping the twin, read "
        "with the stack's PromQL, as on a cluster), model (the twin's own signal model, no Prometheus: quicker), "
        "auto (prometheus when the binary is on PATH, else model, said once on stderr); "
        "env CHAOS_ADVISOR_TWIN__METRICS"
    )
