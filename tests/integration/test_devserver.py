"""The embedded Temporal server and the process supervisor."""
from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.worker import Worker

from workers.sagas.search_attributes import SEARCH_ATTRIBUTES, SearchAttributeConflict, register
from workers.devstack.supervisor import ChildFailed, ChildSpec, Supervisor


async def test_dev_server_has_the_search_attributes(temporal_client: Client):
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    listed = await temporal_client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default"))
    for key in SEARCH_ATTRIBUTES:
        assert listed.custom_attributes[key.name] == int(key.indexed_value_type), key.name


async def test_register_adds_only_missing_and_refuses_type_conflicts(temporal_client: Client):
    assert await register(temporal_client, "default") == []  # all there already
    extra = SearchAttributeKey.for_keyword("WooerpTestOnly")
    assert await register(temporal_client, "default", [*SEARCH_ATTRIBUTES, extra]) == ["WooerpTestOnly"]
    clash = SearchAttributeKey.for_int("WooStore")
    with pytest.raises(SearchAttributeConflict, match="WooStore exists as INDEXED_VALUE_TYPE_KEYWORD"):
        await register(temporal_client, "default", [clash])


@workflow.defn(sandboxed=False)
class Sleeper:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(hours=6))
        return "woke"


async def test_time_skipping_env_skips_timers(time_skipping_env):
    async with Worker(time_skipping_env.client, task_queue="tq", workflows=[Sleeper]):
        result = await time_skipping_env.client.execute_workflow(
            Sleeper.run, id="sleeper", task_queue="tq")
    assert result == "woke"


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def test_supervisor_starts_in_order_and_stops_in_reverse(tmp_path):
    trace = tmp_path / "trace"
    child = ("import signal, sys, time, pathlib\n"
             "p = pathlib.Path(sys.argv[1]); name = sys.argv[2]\n"
             "def bye(*_):\n    p.open('a').write(f'stop {name}\\n'); sys.exit(0)\n"
             "signal.signal(signal.SIGTERM, bye)\n"
             "p.open('a').write(f'start {name}\\n')\n"
             "pathlib.Path(sys.argv[1] + '.' + name).touch()\n"
             "while True: time.sleep(0.05)\n")

    def spec(name: str) -> ChildSpec:
        marker = tmp_path / f"trace.{name}"

        async def ready() -> bool:
            return marker.exists()

        return ChildSpec(name=name, argv=[*_python(child), str(trace), name], ready=ready, ready_timeout=20)

    async with Supervisor([spec("a"), spec("b")]):
        assert trace.read_text().split("\n")[:2] == ["start a", "start b"]
    assert trace.read_text().splitlines() == ["start a", "start b", "stop b", "stop a"]


async def test_supervisor_kills_a_child_that_ignores_sigterm_and_reports_early_exit(tmp_path):
    marker = tmp_path / "ignoring-sigterm"

    async def ignoring() -> bool:  # ready once the handler is installed, not after a sleep
        return marker.exists()

    stubborn = ChildSpec(name="stubborn", stop_timeout=0.5, ready=ignoring, ready_timeout=20,
                         argv=[*_python(
        "import pathlib, signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "pathlib.Path(sys.argv[1]).touch()\nwhile True: time.sleep(0.05)"), str(marker)])
    sup = Supervisor([stubborn])
    await sup.start()
    await sup.stop()
    assert sup.children[0].returncode == -9

    log_file = tmp_path / "crash.log"

    async def never() -> bool:
        return False

    crashing = ChildSpec(name="crasher", argv=_python("print('boom'); raise SystemExit(3)"),
                         ready=never, log_file=log_file)
    with pytest.raises(ChildFailed, match="(?s)crasher exited with code 3.*boom"):
        await Supervisor([crashing]).start()


def test_register_command_reports_each_attribute(temporal_address: str, tmp_path):
    import os
    import subprocess
    from pathlib import Path

    env = {**os.environ, "WOOERP_TEMPORAL__ADDRESS": temporal_address, "WOOERP_DATA_DIR": str(tmp_path)}
    out = subprocess.run([str(Path(sys.executable).parent / "wooerp"), "temporal", "register-search-attributes"],
                         env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert rows["StageSince"] == ["Datetime", "present"]
    assert set(rows) == {k.name for k in SEARCH_ATTRIBUTES}


async def test_temporal_tls_setting_is_used_on_the_wire(temporal_address, tmp_path):
    """`temporal.tls = true` against a plaintext server is a TLS handshake that
    fails (cannot reach), not a silent plaintext connection."""
    from workers.config.settings import load_settings
    from workers.sagas.connect import connect

    plain = load_settings(data_dir=tmp_path, temporal={"address": temporal_address})
    await connect(plain.temporal, timeout=10)
    secured = load_settings(data_dir=tmp_path, temporal={"address": temporal_address, "tls": True})
    with pytest.raises(ConnectionError, match=f"cannot reach Temporal at {temporal_address}"):
        await connect(secured.temporal, timeout=5)
