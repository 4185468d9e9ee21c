"""Settings: stack.yaml plus environment, read once at the entry point.

Environment variables override the file: ``CHAOS_ADVISOR_<SECTION>__<FIELD>`` (for example
``CHAOS_ADVISOR_MONITOR__POLL_INTERVAL_S=2``). Unknown keys are errors with a did-you-mean.
No other module reads files or environment variables on its own.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from agent.errors import ConfigError
from agent.models import Criticality, Dependency, Fault, Tier

HIGH_RISK_FAULTS = frozenset({Fault.DISK_FILL, Fault.NODE_DRAIN})


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
    selector: dict[str, str] | None = Field(None, description="pod labels; default name=<name>")

    def pod_selector(self, service_label: str) -> dict[str, str]:
        """The pod labels selecting this service (Sock Shop: ``name=<svc>``)."""
        return self.selector or {service_label: self.name}


class PromQueries(Section):
    """PromQL templates; ``{namespace}``, ``{service}``, ``{label}`` (the service label) and
    ``{window}`` are filled in. Defaults: Sock Shop's own series (FACTS.md section 3). Errors
    are ``or vector(0)``: a service that never failed has no 5xx series, which is 0 %, while no
    traffic at all stays "not measured". ``pod=~`` matches a Deployment's pods
    (``<svc>-<hash>-<suffix>``) and a StatefulSet's (``<svc>-<ordinal>``), not ``<svc>-db-...``."""

    error_rate_pct: str = (
        '100 * (sum(rate(request_duration_seconds_count{{kubernetes_namespace="{namespace}",'
        '{label}="{service}",status_code=~"5.."}}[{window}])) or vector(0)) / sum(rate('
        'request_duration_seconds_count{{kubernetes_namespace="{namespace}",{label}="{service}",'
        'route!="metrics"}}[{window}]))'
    )
    latency_p95_ms: str = (
        "1000 * histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket"
        '{{kubernetes_namespace="{namespace}",{label}="{service}",route!="metrics"}}[{window}])))'
    )
    cpu_millicores: str = (
        '1000 * sum(rate(container_cpu_usage_seconds_total{{namespace="{namespace}",'
        'pod=~"{service}-[a-z0-9]{{6,10}}-[a-z0-9]{{5}}|{service}-[0-9]+",container!="",'
        'container!="POD"}}[{window}]))'
    )
    memory_mib: str = (
        'sum(container_memory_working_set_bytes{{namespace="{namespace}",'
        'pod=~"{service}-[a-z0-9]{{6,10}}-[a-z0-9]{{5}}|{service}-[0-9]+",container!="",'
        'container!="POD"}}) / 1048576'
    )


class Prometheus(Section):
    url: str = "http://127.0.0.1:9090"
    service_label: str = Field("name", description="label that names a service on its series")
    window: str = Field("1m", description="rate() window of the queries")
    timeout_s: float = Field(5.0, gt=0, description="per query; a slow Prometheus counts as missing")
    queries: PromQueries = PromQueries()


class Monitoring(Section):
    prometheus: Prometheus = Prometheus()


class K8s(Section):
    kubeconfig: str | None = None
    context: str | None = None
    request_timeout_s: float = Field(15.0, gt=0, description="per Kubernetes API request, seconds")
    retry_attempts: int = Field(
        4, ge=1, le=10, description="tries per API call on HTTP 429/5xx, timeouts and refused connections"
    )
    retry_backoff_s: float = Field(0.5, ge=0, le=30, description="first wait between tries; doubles each time")
    retry_backoff_max_s: float = Field(4.0, ge=0, le=60, description="longest wait between tries")
    namespaces: list[str] = ["sock-shop"]
    target_services: list[TargetService] = []
    dependencies: list[Dependency] = []
    monitoring: Monitoring = Monitoring()

    @model_validator(mode="after")
    def _dependencies_name_targets(self) -> K8s:
        names = {t.name for t in self.target_services}
        for i, dep in enumerate(self.dependencies):
            for end in (dep.source, dep.target):
                if end not in names:
                    raise ValueError(
                        f"dependencies[{i}] names {end!r}, which is not in target_services"
                    )
        return self


class Policy(Section):
    """What the agent may do at all, whatever a designer proposes."""

    namespaces: list[str] = ["sock-shop"]
    actions: list[Fault] = [Fault.POD_DELETE, Fault.POD_NETWORK_LATENCY, Fault.POD_CPU_HOG]
    max_duration_s: int = Field(300, gt=0, description="longest chaos allowed, seconds")
    max_pods_affected_perc: int = Field(50, ge=0, le=100)
    max_pods_affected: int = Field(2, ge=1, description="pods one experiment may hit, counted")
    allow_high_risk: bool = Field(False, description="disk-fill and node-drain need this opt-in")
    approvers: list[str] = Field(
        ["cli:*"], description="who may approve: 'cli:<user>', 'slack:<id>', '<channel>:*'"
    )


class MonitorSettings(Section):
    poll_interval_s: float = Field(5.0, gt=0, description="seconds between monitor ticks")
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


class Litmus(Section):
    version: Literal["2.14", "3.x"] = "3.x"
    chaos_service_account: str = "litmus-admin"
    job_cleanup_policy: Literal["delete", "retain"] = "retain"


class Slack(Section):
    """Candidates with buttons, progress (every ``monitor.update_interval_s``) and the TL;DR in
    a channel; ``python -m agent slack serve`` takes the clicks. Who may click: policy.approvers."""

    enabled: bool = Field(False, description="post to Slack as well as the terminal")
    channel: str = Field("#chaos", description="channel name or id; invite the bot there")
    bot_token: SecretStr | None = Field(None, description="xoxb-... bot token; env CHAOS_ADVISOR_SLACK__BOT_TOKEN")
    signing_secret: SecretStr | None = Field(None, description="verifies callbacks; env CHAOS_ADVISOR_SLACK__SIGNING_SECRET")
    base_url: str = Field("https://slack.com/api/", description="Web API root; tests use a loopback server")
    timeout_s: int = Field(5, ge=1, le=60, description="per API call, seconds; short: Slack never holds a run")
    retries: int = Field(2, ge=0, le=5, description="retries of a call failing to connect or with HTTP 5xx")


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


class Twin(Section):
    speed: float = Field(60.0, gt=0, description="virtual seconds per real second in demos")
    seed: int = 42
    url: str | None = Field(
        None, description="attach --twin runs to a twin already serving here (python -m agent twin) "
        "instead of starting one in-process; env CHAOS_ADVISOR_TWIN__URL"
    )


class Paths(Section):
    state_dir: str = ".chaos-advisor"
    experiments: str = "experiments"
    reports: str = "reports"


class Settings(BaseSettings):
    """The whole configuration. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="CHAOS_ADVISOR_", env_nested_delimiter="__", extra="forbid"
    )

    version: Literal[1] = 1
    k8s: K8s = K8s()
    policy: Policy = Policy()
    monitor: MonitorSettings = MonitorSettings()
    litmus: Litmus = Litmus()
    slack: Slack = Slack()
    llm: LLM = LLM()
    checkpoint: Checkpoint = Checkpoint()
    twin: Twin = Twin()
    paths: Paths = Paths()
    base_dir: Path = Field(Path("."), exclude=True, description="relative paths start here")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides stack.yaml (passed as init values).
        return (env_settings, init_settings)

    def path(self, relative: str) -> Path:
        """A configured path, resolved against the config file's directory."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


class OpenAIEnv(BaseSettings):
    """The conventional OpenAI variables, used when stack.yaml leaves them unset."""

    model_config = SettingsConfigDict(env_prefix="OPENAI_", extra="ignore")

    api_key: SecretStr | None = None
    base_url: str | None = None


def load_settings(path: Path) -> Settings:
    """Read stack.yaml (and the environment) into Settings, or raise a ConfigError that names
    the file, the field path, the bad value and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; pass --config FILE or create stack.yaml") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        raise ConfigError(f"{path}{line}: not valid YAML ({getattr(e, 'problem', e)})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {type(data).__name__}")
    for key in data:  # Settings(**data) would raise TypeError on these
        if not isinstance(key, str) or key == "base_dir":
            raise ConfigError(f"{path} {key!r}: unknown key; known keys here: {', '.join(_known_fields(()))}")
    try:
        settings = Settings(**data, base_dir=path.resolve().parent)
    except ValidationError as e:
        raise ConfigError(_describe(path, e)) from None
    env = OpenAIEnv()
    llm = settings.llm.model_copy(
        update={"api_key": settings.llm.api_key or env.api_key, "base_url": settings.llm.base_url or env.base_url}
    )
    return settings.model_copy(update={"llm": llm})


def _describe(path: Path, error: ValidationError) -> str:
    lines = [_one(path, err) for err in error.errors()[:5]]
    more = error.error_count() - len(lines)
    return "\n".join(lines + ([f"... and {more} more"] if more > 0 else []))


def _one(path: Path, err: object) -> str:
    assert isinstance(err, dict)
    loc: tuple[str | int, ...] = tuple(err["loc"])
    field = _dotted(loc)
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        known = _known_fields(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        fix = f"did you mean {guess[0]!r}?" if guess else f"known keys here: {', '.join(known)}"
        return f"{path} {field}: unknown key; {fix}"
    fix = _hint(err)
    return f"{path} {field}: {value!r} is not valid ({err['msg']}); {fix}"


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _hint(err: dict[str, object]) -> str:
    ctx = err.get("ctx")
    if err["type"] == "literal_error" and isinstance(ctx, dict):
        return f"use one of {ctx.get('expected')}"
    if err["type"] == "enum" and isinstance(ctx, dict):
        return f"use one of {ctx.get('expected')}"
    if err["type"] == "missing":
        return "add this key"
    return "fix the value (see the README's configuration section)"


def _known_fields(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] | None = Settings
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_of(field.annotation) if field else None
    if model is None:
        return []
    return [name for name in model.model_fields if name != "base_dir"]


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found:
            return found
    return None
