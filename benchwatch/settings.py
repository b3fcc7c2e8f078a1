"""The one typed settings object: environment variables (``BENCHWATCH_*``),
an optional TOML file, and CLI overrides, validated once at start.

Everything configurable lives here so that a bad value is caught before any
work starts, with a message that names the setting to fix.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as PydanticSettingsError

MissingPolicy = Literal["drop", "knn", "iterative"]
# The collections with safety content, and one with a capability benchmark (MMLU-Pro).
# Every collection the datastore's manifest names; a list in the settings restricts to those.
DEFAULT_EEE_COLLECTIONS: tuple[str, ...] = ()


class SettingsError(ValueError):
    """A setting is invalid; the message names the setting and the fix."""


def default_home() -> Path:
    """Where Benchwatch keeps its state when nothing says otherwise: the user's data directory
    (``~/.local/share/benchwatch`` on Linux), never the package's own location."""
    return platformdirs.user_data_path("benchwatch")


def _home() -> Path:
    # The home and the config file locate the settings file, so they cannot come from it:
    # the two environment variables read outside the settings object.
    return Path(os.environ.get("BENCHWATCH_HOME") or default_home()).expanduser()


def _config_file() -> Path:
    return Path(os.environ.get("BENCHWATCH_CONFIG") or _home() / "benchwatch.toml").expanduser()


# Where recorded snapshots are looked for when ``replay_dir`` is not set: a checkout with the
# shared data beside it (the README's first command), or a ``data`` folder in the home.
REPLAY_CANDIDATES = (Path("../shared/data"), Path("shared/data"))


def discover_replay_dir(home: Path) -> Path | None:
    """The first folder of recorded snapshots found from the working directory or the home."""
    for candidate in (*REPLAY_CANDIDATES, home / "data"):
        if (candidate / "README.md").is_file() or (candidate / "safetywashing").is_dir():
            return candidate.resolve()
    return None


NO_REPLAY_DATA = (
    "no recorded data to replay: set replay_dir (BENCHWATCH_REPLAY_DIR, the settings file, or "
    "`--replay DIR`) to the folder of recorded snapshots (../shared/data beside a checkout), "
    "or fetch the upstreams with `--live`"
)


SOURCE_NAME = r"^[a-z0-9][a-z0-9._-]{0,62}$"


class CustomBenchmark(BaseModel):
    """One column (or EEE metric id) of a custom source and what it measures."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1, description="The file's column, or an EEE metric id / evaluation name.")
    name: str | None = Field(None, description="Shown name; the column when not set.")
    category: Literal["safety", "capability", "other"] = "safety"
    safety_area: str | None = Field(None, description="Required for a safety benchmark (e.g. jailbreaks).")
    direction: Literal[1, -1] = Field(1, description="1: higher is safer/better; -1: lower is.")
    scale: str = Field("as published", min_length=1)

    @model_validator(mode="after")
    def _safety_needs_area(self) -> CustomBenchmark:
        if self.category == "safety" and not self.safety_area:
            raise ValueError(f"benchmark {self.column!r}: a safety benchmark needs a safety_area")
        return self


class InputLimits(BaseModel):
    """Bounds on a file a user hands over (``benchwatch check``, the dashboard's Check page): the
    work and memory one file may cost are bounded before it is parsed, and a file past a bound
    is refused with one message naming the bound and its setting."""

    model_config = ConfigDict(extra="forbid")

    max_bytes: int = Field(20_000_000, ge=1, description="Largest file (or folder of EEE records), in bytes; "
                                                        "also the Check page's upload limit.")
    max_rows: int = Field(100_000, ge=1, description="Most rows (models) one file may hold.")
    json_depth: int = Field(64, ge=2, description="Deepest nesting of arrays and objects in a JSON file.")
    json_string_bytes: int = Field(100_000, ge=1, description="Longest string in a JSON file, in bytes as written.")


class CustomSource(BaseModel):
    """A lab's own results file, followed like a leaderboard: ``[[custom_sources]]`` in the TOML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=SOURCE_NAME, description="The source's name in every table and command.")
    path: Path | None = Field(None, description="A local file (or folder of EEE records).")
    url: str | None = Field(None, pattern=r"^https?://", description="Or a URL, fetched conditionally.")
    format: Literal["csv", "tsv", "parquet", "json", "eee"]
    model_column: str = "model"
    model_set_column: str | None = None
    benchmarks: list[CustomBenchmark] = Field(min_length=1)
    schedule: str = Field("0 6 * * *", description="Cron schedule of its ingest deployment (UTC).")
    withdraw_max_share: float = Field(
        1.0, gt=0.0, le=1.0,
        description="The file is its source's whole state: a row it drops is withdrawn. A read that would "
                    "withdraw more than this share of the current values is refused as a broken file; by "
                    "default none is (it is your own file, and a shrink is your decision).")

    @model_validator(mode="after")
    def _one_location(self) -> CustomSource:
        if (self.path is None) == (self.url is None):
            raise ValueError(f"custom source {self.name!r}: give exactly one of path and url")
        columns = [b.column for b in self.benchmarks]
        if len(set(columns)) != len(columns):
            raise ValueError(f"custom source {self.name!r}: a benchmark column is listed twice")
        if len(self.schedule.split()) != 5:
            raise ValueError(f"custom source {self.name!r}: schedule must be a 5-field cron expression")
        return self


def toml_entry(source: CustomSource) -> str:
    """One ``[[custom_sources]]`` table in TOML (JSON strings are TOML basic strings)."""
    def value(v: object) -> str:
        return json.dumps(str(v)) if not isinstance(v, int) else str(v)

    head = source.model_dump(exclude={"benchmarks"}, exclude_none=True)
    lines = ["", "[[custom_sources]]", *(f"{k} = {value(v)}" for k, v in head.items())]
    for benchmark in source.benchmarks:
        lines += ["[[custom_sources.benchmarks]]",
                  *(f"{k} = {value(v)}" for k, v in benchmark.model_dump(exclude_none=True).items())]
    return "\n".join(lines) + "\n"


def register_custom_source(source: CustomSource, config_file: Path | None = None) -> Path:
    """Append a custom source to the settings file, then load the settings: an entry that does not
    validate (a name already used...) is taken out again and the error raised. Returns the file."""
    path = config_file or _config_file()
    before = path.read_text("utf-8") if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((before or "") + toml_entry(source), encoding="utf-8")
    try:
        load_settings()
    except SettingsError:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise
    return path


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BENCHWATCH_",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(
        default_factory=default_home,
        description="Benchwatch's state: the database, the raw archive, logs (BENCHWATCH_HOME).",
    )
    db: Path = Field(
        default_factory=lambda data: data["home"] / "benchwatch.duckdb",
        description="DuckDB file, the system of record; <home>/benchwatch.duckdb by default.",
    )
    replay_dir: Path | None = Field(
        default=None,
        description="Recorded leaderboard snapshots replayed through the live parsers; "
                    "found beside a checkout (../shared/data) when not set.",
    )
    archive_dir: Path | None = Field(
        default=None,
        description="Where raw live payloads are archived; defaults beside the database.",
    )
    # The one wait of the writer door (storage/writer.py), whoever the writer is.
    writer_wait_seconds: float = Field(120.0, ge=0, description="Seconds a writer waits for another to finish.")

    input_limits: InputLimits = Field(
        default_factory=InputLimits,
        description="Bounds on a file a user gives to check (BENCHWATCH_INPUT_LIMITS as JSON, or "
                    "[input_limits] in the TOML).",
    )
    name_shown_chars: int = Field(
        120, ge=8, description="A name longer than this is cut, with an ellipsis, where it is shown to a person "
                               "(terminal, HTML); the data keeps it whole.")

    backup_to: str | None = Field(
        default=None,
        description="Where `benchwatch backup` writes: a folder or an s3:// URL (the [s3] extra); "
                    "<db folder>/backups by default. Put it on another disk or in object storage.",
    )
    publish_to: str | None = Field(
        default=None,
        description="Where `benchwatch publish` (and the publish deployment) writes the static report: a folder "
                    "or an s3:// URL (reached with backup_endpoint_url when set); <db folder>/site by default.",
    )
    backup_keep: int = Field(7, ge=1, description="Backups kept at backup_to; older ones are deleted.")
    backup_grace_seconds: float = Field(
        3600.0, ge=0, description="An interrupted backup (a folder without a manifest, e.g. after a kill) older "
                                  "than this is deleted by the next backup; a younger one may still be uploading.")
    backup_endpoint_url: str | None = Field(
        default=None,
        description="Endpoint of an S3-compatible store (MinIO, Ceph...) for s3:// backups; "
                    "credentials come from the usual AWS variables or files.",
    )

    capability_threshold: float = Field(0.70, gt=0.0, le=1.0)
    hysteresis: float = Field(0.05, ge=0.0, lt=1.0)
    min_models: int = Field(10, ge=3)
    alert_fdr: float = Field(
        0.05, gt=0.0, le=1.0,
        description="capability-tracking alerts and findings need a Benjamini-Hochberg q-value at most "
                    "this (the false discovery rate across a run's tests at one as-of date).",
    )

    drift_threshold: float = Field(0.20, gt=0.0, le=2.0)
    drift_window_days: int = Field(180, ge=1)
    drift_min_models: int = Field(10, ge=3)
    source_failing_after: int = Field(3, ge=1)
    revised_min_share: float = Field(
        0.05, gt=0.0, le=1.0,
        description="scores-revised fires when a fetch revises this share of a benchmark's values "
                    "(and at least min_models models).",
    )
    withdraw_max_share: float = Field(
        0.5, gt=0.0, le=1.0,
        description="A full snapshot that would withdraw more than this share of its source's current "
                    "values is a broken payload: the fetch fails and nothing is written.",
    )
    revised_ignore_sources: list[str] = Field(
        default_factory=lambda: ["lmarena"],
        description="Sources whose values move by design (LMArena refits every rating): no scores-revised.",
    )
    notify_failing_after: int = Field(3, ge=1, description="channel-failing fires after this many failed rounds.")
    notify_urls: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Apprise URLs (Slack, mailto, Discord, json:// webhooks...); secrets are redacted.",
    )
    renotify_hours: float | None = Field(None, gt=0, description="Re-notify a long-firing alert; off by default.")
    dashboard_url: str = Field("http://127.0.0.1:8501", description="Base URL used in notification links.")

    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(8501, ge=1, le=65535)

    task_runner: Literal["threads", "dask"] = "threads"
    dask_address: str | None = Field(None, description="A running Dask scheduler; none starts a local cluster.")

    bootstrap_resamples: int = Field(1000, ge=0, le=100_000)
    bootstrap_seed: int = Field(20240731, ge=0)
    ci_level: float = Field(0.95, gt=0.5, lt=1.0)
    subset_samples: int = Field(
        200, ge=0, le=10_000,
        description="Random half-samples of the models behind each rho's 5th-95th percentile band (0: none).")
    saturation_flag: float = Field(
        0.5, gt=0.0, le=1.0,
        description="A row whose share of models within 5% of the scale's floor or ceiling is above this is "
                    "flagged 'saturated: the correlation says little'.")
    missing_capability: MissingPolicy = "drop"
    asof_frequency: Literal["monthly", "quarterly"] = "monthly"

    upstream_base: str | None = Field(
        default=None,
        description="Point every live endpoint at this base URL (a mirror or a test upstream).",
    )
    eee_collections: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_EEE_COLLECTIONS),
        description="Every Eval Ever datastore collections to follow (the manifest's `benchmark` field); "
                    "empty: every collection the manifest names.",
    )
    eee_fetch_workers: int = Field(
        8, ge=1, le=64,
        description="Every Eval Ever records fetched at once (one small JSON file each).",
    )
    custom_sources: list[CustomSource] = Field(
        default_factory=list,
        description="Your own results files, followed like a leaderboard ([[custom_sources]] in the TOML).",
    )
    http_timeout: float = Field(30.0, gt=0)
    http_retries: int = Field(4, ge=0, le=10)
    http_max_wait: float = Field(
        600.0, ge=0,
        description="Total seconds one run may wait on upstream rate limits (Retry-After, the Hub's "
                    "RateLimit header) and backoff; a longer wait fails that fetch, naming the URL.",
    )
    hf_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("hf_token", "BENCHWATCH_HF_TOKEN", "HF_TOKEN"),
        description="Hugging Face access token (HF_TOKEN or BENCHWATCH_HF_TOKEN), sent only to the Hub "
                    "and the dataset viewer: a higher rate limit than anonymous requests. Never logged.",
    )

    @field_validator("home", "replay_dir", "archive_dir")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("db")
    @classmethod
    def _db_parent_usable(cls, value: Path) -> Path:
        value = value.expanduser()
        parent = value.resolve().parent
        existing = next(p for p in (parent, *parent.parents) if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            raise ValueError(f"cannot create or write the database: {existing} is not a writable directory")
        if value.exists() and value.is_dir():
            raise ValueError(f"{value} is a directory, not a database file")
        return value

    @model_validator(mode="after")
    def _find_replay_dir(self) -> Settings:
        if self.replay_dir is None:
            self.replay_dir = discover_replay_dir(self.home)
        return self

    def require_replay_dir(self) -> Path:
        """The recorded data, or an error saying how to point Benchwatch at it."""
        if self.replay_dir is None:
            raise ValueError(NO_REPLAY_DATA)
        return self.replay_dir

    @field_validator("notify_urls", "eee_collections", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # A list given as one string, spaced or comma-separated, as an environment variable gives it:
        # BENCHWATCH_NOTIFY_URLS="json://host/hook mailto://...", BENCHWATCH_EEE_COLLECTIONS="hle,openeval".
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("eee_collections")
    @classmethod
    def _collection_names(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name)]
        if bad:
            raise ValueError(f"not a collection name: {bad[0]!r} (letters, digits, '.', '_', '-')")
        return value

    @model_validator(mode="after")
    def _custom_names_unique(self) -> Settings:
        names = [c.name for c in self.custom_sources]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"custom_sources: the name {twice[0]!r} is used twice")
        return self

    @model_validator(mode="after")
    def _hysteresis_below_threshold(self) -> Settings:
        if self.hysteresis >= self.capability_threshold:
            raise ValueError(
                "hysteresis must be smaller than capability_threshold "
                f"(got {self.hysteresis} >= {self.capability_threshold})"
            )
        return self

    @property
    def archive_path(self) -> Path:
        return self.archive_dir or self.db.parent / "archive"

    @property
    def backup_location(self) -> str:
        return self.backup_to or str(self.db.parent / "backups")

    @property
    def publish_location(self) -> str:
        return self.publish_to or str(self.db.parent / "site")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # CLI flags beat the environment, which beats the file.
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's error into one that names the setting."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except PydanticSettingsError as exc:
        raise SettingsError(f"invalid configuration: {exc}") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            env = f"BENCHWATCH_{name.upper()}" if err["loc"] else "settings"
            problems.append(f"setting '{name}' ({env}): {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(problems)) from None
