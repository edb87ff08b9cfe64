"""The backfill's page activity: read store pages at the backfill's rate and
hand their orders over, returning counts and the cursor only (the workflow's
history stays small whatever the page holds).

Pipelined: while the orders of one page are handed to their sagas (up to
`concurrency` signal-with-starts at once), the next pages are being read
(up to two ahead), so a slow store and a slow Temporal overlap instead of
adding up, and the slower of the two alone sets the pace.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import refs
from activities.heartbeat import beat_forever
from activities.woocommerce import store_client
from canonical.entities import Order
from systems.erp.port import ErpPort, SaleToLink
from systems.woocommerce import mapping
from systems.woocommerce.client import Page, WooClient
from systems.woocommerce.errors import WooRetryableError
from systems.woocommerce.throttle import Throttled, TokenBucket
from workers.config.settings import Settings
from workers.sagas import starts
from workers.sagas.policies import refund_policy, saga_policy
from workflows.backfill_types import BackfillCursor, PageInput, PageResult, Quarantined
from workflows.order_types import erp_reference

PAGE_ATTEMPTS = 8  # waits on 429/503/HTML inside one call, then Temporal retries the call
READ_AHEAD_TTL = 30.0  # seconds a page read for the backfill's next call stays usable


def modified_of(raw: Any) -> datetime | None:
    value = raw.get("date_modified_gmt") if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.removesuffix("Z")).replace(
            tzinfo=timezone.utc, microsecond=0)
    except ValueError:
        return None


def advance(cursor: BackfillCursor, raw: Any) -> BackfillCursor:
    """The cursor once `raw` is handed over (pages come oldest first)."""
    when, oid = modified_of(raw), raw.get("id") if isinstance(raw, dict) else None
    if when is None or not isinstance(oid, int):
        return cursor  # unreadable dates cannot move the cursor; the order is quarantined
    if cursor.after is not None and when <= cursor.after:
        return BackfillCursor(after=cursor.after, skip=[*cursor.skip, oid])
    return BackfillCursor(after=when, skip=[oid])


def fresh_of(cursor: BackfillCursor, items: list[Any]) -> list[Any]:
    """A page's orders less those of the cursor's second already handed over."""
    skip = set(cursor.skip)
    return [r for r in items if not (isinstance(r, dict) and r.get("id") in skip
                                     and modified_of(r) == cursor.after)]


def advance_over(cursor: BackfillCursor, raws: list[Any]) -> BackfillCursor:
    """The cursor once every one of `raws` (in page order) is handed over."""
    for raw in fresh_of(cursor, raws):
        cursor = advance(cursor, raw)
    return cursor


def query(cursor: BackfillCursor, inp: PageInput) -> dict[str, Any]:
    """`modified_after` is exclusive and counts whole seconds: ask from one
    second before the cursor's second, leave out the orders of that second
    already handed over. More than a page of them: step over by offset."""
    after = (cursor.after or inp.start) - timedelta(seconds=1)
    per_page = inp.policy.per_page
    return {"modified_after": after, "modified_before": inp.end, "per_page": per_page,
            "status": None if inp.statuses == ["any"] else inp.statuses,
            "offset": len(cursor.skip) if len(cursor.skip) >= per_page else 0}


class BackfillActivities:
    def __init__(self, settings: Settings, clients: Mapping[str, WooClient],
                 erp: Any = None) -> None:
        self._settings, self._clients = settings, clients
        self._erp = erp  # a callable returning the ErpPort (link mode only)
        self._buckets: dict[str, TokenBucket] = {}
        # backfill id -> (the query, when, the page): read while the call that
        # asked for it handed its last page over, for the next call to take.
        self._ahead: dict[str, tuple[dict[str, Any], float, asyncio.Future]] = {}

    def _client(self, store: str) -> WooClient:
        return store_client(self._clients, store)

    def _bucket(self, inp: PageInput) -> TokenBucket:
        """One bucket per backfill on this worker, kept across its calls."""
        bucket = self._buckets.get(inp.backfill_id)
        if bucket is None or bucket.rate != inp.policy.rate:
            bucket = self._buckets[inp.backfill_id] = TokenBucket(inp.policy.rate)
        return bucket

    @activity.defn(name=refs.BACKFILL_PAGE.name)
    async def page(self, inp: PageInput) -> PageResult:
        client = self._client(inp.store)
        throttled = Throttled(self._bucket(inp), PAGE_ATTEMPTS, on_wait=lambda s, why: (
            activity.heartbeat(f"waiting {s:.1f}s: {why[:100]}")))
        result = PageResult(cursor=inp.cursor, done=False)
        room, cursor = inp.room, inp.cursor

        async def fetch(c: BackfillCursor, through: Throttled = throttled) -> tuple[Page, bool]:
            q = query(c, inp)
            page = await through(lambda: client.list_orders(
                q["modified_after"], per_page=q["per_page"], status=q["status"],
                modified_before=q["modified_before"], offset=q["offset"]))
            return page, page.total <= q["offset"] + q["per_page"]

        async def first(c: BackfillCursor) -> tuple[Page, bool]:
            if (ahead := self._take_ahead(inp, c)) is not None:
                try:
                    return await ahead
                except Exception:  # noqa: BLE001 - read it again, with this call's waits
                    pass
            return await fetch(c)

        limit = inp.policy.pages_per_call
        # A page and whether it is the range's last; an exception to raise;
        # None: the reader stopped where the window may be full.
        pages: asyncio.Queue[tuple[Page, bool] | Exception | None] = asyncio.Queue(maxsize=1)

        async def reader() -> None:
            """Reads the call's pages one after another as plain paging does,
            assuming each page is taken whole: up to two pages ahead of the
            hand-over (one queued, one on its way), so a slow hand-over never
            holds the next read back. Past the call's last page, one more is
            read for the next call (one try, no waits). It reads no further
            than the window's room could take if every order were new, so a
            window narrower than a page costs no wasted store requests."""
            c, pending = cursor, asyncio.ensure_future(first(cursor))
            room_left = room
            try:
                for n in range(1, limit + 1):
                    try:
                        page, final = await pending
                    except Exception as exc:  # noqa: BLE001 - the hand-over side raises it
                        await pages.put(exc)
                        return
                    c_next = advance_over(c, page.items)
                    room_left -= len(fresh_of(c, page.items))
                    if not final and room_left > 0 and n < limit:
                        pending = asyncio.ensure_future(fetch(c_next))
                    elif not final and room_left > 0:
                        self._read_ahead(inp, c_next, fetch(
                            c_next, Throttled(self._bucket(inp), attempts=1)))
                    await pages.put((page, final))
                    if final:
                        return
                    if room_left <= 0:
                        await pages.put(None)
                        return
                    c = c_next
            finally:
                pending.cancel()  # a page the hand-over will not take

        # Alive also through a long Retry-After: a call whose worker died is
        # retried after the heartbeat timeout.
        beat = asyncio.ensure_future(beat_forever(5.0))
        reading = asyncio.ensure_future(reader())
        try:
            while True:
                got = await pages.get()
                if got is None:  # known orders left room: the next call takes it
                    break
                if isinstance(got, Exception):
                    raise got
                page, final = got
                result.pages += 1
                if result.total is None:
                    result.total = page.total
                fresh = fresh_of(cursor, page.items)
                taken = fresh[:room]  # the window's room: the rest waits for its next round
                next_cursor = advance_over(cursor, taken)
                whole = len(taken) == len(fresh)
                room -= await self._hand_over(inp, taken, result)
                cursor = next_cursor
                activity.heartbeat(cursor.model_dump(mode="json"))
                if final and whole:
                    result.done = True
                if result.done or not whole or room <= 0 or result.pages >= limit:
                    break
        except WooRetryableError as exc:
            raise ApplicationError(str(exc), type=exc.type, non_retryable=False,
                                   next_retry_delay=timedelta(seconds=min(
                                       60, exc.retry_after or 5))) from exc
        finally:
            reading.cancel()
            beat.cancel()
        result.cursor = cursor
        result.throttled_seconds = throttled.slept
        return result

    def _read_ahead(self, inp: PageInput, cursor: BackfillCursor, page: Any) -> None:
        now = asyncio.get_running_loop().time()
        # This backfill's older page, and any no call came for (a backfill
        # paused, cancelled, or now paged by another worker): dropped.
        for bid in [b for b, (_, at, _) in self._ahead.items()
                    if b == inp.backfill_id or now - at > READ_AHEAD_TTL]:
            self._ahead.pop(bid)[2].cancel()
        ahead = asyncio.ensure_future(page)
        ahead.add_done_callback(lambda f: f.cancelled() or f.exception())  # a failure is dropped
        self._ahead[inp.backfill_id] = (query(cursor, inp), now, ahead)

    def _take_ahead(self, inp: PageInput, cursor: BackfillCursor) -> asyncio.Future | None:
        """The page read ahead for this call, if it asked what this call asks."""
        entry = self._ahead.pop(inp.backfill_id, None)
        if entry is None:
            return None
        asked, at, page = entry
        fresh = asyncio.get_running_loop().time() - at <= READ_AHEAD_TTL
        if asked != query(cursor, inp) or not fresh or page.cancelled() or (
                page.done() and page.exception() is not None):
            page.cancel()
            return None
        return page

    async def _hand_over(self, inp: PageInput, raws: list[Any], result: PageResult) -> int:
        """Map, classify and hand over one page's orders; the number of new sagas."""
        before = result.started
        orders: list[Order] = []
        for raw in raws:
            result.seen += 1
            oid = raw.get("id") if isinstance(raw, dict) else None
            try:
                order = mapping.order_from_woo(raw, store=inp.store)
            except Exception as exc:  # noqa: BLE001 - any payload that does not map is listed
                result.quarantined.append(Quarantined(
                    woo_id=oid if isinstance(oid, int) else None,
                    reason=f"does not map: {exc}"[:300]))
                continue
            if not order.is_paid:
                result.unpaid.append(order.woo_id)
            else:
                orders.append(order)
        if inp.mode == "link":
            await self._link(orders, result)
            return 0
        sem = asyncio.Semaphore(inp.policy.concurrency)
        temporal = activity.client()
        queue = self._settings.temporal.queue(refs.Queue.WORKFLOWS)
        policy = saga_policy(self._settings)

        async def one(order: Order) -> None:
            async with sem:
                started = await starts.hand_over_historical(
                    temporal, order, backfill_id=inp.backfill_id, policy=policy,
                    task_queue=queue)
                # A new saga starts the refunds once its sale is booked; an
                # order that had a saga gets them as a webhook would bring them.
                refunds = [] if started else await starts.signal_refunds(
                    temporal, order, policy=refund_policy(self._settings, order.store),
                    task_queue=queue)
            if started:
                result.started += 1
            else:
                result.known += 1
            result.refunds_started += len(refunds)

        await asyncio.gather(*(one(o) for o in orders))
        return result.started - before

    async def _link(self, orders: list[Order], result: PageResult) -> None:
        """--mode link: which orders have their ERP sale already, by the
        wooerp reference or, for a sale another connector made, by the order
        number as the sale's reference (that sale is then given the wooerp
        reference); the rest are listed, nothing is created."""
        if not orders:
            return
        erp: ErpPort = self._erp()
        wanted = {erp_reference(o.store, o.woo_id): o for o in orders}
        found: set[str] = set()
        offset: int | None = 0
        while offset is not None:
            page = await erp.list_sales(refs=list(wanted), offset=offset, limit=500)
            found |= {s.external_ref for s in page.sales}
            offset = page.next_offset
        rest = [SaleToLink(number=o.number, external_ref=ref, total=o.total)
                for ref, o in wanted.items() if ref not in found]
        if rest:
            found |= set(await erp.link_sales(rest))
        result.linked += len(found & set(wanted))
        result.not_linked += [o.woo_id for ref, o in wanted.items() if ref not in found]
