"""With the codec on, Temporal's history holds ciphertext: `temporal workflow
show` (the CLI without the codec) does not show the customer's e-mail, not
even in a failure message, while the ingress's codec endpoint decodes it
back, for the CLI (`--codec-endpoint`) and for a direct POST /codec/decode."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from temporalio import activity, workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Replayer, Worker

from canonical.entities import Address
from workers.config.keyring import new_key_line
from workers.config.settings import Settings, load_settings
from workers.devstack.devserver import temporal_binary
from workers.devstack.ports import free_port
from workers.ingress.app import create_app
from workers.sagas.codec import data_converter
from workers.sagas.connect import connect, converter

EMAIL = f"jane.{uuid.uuid4().hex[:8]}@example.com"
TOKEN = "codec-token-for-tests"


@activity.defn
async def check_customer(address: Address) -> str:
    raise ApplicationError(f"customer {address.email} is on the refusal list", non_retryable=True)


@workflow.defn(sandboxed=False)
class CustomerCheck:
    @workflow.run
    async def run(self, address: Address) -> str:
        try:
            return await workflow.execute_activity(check_customer, address,
                                                   start_to_close_timeout=timedelta(seconds=10))
        except ActivityError as err:
            return f"refused {address.email}: {err.cause}"


@pytest.fixture
def settings(tmp_path, temporal_address) -> Settings:
    return load_settings(data_dir=tmp_path, temporal={
        "address": temporal_address, "codec": {"keys": new_key_line(), "endpoint_token": TOKEN}})


@pytest.fixture
async def codec_url(settings) -> AsyncIterator[str]:
    """The ingress over real HTTP, as the Web UI and the CLI reach it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, relay_every=3600), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/codec"
    finally:
        server.should_exit = True
        await serving


async def temporal_cli(*args: str) -> str:
    """The `temporal` binary, with no codec but what the arguments say."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    proc = await asyncio.create_subprocess_exec(
        str(temporal_binary()), *args, "--disable-config-file", "--disable-config-env", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


def payload_texts(node: object) -> str:
    """Every payload's data, base64-decoded (the JSON output keeps payloads raw)."""
    if isinstance(node, dict):
        own = base64.b64decode(node["data"]).decode(errors="replace") \
            if {"metadata", "data"} <= node.keys() and isinstance(node["data"], str) else ""
        return own + "".join(payload_texts(v) for v in node.values())
    if isinstance(node, list):
        return "".join(payload_texts(v) for v in node)
    return ""


async def test_history_is_ciphertext_without_the_codec_and_plain_through_the_endpoint(
        settings, codec_url, temporal_address):
    client = await connect(settings.temporal)  # the product's one connect, codec included
    queue, wid = f"codec-{uuid.uuid4().hex[:8]}", f"codec-check-{uuid.uuid4().hex[:8]}"
    customer = Address(first_name="Jane", last_name="Doe", address_1="1 Private Lane",
                       phone="+44 20 7946 0000", email=EMAIL)
    async with Worker(client, task_queue=queue, workflows=[CustomerCheck],
                      activities=[check_customer]):
        result = await client.execute_workflow(CustomerCheck.run, customer, id=wid,
                                               task_queue=queue)
    assert result.startswith(f"refused {EMAIL}: customer {EMAIL} is on the refusal list")

    show = ["workflow", "show", "-w", wid, "--address", temporal_address]
    raw_json, raw_text = await temporal_cli(*show, "--output", "json"), await temporal_cli(*show)
    for raw in (raw_json, raw_text, payload_texts(json.loads(raw_json))):
        # The phone number whole: its digits alone may be part of a task id.
        for secret in (EMAIL, "Private Lane", "20 7946 0000", "refusal list"):
            assert secret not in raw
    assert base64.b64encode(b"binary/encrypted").decode() in raw_json
    assert "Encoded failure" in raw_json  # the activity's message went into the ciphertext

    decoded = await temporal_cli(*show, "--output", "json", "--codec-endpoint", codec_url,
                                 "--codec-auth", f"Bearer {TOKEN}")
    readable = payload_texts(json.loads(decoded))
    assert EMAIL in readable and "is on the refusal list" in readable

    events = json.loads(raw_json)["events"]
    started = next(e for e in events if "workflowExecutionStartedEventAttributes" in e)
    payloads = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(f"{codec_url}/decode", json={"payloads": payloads},
                                 headers={"Authorization": f"Bearer {TOKEN}",
                                          "X-Namespace": "default"})
        refused = await http.post(f"{codec_url}/decode", json={"payloads": payloads})
    assert answer.status_code == 200, answer.text
    plain = json.loads(base64.b64decode(answer.json()["payloads"][0]["data"]))
    assert plain["email"] == EMAIL and plain["address_1"] == "1 Private Lane"
    assert refused.status_code == 401 and EMAIL not in refused.text

    # A history written with the codec replays on a worker with the key ring, not without.
    history = await client.get_workflow_handle(wid).fetch_history()
    with_ring = Replayer(workflows=[CustomerCheck], data_converter=converter(settings.temporal))
    assert (await with_ring.replay_workflow(history, raise_on_replay_failure=False)
            ).replay_failure is None
    without = Replayer(workflows=[CustomerCheck], data_converter=data_converter(None))
    assert (await without.replay_workflow(history, raise_on_replay_failure=False)
            ).replay_failure is not None
