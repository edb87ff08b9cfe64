"""/metrics reads the saga gauges from Temporal at most once per few seconds,
and concurrent scrapes share one read (workers/ingress/saga_gauges.py Cached)."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from workers.config.settings import load_settings
from workers.ingress import saga_gauges
from workers.ingress.app import create_app

QUERIES = len(saga_gauges.SAGAS) + len(saga_gauges.WATCHED)  # 9


class CountingSagas:
    """Stands in for the SagaClient: counts the visibility queries it is asked."""

    workflow_queue = "orders@gauges-test"

    def __init__(self, delay: float = 0.05) -> None:
        self.queries, self.delay = 0, delay

    async def count(self, query: str) -> int:
        self.queries += 1
        await asyncio.sleep(self.delay)  # a visibility query takes a while
        return 3


class Link:
    def __init__(self, sagas: CountingSagas | None = None, *, fails: bool = False) -> None:
        self.sagas, self.fails = sagas, fails

    async def get(self):
        if self.fails:
            raise RuntimeError("connect blew up")
        return self.sagas


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_scrapes_share_one_read_and_reads_are_cached():
    sagas, clock = CountingSagas(), Clock()
    cached = saga_gauges.Cached(Link(sagas), max_age=5, clock=clock)
    await asyncio.gather(*(cached.refresh() for _ in range(8)))
    assert sagas.queries == QUERIES  # not 8 x 9
    assert saga_gauges.VISIBILITY_UP._value.get() == 1
    clock.now += 4.9
    await cached.refresh()
    assert sagas.queries == QUERIES  # still fresh
    clock.now += 0.2
    await asyncio.gather(*(cached.refresh() for _ in range(8)))
    assert sagas.queries == 2 * QUERIES


async def test_a_scrape_that_gives_up_does_not_cancel_the_shared_read():
    sagas = CountingSagas(delay=0.2)
    cached = saga_gauges.Cached(Link(sagas), max_age=5, clock=Clock())
    impatient = asyncio.create_task(cached.refresh())
    await asyncio.sleep(0.05)
    impatient.cancel()
    await cached.refresh()  # joins the read in flight, which went on
    assert sagas.queries == QUERIES
    assert saga_gauges.VISIBILITY_UP._value.get() == 1


@pytest.mark.parametrize("link", [Link(None), Link(fails=True)], ids=["no client", "get fails"])
async def test_temporal_unreadable_is_a_gauge_not_an_error_and_is_not_asked_again_at_once(link):
    clock = Clock()
    cached = saga_gauges.Cached(link, max_age=5, clock=clock)
    await cached.refresh()
    assert saga_gauges.VISIBILITY_UP._value.get() == 0
    link.sagas, link.fails = CountingSagas(), False
    await cached.refresh()
    assert link.sagas.queries == 0  # the failed read is cached as well
    clock.now += 6
    await cached.refresh()
    assert link.sagas.queries == QUERIES and saga_gauges.VISIBILITY_UP._value.get() == 1


async def test_eight_concurrent_scrapes_of_the_ingress_cost_one_read(tmp_path, monkeypatch):
    app = create_app(load_settings(data_dir=tmp_path), relay_every=3600)
    sagas = CountingSagas()
    monkeypatch.setattr(app.state.sagas, "get", Link(sagas).get)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://ingress") as http:
        answers = await asyncio.gather(*(http.get("/metrics") for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert all('wooerp_sagas_needing_attention{saga="OrderSaga"} 3.0' in a.text for a in answers)
    assert sagas.queries == QUERIES


async def test_metrics_token_guards_metrics_when_set(tmp_path, monkeypatch):
    open_app = create_app(load_settings(data_dir=tmp_path), relay_every=3600)
    guarded = create_app(load_settings(data_dir=tmp_path, metrics={"token": "scrape-me"}),
                         relay_every=3600)
    for app in (open_app, guarded):
        monkeypatch.setattr(app.state.sagas, "get", Link(CountingSagas(delay=0)).get)

    async def get(app, **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://ingress") as http:
            return await http.get("/metrics", headers=headers)

    assert (await get(open_app)).status_code == 200  # off by default: Prometheus keeps working
    assert (await get(guarded)).status_code == 401
    assert (await get(guarded, authorization="Bearer nope")).status_code == 403
    ok = await get(guarded, authorization="Bearer scrape-me")
    assert ok.status_code == 200 and "wooerp_saga_gauges_up" in ok.text
