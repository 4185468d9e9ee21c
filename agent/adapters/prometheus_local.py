"""A private Prometheus scraping the Sock Shop twin, so ``--twin`` reads its signals through PromQL.

With ``twin.metrics: prometheus`` (or ``auto`` and ``prometheus`` on PATH) a ``--twin`` command
starts the binary on 127.0.0.1 with its config and TSDB in a temporary directory, scraping the
twin as Sock Shop's own monitoring scrapes a cluster (``prometheus_scrape``), and reads every signal
with the production queries (:class:`~agent.adapters.prometheus.PrometheusMetrics`). The process
starts at the first read (a command that reads no signal starts none), which then waits until every
target was scraped once (~5 s: Prometheus hands new targets to its scrapers every 5 s). It stops
when the command ends, on Ctrl-C too (the finally of :func:`local_prometheus`), and when the agent
is SIGKILLed (Linux's parent-death signal); its directory under ``<paths.state_dir>/prometheus/``
goes with it, except after a SIGKILL.

Time. The twin's clock is virtual while Prometheus keeps the wall clock, so every scrape asks the
twin to stamp its samples on the virtual clock (``twin.stamped``), moved back by a shift fixed at
start that puts the run ``LAG_S`` behind the wall clock: Prometheus 2.42 drops samples more than
~10 min ahead of its clock (measured: +550 s kept, +700 s dropped) and those more than half a head
block behind its newest one (``up``, stamped in wall time), so the head block is widened to
``BLOCK``. A run may then span ~11 h of virtual time; beyond, samples are dropped, signals go
missing and the monitor aborts after ``metrics_grace_s`` (fail-safe). Queries ask at the run's time
minus the shift (:class:`~agent.adapters.prometheus.Timeline`); ``rate()`` windows count virtual
seconds, and ``--query.lookback-delta`` is five monitor ticks of it (10 s at 2 s), so a series that
stops being exposed is gone within a few scrapes (timestamped samples get no staleness marker;
cAdvisor's lingering series linger that long, not upstream's 5 minutes).

Freshness. The agent moves the twin's clock in jumps (a monitor tick), at any pace (tests: at
once), while Prometheus scrapes every ``INTERVAL`` of wall time, so a read waits until every target
was scraped at most two ticks of the twin's clock ago (:class:`ScrapedMetrics`): at demo speed
(20) one scrape interval is about a tick, so it seldom waits; in tests it waits one interval.
The range read steps two ticks, the resolution that guarantees. ``rate()`` windows are
``WINDOW_TICKS`` ticks (10 s at 2 s), not the stack's ``window`` (1m suits a cluster scraped every
15 s, and would smear an 8 s outage over a minute). The first read also lets one window of the
twin's clock pass, scraped tick by tick, so the first ``rate()`` is whole (a cluster's Prometheus
has history; this one starts with the command).

Errors: :class:`~agent.errors.MetricsUnavailable` when the process exits or no scrape comes within
``START_TIMEOUT_S`` (the run then refuses to start, or aborts after ``metrics_grace_s``).
"""

from __future__ import annotations

import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from agent.adapters.prometheus import PrometheusMetrics, Timeline
from agent.adapters.prometheus_scrape import scrape_config, twin_services
from agent.config import Prometheus
from agent.errors import MetricsUnavailable
from agent.models import Signals
from agent.models.history import MetricsRange
from agent.ports import Clock

INTERVAL = "100ms"  # scrape interval and timeout, wall time: 2 s of the twin's clock at speed 20, a monitor tick
WINDOW_TICKS = 5  # rate() window in monitor ticks: ≥ 3 scrapes even when a read lags two ticks
LAG_S = 11 * 3600.0  # where the run starts on Prometheus's axis, behind its wall clock
BLOCK = "24h"  # head block: samples up to half of it behind the newest are kept
START_TIMEOUT_S = 30.0  # to a first scrape of every target (Prometheus takes ~5 s)
SCRAPED_TIMEOUT_S = 10.0  # for a scrape after a read began
POLL_S = 0.02
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def installed() -> str | None:
    """The ``prometheus`` binary on PATH, or None."""
    return shutil.which("prometheus")


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs before exec on Linux: SIGTERM when its parent thread (the keeper, alive
    while we use it) dies, so an agent killed with SIGKILL leaves no Prometheus behind. prctl is
    looked up here, before the fork, so the child makes one libc call and nothing else."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return child


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class LocalPrometheus:
    """One ``prometheus`` process scraping the twin at ``twin_url``; see the module docstring.

    Args:
        binary: The executable.
        twin_url: The twin's base URL.
        clock: The run's clock (the twin's virtual one).
        lookback_s: ``--query.lookback-delta``, seconds of the run's clock.
        root: Where its temporary directory (config, TSDB, log) is made.
    """

    def __init__(self, binary: str, twin_url: str, clock: Clock, *, lookback_s: float, root: Path,
                 scheme: str = "manifests-monitoring") -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        self._binary, self._twin, self._clock, self._lookback_s = binary, twin_url.rstrip("/"), clock, lookback_s
        self._scheme = scheme
        self._root = root
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._released = threading.Event()  # lets the keeper thread end, once the process is stopped
        self._up = False
        self.shift_s = 0.0

    @property
    def started(self) -> bool:
        return self._dir is not None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Write the config and start the process (returns at once; :meth:`wait_up` waits)."""
        # whole seconds: range queries ask at whole seconds (prometheus-api-client rounds), so ticks stay aligned
        self.shift_s = float(round(self._clock.now().timestamp() - time.time() + LAG_S))
        config = scrape_config(self._twin, twin_services(self._twin), interval=INTERVAL, shift_s=self.shift_s,
                               scheme=self._scheme)
        self._root.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix="chaos-advisor-prometheus-", dir=self._root))
        (self._dir / "prometheus.yml").write_text(config)
        argv = [self._binary, f"--config.file={self._dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self._dir / 'data'}", f"--web.listen-address={self.url[7:]}",
                f"--query.lookback-delta={round(self._lookback_s * 1000)}ms",
                f"--storage.tsdb.min-block-duration={BLOCK}", f"--storage.tsdb.max-block-duration={BLOCK}",
                "--log.level=error"]
        spawned, log_path = threading.Event(), self._dir / "prometheus.log"
        failed: list[OSError] = []

        def keep() -> None:  # the process's parent thread: Linux's parent-death signal follows it
            try:
                with log_path.open("wb") as log:
                    self._process = subprocess.Popen(  # noqa: S603 - our own argv
                        argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True,  # Ctrl-C reaches the agent, which stops it after the run's own stop
                        preexec_fn=_die_with_parent(),  # noqa: PLW1509 - one libc call between fork and exec
                    )
            except OSError as e:
                failed.append(e)
            finally:
                spawned.set()
            self._released.wait()

        threading.Thread(target=keep, name="prometheus-keeper", daemon=True).start()
        spawned.wait()
        if failed:
            raise MetricsUnavailable(f"cannot start {self._binary}: {failed[0]}")

    def stop(self) -> None:
        """Stop the process and remove its directory."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._released.set()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def wait_up(self) -> None:
        """Once: wait until every target has been scraped (up or not: queue-master's scrape fails
        on a cluster too)."""
        if not self._up:
            self.wait_scraped(since=0.0, timeout_s=START_TIMEOUT_S)
            self._up = True

    def wait_scraped(self, *, since: float, timeout_s: float = SCRAPED_TIMEOUT_S) -> None:
        """Wait until every target's last scrape began after ``since`` (epoch seconds, wall clock)."""
        deadline = time.monotonic() + timeout_s
        while True:
            last = self._last_scrapes()
            if last and min(last) > since:
                return
            if time.monotonic() > deadline:
                raise MetricsUnavailable(f"Prometheus at {self.url}: the twin was not scraped within {timeout_s:g} s"
                                         f"{self._log_tail()}")
            time.sleep(POLL_S)  # polling a condition of another process

    def _last_scrapes(self) -> list[float]:
        if self._process is None or self._process.poll() is not None:
            raise MetricsUnavailable(f"Prometheus at {self.url} is not running{self._log_tail()}")
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/targets?state=active", timeout=2) as answer:  # noqa: S310
                targets = json.loads(answer.read())["data"]["activeTargets"]
            return [datetime.fromisoformat(t["lastScrape"]).timestamp() for t in targets]
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError):
            return []  # not serving yet

    def _log_tail(self) -> str:
        log = self._dir / "prometheus.log" if self._dir is not None else None
        text = log.read_text(errors="replace").strip()[-500:] if log is not None and log.exists() else ""
        return f" ({text})" if text else ""


class ScrapedMetrics:
    """Implements :class:`agent.ports.RangeMetrics`: the production queries on the private
    Prometheus, each read over scrapes no older than ``max_lag_s`` of the run's clock, and the first
    one after ``warmup_s`` of history (see the module docstring).

    Why the lag is tracked: each read notes (wall time, run time); a scrape that began after a
    noted wall time saw at least that run time, so a read waits only for scrapes after the first
    noted moment within ``max_lag_s`` of now (at demo speed, usually none; when the clock jumps
    without real time passing, as in tests, one scrape interval).
    """

    def __init__(self, local: LocalPrometheus, metrics: PrometheusMetrics, clock: Clock, *, max_lag_s: float,
                 warmup_s: float, step_s: float, range_step_s: float) -> None:
        self.local, self.metrics, self._clock = local, metrics, clock
        self._max_lag_s, self._warmup_s, self._step_s, self._range_step_s = max_lag_s, warmup_s, step_s, range_step_s
        self._seen: list[tuple[float, float]] = []  # (wall time, run time) at each read, oldest first
        self._warm = False

    def describe(self, namespace: str, service: str, signal: str) -> str:
        return self.metrics.describe(namespace, service, signal)

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        self._warm_up()
        self._fresh()
        return self.metrics.read(namespace, services)

    def ready(self) -> PrometheusMetrics:
        """The queries once Prometheus is up, warm and freshly scraped (the doctor reads its presets so)."""
        self._warm_up()
        self._fresh()
        return self.metrics

    def range(self, namespace: str, services: list[str], start: datetime, end: datetime) -> MetricsRange:
        self._started()
        return self.metrics.range(namespace, services, start, end)

    def _started(self) -> None:
        """Start Prometheus on first use (a command that reads no signal starts none), put the
        queries on its time axis, and wait until it has scraped every target."""
        if not self.local.started:
            self.local.start()
            self.metrics.timeline = Timeline(self._clock, shift_s=self.local.shift_s, step_s=self._range_step_s)
        self.local.wait_up()

    def _fresh(self) -> None:
        """Wait for scrapes no older than ``max_lag_s`` of the run's clock."""
        wall, run = time.time(), self._clock.now().timestamp()
        self._seen = [(w, r) for w, r in self._seen if r >= run - self._max_lag_s] + [(wall, run)]
        self.local.wait_scraped(since=self._seen[0][0])

    def _warm_up(self) -> None:
        """Once: let ``warmup_s`` of the run's clock pass in monitor-tick steps, scraped as reads are,
        so the first ``rate()`` window is full and as densely sampled as the ones after it (a
        cluster's Prometheus has history; this one starts with the command)."""
        if self._warm:
            return
        self._started()
        steps = max(1, round(self._warmup_s / self._step_s))
        for _ in range(steps):
            self._clock.sleep(self._warmup_s / steps)
            self._fresh()
        self._warm = True


@contextmanager
def local_prometheus(binary: str, twin_url: str, clock: Clock, settings: Prometheus, *,
                     poll_s: float, root: Path) -> Iterator[ScrapedMetrics]:
    """A private Prometheus over the twin for the block; ``settings``: the stack's queries (its
    ``url`` replaced); ``poll_s``: the monitor's tick, which sizes the lookback and the range step;
    ``root``: where its temporary directory goes (removed after; left behind only by a SIGKILL)."""
    local = LocalPrometheus(binary, twin_url, clock, lookback_s=max(5 * poll_s, 10.0), root=root,
                            scheme=settings.preset)  # labelled as the stack's preset expects
    window_s = WINDOW_TICKS * poll_s  # this Prometheus scrapes about once a tick: the stack's window is a cluster's
    try:
        # its timeline: at start
        metrics = PrometheusMetrics(settings.model_copy(update={"url": local.url, "window": f"{window_s:g}s"}))
        # reads lag at most two ticks, so that is the resolution the range read claims
        yield ScrapedMetrics(local, metrics, clock, max_lag_s=2 * poll_s, warmup_s=window_s,
                             step_s=poll_s, range_step_s=2 * poll_s)
    finally:
        local.stop()
