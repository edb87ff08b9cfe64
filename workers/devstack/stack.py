"""The embedded stack `wooerp dev` runs, in start order: the Temporal dev
server, the sandbox ERP (real Tryton), the sandbox store, the worker, the
ingress and the warehouse simulator. They stop in reverse.

The sandbox pieces run as `wooerp sandbox ...` child processes and are
reached only over HTTP/JSON-RPC, as a real store and ERP would be: product
code never imports sandbox/. Credentials are generated once per data
directory and kept in `dev-secrets.json` (mode 0600).

With an own store (`wooerp dev --store-url URL`, an `OwnStore`) the sandbox
store is left out: the worker and the ingress reach that URL with the REST
keys of the user's own settings (WOOERP_STORES__<CODE>__..., `*_file`
secrets or the TOML file), which they read exactly as the parent did; only
the URL, and the webhook secret when the user has none, are set for them.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

import httpx

from workers.config.keyring import new_key_line
from workers.config.settings import DEV_CODEC_KEYS, DEV_STACK_ENV, DEV_STACK_INFO, Settings
from workers.devstack.devserver import DevServerConfig, dev_server_spec
from workers.devstack.private import make_private
from workers.devstack.supervisor import ChildSpec

WOOERP = str(Path(sys.executable).parent / "wooerp")
STORE = "default"


@dataclass(frozen=True)
class DevPorts:
    erp: int = 8000
    store: int = 8081
    ingress: int = 8080


def _new_secrets() -> dict[str, str]:
    return {"consumer_key": f"ck_{secrets.token_hex(20)}",
            "consumer_secret": f"cs_{secrets.token_hex(20)}",
            "webhook_secret": secrets.token_urlsafe(24),
            "support_token": secrets.token_urlsafe(24),
            "codec_token": secrets.token_urlsafe(24),
            "erp_notify_secret": secrets.token_urlsafe(24)}


@dataclass(frozen=True)
class OwnStore:
    """A WooCommerce the user runs (staging, or a local WordPress), in place of
    the sandbox store. `public_url` is the ingress's base URL as that store
    reaches it (default: the ingress's own address); `config_file` is handed
    to the children so they read the same settings."""

    code: str
    url: str
    consumer_key: str
    consumer_secret: str
    webhook_secret: str | None  # None: the user has none; the dev secret is used
    public_url: str | None = None
    config_file: Path | None = None


@dataclass(frozen=True)
class DevSecrets:
    consumer_key: str
    consumer_secret: str
    webhook_secret: str
    support_token: str
    codec_token: str  # the Web UI's path to the ingress's codec endpoint
    erp_notify_secret: str  # Tryton signs its notifications to the ingress with it

    @classmethod
    def load_or_create(cls, data_dir: Path) -> DevSecrets:
        path = data_dir / "dev-secrets.json"
        saved = json.loads(path.read_text()) if path.is_file() else {}
        # A file from an earlier release lacks the newer secrets: add them, keep the rest.
        values = {**_new_secrets(), **{k: v for k, v in saved.items() if k in _FIELDS}}
        if values.keys() != saved.keys():
            data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_text(json.dumps(values))
        return cls(**values)


_FIELDS = {f.name for f in fields(DevSecrets)}


def dev_codec_keys(data_dir: Path) -> Path:
    """The stack's payload-encryption key, made once and kept with its histories
    (a new key would leave temporal.sqlite unreadable). Settings read this file
    by default, so every process and CLI command on this data dir finds it."""
    path = data_dir / DEV_CODEC_KEYS
    if not path.is_file():
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(new_key_line() + "\n")
    return path


def _http_ready(url: str):
    async def ready() -> bool:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    return ready


def _file_ready(path: Path):
    async def ready() -> bool:
        return path.is_file()
    return ready


class DevStack:
    def __init__(self, settings: Settings, temporal: DevServerConfig,
                 ports: DevPorts = DevPorts(), *, ship_delay: float = 3.0,
                 invoice_delay: float = 3.0, own_store: OwnStore | None = None,
                 ingress_host: str = "127.0.0.1") -> None:
        self.settings, self.temporal, self.ports = settings, temporal, ports
        self.data_dir = Path(settings.data_dir)
        make_private(self.data_dir)  # before anything writes there, children included
        self.logs = self.data_dir / "logs"
        self.secrets = DevSecrets.load_or_create(self.data_dir)
        self.codec_keys = dev_codec_keys(self.data_dir)
        self.ship_delay, self.invoice_delay = ship_delay, invoice_delay
        self.own_store, self.ingress_host = own_store, ingress_host

    # endpoints ------------------------------------------------------------------
    @property
    def store(self) -> str:
        return self.own_store.code if self.own_store else STORE

    @property
    def store_url(self) -> str:
        if self.own_store:
            return self.own_store.url
        return f"http://127.0.0.1:{self.ports.store}"

    @property
    def store_keys(self) -> tuple[str, str]:
        if self.own_store:
            return self.own_store.consumer_key, self.own_store.consumer_secret
        return self.secrets.consumer_key, self.secrets.consumer_secret

    @property
    def webhook_secret(self) -> str:
        own = self.own_store.webhook_secret if self.own_store else None
        return own or self.secrets.webhook_secret

    @property
    def public_url(self) -> str:
        """The ingress as the store reaches it: where its webhooks point."""
        own = self.own_store.public_url if self.own_store else None
        return (own or self.ingress_url).rstrip("/")

    @property
    def webhook_url(self) -> str:
        return f"{self.public_url}/webhooks/woocommerce/{self.store}"

    @property
    def erp_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.erp}/"

    @property
    def ingress_url(self) -> str:
        host = "127.0.0.1" if self.ingress_host in ("0.0.0.0", "::") else self.ingress_host
        return f"http://{host}:{self.ports.ingress}"

    @property
    def codec_endpoint(self) -> str:
        """What the Web UI calls to decode payloads (it sends no token of its own)."""
        return f"{self.ingress_url}/codec/{self.secrets.codec_token}"

    @property
    def erp_json(self) -> Path:
        return self.data_dir / "erp" / "erp.json"

    def product_env(self) -> dict[str, str]:
        """WOOERP_* settings of the worker and ingress children."""
        s = self.secrets
        store = f"WOOERP_STORES__{self.store.upper()}__"
        env = {
            "WOOERP_DATA_DIR": str(self.data_dir),
            "WOOERP_DATABASE_URL": self.settings.database_url,
            "WOOERP_TEMPORAL__ADDRESS": self.temporal.address,
            "WOOERP_TEMPORAL__NAMESPACE": self.temporal.namespace,
            f"{store}URL": self.store_url,
            "WOOERP_ERP__URL": self.erp_url,
            "WOOERP_ERP__DATABASE": "wooerp",
            "WOOERP_ERP__USER": "admin",
            "WOOERP_ERP__PASSWORD_FILE": str(self.data_dir / "erp" / "admin.pass"),
            "WOOERP_INGRESS__HOST": self.ingress_host,
            "WOOERP_INGRESS__PORT": str(self.ports.ingress),
            "WOOERP_SUPPORT__API_TOKEN": s.support_token,
            "WOOERP_ERP__NOTIFY_SECRET": s.erp_notify_secret,
            # Payload keys: <data_dir>/codec.keys, the settings' default.
            "WOOERP_TEMPORAL__CODEC__ENDPOINT_TOKEN": s.codec_token,
            **({"WOOERP_TEMPORAL__UI_PORT": str(self.temporal.ui_port)}  # the codec's CORS origin
               if self.temporal.ui_port else {}),
        }
        own = self.own_store
        if own is None:
            env.update({f"{store}CONSUMER_KEY": s.consumer_key,
                        f"{store}CONSUMER_SECRET": s.consumer_secret,
                        f"{store}WEBHOOK_SECRET": s.webhook_secret})
            return env
        # The keys come from the user's own settings, read by the children as
        # by the parent; a --config file goes with them.
        if own.config_file is not None:
            env["WOOERP_CONFIG"] = str(own.config_file)
        if own.webhook_secret is None:
            env[f"{store}WEBHOOK_SECRET"] = s.webhook_secret
        return env

    def erp_notify_secret_file(self) -> Path:
        """The notification secret where the sandbox ERP reads it (0600)."""
        path = self.data_dir / "erp-notify.secret"
        if not path.is_file() or path.read_text() != self.secrets.erp_notify_secret:
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_text(self.secrets.erp_notify_secret)
        return path

    # children -------------------------------------------------------------------
    def specs(self) -> list[ChildSpec]:
        env = self.product_env()
        templates = Path.home() / ".cache" / "wooerp" / "tryton-templates"
        store = [] if self.own_store else [
            ChildSpec("store", [WOOERP, "sandbox", "store", "--port", str(self.ports.store),
                                "--data-dir", str(self.data_dir / "store")],
                      env={"WOOERP_STORE_CONSUMER_KEY": self.secrets.consumer_key,
                           "WOOERP_STORE_CONSUMER_SECRET": self.secrets.consumer_secret},
                      ready=_http_ready(f"{self.store_url}/__sandbox/health"),
                      log_file=self.logs / "store.log")]
        return [
            dev_server_spec(replace(self.temporal, ui_codec_endpoint=self.codec_endpoint),
                            log_file=self.logs / "temporal.log"),
            ChildSpec("erp", [WOOERP, "sandbox", "erp", "--port", str(self.ports.erp),
                              "--data-dir", str(self.data_dir / "erp"),
                              "--templates-dir", str(templates),
                              # stock, shipments and invoices are pushed to the ingress
                              "--notify-url", f"{self.ingress_url}/webhooks/erp/tryton",
                              "--notify-secret-file", str(self.erp_notify_secret_file())],
                      ready=_file_ready(self.erp_json), ready_timeout=180,
                      log_file=self.logs / "erp.log"),
            *store,
            ChildSpec("worker", [WOOERP, "worker"], env=env, log_file=self.logs / "worker.log"),
            ChildSpec("ingress", [WOOERP, "ingress"], env=env,
                      ready=_http_ready(f"{self.ingress_url}/healthz"),
                      log_file=self.logs / "ingress.log"),
            ChildSpec("warehouse", [WOOERP, "sandbox", "warehouse", "--erp-json",
                                    str(self.erp_json), "--ship-delay", str(self.ship_delay),
                                    "--invoice-delay", str(self.invoice_delay)],
                      log_file=self.logs / "warehouse.log"),
        ]

    def describe(self) -> dict[str, str]:
        """Every endpoint and credential, as written to dev.json (an own
        store's keys stay in the user's settings, not here)."""
        info = {
            "temporal_address": self.temporal.address,
            "temporal_namespace": self.temporal.namespace,
            "temporal_ui": self.temporal.ui_url or "",
            "store": self.store,
            "store_url": self.store_url,
            "store_consumer_key": self.secrets.consumer_key,
            "store_consumer_secret": self.secrets.consumer_secret,
            "webhook_secret": self.webhook_secret,
            "erp_url": self.erp_url,
            "erp_database": "wooerp",
            "erp_user": "admin",
            "erp_password_file": str(self.data_dir / "erp" / "admin.pass"),
            "ingress_url": self.ingress_url,
            "webhook_url": self.webhook_url,
            "support_token": self.secrets.support_token,
            "codec_endpoint": f"{self.ingress_url}/codec",
            "codec_token": self.secrets.codec_token,
            "ledger": self.settings.database_url,
            "data_dir": str(self.data_dir),  # holds the payload codec's keys
            "logs": str(self.logs),
        }
        if self.own_store:
            info["store_consumer_key"] = info["store_consumer_secret"] = "(from your settings)"
            if self.own_store.webhook_secret:
                info["webhook_secret"] = "(from your settings)"
        return info

    def write_dev_json(self) -> Path:
        """dev.json for people, and dev.env, the children's settings, for the
        commands typed while the stack runs (workers/config/settings.py)."""
        env = self.data_dir / DEV_STACK_ENV
        # Settings only: WOOERP_CONFIG (an own store's file) names a source, it
        # is no setting; a command beside the stack is given its file as usual.
        settings = {k: v for k, v in self.product_env().items() if k != "WOOERP_CONFIG"}
        _write_private(env, "".join(f"{k}={_dotenv_value(v)}\n"
                                    for k, v in sorted(settings.items())))
        path = self.data_dir / DEV_STACK_INFO
        # The pid says the stack runs (the settings read dev.env only then).
        _write_private(path, json.dumps({**self.describe(), "pid": os.getpid()}, indent=2))
        return path

    def remove_dev_json(self) -> None:
        for name in (DEV_STACK_INFO, DEV_STACK_ENV):
            (self.data_dir / name).unlink(missing_ok=True)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    os.replace(tmp, path)  # readers never see half a file


def _dotenv_value(value: str) -> str:
    """Single-quoted, read literally by dotenv and by a shell (`set -a; . dev.env`)."""
    if "'" in value or "\n" in value:
        raise ValueError(f"a setting value a .env file cannot hold: {value[:40]!r}")
    return f"'{value}'"
