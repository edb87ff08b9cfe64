"""The benchmarks' own logic (not their figures): the engine-overhead
baseline must run exactly the saga's activities, on the same queue layout,
and the latency percentiles must be nearest-rank."""
from __future__ import annotations

import uuid

from bench.bare_workflow import NOOP
from bench.overhead import (activity_plan, bare_queues, bare_workers, run_bare, run_saga,
                            saga_workers)
from bench.stats import percentile
from sandbox.fake_systems import FakeWorld


async def test_bare_workflow_mirrors_the_sagas_activities(temporal_client):
    async with saga_workers(temporal_client, FakeWorld()) as (queue, _):
        saga_id = await run_saga(temporal_client, queue, uuid.uuid4().int % 10**8)
    plan = await activity_plan(temporal_client, saga_id)
    # ledger writes run as local activities (no server round trip of their own)
    assert ("erp", "erp.accept_order") in plan and ("local", "ledger.record_event") in plan
    assert ("ledger", "ledger.record_event") not in plan
    async with bare_workers(temporal_client, {role for role, _ in plan}) as (queue, suffix):
        bare_id = await run_bare(temporal_client, queue, bare_queues(plan, suffix))
    bare = await activity_plan(temporal_client, bare_id)
    assert bare == [(role, NOOP) for role, _ in plan]


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
