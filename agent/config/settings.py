"""The root of the configuration: one of each section, the environment over stack.yaml.

Environment variables override the file: ``CHAOS_ADVISOR_<SECTION>__<FIELD>``. Build
:class:`Settings` with :func:`agent.config.load_settings`, which also fills the LLM's endpoint
and key from the conventional ``OPENAI_*`` variables (:class:`OpenAIEnv`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from agent.config.clusters import Clusters
from agent.config.engines import Engines
from agent.config.journey import Journey
from agent.config.planner import Planner
from agent.config.sections import (
    LLM,
    Checkpoint,
    K8s,
    Litmus,
    MonitorSettings,
    Paths,
    Policy,
    Slack,
    Twin,
    Web,
)
from agent.config.templates import DesignSettings


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
    engines: Engines = Engines()
    slack: Slack = Slack()
    llm: LLM = LLM()
    planner: Planner = Planner()
    design: DesignSettings = DesignSettings()
    checkpoint: Checkpoint = Checkpoint()
    twin: Twin = Twin()
    paths: Paths = Paths()
    web: Web = Web()
    journey: Journey = Journey()
    clusters: Clusters = Field([], description="several clusters (agent.config.clusters); empty: the k8s section is the one cluster")
    cluster: str | None = Field(None, exclude=True, description="the cluster of clusters these settings were narrowed to (settings_for)")
    base_dir: Path = Field(Path("."), exclude=True, description="relative paths start here")
    source: Path | None = Field(None, exclude=True, description="the file it was read from (read again for the policy in force)")
    source_sha256: str | None = Field(None, exclude=True, description="its content when read: a change means a new policy")

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

    @field_validator("api_key", "base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `export OPENAI_API_KEY=` (or a blank line in a .env) means "no key", not an empty key.
        return None if isinstance(value, str) and not value.strip() else value
