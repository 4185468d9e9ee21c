"""The sections of stack.yaml: what the stack is (``k8s``) and how the agent may act on it.

Each section is a pydantic model that forbids unknown keys; :class:`agent.config.Settings` holds
one of each. Defaults describe the upstream Sock Shop and a cautious policy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from agent.config.presets import PresetName, with_preset_labels
from agent.config.twin import Twin as Twin  # the twin section has its own module
from agent.errors import ConfigError
from agent.models import Criticality, Dependency, Fault, Tier
from agent.models.faults import default_actions, high_risk_faults
from agent.models.seed import parse_duration

HIGH_RISK_FAULTS = high_risk_faults()  # the registry's risk "high" faults at import (the guard asks the registry)


class Section(BaseModel):
    """Base of config sections: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class TargetService(Section):
    """A service of the stack (the seed's ``k8s.target_services[]``)."""

    name: str
    namespace: str
    type: str = Field(description="what runs there, e.g. 'java', 'go', 'mongodb'")
    critical: bool = False
    tier: Tier
    criticality: Criticality = "medium"
    store: str | None = Field(None, description="the data store it is, if any, e.g. 'mongodb'")
    selector: dict[str, str] | None = Field(None, description="pod labels; default <k8s.pod_label>=<name>")

    def pod_selector(self, pod_label: str) -> dict[str, str]:
        """The pod labels selecting this service (Sock Shop: ``name=<svc>``; ``k8s.pod_label``,
        not the metrics' service label, which depends on the monitoring setup)."""
        return self.selector or {pod_label: self.name}


class PromQueries(Section):
    """PromQL templates; ``{namespace}``, ``{service}``, ``{label}`` (the service label),
    ``{namespace_label}`` and ``{window}`` are filled in. Defaults: Sock Shop's own series
    (FACTS.md section 3), labelled as the preset says (agent.config.presets). Errors are
    ``or vector(0)``: a service that never failed has no 5xx series, which is 0 %, while no
    traffic at all stays "not measured"; the Go services' own ``/metrics`` scrapes and kubelet
    ``/health`` probes are not users' requests (evidence row 11). ``pod=~`` matches a Deployment's pods
    (``<svc>-<hash>-<suffix>``) and a StatefulSet's (``<svc>-<ordinal>``), not ``<svc>-db-...``."""

    error_rate_pct: str = (
        '100 * (sum(rate(request_duration_seconds_count{{{namespace_label}="{namespace}",'
        '{label}="{service}",status_code=~"5.."}}[{window}])) or vector(0)) / sum(rate('
        'request_duration_seconds_count{{{namespace_label}="{namespace}",{label}="{service}",'
        'route!~"metrics|health"}}[{window}]))'
    )
    latency_p95_ms: str = (
        "1000 * histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket"
        '{{{namespace_label}="{namespace}",{label}="{service}",route!~"metrics|health"}}[{window}])))'
    )
    cpu_millicores: str = (
        '1000 * sum(rate(container_cpu_usage_seconds_total{{namespace="{namespace}",'
        'pod=~"{service}-[a-z0-9]{{6,10}}-[a-z0-9]{{5}}|{service}-[0-9]+",container!="",'
        'container!="POD"}}[{window}]))'
    )
    memory_mib: str = (  # max by container: a killed container's series lingers beside the new one (cAdvisor
        # stamps its samples, so no staleness marker) and a plain sum would count both (evidence row 7)
        'sum(max by (pod, container) (container_memory_working_set_bytes{{namespace="{namespace}",'
        'pod=~"{service}-[a-z0-9]{{6,10}}-[a-z0-9]{{5}}|{service}-[0-9]+",container!="",'
        'container!="POD"}})) / 1048576'
    )


class Prometheus(Section):
    url: str = "http://127.0.0.1:9090"
    preset: PresetName = Field("manifests-monitoring", description="the monitoring setup's label scheme "
                               "(agent.config.presets): manifests-monitoring, kube-prometheus or helm")
    service_label: str = Field("name", description="label that names a service on its series; default: the preset's")
    namespace_label: str = Field("kubernetes_namespace", description="label holding the namespace on the "
                                 "application series; default: the preset's (cAdvisor's is always namespace)")
    window: str = Field("1m", description="rate() window of the queries")
    timeout_s: float = Field(5.0, gt=0, description="per query; a slow Prometheus counts as missing")
    kube_state_metrics: bool = Field(
        False, description="read ready/desired replicas from kube-state-metrics (agent.adapters.prometheus_ready); "
        "off: from the Kubernetes API only, which stays the fallback for a target without those series")
    queries: PromQueries = PromQueries()
    calls_query: str | None = Field(
        None, description="PromQL whose series each name a caller and a callee (a service mesh's request metric, "
        "e.g. sum by (source_workload, destination_workload) (rate(istio_requests_total"
        "{{destination_workload_namespace=\"{namespace}\"}}[{window}]))): calls are inferred from it; None: not read",
    )
    @model_validator(mode="before")
    @classmethod
    def _labels_of_preset(cls, data: object) -> object:
        return with_preset_labels(data)  # labels not written in stack.yaml come from the preset

    caller_label: str = Field("source_workload", description="label of calls_query naming the calling workload")
    callee_label: str = Field("destination_workload", description="label of calls_query naming the called workload")


class Monitoring(Section):
    prometheus: Prometheus = Prometheus()


class K8s(Section):
    """The stack: where it runs, what stack.yaml says of its services and calls.

    ``target_services`` and ``dependencies`` add or override what discovery infers from the
    namespaces; a dependency may name a discovered service, so its names are checked against the
    inventory (``agent.inventory.checks``), not here.
    """

    kubeconfig: str | None = None
    context: str | None = None
    request_timeout_s: float = Field(15.0, gt=0, description="per Kubernetes API request, seconds")
    retry_attempts: int = Field(
        4, ge=1, le=10, description="tries per API call on HTTP 429/5xx, timeouts and refused connections"
    )
    retry_backoff_s: float = Field(0.5, ge=0, le=30, description="first wait between tries; doubles each time")
    retry_backoff_max_s: float = Field(4.0, ge=0, le=60, description="longest wait between tries")
    namespaces: list[str] = ["sock-shop"]
    pod_label: str = Field("name", description="pod label naming a service (default selector of target_services)")
    target_services: list[TargetService] = []
    dependencies: list[Dependency] = []
    monitoring: Monitoring = Monitoring()


class Policy(Section):
    """What the agent may do at all, whatever a designer proposes."""

    namespaces: list[str] = ["sock-shop"]
    actions: list[Fault] = Field(default_factory=default_actions,
                                 description="faults allowed; default: those the fault registry marks default_allowed")
    max_duration_s: int = Field(300, gt=0, le=7 * 86_400, description="longest chaos allowed, seconds (a spec names at most a week)")
    max_pods_affected_perc: int = Field(50, ge=0, le=100)
    max_pods_affected: int = Field(2, ge=1, description="pods one experiment may hit, counted")
    allow_high_risk: bool = Field(False, description="disk-fill and node-drain need this opt-in")
    approvers: list[str] = Field(
        ["cli:*"], description="who may approve: 'cli:<user>', 'slack:<id>', '<channel>:*'"
    )
    frozen: bool = Field(False, description="kill switch: refuse every apply (also `python -m agent freeze`)")
    concurrency: Literal["namespace", "blast-radius"] = Field(
        "namespace", description="one experiment at a time per namespace, or per target and its blast radius"
    )
    approval_ttl_s: int = Field(
        86_400, gt=0, le=30 * 86_400, description="an approval asked for longer ago than this is refused as stale"
    )
    max_abort_error_rate_pct: float = Field(
        50.0, gt=0, lt=100, description="loosest error-rate abort threshold a plan may carry, percent"
    )
    max_abort_latency_ms: float = Field(
        5_000.0, gt=0, lt=10_000,
        description="loosest p95 abort threshold, ms (below the 10 s top bucket of Sock Shop's latency histograms)",
    )
    engine_retention: int = Field(
        86_400, ge=0, description="seconds an ended ChaosEngine of the agent's is kept (its chaos pods and "
        "ChaosResults with it) before `recover` deletes it; written as 24h, 90m, 3600 or '1h30m'; 0 or off: "
        "never deleted. A day: long enough to read an engine's status after a run, short enough that ended "
        "engines do not pile up",
    )

    @field_validator("engine_retention", mode="before")
    @classmethod
    def _retention(cls, value: object) -> object:
        if value == "off" or value is False:
            return 0
        if isinstance(value, str):  # also every environment override
            if value.strip().isdigit():
                return int(value)
            try:
                return parse_duration(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a duration; write 24h, 90m, 3600 (seconds), or off") from None
        return value


class MonitorSettings(Section):
    poll_interval_s: float = Field(
        2.0, gt=0, description="seconds between monitor ticks (down to 1 s; on the twin, seconds of its clock): "
        "the report's timings are known to ± one tick, so 2 s by default; with Prometheus a tick finer than its "
        "scrape interval reads the same value again"
    )
    baseline_window_s: float = Field(30.0, ge=0, description="steady state measured before chaos")
    metrics_grace_s: float = Field(15.0, ge=0, description="abort after this long without metrics")
    cluster_grace_s: float = Field(
        30.0, ge=0, description="abort after this long without an answer from the Kubernetes API"
    )
    overrun_grace_s: float = Field(
        120.0, ge=0, description="stop an engine still running this long after its planned duration "
        "(room for a fault's own post-chaos checks, which run past TOTAL_CHAOS_DURATION)"
    )
    recovery_timeout_s: float = Field(300.0, ge=0, description="watch recovery this long after chaos")
    update_interval_s: float = Field(30.0, gt=0, description="progress notifications, seconds")
    max_ticks: int = Field(500, gt=0, description="hard stop of the monitor loop")
    effect_window_s: float = Field(
        10.0, gt=0, le=600, description="the fault must show an effect (from the cluster and the metrics, not "
        "the engine) over this much experiment time, or the run is inconclusive"
    )
    effect_checks: int = Field(3, ge=3, le=100, description="effect checks over effect_window_s (3 at least)")
    cleanup_timeout_s: float = Field(
        120.0, ge=0, le=3600, description="after a run ends, wait this long for verified cleanup (no active "
        "engine or chaos pods, target Ready, steady state back in band) before listing the leftovers"
    )


class Litmus(Section):
    version: Literal["2.14", "3.x"] = "3.x"
    chaos_service_account: str = "litmus-admin"
    job_cleanup_policy: Literal["delete", "retain"] = "retain"
    probes: bool = Field(True, description="steady-state probes in each engine (promProbe per abort condition with "
                         "Prometheus, httpProbe on the edge): without them Litmus's verdict checks nothing")
    probe_prometheus_url: str | None = Field(
        None, description="Prometheus as the experiment pod reaches it (in-cluster); default k8s.monitoring.prometheus.url"
    )


class Slack(Section):
    """Candidates with buttons, one progress message edited every ``update_interval_s`` and the
    TL;DR in a channel; ``python -m agent slack serve`` takes the clicks and ``/craterctl`` (slack-bolt,
    over HTTP or Socket Mode). Who may click: policy.approvers."""

    enabled: bool = Field(False, description="post to Slack as well as the terminal")
    channel: str = Field("#chaos", description="channel name or id; invite the bot there")
    bot_token: SecretStr | None = Field(None, description="xoxb-... bot token; env CHAOS_ADVISOR_SLACK__BOT_TOKEN")
    signing_secret: SecretStr | None = Field(None, description="verifies callbacks; env CHAOS_ADVISOR_SLACK__SIGNING_SECRET")
    mode: Literal["http", "socket"] = Field(
        "http", description="slack serve: 'http' (a Request URL behind an ingress) or 'socket' (Socket Mode: no ingress)"
    )
    app_token: SecretStr | None = Field(None, description="xapp-... app-level token for mode: socket; env CHAOS_ADVISOR_SLACK__APP_TOKEN")
    update_interval_s: float = Field(30.0, gt=0, description="seconds between edits of the progress message (Slack rate-limits edits)")
    reports_url: str | None = Field(None, description="where reports/ is served (a web console); the TL;DR links <reports_url>/<file>, else names the path")
    base_url: str = Field("https://slack.com/api/", description="Web API root; tests use a loopback server")
    timeout_s: int = Field(5, ge=1, le=60, description="per API call, seconds; short: Slack never holds a run")
    retries: int = Field(2, ge=0, le=5, description="retries of a call failing to connect or with HTTP 5xx")

    def listener_secret(self) -> str:
        """What ``slack serve`` authenticates with in its mode: the signing secret (http) or the
        app-level token (socket); ConfigError naming the setting when it is missing."""
        name = "app_token" if self.mode == "socket" else "signing_secret"
        secret: SecretStr | None = getattr(self, name)
        if secret is None or not secret.get_secret_value().strip():
            where = ("Basic Information > App-Level Tokens, scope connections:write" if self.mode == "socket"
                     else "Basic Information > Signing Secret")
            raise ConfigError(f"slack.{name}: missing, but slack serve (slack.mode: {self.mode}) needs it; set it in "
                              f"stack.yaml or CHAOS_ADVISOR_SLACK__{name.upper()} ({where})")
        return secret.get_secret_value()


class Web(Section):
    """``python -m agent web``, the console: who may write. Reads need no login; every write (approve,
    reject, abort) needs a signed-in user, and an approval also ``web:<user>`` in policy.approvers."""

    token: SecretStr | None = Field(None, description="sign-in token (with a name on the form); env CHAOS_ADVISOR_WEB__TOKEN; none: no token sign-in")
    trust_proxy_header: bool = Field(
        False, description="take the user from X-Forwarded-User (else X-Auth-Request-User), as oauth2-proxy sets them; "
        "only behind a proxy that strips them from clients"
    )
    session_secret: SecretStr | None = Field(None, description="signs session and CSRF cookies; none: a new one each start (sign in again)")
    mermaid_js: str = Field(".tools/mermaid/node_modules/mermaid/dist/mermaid.min.js",
                            description="a local mermaid.min.js that draws report diagrams in the browser; missing: their source is shown")


class LLM(Section):
    enabled: bool = Field(False, description="design (and narrate) with a model; else the planner")
    model: str = "gpt-4o-mini"
    temperature: float = Field(0.2, ge=0, le=2)
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; env OPENAI_BASE_URL")
    api_key: SecretStr | None = Field(None, description="env OPENAI_API_KEY")
    timeout_s: float = Field(30.0, gt=0, description="per request; then the planner takes over")
    max_prompt_tokens: int = Field(6000, gt=500, description="budget of the design prompt")


class Checkpoint(Section):
    backend: Literal["sqlite", "postgres"] = "sqlite"
    sqlite_path: str = ".chaos-advisor/checkpoints.sqlite"
    keep_last: int = Field(10, ge=2, description="checkpoints kept per run; older ones are pruned")
    postgres_url: SecretStr | None = None


class Paths(Section):
    state_dir: str = ".chaos-advisor"
    experiments: str = "experiments"
    reports: str = "reports"
    max_spec_bytes: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024,
        description="largest spec file `run` reads, bytes; 1 MiB: a spec is a few KB, so a bigger file is the "
        "wrong one (refused by its size, before it is read)",
    )
