"""The product as a user runs it: `wooerp worker` and `wooerp ingress` as real
processes, wired to the session's Temporal dev server, Tryton and sandbox
store, plus the handles a test needs to watch sagas and break things.

Nothing ships on its own: `ship()` runs the warehouse simulator one step at a
time, so a test can hold an order in `awaiting_shipment` as long as it likes.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from sandbox.warehouse import Warehouse
from systems.erp.tryton.adapter import TrytonErp
from systems.ledger import Ledger
from sandbox.store.webhooks import php_json, signature  # the store's own signing, not ours
from tests.fixtures.erp import TrytonServerInfo
from tests.fixtures.store import WOOERP, SandboxStore
from workers.devstack.supervisor import Child, ChildSpec
from workflows.order_saga import OrderSaga
from workflows.order_types import SagaStatus, erp_reference, order_workflow_id

STORE = "default"
DEPLOYMENT = "e2e"
SUPPORT_TOKEN = "e2e-support-token"
TERMINAL = ("closed", "cancelled", "resolved")


def product_env(*, data_dir: Path, temporal_address: str, store: SandboxStore,
                webhook_secret: str, tryton: TrytonServerInfo, ingress_port: int) -> dict[str, str]:
    """WOOERP_* settings shared by the worker, the ingress and CLI commands."""
    key = STORE.upper()
    return {
        "WOOERP_DATA_DIR": str(data_dir),
        "WOOERP_DATABASE_URL": f"sqlite:///{data_dir / 'ledger.sqlite'}",
        "WOOERP_TEMPORAL__ADDRESS": temporal_address,
        "WOOERP_TEMPORAL__DEPLOYMENT": DEPLOYMENT,
        "WOOERP_TEMPORAL__GRACEFUL_SHUTDOWN_SECONDS": "2",
        f"WOOERP_STORES__{key}__URL": store.url,
        f"WOOERP_STORES__{key}__CONSUMER_KEY": store.consumer_key,
        f"WOOERP_STORES__{key}__CONSUMER_SECRET": store.consumer_secret,
        f"WOOERP_STORES__{key}__WEBHOOK_SECRET": webhook_secret,
        "WOOERP_ERP__URL": tryton.url,
        "WOOERP_ERP__DATABASE": tryton.database,
        "WOOERP_ERP__USER": tryton.user,
        "WOOERP_ERP__PASSWORD_FILE": tryton.connection.password_file,
        # An ERP that is down must fail an attempt fast, so retries can run.
        "WOOERP_ERP__TIMEOUT_SECONDS": "10",
        "WOOERP_INGRESS__HOST": "127.0.0.1",
        "WOOERP_INGRESS__PORT": str(ingress_port),
        "WOOERP_SUPPORT__API_TOKEN": SUPPORT_TOKEN,
        # Poll shipments and invoices often: the warehouse is driven by the test.
        "WOOERP_SAGA__POLL_INITIAL_SECONDS": "0.2",
        "WOOERP_SAGA__POLL_MAX_SECONDS": "1",
        "WOOERP_LOG__FORMAT": "json",
    }


def _log_contains(path: Path, text: str):
    async def ready() -> bool:
        return path.is_file() and text in path.read_text(errors="replace")
    return ready


def _http_ok(url: str):
    async def ready() -> bool:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(url)).status_code == 200
    return ready


@dataclass
class E2EStack:
    env: dict[str, str]
    data_dir: Path
    ingress_url: str
    webhook_secret: str
    store: SandboxStore
    tryton: TrytonServerInfo
    erp: TrytonErp
    client: Client
    ledger: Ledger
    worker: Child | None = None
    ingress: Child | None = None
    _worker_runs: int = 0

    # processes ------------------------------------------------------------------
    async def start_worker(self) -> None:
        self._worker_runs += 1
        log = self.data_dir / f"worker-{self._worker_runs}.log"
        self.worker = Child(ChildSpec("worker", [str(WOOERP), "worker"], env=self.env,
                                      ready=_log_contains(log, "worker running"),
                                      ready_timeout=60, log_file=log))
        await self.worker.start()
        await self.worker.wait_ready()

    def kill_worker(self) -> None:
        """SIGKILL: no graceful shutdown, activities and sticky caches just vanish."""
        assert self.worker and self.worker.process
        os.killpg(self.worker.process.pid, signal.SIGKILL)

    async def start_ingress(self) -> None:
        self.ingress = Child(ChildSpec(
            "ingress", [str(WOOERP), "ingress"], env=self.env,
            ready=_http_ok(f"{self.ingress_url}/healthz"), ready_timeout=60,
            log_file=self.data_dir / "ingress.log"))
        await self.ingress.start()
        await self.ingress.wait_ready()

    async def stop(self) -> None:
        for child in (self.ingress, self.worker):
            if child is not None:
                await child.stop()

    async def stop_erp(self) -> None:
        await asyncio.to_thread(self.tryton.server.stop)

    async def start_erp(self) -> None:
        await asyncio.to_thread(self.tryton.server.start)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A `wooerp` command as an operator types it, with the stack's settings."""
        return subprocess.run([str(WOOERP), *args], env={**os.environ, **self.env,
                                                        "COLUMNS": "200"},
                              capture_output=True, text=True, timeout=60)

    # webhooks -------------------------------------------------------------------
    @property
    def webhook_url(self) -> str:
        return f"{self.ingress_url}/webhooks/woocommerce/{STORE}"

    def post_webhook(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=30)

    def sign_and_post(self, topic: str, body: bytes, delivery_id: str) -> httpx.Response:
        """A delivery as WooCommerce makes it, signed with the webhook secret."""
        resource, _, event = topic.partition(".")
        return self.post_webhook(body, {
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Source": f"{self.store.url}/", "X-WC-Webhook-ID": "999",
            "X-WC-Webhook-Delivery-ID": delivery_id,
            "X-WC-Webhook-Signature": signature(body, self.webhook_secret)})

    # sagas ----------------------------------------------------------------------
    def handle(self, order_id: int) -> WorkflowHandle:
        return self.client.get_workflow_handle(order_workflow_id(STORE, order_id))

    async def status(self, order_id: int) -> SagaStatus | None:
        """The saga's `status` query; None while it does not exist or no worker answers."""
        try:
            return await self.handle(order_id).query(OrderSaga.status,
                                                     rpc_timeout=timedelta(seconds=5))
        except RPCError:
            return None

    async def wait_stage(self, order_id: int, *stages: str, timeout: float = 60,
                         step_warehouse: bool = False) -> SagaStatus:
        """Poll until the saga is in one of `stages`; optionally let the
        warehouse work meanwhile. A timeout fails with the last status seen."""
        loop = asyncio.get_running_loop()
        deadline, last = loop.time() + timeout, None
        warehouse = Warehouse(self.erp.rpc, ship_delay=0, invoice_delay=0,
                              receive_returns=False) if step_warehouse else None
        while loop.time() < deadline:
            last = await self.status(order_id) or last
            if last is not None and last.stage in stages:
                return last
            if warehouse is not None and last is not None and last.stage.startswith("awaiting_"):
                await warehouse.step()
            await asyncio.sleep(0.2)
        raise AssertionError(f"order {order_id} never reached {stages}; last status: {last}")

    async def ship(self, order_id: int, timeout: float = 60) -> SagaStatus:
        """Let the warehouse ship and invoice until the saga closes."""
        return await self.wait_stage(order_id, *TERMINAL, timeout=timeout, step_warehouse=True)

    # the ERP side -------------------------------------------------------------------
    async def erp_sale_ids(self, order_id: int) -> list[int]:
        return await self.erp.rpc.search(
            "sale.sale", [["wooerp_ref", "=", erp_reference(STORE, order_id)]])

    async def party_sale_ids(self, sale_id: int) -> list[int]:
        """Every sale of the order's customer (a unique email per test order)."""
        row, = await self.erp.rpc.read("sale.sale", [sale_id], ["party"])
        return await self.erp.rpc.search("sale.sale", [["party", "=", row["party"]]])

    # added for policy and CLI tests -------------------------------------------------
    def cli_with(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        """`cli`, with some settings changed for this one command."""
        return subprocess.run([str(WOOERP), *args], env={**os.environ, **self.env, **env,
                                                        "COLUMNS": "200"},
                              capture_output=True, text=True, timeout=60)

    async def restart_ingress(self, **env: str) -> None:
        """The ingress again, with these settings changed (none: as configured).
        Sagas take their policy from the process that starts them: the ingress."""
        assert self.ingress is not None
        await self.ingress.stop()
        self.ingress = Child(ChildSpec(
            "ingress", [str(WOOERP), "ingress"], env={**self.env, **env},
            ready=_http_ok(f"{self.ingress_url}/healthz"), ready_timeout=60,
            log_file=self.data_dir / "ingress.log"))
        await self.ingress.start()
        await self.ingress.wait_ready()

    async def scheduled(self, workflow_id: str, activity: str) -> int:
        """How many times a saga's history scheduled `activity`."""
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        return sum(1 for e in history.events
                   if e.HasField("activity_task_scheduled_event_attributes")
                   and e.activity_task_scheduled_event_attributes.activity_type.name == activity)

    async def saga_exists(self, order_id: int) -> bool:
        """Has the order a saga? Temporal's own answer (NOT_FOUND is no), never
        a query no worker answered, which `status()` also turns into None."""
        try:
            await self.handle(order_id).describe(rpc_timeout=timedelta(seconds=10))
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True
