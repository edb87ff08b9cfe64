"""`wooerp worker` against the real dev server: the plumbing from workflow
queue to activity queue to the ledger, rate limits, graceful shutdown."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

from temporalio.client import Client

from activities.refs import Queue
from activities.ping import PingActivities
from systems.ledger import Ledger
from workers.worker.registry import activities_of
from workers.worker.resources import Resources
from workers.config.settings import load_settings
from workers.worker.run import build_workers, run_worker
from workflows.ping import PingWorkflow

WOOERP = Path(sys.executable).parent / "wooerp"


def _settings(tmp_path: Path, address: str):
    return load_settings(data_dir=tmp_path, temporal={"address": address, "graceful_shutdown_seconds": 2,
                                                      "activities_per_second": {"erp": 3}})


async def test_worker_runs_ping_into_the_ledger(temporal_client: Client, temporal_address: str, tmp_path):
    settings = _settings(tmp_path, temporal_address)
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(settings, stop=stop, client=temporal_client,
                                             install_signal_handlers=False))
    wf_id = f"ping:{uuid.uuid4().hex}"
    try:
        result = await temporal_client.execute_workflow(
            PingWorkflow.run, "hello", id=wf_id, task_queue=Queue.WORKFLOWS.value)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert result == "pong: hello"
    ledger = Ledger(settings.database_url)
    try:
        [event] = ledger.events_for(wf_id)
    finally:
        ledger.close()
    assert (event.type, event.source_system, event.payload["message"]) == ("Pinged", "wooerp", "hello")


async def test_each_queue_gets_its_own_rate_limit(temporal_client: Client, tmp_path):
    settings = _settings(tmp_path, "unused:1")
    resources = Resources(settings)
    noop = [lambda r: []]
    ping = [lambda r: activities_of(PingActivities(None))]
    workers, pools = build_workers(temporal_client, settings, resources, activities={
        Queue.WOOCOMMERCE: ping, Queue.ERP: ping, Queue.LEDGER: noop})
    limits = {w.task_queue: w.config()["max_task_queue_activities_per_second"] for w in workers}
    assert limits == {"orders": None, "woocommerce": 20.0, "erp": 3.0}  # ledger: nothing to run
    assert workers[0].config()["sticky_queue_schedule_to_start_timeout"].total_seconds() == 1
    for pool in pools:
        pool.shutdown()


async def test_wooerp_worker_command_serves_and_stops_on_sigterm(
        temporal_client: Client, temporal_address: str, tmp_path):
    env = {**os.environ, "WOOERP_DATA_DIR": str(tmp_path), "WOOERP_TEMPORAL__ADDRESS": temporal_address,
           "WOOERP_LOG__FORMAT": "json"}
    proc = await asyncio.create_subprocess_exec(str(WOOERP), "worker", env=env,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        result = await temporal_client.execute_workflow(
            PingWorkflow.run, "via cli", id=f"ping:{uuid.uuid4().hex}", task_queue=Queue.WORKFLOWS.value)
        assert result == "pong: via cli"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert b'"worker stopped"' in stderr, stderr.decode()[-2000:]


async def test_a_worker_can_poll_some_queues_only(temporal_client: Client, tmp_path):
    # A deployment of its own: this client may hold no second worker of a queue.
    one, two = (load_settings(data_dir=tmp_path, temporal={"address": "unused:1",
                                                            "deployment": uuid.uuid4().hex[:8]})
                for _ in range(2))
    sagas_only, pools = build_workers(temporal_client, one, Resources(one), queues=[Queue.SAGAS])
    assert [w.task_queue for w in sagas_only] == [f"sagas@{one.temporal.deployment}"]
    workflows, more = build_workers(temporal_client, two, Resources(two),
                                    queues=[Queue.WORKFLOWS, Queue.ERP])
    at = f"@{two.temporal.deployment}"
    assert [w.task_queue for w in workflows] == [f"orders{at}", f"erp{at}"]
    # The workflows' local activities (ledger writes) run with them, ledger queue or not.
    assert workflows[0].config()["activities"], "no local activities beside the workflows"
    for pool in (*pools, *more):
        pool.shutdown()
