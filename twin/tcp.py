"""What packet loss does to a TCP exchange, as its caller sees it: delay first, failure last.

Lost (or corrupted, hence dropped) segments are retransmitted after the retransmission timeout
(Linux: at least 200 ms, doubling on each retry), so a lossy peer makes its callers slow; a call
fails only when every try of a segment is lost (the SYN is tried 1 + tcp_syn_retries = 7 times).
The server side never sees a lost request at all. Used for the callers' view in `model.served`.
"""

from __future__ import annotations

import math

RTO_MS = 200.0  # Linux TCP_RTO_MIN
TRIES = 7  # 1 + net.ipv4.tcp_syn_retries (6)
SEGMENTS = 4  # SYN, request, response, ACK: the segments one short call needs
QUANTILE = 0.95


def failing(loss: float) -> float:
    """Share of calls that fail outright when each segment is lost with probability `loss`."""
    return loss**TRIES


def delay_ms(loss: float) -> float:
    """Delay retransmissions add to the 95th-percentile call (0 when fewer than 5 % of calls lose a
    segment, nothing to add for calls that fail anyway at loss 1)."""
    if loss >= 1.0 or 1 - (1 - loss) ** SEGMENTS < 1 - QUANTILE:
        return 0.0
    retries = 1 if loss <= 0.3 else min(TRIES - 1, math.ceil(math.log(1 - QUANTILE) / math.log(loss)))
    return RTO_MS * (2**retries - 1)  # 200, 400, 800, ... ms waited in turn
