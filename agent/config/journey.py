"""The ``journey`` section of stack.yaml: the user-journey probe (``agent.run.journey``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Journey(BaseModel):
    """During a run (baseline, chaos, recovery watch) the agent requests the edge's pages itself
    and reports the failover time in milliseconds and the share of failed requests."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        None, description="request the pages during every run; default (unset): on with --twin, off on a cluster")
    url: str | None = Field(
        None, description="the edge's base URL, e.g. http://front-end.sock-shop.svc; default with --twin: "
        "the twin's service proxy of the stack's edge (a target_services entry with tier: edge, else front-end)")
    paths: list[str] = Field(
        ["/", "/catalogue", "/cart"], min_length=1, max_length=10,
        description="pages requested each round (Sock Shop's home, catalogue and cart)")
    rate_hz: float = Field(
        2.0, ge=2, le=10, description="rounds per second of the run's clock; at least 2, so a failover is known to ± 0.5 s")
    timeout_s: float = Field(2.0, gt=0, le=30, description="per request; no answer within it is a failed request")
    max_in_flight: int = Field(
        8, ge=1, le=64, description="requests waiting for an answer at once; a round finding them all busy is skipped")
    max_requests: int = Field(
        20_000, ge=1, le=1_000_000, description="the probe stops sending after this many (2 Hz x 3 pages is 6 a second)")

    @field_validator("paths")
    @classmethod
    def _paths(cls, paths: list[str]) -> list[str]:
        for p in paths:
            if not p.startswith("/") or len(p) > 200 or any(c.isspace() for c in p):
                raise ValueError(f"{p!r} is not a path; write each as it follows the base URL, e.g. '/catalogue'")
        return paths

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
            raise ValueError(f"{url!r} is not an http(s) URL; e.g. http://front-end.sock-shop.svc")
        return url.rstrip("/") if url else url
