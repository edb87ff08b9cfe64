"""Typed settings for every wooerp process.

Sources, highest priority first:

1. `WOOERP_*` environment variables; nested sections use `__`
   (`WOOERP_TEMPORAL__ADDRESS`, `WOOERP_STORES__DEFAULT__URL`);
2. a TOML file, named by `--config` or `WOOERP_CONFIG`;
3. the defaults below (the embedded stack on one machine).

Every secret is a `SecretStr` and may instead be given as a file path with
the `_file` suffix (`WOOERP_ERP__PASSWORD_FILE=/run/secrets/erp`, or
`password_file = "..."` in TOML), so secrets can come from Docker/Kubernetes
secret mounts and never sit in the environment or in the config file.
"""
from __future__ import annotations

import json
import os
from decimal import Decimal
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
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
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from activities.refs import Queue
from canonical.reconcile.window import zone
from workers.config.keyring import KeyRing

# Set by load_settings(config_file=...) so the TOML source can find the file
# without a global; falls back to the WOOERP_CONFIG environment variable.
_config_file: ContextVar[Path | None] = ContextVar("wooerp_config_file", default=None)


# The key ring `wooerp dev` generates, and the default of temporal.codec.keys.
DEV_CODEC_KEYS = "codec.keys"
# While `wooerp dev` runs, <data_dir>/dev.json says so and dev.env holds the
# WOOERP_* settings its worker and ingress run with: a command typed in
# another terminal (`wooerp backfill start default ...`) reaches that stack
# with nothing exported; the environment and a config file still win.
DEV_STACK_INFO, DEV_STACK_ENV = "dev.json", "dev.env"
_use_dev_stack: ContextVar[bool] = ContextVar("wooerp_use_dev_stack", default=True)


class SettingsError(Exception):
    """Settings could not be loaded; the message says what to fix."""


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "wooerp"


def _read_secret_file(path: Path, field: str) -> str:
    if not path.is_file():
        raise ValueError(f"{field}: secret file {path} does not exist or is not a file")
    try:
        # Secret mounts usually end with a newline that is not part of the secret.
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ValueError(f"{field}: cannot read secret file {path}: {e.strerror}") from None


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


class Section(BaseModel):
    """A settings section: unknown keys are errors (typos), secrets may come from files."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, field in cls.model_fields.items():
            if not _is_secret(field.annotation):
                continue
            file_key = f"{name}_file"
            path = data.pop(file_key, None)
            if path in (None, ""):
                continue
            if data.get(name) not in (None, ""):
                raise ValueError(f"give either {name} or {file_key}, not both")
            data[name] = _read_secret_file(Path(path), file_key)
        return data


class ActivityRates(Section):
    """Activities per second per task queue, across all workers (enforced by the
    server: max_task_queue_activities_per_second). None = unlimited."""

    woocommerce: float | None = Field(20.0, gt=0)
    erp: float | None = Field(20.0, gt=0)
    ledger: float | None = None

    def for_queue(self, queue: Queue) -> float | None:
        """Task queue names are fixed (activities/refs.py `Queue`) because
        workflows address activities by queue; only their rate limits are settings."""
        return getattr(self, queue.value, None)


class CodecSettings(Section):
    """Encryption of every payload wooerp writes to Temporal (inputs, results,
    signals, queries, failure messages): customer names, e-mails, addresses
    and phones never sit in plain text in the history. Off while no key is
    set. See workers/config/keyring.py for the key-line format and rotation."""

    # Key lines, newest first; default: <data_dir>/codec.keys if that file
    # exists (`wooerp dev` writes one), so CLI commands on the machine of the
    # embedded stack read its sagas without further settings.
    keys: SecretStr | None = None
    # Bearer token of the ingress's codec endpoint (/codec/decode) that the
    # Web UI and `temporal --codec-endpoint` call; default: support.api_token.
    endpoint_token: SecretStr | None = None
    # Browser origins of the Web UI allowed to call the codec endpoint
    # (CORS); default: the `wooerp dev` UI at 127.0.0.1/localhost:<ui_port>.
    ui_origins: list[str] = Field(default_factory=list)

    @field_validator("keys")
    @classmethod
    def _valid_ring(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            KeyRing.parse(v.get_secret_value())  # a bad key stops start-up, not a payload later
        return v

    def key_ring(self) -> KeyRing | None:
        return KeyRing.parse(self.keys.get_secret_value()) if self.keys else None


class TemporalSettings(Section):
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    ui_port: int = Field(8233, ge=1, le=65535)
    api_key: SecretStr | None = None  # Temporal Cloud / secured clusters
    tls: bool = False
    activities_per_second: ActivityRates = Field(default_factory=lambda: ActivityRates())
    activity_threads: int = Field(16, ge=1)  # thread pool for sync activities, per queue
    graceful_shutdown_seconds: float = Field(10.0, ge=0)
    # Suffix of every task queue (`orders@blue`, `erp@blue`, ...), so two
    # deployments can share one cluster without taking each other's tasks.
    deployment: str = Field("", pattern=r"^[A-Za-z0-9_.-]*$")
    codec: CodecSettings = Field(default_factory=lambda: CodecSettings())

    def queue(self, queue: Queue) -> str:
        """The queue's name in this deployment (`orders@blue`)."""
        return f"{queue.value}@{self.deployment}" if self.deployment else queue.value


MANUAL_GATEWAYS = ("bacs", "cheque", "cod")  # WooCommerce's offline gateways
GatewayRefusal = Literal["return_by_hand", "park"]


class StoreRefundSettings(Section):
    """A store's own refund policy; what is left unset comes from [refunds]."""

    manual_gateways: list[str] | None = None
    on_gateway_refusal: GatewayRefusal | None = None


class StoreSettings(Section):
    """One WooCommerce store; stores are keyed by a short code such as `default`."""

    name: str = ""
    url: str
    consumer_key: SecretStr
    consumer_secret: SecretStr
    webhook_secret: SecretStr | None = None
    timeout_seconds: float = Field(20.0, gt=0)
    verify_tls: bool | str = True  # or a CA bundle path, for a store with its own CA
    refunds: StoreRefundSettings = Field(default_factory=StoreRefundSettings)
    # Ports WordPress delivers webhooks to (wp_safe_remote_request; the site's
    # own port is allowed too). Change only if the site filters
    # `http_allowed_safe_ports`; `wooerp doctor` checks the delivery URLs against it.
    webhook_ports: list[int] = Field(default_factory=lambda: [80, 443, 8080])
    timezone: str = "UTC"  # the store's business day runs midnight to midnight here

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)  # ValueError names the bad zone
        return value


class ErpSettings(Section):
    url: str = "http://127.0.0.1:8000/"
    database: str = "wooerp"
    user: str = "admin"
    password: SecretStr | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    # The secret the ERP signs its notifications with (wooerp_link's
    # [wooerp] secret); None: /webhooks/erp/<erp> refuses every notification.
    notify_secret: SecretStr | None = None


class InventorySettings(Section):
    """How the inventory sync runs (see workflows/inventory_types.InventoryPolicy)."""

    window_seconds: float = Field(1.0, ge=0, le=60)
    full_every_seconds: float = Field(3600.0, ge=10, le=7 * 86400)
    settle_seconds: float = Field(5.0, ge=0, le=600)
    max_attempts: int = Field(5, ge=1, le=100)


class SagaSettings(Section):
    """How order sagas behave (see workflows/order_types.SagaPolicy)."""

    on_erp_rejection: Literal["park", "cancel_and_refund"] = "park"
    total_tolerance: Decimal = Field(Decimal("0.05"), ge=0)
    poll_initial_seconds: float = Field(2.0, gt=0)
    poll_max_seconds: float = Field(600.0, gt=0)
    max_attempts: int = Field(8, ge=1)


class RefundSettings(Section):
    """Support approval of refunds, and how the money goes back (see
    workflows/refund_types.RefundPolicy). A store may override the money part
    in its own `[stores.<code>.refunds]`."""

    auto_approve_below: Decimal = Field(Decimal("0"), ge=0)
    escalate_after_seconds: float = Field(24 * 3600.0, gt=0)
    # Gateways that cannot refund by themselves: the refund is recorded in
    # WooCommerce without moving money (api_refund=false), the credit note is
    # posted, and the saga waits for support to confirm the money was sent.
    manual_gateways: list[str] = Field(default_factory=lambda: list(MANUAL_GATEWAYS))
    # Another gateway refusing an automatic refund (a plugin that is gone, one
    # without refund support): handle it the same way, or park the refund.
    on_gateway_refusal: GatewayRefusal = "return_by_hand"


class ReconcileSettings(Section):
    """How reconciliation reads (see workflows/reconcile_types.ReconcilePolicy)."""

    overlap_seconds: int = Field(300, ge=0, le=86400)
    per_page: int = Field(100, ge=1, le=100)
    erp_page: int = Field(500, ge=1, le=1000)
    max_recover: int = Field(500, ge=0, le=100000)
    max_lookups: int = Field(2000, ge=0, le=100000)
    max_attempts: int = Field(10, ge=1, le=100)
    history_limit: int = Field(8000, ge=50, le=40000)


class IngressSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class SupportSettings(Section):
    api_token: SecretStr | None = None  # None disables the support API


class MetricsSettings(Section):
    # Bearer token /metrics asks for (Prometheus: `authorization.credentials_file`);
    # None keeps /metrics open, as a scraper without credentials expects.
    token: SecretStr | None = None


class LogSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "console"] = "auto"  # auto: console on a TTY, else JSON

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WOOERP_",
        env_nested_delimiter="__",
        env_parse_none_str="none",
        extra="forbid",
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""  # default: sqlite file <data_dir>/ledger.sqlite
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    stores: dict[str, StoreSettings] = Field(default_factory=dict)
    erp: ErpSettings = Field(default_factory=ErpSettings)
    ingress: IngressSettings = Field(default_factory=IngressSettings)
    saga: SagaSettings = Field(default_factory=SagaSettings)
    refunds: RefundSettings = Field(default_factory=RefundSettings)
    reconcile: ReconcileSettings = Field(default_factory=ReconcileSettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    support: SupportSettings = Field(default_factory=SupportSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        self.data_dir = self.data_dir.expanduser()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'ledger.sqlite'}"
        dev_keys = self.data_dir / DEV_CODEC_KEYS
        if self.temporal.codec.keys is None and dev_keys.is_file():
            self.temporal.codec.keys = SecretStr(_read_secret_file(dev_keys, "temporal.codec.keys"))
            KeyRing.parse(self.temporal.codec.keys.get_secret_value())
        return self

    def store(self, code: str) -> StoreSettings:
        try:
            return self.stores[code]
        except KeyError:
            known = ", ".join(sorted(self.stores)) or "none configured"
            raise SettingsError(
                f"unknown store {code!r} (known: {known}); "
                f"set WOOERP_STORES__{code.upper()}__URL and its keys"
            ) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file.get() or _env_config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        if _use_dev_stack.get() and (env := _running_dev_stack(init_settings)) is not None:
            sources.append(DotEnvSettingsSource(settings_cls, env_file=env))
        return tuple(sources)


def _running_dev_stack(init_settings: PydanticBaseSettingsSource) -> Path | None:
    """dev.env of the `wooerp dev` running on this data directory, if one
    runs: a stack killed without its cleanup leaves files, not a process."""
    given = getattr(init_settings, "init_kwargs", {}).get("data_dir")
    data_dir = Path(given or os.environ.get("WOOERP_DATA_DIR") or _default_data_dir()).expanduser()
    env, info = data_dir / DEV_STACK_ENV, data_dir / DEV_STACK_INFO
    if not (info.is_file() and env.is_file()):
        return None
    try:
        pid = int(json.loads(info.read_text())["pid"])
        os.kill(pid, 0)  # no signal sent: is it alive?
    except PermissionError:
        pass  # alive, another user's
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return env


def _env_config_file() -> Path | None:
    value = os.environ.get("WOOERP_CONFIG")
    return Path(value) if value else None


def load_settings(config_file: Path | str | None = None, *, dev_stack: bool = True,
                  **overrides: Any) -> Settings:
    """Load settings, turning every problem into one readable SettingsError.
    `dev_stack=False`: ignore a running `wooerp dev` (that command itself)."""
    path = Path(config_file) if config_file else _env_config_file()
    if path is not None and not path.is_file():
        raise SettingsError(f"config file {path} does not exist")
    token, dev = _config_file.set(path), _use_dev_stack.set(dev_stack)
    try:
        return Settings(**overrides)
    except ValidationError as e:
        raise SettingsError(_describe(e, path)) from None
    except (ValueError, OSError) as e:  # e.g. a malformed TOML file
        raise SettingsError(f"cannot read settings: {e}") from None
    finally:
        _config_file.reset(token)
        _use_dev_stack.reset(dev)


def _describe(error: ValidationError, path: Path | None) -> str:
    where = f" (config file {path} and WOOERP_* environment)" if path else " (WOOERP_* environment)"
    lines = [f"invalid settings{where}:"]
    for err in error.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "settings"
        env = "WOOERP_" + "__".join(str(p) for p in err["loc"]).upper()
        lines.append(f"  {loc} [{env}]: {err['msg']}")
    return "\n".join(lines)
