"""The run's result as JUnit XML (``--junit PATH``), as Jenkins' xUnit plugin reads it (its junit-10.xsd).

Three suites: ``run``, one test case for the verdict, failing exactly when the exit code says
so (refuted, aborted, refused, rejected; an error for a failed run; skipped when inconclusive,
stopped by a person or waiting); ``steady state``, what the verdict rests on; and ``hypothesis``,
the spec's predictions, graded (a wrong prediction fails its case but not the run). One test case
per check; a failed check is a ``<failure>`` whose message carries the numbers, an unmeasured one
is ``<skipped>``. Times are seconds of the run's clock (experiment time; the twin's is virtual): a
check's case spans the samples it read, a suite the span of its cases, the run's case from the
injection to the last sample read (0 when nothing was measured).

Written with the standard library's ElementTree: the format is a handful of elements, escaping is
ElementTree's, and the tests hold the output against the XSD and read it back with junitparser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agent.report.result import Check, RunResult

# How a run that measured nothing shows as its single test case: passed, failed or skipped.
_ENDING = {"held": "passed", "refuted": "failure", "dry_run": "passed", "failed": "error", "refused": "failure", "rejected": "failure",
           "waiting": "skipped", "aborted": "failure", "stopped": "skipped", "inconclusive": "skipped",
           "false_alarm": "failure"}


def render(result: RunResult) -> str:
    """The JUnit XML document (UTF-8, the same text for the same result)."""
    root = ET.Element("testsuites", name=f"chaos-advisor run {result.run_id}")
    title = str((result.spec or {}).get("title") or result.run_id)
    _ending_suite(root, result, title)
    for name, checks in (("steady state", result.steady_state), ("hypothesis", result.hypothesis)):
        if checks:
            _suite(root, result, f"{title}: {name}", name.replace(" ", "_"), checks)
    totals = [s for s in root if s.tag == "testsuite"]
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in totals)))
    root.set("time", next(s.get("time", "0") for s in totals if s.get("id") == "run"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, result: RunResult, name: str, classname: str, checks: list[Check]) -> None:
    suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(checks)),
                          failures=str(sum(c.verdict == "failed" for c in checks)), errors="0",
                          skipped=str(sum(c.verdict == "not measured" for c in checks)), time=_seconds(_span(checks)),
                          id=classname)
    for c in checks:
        case = ET.SubElement(suite, "testcase", name=c.name, classname=f"chaos.{classname}", time=_seconds(_span([c])))
        if c.verdict == "failed":
            ET.SubElement(case, "failure", type=classname, message=c.message).text = _details(c)
        elif c.verdict == "not measured":
            ET.SubElement(case, "skipped", message=c.message)
        else:
            ET.SubElement(case, "system-out").text = f"{c.message}\n{_details(c)}"


def _ending_suite(root: ET.Element, result: RunResult, title: str) -> None:
    kind = _ENDING.get(result.verdict, "skipped")
    failed = [c.message for c in result.steady_state if c.verdict == "failed"]
    why = "; ".join(failed) if result.verdict in ("refuted", "false_alarm") and failed else result.reason or result.outcome or ""
    message = f"{result.verdict} (exit {result.exit_code})" + (f": {why}" if why else "")
    ends = [c.window.to_s for c in result.steady_state + result.hypothesis if c.window.to_s is not None]
    watched = _seconds(max(ends, default=0.0))
    suite = ET.SubElement(root, "testsuite", name=f"{title}: run", tests="1", failures=str(int(kind == "failure")),
                          errors=str(int(kind == "error")), skipped=str(int(kind == "skipped")), time=watched, id="run")
    _properties(suite, result)
    case = ET.SubElement(suite, "testcase", name="run", classname="chaos.run", time=watched)
    if kind != "passed":
        attrs: dict[str, str] = {"message": message} | ({"type": str(result.verdict)} if kind != "skipped" else {})
        ET.SubElement(case, kind, attrs)
    else:
        ET.SubElement(case, "system-out").text = message


def _properties(suite: ET.Element, result: RunResult) -> None:
    props = ET.SubElement(suite, "properties")
    pairs = [("run_id", result.run_id), ("verdict", result.verdict), ("exit_code", str(result.exit_code)),
             ("outcome", result.outcome or ""), ("plan_hash", result.plan_hash or "")]
    if result.approval:
        pairs += [("approver", result.approval.approver), ("approved_at", result.approval.at.isoformat())]
    if result.abort_reason:
        pairs.append(("abort_reason", result.abort_reason))
    if result.confounders is not None:  # a finding on a service one of them moved is not the fault's alone
        pairs += [("confounders", str(len(result.confounders.found))),
                  *((f"confounder.{i}", f"{c.kind}: {c.detail}") for i, c in enumerate(result.confounders.found, 1))]
    for name, value in pairs:
        ET.SubElement(props, "property", name=name, value=value)


def _span(checks: list[Check]) -> float:
    """Seconds from the first sample any of ``checks`` read to the last (0 when none read one)."""
    starts = [c.window.from_s for c in checks if c.window.from_s is not None]
    ends = [c.window.to_s for c in checks if c.window.to_s is not None]
    return max(0.0, max(ends) - min(starts)) if starts and ends else 0.0


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.3f}"  # junit-10.xsd's SUREFIRE_TIME: at most 3 decimals, no sign


def _details(c: Check) -> str:
    """The check's numbers in full: query, window, baseline, threshold, samples."""
    t = c.threshold
    limit = (f"{t.op} {t.value:g} {t.unit}" if t.value is not None and t.op != "near" else
             f"{t.op} {t.value:g} {t.unit} ({t.low:g}..{t.high:g})" if t.op == "near" and t.value is not None else
             f"within {t.low:g}..{t.high:g} {t.unit}" if t.low is not None and t.high is not None else "-")
    base = (f"mean {c.baseline.mean:g}, band {c.baseline.low:g}..{c.baseline.high:g} over {c.baseline.samples} samples"
            if c.baseline else "-")
    window = (f"T+{c.window.from_s:g}s..T+{c.window.to_s:g}s" if c.window.from_s is not None and c.window.to_s is not None
              else "-")
    points = " ".join(f"{p.t_s:g}s={p.value:g}" for p in c.samples)
    return (f"query: {c.query or '-'}\nwindow: {window}\nbaseline: {base}\nthreshold: {limit}\n"
            f"observed: {'-' if c.observed is None else f'{c.observed:g}'}\nsamples: {points or '-'}")
