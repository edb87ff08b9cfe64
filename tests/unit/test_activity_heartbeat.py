"""A long activity call heartbeats while it runs, sync or async, so a
worker's death is noticed by the heartbeat timeout, not the call's."""
from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.testing import ActivityEnvironment

from activities import heartbeat, refs
from activities.heartbeat import heartbeating

EVERY = heartbeat.EVERY  # as deployed, before the fixture speeds it up


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(heartbeat, "EVERY", 0.05)


def beats_during(fn, *args) -> tuple[object, int]:
    env, beats = ActivityEnvironment(), []
    env.on_heartbeat = lambda *details: beats.append(details)
    result = env.run(fn, *args)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result, len(beats)


def test_a_sync_call_heartbeats_from_beside_it_and_returns_its_result():
    @heartbeating
    def slow(x: int) -> int:
        time.sleep(0.5)
        return x * 2

    assert beats_during(slow, 21)[0] == 42
    assert beats_during(slow, 1)[1] >= 5


def test_an_async_call_heartbeats_and_its_errors_pass_through():
    @heartbeating
    async def slow(x: int) -> int:
        await asyncio.sleep(0.5)
        if x < 0:
            raise ValueError("negative")
        return x * 2

    result, beats = beats_during(slow, 21)
    assert result == 42 and beats >= 5
    with pytest.raises(ValueError, match="negative"):
        beats_during(slow, -1)


def test_the_calls_that_can_outlast_a_worker_have_a_heartbeat_timeout():
    # Several beats long: a busy worker's late beat is not taken for its death.
    for ref in (refs.INVENTORY_ERP_AVAILABLE, refs.INVENTORY_STORE_STOCK, refs.INVENTORY_PUSH,
                refs.INVENTORY_HOLDS, refs.BACKFILL_PAGE):
        assert ref.heartbeat_seconds and ref.heartbeat_seconds >= 5 * EVERY, ref.name


def test_called_outside_an_activity_it_just_runs():
    @heartbeating
    def plain(x: int) -> int:
        return x + 1

    @heartbeating
    async def plain_async(x: int) -> int:
        return x + 2

    assert plain(1) == 2 and asyncio.run(plain_async(1)) == 3
