"""A private embedded stack for the acceptance benchmark: what `wooerp dev`
runs (workers.devstack.DevStack under the Supervisor), on free loopback
ports in a temporary data directory, without the warehouse simulator.

    async with bench_stack(tmp) as stack:
        stack.dev.store_url, stack.dev.erp_json, stack.ledger, ...
"""
from __future__ import annotations

import contextlib
import dataclasses
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.erp.config import ErpConnection
from systems.ledger import Ledger
from systems.woocommerce.client import WooClient
from systems.woocommerce.webhook_setup import ensure_webhooks
from workers.devserver import DevServerConfig
from workers.devstack import DevPorts, DevStack
from workers.settings import Settings, TemporalSettings
from workers.supervisor import Supervisor

# Acceptance ends at the confirmed ERP sale. Sagas then wait for a shipment
# by polling the ERP; nothing ships here, so that polling would only steal
# ERP time from acceptance. Poll after an hour: well past any run.
SAGA_ENV = {"WOOERP_SAGA__POLL_INITIAL_SECONDS": "3600"}


def listen_port() -> int:
    """A free port below the ephemeral range. A port the kernel hands out for
    `bind(0)` is ephemeral, and the many outgoing connections of a run can
    take it before the child that was meant to listen on it has started
    (seen: the ingress failed with 'address already in use')."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ephemeral.read_text().split()[0]) if ephemeral.is_file() else 32768
    for _ in range(100):
        port = random.randrange(20000, min(low, 32768))
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port
    raise RuntimeError("no free port below the ephemeral range")


@dataclass
class BenchStack:
    dev: DevStack
    ledger: Ledger
    supervisor: Supervisor

    @property
    def erp(self) -> ErpConnection:
        return ErpConnection.read(self.dev.erp_json)

    def woo(self) -> WooClient:
        s = self.dev.secrets
        return WooClient(self.dev.store_url, s.consumer_key, s.consumer_secret, timeout=30)

    def connect_webhooks(self) -> None:
        """Point the store's order webhooks at the ingress (as `wooerp dev` does)."""
        url = self.dev.describe()["webhook_url"]
        ensure_webhooks(self.woo(), url, self.dev.secrets.webhook_secret)

    def pid(self, name: str) -> int | None:
        child = next(c for c in self.supervisor.children if c.spec.name == name)
        return child.process.pid if child.process else None


@contextlib.asynccontextmanager
async def bench_stack(data_dir: Path) -> AsyncIterator[BenchStack]:
    temporal = DevServerConfig(port=listen_port(), ui_port=None, http_port=listen_port(),
                               metrics_port=listen_port(), db_file=data_dir / "temporal.sqlite")
    settings = Settings(data_dir=data_dir, temporal=TemporalSettings(address=temporal.address))
    ports = DevPorts(erp=listen_port(), store=listen_port(), ingress=listen_port())
    dev = DevStack(settings, temporal, ports)
    specs = [dataclasses.replace(s, env={**s.env, **SAGA_ENV})
             if s.name in ("worker", "ingress") else s
             for s in dev.specs() if s.name != "warehouse"]
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    supervisor = Supervisor(specs)
    try:
        async with supervisor:
            yield BenchStack(dev, ledger, supervisor)
    finally:
        ledger.close()

