"""Wire the emulator together and serve it with uvicorn (HTTP, optionally HTTPS too)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from sandbox.catalog import CURRENCY, TAX_NAME, TAX_RATE
from sandbox.store import credentials, seed
from sandbox.store.admin import admin_routes
from sandbox.store.app import StoreApp, build
from sandbox.store.auth import ApiKey, Authenticator
from sandbox.store.db import Database
from sandbox.store.faults import FaultInjector, Faults
from sandbox.store.fmt import Clock
from sandbox.store.settings import Settings, StoreSettings
from sandbox.store.site import Site, TaxRate
from sandbox.store.tls import ensure_cert
from sandbox.store.webhooks import WebhookService


@dataclass
class StoreConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8081
    tls_port: int | None = None
    home_url: str | None = None  # set: OAuth signs against it strictly, like a real site
    utc_offset_minutes: int = 0
    consumer_key: str | None = None
    consumer_secret: str | None = None
    webhook_timeout: float = 60.0
    trust_forwarded_proto: bool = False
    faults: Faults = field(default_factory=Faults)
    settings: StoreSettings = field(default_factory=StoreSettings)
    # gateways that cannot refund automatically (their supports('refunds') is false)
    manual_gateways: frozenset[str] = frozenset({"bacs", "cheque", "cod"})


def make_app(cfg: StoreConfig):
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(cfg.data_dir / "store.sqlite")
    tax = TaxRate(id=1, rate=TAX_RATE, label=TAX_NAME, code=f"{TAX_NAME.upper()}-1")
    home = cfg.home_url or f"http://{cfg.host}:{cfg.port}"
    site = Site(db=db, clock=Clock(cfg.utc_offset_minutes), home_url=home, currency=CURRENCY, tax=tax,
                manual_gateways=frozenset(cfg.manual_gateways))
    seed.seed(site)
    key = credentials.load_or_create(cfg.data_dir, cfg.consumer_key, cfg.consumer_secret)
    keys = {key.consumer_key: key}
    for extra in db.kv_get("extra_keys") or []:
        keys[extra["consumer_key"]] = ApiKey(**extra)
    auth = Authenticator(db, keys)
    faults = FaultInjector(cfg.faults)
    store = StoreApp(site, auth, faults, strict_home=cfg.home_url is not None,
                     trust_forwarded_proto=cfg.trust_forwarded_proto)
    settings = Settings(cfg.settings)
    hooks = WebhookService(site, faults, cfg.webhook_timeout, store.renderers(), settings)
    site.webhooks = hooks
    return build(store, admin_routes(site, faults, hooks, auth, settings), hooks), key


def serve(cfg: StoreConfig) -> None:
    app, _ = make_app(cfg)
    common = dict(log_level="warning", proxy_headers=False, lifespan="on", access_log=False)
    servers = [uvicorn.Server(uvicorn.Config(app, host=cfg.host, port=cfg.port, **common))]
    if cfg.tls_port:
        cert, keyfile = ensure_cert(cfg.data_dir)
        # a second listener on the same app; only one of them runs the lifespan
        servers.append(uvicorn.Server(uvicorn.Config(
            app, host=cfg.host, port=cfg.tls_port, ssl_certfile=str(cert),
            ssl_keyfile=str(keyfile), **{**common, "lifespan": "off"})))
    print(f"store: http://{cfg.host}:{cfg.port}" +
          (f"  https://{cfg.host}:{cfg.tls_port}" if cfg.tls_port else ""), flush=True)
    # Where the keys are, never the keys: this output is a log file under `wooerp dev`.
    print(f"credentials (consumer key and secret): {cfg.data_dir / 'credentials.json'}", flush=True)

    async def main() -> None:
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(main())
