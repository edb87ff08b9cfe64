"""The embedded stack `wooerp dev` runs, in start order: the Temporal dev
server, the sandbox ERP (real Tryton), the sandbox store, the worker, the
ingress and the warehouse simulator. They stop in reverse.

The sandbox pieces run as `wooerp sandbox ...` child processes and are
reached only over HTTP/JSON-RPC, as a real store and ERP would be: product
code never imports sandbox/. Credentials are generated once per data
directory and kept in `dev-secrets.json` (mode 0600).
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
from workers.config.settings import DEV_CODEC_KEYS, Settings
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
            "codec_token": secrets.token_urlsafe(24)}


@dataclass(frozen=True)
class DevSecrets:
    consumer_key: str
    consumer_secret: str
    webhook_secret: str
    support_token: str
    codec_token: str  # the Web UI's path to the ingress's codec endpoint

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
                 invoice_delay: float = 3.0) -> None:
        self.settings, self.temporal, self.ports = settings, temporal, ports
        self.data_dir = Path(settings.data_dir)
        make_private(self.data_dir)  # before anything writes there, children included
        self.logs = self.data_dir / "logs"
        self.secrets = DevSecrets.load_or_create(self.data_dir)
        self.codec_keys = dev_codec_keys(self.data_dir)
        self.ship_delay, self.invoice_delay = ship_delay, invoice_delay

    # endpoints ------------------------------------------------------------------
    @property
    def store_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.store}"

    @property
    def erp_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.erp}/"

    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.ingress}"

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
        return {
            "WOOERP_DATA_DIR": str(self.data_dir),
            "WOOERP_DATABASE_URL": self.settings.database_url,
            "WOOERP_TEMPORAL__ADDRESS": self.temporal.address,
            "WOOERP_TEMPORAL__NAMESPACE": self.temporal.namespace,
            f"WOOERP_STORES__{STORE.upper()}__URL": self.store_url,
            f"WOOERP_STORES__{STORE.upper()}__CONSUMER_KEY": s.consumer_key,
            f"WOOERP_STORES__{STORE.upper()}__CONSUMER_SECRET": s.consumer_secret,
            f"WOOERP_STORES__{STORE.upper()}__WEBHOOK_SECRET": s.webhook_secret,
            "WOOERP_ERP__URL": self.erp_url,
            "WOOERP_ERP__DATABASE": "wooerp",
            "WOOERP_ERP__USER": "admin",
            "WOOERP_ERP__PASSWORD_FILE": str(self.data_dir / "erp" / "admin.pass"),
            "WOOERP_INGRESS__HOST": "127.0.0.1",
            "WOOERP_INGRESS__PORT": str(self.ports.ingress),
            "WOOERP_SUPPORT__API_TOKEN": s.support_token,
            # Payload keys: <data_dir>/codec.keys, the settings' default.
            "WOOERP_TEMPORAL__CODEC__ENDPOINT_TOKEN": s.codec_token,
            **({"WOOERP_TEMPORAL__UI_PORT": str(self.temporal.ui_port)}  # the codec's CORS origin
               if self.temporal.ui_port else {}),
        }

    # children -------------------------------------------------------------------
    def specs(self) -> list[ChildSpec]:
        env = self.product_env()
        templates = Path.home() / ".cache" / "wooerp" / "tryton-templates"
        return [
            dev_server_spec(replace(self.temporal, ui_codec_endpoint=self.codec_endpoint),
                            log_file=self.logs / "temporal.log"),
            ChildSpec("erp", [WOOERP, "sandbox", "erp", "--port", str(self.ports.erp),
                              "--data-dir", str(self.data_dir / "erp"),
                              "--templates-dir", str(templates)],
                      ready=_file_ready(self.erp_json), ready_timeout=180,
                      log_file=self.logs / "erp.log"),
            ChildSpec("store", [WOOERP, "sandbox", "store", "--port", str(self.ports.store),
                                "--data-dir", str(self.data_dir / "store")],
                      env={"WOOERP_STORE_CONSUMER_KEY": self.secrets.consumer_key,
                           "WOOERP_STORE_CONSUMER_SECRET": self.secrets.consumer_secret},
                      ready=_http_ready(f"{self.store_url}/__sandbox/health"),
                      log_file=self.logs / "store.log"),
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
        """Every endpoint and credential, as written to dev.json."""
        return {
            "temporal_address": self.temporal.address,
            "temporal_namespace": self.temporal.namespace,
            "temporal_ui": self.temporal.ui_url or "",
            "store": STORE,
            "store_url": self.store_url,
            "store_consumer_key": self.secrets.consumer_key,
            "store_consumer_secret": self.secrets.consumer_secret,
            "webhook_secret": self.secrets.webhook_secret,
            "erp_url": self.erp_url,
            "erp_database": "wooerp",
            "erp_user": "admin",
            "erp_password_file": str(self.data_dir / "erp" / "admin.pass"),
            "ingress_url": self.ingress_url,
            "webhook_url": f"{self.ingress_url}/webhooks/woocommerce/{STORE}",
            "support_token": self.secrets.support_token,
            "codec_endpoint": f"{self.ingress_url}/codec",
            "codec_token": self.secrets.codec_token,
            "ledger": self.settings.database_url,
            "logs": str(self.logs),
        }

    def write_dev_json(self) -> Path:
        path = self.data_dir / "dev.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.describe(), indent=2))
        tmp.chmod(0o600)
        os.replace(tmp, path)  # readers never see half a file
        return path
