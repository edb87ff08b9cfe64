"""A private embedded stack for the acceptance benchmark: what `wooerp dev`
runs (workers.devstack.stack.DevStack under the Supervisor), on free loopback
ports in a temporary data directory, without the warehouse simulator.

    async with bench_stack(tmp) as stack:
        stack.dev.store_url, stack.dev.erp_json, stack.ledger, ...
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.erp.config import ErpConnection
from systems.ledger import Ledger
from systems.woocommerce.client import WooClient
from systems.woocommerce.webhook_setup import ensure_webhooks
from workers.devstack.devserver import DevServerConfig
from workers.devstack.ports import free_port
from workers.devstack.stack import DevPorts, DevStack, dev_codec_keys
from workers.config.settings import Settings, TemporalSettings
from workers.devstack.supervisor import Restarts, Supervisor

# Acceptance ends at the confirmed ERP sale. Sagas then wait for a shipment
# by polling the ERP; nothing ships here, so that polling would only steal
# ERP time from acceptance. Poll after an hour: well past any run.
SAGA_ENV = {"WOOERP_SAGA__POLL_INITIAL_SECONDS": "3600"}


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
async def bench_stack(data_dir: Path, *, warehouse: bool = False,
                      saga_env: dict[str, str] | None = None, workers: int = 1,
                      queues: list[list[str]] | None = None,
                      restarts: Restarts = Restarts()) -> AsyncIterator[BenchStack]:
    """The stack; `warehouse` adds the simulator that ships and invoices,
    `saga_env` replaces SAGA_ENV for the worker and the ingress, and `workers`
    worker processes (worker, worker-2, ...) poll the same task queues, or,
    with `queues`, one process per list, each polling the queues it names."""
    temporal = DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                               metrics_port=free_port(), db_file=data_dir / "temporal.sqlite")
    data_dir.mkdir(parents=True, exist_ok=True)
    dev_codec_keys(data_dir)  # first, so the bench's own settings (and clients) have the keys
    settings = Settings(data_dir=data_dir, temporal=TemporalSettings(address=temporal.address))
    ports = DevPorts(erp=free_port(), store=free_port(), ingress=free_port())
    dev = DevStack(settings, temporal, ports)
    env = SAGA_ENV if saga_env is None else saga_env
    specs = [dataclasses.replace(s, env={**s.env, **env})
             if s.name in ("worker", "ingress") else s
             for s in dev.specs() if warehouse or s.name != "warehouse"]
    worker = next(s for s in specs if s.name == "worker")
    polled = queues or [[] for _ in range(workers)]
    extra = [dataclasses.replace(worker, name=f"worker-{n}", log_file=dev.logs / f"worker-{n}.log")
             for n in range(2, len(polled) + 1)]
    at = specs.index(worker)
    specs[at:at + 1] = [dataclasses.replace(w, argv=[*w.argv, *(a for q in qs
                                                               for a in ("--queue", q))])
                        for w, qs in zip([worker, *extra], polled)]
    ledger = Ledger(settings.database_url)
    ledger.migrate()
    supervisor = Supervisor(specs, restarts)
    try:
        async with supervisor:
            yield BenchStack(dev, ledger, supervisor)
    finally:
        ledger.close()

