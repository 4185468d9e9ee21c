"""twin.stamped: sample lines get the twin's virtual time (moved back by the shift); the rest stays."""

from __future__ import annotations

import pytest

from twin.api import Response
from twin.stamped import apply, requested, stamp

TEXT = """# HELP request_duration_seconds Time (in seconds) spent serving HTTP requests.
# TYPE request_duration_seconds histogram
request_duration_seconds_bucket{service="carts",route="/carts/{customerId:.*}/items",le="0.005"} 12.0
request_duration_seconds_count{odd="a } b \\" c",status_code="200"} 40
up_like 1

container_memory_working_set_bytes{container="carts",pod="carts-1"} 1.5e+08 1800000000000
"""


def test_every_sample_line_gets_the_virtual_time_in_ms_and_comments_stay() -> None:
    out = stamp(TEXT, now_s=1_800_000_100.25, shift_s=100.0).splitlines()
    assert out[0] == "# HELP request_duration_seconds Time (in seconds) spent serving HTTP requests."
    assert out[1] == "# TYPE request_duration_seconds histogram"
    # a brace inside a label value (Spring's route pattern) is not the end of the label set
    assert out[2] == ('request_duration_seconds_bucket{service="carts",route="/carts/{customerId:.*}/items",'
                      'le="0.005"} 12.0 1800000000250')
    # an escaped quote and a space inside a value neither
    assert out[3] == 'request_duration_seconds_count{odd="a } b \\" c",status_code="200"} 40 1800000000250'
    assert out[4] == "up_like 1 1800000000250"
    assert out[5] == ""


def test_a_line_with_its_own_timestamp_keeps_it_on_the_shifted_timeline() -> None:
    out = stamp(TEXT, now_s=1_800_000_500.0, shift_s=100.0).splitlines()
    # cAdvisor's lingering series: its own time, moved back by the same 100 s, not the twin's now
    assert out[6] == 'container_memory_working_set_bytes{container="carts",pod="carts-1"} 1.5e+08 1799999900000'


def test_without_a_shift_the_stamp_is_the_virtual_now() -> None:
    assert stamp("x 1\n", now_s=12.5) == "x 1 12500\n"


def test_a_malformed_sample_line_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unterminated label set"):
        stamp('x{a="b} 1\n', now_s=1)
    with pytest.raises(ValueError, match="not a sample line"):
        stamp("x 1 2 3\n", now_s=1)


@pytest.mark.parametrize(("path", "query", "expected"), [
    ("/metrics/sock-shop/carts", {"timestamps": "virtual", "shift_s": "39600.5"}, 39600.5),
    ("/metrics/cadvisor", {"timestamps": "virtual"}, 0.0),
    ("/metrics", {"timestamps": "virtual", "shift_s": "-3"}, -3.0),
    ("/metrics/cadvisor", {}, None),  # not asked: served as it is
    ("/api/v1/pods", {"timestamps": "virtual"}, None),  # not an exposition
    ("/metricsx", {"timestamps": "virtual"}, None),
])
def test_requested_reads_the_scrape_parameters(path: str, query: dict[str, str], expected: float | None) -> None:
    assert requested("GET", path, query) == expected


@pytest.mark.parametrize(("query", "message"), [
    ({"timestamps": "real"}, "timestamps='real': the only choice is 'virtual'"),
    ({"timestamps": "virtual", "shift_s": "ten"}, "shift_s='ten': expected a number of seconds"),
    ({"timestamps": "virtual", "shift_s": "nan"}, "shift_s='nan': expected a number of seconds"),
    ({"timestamps": "virtual", "shift_s": "inf"}, "shift_s='inf': expected a number of seconds"),
])
def test_bad_parameters_are_refused_with_the_value(query: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as e:
        requested("GET", "/metrics/cadvisor", query)
    assert message in str(e.value)


def test_only_a_successful_text_exposition_is_stamped() -> None:
    text = Response(200, "x 1\n", "text/plain; version=0.0.4; charset=utf-8")
    assert apply(text, now_s=2.0, shift_s=1.0).body == "x 1 1000\n"
    actuator = Response(200, '{"status": "UP"}', "application/json")  # queue-master's: left for the scrape to fail
    assert apply(actuator, now_s=2.0, shift_s=1.0) is actuator
    missing = Response(404, {"kind": "Status"})
    assert apply(missing, now_s=2.0, shift_s=1.0) is missing
