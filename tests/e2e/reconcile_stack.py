"""A stack of its own for the reconciliation tests: a second sandbox store
under the store code `recon`, with its own worker and ingress on their own
task queues, sharing the session's Temporal and Tryton.

A reconciliation reads every order of a business day, so it must not see
the orders other tests leave in the shared store (some without sagas on
purpose): it would recover them and book them in the shared ERP. The
store code keeps the ERP references (`woo:recon:N`) and workflow ids
(`order:recon:N`) apart from the default store's.
"""
from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import WorkflowHandle

from systems.ledger import Ledger
from tests.e2e.stack import E2EStack, product_env
from tests.fixtures.store import WOOERP, SandboxStore
from workers.devstack.ports import free_port
from workflows.order_types import erp_reference, order_workflow_id

CODE = "recon"
DEPLOYMENT = "e2erec"


@dataclass
class ReconcileStack(E2EStack):
    code: str = CODE

    @property
    def webhook_url(self) -> str:
        return f"{self.ingress_url}/webhooks/woocommerce/{self.code}"

    def handle(self, order_id: int) -> WorkflowHandle:
        return self.client.get_workflow_handle(order_workflow_id(self.code, order_id))

    async def erp_sale_ids(self, order_id: int) -> list[int]:
        return await self.erp.rpc.search(
            "sale.sale", [["wooerp_ref", "=", erp_reference(self.code, order_id)]])

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(WOOERP), *args], env={**os.environ, **self.env,
                                                        "COLUMNS": "250"},
                              capture_output=True, text=True, timeout=timeout)


def reconcile_env(data_dir: Path, temporal_address: str, store: SandboxStore, tryton,
                  ingress_port: int, webhook_secret: str) -> dict[str, str]:
    env = product_env(data_dir=data_dir, temporal_address=temporal_address, store=store,
                      webhook_secret=webhook_secret, tryton=tryton, ingress_port=ingress_port)
    env = {k.replace("WOOERP_STORES__DEFAULT__", f"WOOERP_STORES__{CODE.upper()}__"): v
           for k, v in env.items()}
    env["WOOERP_TEMPORAL__DEPLOYMENT"] = DEPLOYMENT
    return env


def new_stack(tmp: Path, temporal_address: str, client, tryton, erp) -> ReconcileStack:
    store = SandboxStore(tmp / "store", tmp / "store.log")
    store.start()
    port, secret = free_port(), secrets.token_urlsafe(24)
    env = reconcile_env(tmp, temporal_address, store, tryton, port, secret)
    ledger = Ledger(env["WOOERP_DATABASE_URL"])
    ledger.migrate()
    return ReconcileStack(env=env, data_dir=tmp, ingress_url=f"http://127.0.0.1:{port}",
                          webhook_secret=secret, store=store, tryton=tryton, erp=erp,
                          client=client, ledger=ledger)
