"""`wooerp dev` end to end: real server, Web UI, search attributes, clean Ctrl-C."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from workers.devstack.devserver import temporal_binary
from workers.devstack.ports import free_port
from workers.sagas.search_attributes import CLI_TYPE_NAMES, SEARCH_ATTRIBUTES

WOOERP = Path(sys.executable).parent / "wooerp"


async def _read_until(stream: asyncio.StreamReader, marker: bytes, timeout: float) -> bytes:
    seen = b""
    async with asyncio.timeout(timeout):
        while marker not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"exited before {marker!r}:\n{seen.decode()}")
            seen += line
    return seen


async def test_wooerp_dev_serves_ui_registers_attributes_and_stops_on_ctrl_c(tmp_path):
    port, ui_port = free_port(), free_port()
    env = {**os.environ, "WOOERP_DATA_DIR": str(tmp_path), "WOOERP_LOG__FORMAT": "json",
           "WOOERP_TEMPORAL__ADDRESS": f"127.0.0.1:{port}"}
    proc = await asyncio.create_subprocess_exec(
        str(WOOERP), "dev", "--ui-port", str(ui_port), "--erp-port", str(free_port()),
        "--store-port", str(free_port()), "--ingress-port", str(free_port()), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        banner = await _read_until(proc.stdout, b"Press Ctrl-C", 60)
        assert f"http://127.0.0.1:{ui_port}".encode() in banner
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"http://127.0.0.1:{ui_port}/")).status_code == 200
        listed = subprocess.run(
            [str(temporal_binary()), "operator", "search-attribute", "list",
             "--address", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=30, check=True)
        rows = {tuple(line.split()) for line in listed.stdout.splitlines()}
        for key in SEARCH_ATTRIBUTES:
            assert (key.name, CLI_TYPE_NAMES[key.indexed_value_type]) in rows
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert b"wooerp dev stopped." in rest
    assert proc.returncode == 0
    assert (tmp_path / "temporal.sqlite").exists() and (tmp_path / "ledger.sqlite").exists()
