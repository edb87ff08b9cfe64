"""`wooerp dev` as an operator runs it, after issue 16: its data is private,
no log holds a secret, customer data in Temporal is ciphertext that the Web
UI decodes through the ingress, and a worker killed with SIGKILL comes back
while the rest of the stack keeps running."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.demo.shop import Shop
from workers.devstack.devserver import temporal_binary
from workers.devstack.ports import free_port

WOOERP = Path(sys.executable).parent / "wooerp"


class Output:
    """Everything `wooerp dev` prints, read as it comes."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace"))

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def events(self) -> list[dict]:
        found = []
        for line in self.lines:
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return [e for e in found if isinstance(e, dict)]

    async def until(self, condition, what: str, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline or self._task.done():
                raise AssertionError(f"{what}: not seen within {timeout}s; output:\n{self.text[-4000:]}")
            await asyncio.sleep(0.1)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def temporal_show(address: str, workflow_id: str) -> str | None:
    proc = await asyncio.create_subprocess_exec(
        str(temporal_binary()), "workflow", "show", "-w", workflow_id, "--address", address,
        "--output", "json", "--disable-config-file", "--disable-config-env",
        env={k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    return out.decode() if proc.returncode == 0 else None


def payloads_in(node: object) -> list[dict]:
    if isinstance(node, dict):
        own = [node] if {"metadata", "data"} <= node.keys() else []
        return own + [p for v in node.values() for p in payloads_in(v)]
    if isinstance(node, list):
        return [p for v in node for p in payloads_in(v)]
    return []


@pytest.mark.e2e
async def test_wooerp_dev_is_private_encrypted_and_heals_a_killed_worker(tmp_path):
    data = tmp_path / "wooerp"
    port, ui_port, ingress_port = free_port(), free_port(), free_port()
    env = {**os.environ, "WOOERP_DATA_DIR": str(data), "WOOERP_LOG__FORMAT": "json",
           "WOOERP_TEMPORAL__ADDRESS": f"127.0.0.1:{port}"}
    proc = await asyncio.create_subprocess_exec(
        str(WOOERP), "dev", "--ui-port", str(ui_port), "--erp-port", str(free_port()),
        "--store-port", str(free_port()), "--ingress-port", str(ingress_port), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out = Output(proc.stdout)
    address, ingress = f"127.0.0.1:{port}", f"http://127.0.0.1:{ingress_port}"
    try:
        await out.until(lambda: "Press Ctrl-C" in out.text, "the banner", 300)
        info = json.loads((data / "dev.json").read_text())
        secrets = json.loads((data / "dev-secrets.json").read_text())
        codec_key = (data / "codec.keys").read_text().strip().split(":", 1)[1]

        # The Web UI is wired to the ingress's codec endpoint, and may call it (CORS).
        async with httpx.AsyncClient(timeout=10) as http:
            ui = (await http.get(f"http://127.0.0.1:{ui_port}/api/v1/settings")).json()
            endpoint = f"{ingress}/codec/{secrets['codec_token']}"
            assert endpoint in json.dumps(ui)
            pre = await http.options(f"{endpoint}/decode", headers={
                "Origin": f"http://localhost:{ui_port}", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace"})
            assert pre.status_code == 204
            assert pre.headers["access-control-allow-origin"] == f"http://localhost:{ui_port}"

        # An order's customer is ciphertext in Temporal, plain through the codec endpoint.
        shop = Shop(info["store_url"], secrets["consumer_key"], secrets["consumer_secret"])
        order = await shop.place_order({"WOO-MUG": 1})
        email = order["billing"]["email"]
        workflow_id = f"order:default:{order['id']}"
        shown: str | None = None
        for _ in range(300):
            shown = await temporal_show(address, workflow_id)
            if shown:
                break
            await asyncio.sleep(0.2)
        assert shown, f"no saga {workflow_id}"
        assert email not in shown and order["billing"]["last_name"] not in shown
        payloads = payloads_in(json.loads(shown))  # the start, the order signal, ...
        assert payloads and email.encode() not in b"".join(base64.b64decode(p["data"]) for p in payloads)
        async with httpx.AsyncClient(timeout=10) as http:
            decoded = await http.post(f"{endpoint}/decode", json={"payloads": payloads},
                                      headers={"Origin": f"http://127.0.0.1:{ui_port}",
                                               "X-Namespace": "default"})
        assert decoded.status_code == 200, decoded.text
        plain = b"".join(base64.b64decode(p["data"]) for p in decoded.json()["payloads"])
        assert email.encode() in plain

        # SIGKILL the worker once it polls: it is restarted, the rest keeps running.
        worker_log = data / "logs" / "worker.log"
        await out.until(lambda: worker_log.read_text().count("worker running") == 1,
                        "the worker polling", 120)
        worker_pid = next(e["pid"] for e in out.events()
                          if e.get("event") == "child started" and e.get("child") == "worker")
        os.killpg(worker_pid, signal.SIGKILL)
        await out.until(lambda: any(e.get("event") == "child restarted" and e.get("child") == "worker"
                                    for e in out.events()), "the worker restarted", 60)
        assert proc.returncode is None
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"{ingress}/healthz")).status_code == 200
        await out.until(lambda: worker_log.read_text().count("worker running") == 2,
                        "the new worker polling", 60)

        # Private files; no secret in any log.
        assert mode(data) == 0o700
        for name in ("ledger.sqlite", "temporal.sqlite", "store/store.sqlite",
                     "erp/db/wooerp.sqlite", "dev-secrets.json", "dev.json", "dev.env",
                     "codec.keys", "store/credentials.json"):
            assert mode(data / name) == 0o600, name
        logs = {p: p.read_text(errors="replace") for p in (data / "logs").rglob("*") if p.is_file()}
        assert data / "logs" / "store.log" in logs
        for path, text in logs.items():
            assert mode(path) == 0o600, path
            for name, value in {**secrets, "codec key": codec_key}.items():
                assert value not in text, f"{name} in {path}"
        for value in (*secrets.values(), codec_key):
            assert value not in out.text

        # Commands typed in another terminal reach the stack with nothing
        # exported: history made in its store, then booked by a backfill that
        # shows its progress until every paid order is in the ERP.
        plain = {k: v for k, v in os.environ.items() if not k.startswith("WOOERP_")}

        def typed(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([str(WOOERP), *args], capture_output=True, text=True,
                                  env={**plain, "WOOERP_DATA_DIR": str(data), "COLUMNS": "100"},
                                  timeout=240)

        made = await asyncio.to_thread(typed, "sandbox", "history", "--from", "2021-02-01",
                                       "--to", "2021-02-01", "--per-day", "5")
        assert made.returncode == 0, made.stdout + made.stderr
        assert "made 5 orders (3 completed, 1 refunded, 1 cancelled" in made.stdout, made.stdout
        booked = await asyncio.to_thread(typed, "backfill", "start", "default",
                                         "--from", "2021-02-01", "--to", "2021-02-01")
        assert booked.returncode == 0, booked.stdout + booked.stderr
        assert "started backfill:default:2021-02-01:2021-02-01" in booked.stdout
        assert "done; 1 pages, 5 orders seen, 4 sagas started" in booked.stdout, booked.stdout
        assert "4 booked" in booked.stdout and "1 unpaid (reported)" in booked.stdout
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 60)
    await out.until(lambda: "wooerp dev stopped." in out.text, "the clean stop", 10)
    assert proc.returncode == 0
