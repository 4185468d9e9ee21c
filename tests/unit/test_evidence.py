"""Numbers in prose against the evidence: what counts as a number, and when it matches."""

from __future__ import annotations

import pytest

from agent.report.number_check import Evidence, check, numbers_in, sentences, supported, unsupported


def evidence(text: str) -> Evidence:
    found = numbers_in(text)
    return Evidence(text=text, tokens=0, values=tuple(x.value for x in found if not x.stamp),
                    stamps=frozenset(x.text for x in found if x.stamp))


EVIDENCE = evidence(
    '{"type": "signal", "service": "web", "signal": "error rate", "unit": "%", "baseline": 0.5, '
    '"peak": 23.4, "peak_at": "T+10s", "end": 0.6}\n'
    '{"type": "signal", "service": "api", "signal": "p95 latency", "unit": "ms", "baseline": 20, '
    '"peak": 945, "peak_at": "T-5s", "end": 1500}\n'
    '{"type": "recovery", "predicted_s": 30, "observed_s": 120, "verdict": "refuted"}\n'
    '{"type": "event", "t": "T+45s", "kind": "recovered", "detail": "back at 12:00:45"}'
)


def texts(text: str) -> list[tuple[str, float, int, str]]:
    return [(x.text, x.value, x.decimals, x.unit) for x in numbers_in(text)]


def test_numbers_units_and_relative_times_are_read() -> None:
    assert texts("web peaked at 23.4% at T+10s, 945 ms, 1,500 ms and 0.9 s; 46x; 512 MiB; 300m") == [
        ("23.4%", 23.4, 1, "%"), ("T+10s", 10.0, 0, "Ts"), ("945 ms", 945.0, 0, "ms"),
        ("1,500 ms", 1500.0, 0, "ms"), ("0.9 s", 0.9, 1, "s"), ("46x", 46.0, 0, "x"),
        ("512 MiB", 512.0, 0, "mib"), ("300m", 300.0, 0, "m"),
    ]
    assert texts("50 percent after 2 minutes, T - 5 s") == [
        ("50 percent", 50.0, 0, "%"), ("2 minutes", 2.0, 0, "min"), ("T - 5 s", 5.0, 0, "Ts")]


def test_digits_inside_names_are_not_numbers() -> None:
    assert texts("p95 of api-2 and db_1 on k8s v1.2 returned 5xx; carts-db stayed up") == []


def test_number_words_are_numbers() -> None:
    assert texts("forty-five seconds later, fourteen services") == [
        ("forty-five seconds", 45.0, 0, "s"), ("fourteen", 14.0, 0, "")]


def test_dates_and_clock_times_are_read_whole() -> None:
    found = numbers_in("at 12:00:45 on 2026-11-26")
    assert [(x.text, x.stamp) for x in found] == [("12:00:45", True), ("2026-11-26", True)]


@pytest.mark.parametrize("written", ["23.4%", "23.40%", "23%", "23.4 percent", "T+10s", "10 s", "0.5%", "0.6",
                                     "945 ms", "0.9 s", "1 s", "1,500 ms", "1.5 s", "2 minutes", "120 s",
                                     "T+5s", "forty-five seconds", "12:00:45", "30 s"])
def test_numbers_in_the_evidence_match_whatever_their_format(written: str) -> None:
    (number,) = numbers_in(written)
    assert supported(number, EVIDENCE), written


@pytest.mark.parametrize("written", ["23.5%", "23.43%", "22%", "46x", "200 ms", "0.8 s", "T+11s", "3 minutes",
                                     "12:00:05", "2026-11-26", "fifty", "4th", "7"])
def test_numbers_not_in_the_evidence_do_not_match(written: str) -> None:
    (number,) = numbers_in(written)
    assert not supported(number, EVIDENCE), written


def test_small_bare_integers_pass_but_not_measurements() -> None:
    assert unsupported("Run api with 2 replicas, step 1, minAvailable: 3, one pod.", EVIDENCE) == []
    assert unsupported("It showed 2% errors at T+2s, 0.3% later", EVIDENCE) == ["2%", "T+2s", "0.3%"]


def test_sentences_split_on_ends_and_lines_not_on_decimals() -> None:
    assert sentences("Web peaked at 23.4%. It recovered, e.g. at T+45s.\n\n- api p95 hit 945 ms!") == [
        ["Web peaked at 23.4%.", "It recovered, e.g. at T+45s."], ["- api p95 hit 945 ms!"]]


def test_check_drops_only_the_sentences_with_invented_numbers() -> None:
    text = ("Web's error rate rose from 0.5% to 23.4% at T+10s. That is 46 times the baseline. "
            "Recovery took 120 s against 30 s predicted.\nNothing else moved.")
    checked = check(text, EVIDENCE)
    assert checked.dropped == ["That is 46 times the baseline."]
    assert checked.kept == ("Web's error rate rose from 0.5% to 23.4% at T+10s. "
                            "Recovery took 120 s against 30 s predicted.\nNothing else moved.")
    assert check("It peaked at 99.9%. Then 12:00:05.", EVIDENCE).kept == ""
