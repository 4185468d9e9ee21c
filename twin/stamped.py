"""Sample timestamps on the twin's Prometheus exposition, so a Prometheus keeps the twin's time.

Prometheus stamps a sample without a timestamp with its own (real) scrape time, while the twin's
clock is virtual and runs faster; queried at the run's time, such samples would be in the wrong
place. A scrape that asks for it with query parameters (a scrape config's ``params``) gets every
sample line stamped in milliseconds of the twin's clock instead::

    GET /metrics/sock-shop/carts?timestamps=virtual&shift_s=39600

``shift_s`` (default 0) moves the whole timeline back by that many seconds: Prometheus 2.42 drops
samples more than ~10 minutes ahead of its own clock (measured: +550 s kept, +700 s dropped) or
older than its head block allows, and the twin's clock runs ahead of the wall clock, so whoever
scrapes picks a shift that keeps the run inside that window and queries at ``twin time - shift_s``.
A line that already carries a timestamp (a series the exposition itself dates, e.g. a dead
container's last cAdvisor sample) keeps it, moved by the same shift so the timeline stays one.
Without ``timestamps=virtual`` the exposition is served as it is.
"""

from __future__ import annotations

import math
from dataclasses import replace

from twin.api import Response

PARAM = "timestamps"
SHIFT = "shift_s"


def requested(method: str, path: str, query: dict[str, str]) -> float | None:
    """The shift in seconds when this request asks for virtual timestamps on ``/metrics``; else None.

    Raises:
        ValueError: ``timestamps`` is not ``virtual``, or ``shift_s`` is not a finite number of
            seconds (the message names the parameter and the bad value).
    """
    if method != "GET" or not (path == "/metrics" or path.startswith("/metrics/")) or PARAM not in query:
        return None
    if query[PARAM] != "virtual":
        raise ValueError(f"query parameter {PARAM}={query[PARAM][:40]!r}: the only choice is 'virtual'")
    raw = query.get(SHIFT, "0")
    try:
        shift = float(raw)
    except ValueError:
        shift = math.nan
    if not math.isfinite(shift):
        raise ValueError(f"query parameter {SHIFT}={raw[:40]!r}: expected a number of seconds, e.g. 39600")
    return shift


def apply(response: Response, *, now_s: float, shift_s: float) -> Response:
    """``response`` with its exposition stamped; anything else (an error, queue-master's actuator
    JSON, which Prometheus fails to parse anyway) as it is."""
    if response.code != 200 or not isinstance(response.body, str) or not response.content_type.startswith("text/plain"):
        return response
    return replace(response, body=stamp(response.body, now_s=now_s, shift_s=shift_s))


def stamp(text: str, *, now_s: float, shift_s: float = 0.0) -> str:
    """``text`` (the text format 0.0.4) with each sample line timestamped at ``now_s - shift_s``
    (in ms); comments, blank lines and lines already timestamped (shifted) are kept otherwise."""
    now_ms = round((now_s - shift_s) * 1000)
    shift_ms = round(shift_s * 1000)
    return "".join(_stamp_line(line, now_ms, shift_ms) for line in text.splitlines(keepends=True))


def _stamp_line(line: str, now_ms: int, shift_ms: int) -> str:
    body = line.rstrip("\n")
    if not body.strip() or body.lstrip().startswith("#"):
        return line
    head, rest = _split_labels(body)
    fields = rest.split()
    if len(fields) == 1:  # value only: the twin's now
        return f"{head}{rest.rstrip()} {now_ms}" + line[len(body):]
    if len(fields) == 2:  # value and its own timestamp: keep it, on the shifted timeline
        return f"{head} {fields[0]} {int(fields[1]) - shift_ms}" + line[len(body):]
    raise ValueError(f"not a sample line of the text format: {body[:200]!r}")


def _split_labels(body: str) -> tuple[str, str]:
    """The metric name with its label set, and what follows it (label values may hold spaces,
    braces and escaped quotes, so the end of the set is found by scanning, not by splitting)."""
    brace = body.find("{")
    space = body.find(" ")
    if space < 0:
        raise ValueError(f"not a sample line of the text format: {body[:200]!r}")
    if brace < 0 or space < brace:
        return body[:space], body[space:]
    quoted = escaped = False
    for i in range(brace + 1, len(body)):
        c = body[i]
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = quoted
        elif c == '"':
            quoted = not quoted
        elif c == "}" and not quoted:
            return body[: i + 1], body[i + 1 :]
    raise ValueError(f"unterminated label set: {body[:200]!r}")
