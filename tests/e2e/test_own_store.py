"""`wooerp dev --store-url` against a store that is not the dev stack's own
(a sandbox store started on its own stands in for a user's staging shop),
and `wooerp doctor` on that running setup: healthy exits 0; an unmapped SKU
and a disabled webhook make it exit 1 and name both."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio

from tests.e2e.shop import POSTER, Shop
from tests.fixtures.store import WOOERP, SandboxStore
from workers.devstack.ports import free_port


@dataclass
class OwnStoreDev:
    store: SandboxStore
    proc: asyncio.subprocess.Process
    banner: str
    env: dict[str, str]
    data_dir: Path
    ingress_url: str

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(WOOERP), *args], env={**self.env, "COLUMNS": "250"},
                              capture_output=True, text=True, timeout=120)

    def doctor(self, *args: str) -> tuple[int, dict[str, dict[str, str]], str]:
        done = self.cli("doctor", "default", "--ingress-url", self.ingress_url, "--json", *args)
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        return done.returncode, {f"{r['area']}: {r['check']}": r for r in rows}, \
            done.stdout + done.stderr


async def _read_until(stream: asyncio.StreamReader, marker: bytes, timeout: float) -> str:
    seen = b""
    async with asyncio.timeout(timeout):
        while marker not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"wooerp dev exited before {marker!r}:\n{seen.decode()}")
            seen += line
    return seen.decode()


@pytest_asyncio.fixture(scope="module")
async def own(tmp_path_factory) -> AsyncIterator[OwnStoreDev]:
    root = tmp_path_factory.mktemp("own-store")
    store = SandboxStore(root / "store", root / "store.log")
    store.start()
    api = store.api()
    # A shop whose every SKU the ERP knows: the sandbox's one unmapped product goes.
    for product in api.get("products", params={"sku": "WOO-UNMAPPED"}).json():
        api.delete(f"products/{product['id']}", params={"force": True})
    key_file = root / "consumer_key"
    key_file.write_text(store.consumer_key + "\n")
    key_file.chmod(0o600)
    data_dir, ingress_port = root / "dev", free_port()
    env = {**os.environ, "WOOERP_DATA_DIR": str(data_dir), "WOOERP_LOG__FORMAT": "json",
           "WOOERP_TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}",
           "WOOERP_STORES__DEFAULT__URL": store.url,  # for the CLI; dev takes --store-url
           # keys as a user gives them: a secret file and a variable
           "WOOERP_STORES__DEFAULT__CONSUMER_KEY_FILE": str(key_file),
           "WOOERP_STORES__DEFAULT__CONSUMER_SECRET": store.consumer_secret,
           # the test's ingress port is random: declared as the site would allow it
           # (http_allowed_safe_ports), so the healthy setup is healthy
           "WOOERP_STORES__DEFAULT__WEBHOOK_PORTS": f"[80, 443, 8080, {ingress_port}]",
           }
    # The ERP is the dev stack's own; the CLI commands below reach it as
    # dev.json says (the password file exists only once the stack is up).
    erp_port = free_port()
    dev_env = dict(env)
    env.update({"WOOERP_ERP__URL": f"http://127.0.0.1:{erp_port}/",
                "WOOERP_ERP__PASSWORD_FILE": str(data_dir / "erp" / "admin.pass")})
    proc = await asyncio.create_subprocess_exec(
        str(WOOERP), "dev", "--store-url", store.url, "--ui-port", str(free_port()),
        "--erp-port", str(erp_port), "--ingress-port", str(ingress_port),
        "--store-port", str(free_port()), "--ship-delay", "1", env=dev_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        banner = await _read_until(proc.stdout, b"Press Ctrl-C", 240)
        yield OwnStoreDev(store, proc, banner, env, data_dir, f"http://127.0.0.1:{ingress_port}")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(proc.communicate(), 60)
        store.stop()


async def test_dev_runs_everything_but_the_store_and_wires_the_stores_webhooks(own):
    webhook_url = f"{own.ingress_url}/webhooks/woocommerce/default"
    assert f"must be able to reach {webhook_url}" in own.banner
    assert f"store_url         {own.store.url}" in own.banner
    assert not (own.data_dir / "logs" / "store.log").exists()  # no sandbox store child
    hooks = own.store.api().get("webhooks").json()
    assert {(h["topic"], h["status"]) for h in hooks if h["delivery_url"] == webhook_url} == {
        ("order.created", "active"), ("order.updated", "active"),
        ("order.deleted", "active"), ("order.restored", "active")}

    # an order placed in that store goes all the way through the dev stack
    placed = Shop(own.store).place_order({POSTER: 1})
    loop = asyncio.get_running_loop()
    deadline, shown = loop.time() + 120, ""
    while loop.time() < deadline:
        shown = own.cli("order", "status", "default", str(placed["id"])).stdout
        if "closed" in shown.split():
            break
        await asyncio.sleep(1)
    assert "closed" in shown.split(), shown
    assert own.store.api().get(f"orders/{placed['id']}").json()["status"] == "completed"


async def test_doctor_on_a_healthy_setup_exits_0(own):
    code, rows, output = own.doctor()
    assert code == 0, output
    failed = [r for r in rows.values() if r["status"] == "fail"]
    assert failed == []
    for check in ("store default: reachable", "store default: key permission",
                  "store default: webhook order.updated", "store default: delivery URL",
                  "erp: login", "erp: wooerp_link", "erp: SKUs mapped (default)",
                  "temporal: search attributes", "temporal: workers on orders",
                  "temporal: workers on erp"):
        assert rows[check]["status"] == "ok", (check, rows.get(check))
    assert rows["store default: key permission"]["detail"] == "read_write"


async def test_doctor_names_an_unmapped_sku_and_a_disabled_webhook_and_exits_1(own):
    api = own.store.api()
    made = api.post("products", {"name": "New print", "sku": "DOCTOR-NEW",
                                 "regular_price": "5.00"}).json()
    hook = next(h for h in api.get("webhooks").json() if h["topic"] == "order.updated"
                and h["delivery_url"].startswith(own.ingress_url))
    api.put(f"webhooks/{hook['id']}", {"status": "disabled"})
    try:
        code, rows, output = own.doctor()
        assert code == 1, output
        sku = rows["erp: SKUs mapped (default)"]
        assert sku["status"] == "fail" and "DOCTOR-NEW" in sku["detail"]
        webhook = rows["store default: webhook order.updated"]
        assert webhook["status"] == "fail" and "disabled" in webhook["detail"]
        assert "wooerp webhooks install default" in webhook["fix"]
        assert [r for r in rows.values() if r["status"] == "fail"] == [webhook, sku]
        table = own.cli("doctor", "default", "--ingress-url", own.ingress_url)
        assert table.returncode == 1 and "DOCTOR-NEW" in table.stdout and "FAIL" in table.stdout
    finally:
        api.delete(f"products/{made['id']}", params={"force": True})
        api.put(f"webhooks/{hook['id']}", {"status": "active"})


async def test_dev_stops_cleanly(own):
    own.proc.send_signal(signal.SIGINT)
    rest, _ = await asyncio.wait_for(own.proc.communicate(), 60)
    assert b"wooerp dev stopped." in rest and own.proc.returncode == 0
