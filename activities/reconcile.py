"""Reconciliation activities: read each side a page at a time into the
run's staging area in the ledger, then compare it all in one activity.

Every page is idempotent (staging upserts by key), so a retried or resumed
page stages the same rows again. The compare is the only step that holds a
whole day in memory, and it holds one side: the ERP's documents by order,
while the store's orders stream past (canonical/reconcile/compare.py).
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import activity

from activities import refs
from activities.errors import classified
from activities.reconcile_contracts import (BeginInput, CompareInput, CompareResult, DaySummary,
                                            ErpPageInput, ErpPageResult, ErpRefsInput,
                                            FailedInput, LookupInput, LookupResult, Plan,
                                            PlanInput, RecoveriesInput, ReconcileWindow,
                                            StoreCursor, StorePageInput, StorePageResult,
                                            WindowRequest)
from activities.woocommerce import store_client
from canonical.reconcile import (DayCompare, ErpDocument, Recovery, SagaState, StoreOrder,
                                 business_day, business_days, day_of)
from canonical.erp import CreditNote
from systems.erp.port import ErpPort, ErpSalesPage
from systems.ledger import Ledger
from systems.woocommerce import mapping
from systems.woocommerce.client import WooClient
from systems.woocommerce.errors import WooNotFoundError

log = logging.getLogger(__name__)

# Staging kinds: one snapshot per key in each.
STORE, ERP, SAGA, GONE, RECOVERED = "store", "erp", "saga", "gone", "recovered"
NOT_FORWARDED = frozenset({"trash", "checkout-draft"})  # the webhook path would not start one


def _beat(detail: str) -> None:
    """Heartbeat when run by a worker (the benchmark calls the compare directly)."""
    if activity.in_activity():
        activity.heartbeat(detail)


def store_prefix(store: str) -> str:
    """The wooerp reference prefix of a store's sales (workflows/order_types.erp_reference)."""
    return f"woo:{store}:"


def _gmt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=timezone.utc)


def next_cursor(cursor: StoreCursor, modified: list[datetime], per_page: int,
                total_pages: int) -> StoreCursor | None:
    """Where the next page starts. `modified_after` is exclusive and counts whole
    seconds, so restart one second before the page's last second: the orders of
    that second are read again (and deduplicated by key), none is skipped. When
    a whole page shares one second, step to the next page of the same query."""
    if cursor.page >= total_pages or not modified:
        return None if cursor.page >= total_pages else StoreCursor(after=cursor.after,
                                                                   page=cursor.page + 1)
    last = max(modified).replace(microsecond=0)
    restart = last - timedelta(seconds=1)
    if sum(1 for m in modified if m.replace(microsecond=0) == last) >= per_page \
            or restart <= cursor.after:
        return StoreCursor(after=cursor.after, page=cursor.page + 1)
    return StoreCursor(after=restart, page=1)


class ReconcileStoreActivities:
    """The store side: pages by date_modified, and single orders by id."""

    def __init__(self, clients: Mapping[str, WooClient], ledger: Ledger) -> None:
        self._clients, self._ledger = clients, ledger

    def _client(self, store: str) -> WooClient:
        return store_client(self._clients, store)

    def _snapshots(self, store: str, raws: list[dict[str, Any]]) -> tuple[list[StoreOrder], int]:
        out, bad = [], 0
        for raw in raws:
            try:
                out.append(StoreOrder.of(mapping.order_from_woo(raw, store=store)))
            except ValueError as exc:  # the mapping refused it: say so, keep going
                bad += 1
                log.warning("reconcile: store order %s is unreadable: %s",
                            raw.get("id") if isinstance(raw, dict) else "?", exc)
        return out, bad

    @activity.defn(name=refs.RECONCILE_STORE_PAGE.name)
    @classified
    def store_page(self, inp: StorePageInput) -> StorePageResult:
        page = self._client(inp.store).list_orders(
            modified_after=inp.cursor.after, modified_before=inp.modified_before,
            page=inp.cursor.page, per_page=inp.per_page)
        orders, bad = self._snapshots(inp.store, page.items)
        self._ledger.reconcile_stage(inp.run_key, STORE, [(str(o.woo_id), o.row())
                                                          for o in orders])
        modified = [m for m in (_gmt(r.get("date_modified_gmt")) for r in page.items) if m]
        return StorePageResult(orders=len(orders), unreadable=bad,
                               next=next_cursor(inp.cursor, modified, inp.per_page,
                                                page.total_pages))

    @activity.defn(name=refs.RECONCILE_STORE_LOOKUP.name)
    @classified
    def store_lookup(self, inp: LookupInput) -> LookupResult:
        """ERP sales whose store order no page showed: is it gone for good?"""
        client, found, gone = self._client(inp.store), [], []
        for woo_id in inp.woo_ids:
            try:
                found.append(client.get_order(woo_id))
            except WooNotFoundError:
                gone.append(woo_id)
        orders, _ = self._snapshots(inp.store, found)
        self._ledger.reconcile_stage(inp.run_key, STORE, [(str(o.woo_id), o.row())
                                                          for o in orders])
        self._ledger.reconcile_stage(inp.run_key, GONE, [(str(i), {"woo_id": i}) for i in gone])
        return LookupResult(found=len(orders), gone=len(gone))


class ReconcileErpActivities:
    """The ERP side: wooerp sales with their credit notes, a page at a time."""

    def __init__(self, erp: ErpPort, ledger: Ledger) -> None:
        self._erp, self._ledger = erp, ledger

    async def _stage(self, run_key: str, page: ErpSalesPage) -> ErpPageResult:
        notes: dict[str, list[CreditNote]] = {}
        for note in page.credit_notes:
            notes.setdefault(note.sale_external_ref, []).append(note)
        docs = [ErpDocument.of(s, notes.get(s.external_ref, ())) for s in page.sales]
        rows = [(str(d.woo_id) if d.woo_id is not None else d.ref, d.row()) for d in docs]
        await asyncio.to_thread(self._ledger.reconcile_stage, run_key, ERP, rows)
        return ErpPageResult(sales=len(docs), credit_notes=len(page.credit_notes),
                             next_offset=page.next_offset)

    @activity.defn(name=refs.RECONCILE_ERP_PAGE.name)
    @classified
    async def erp_page(self, inp: ErpPageInput) -> ErpPageResult:
        page = await self._erp.list_sales(
            prefix=store_prefix(inp.store), created_from=inp.created_from,
            created_to=inp.created_to, offset=inp.offset, limit=inp.limit)
        return await self._stage(inp.run_key, page)

    @activity.defn(name=refs.RECONCILE_ERP_REFS.name)
    @classified
    async def erp_refs(self, inp: ErpRefsInput) -> ErpPageResult:
        """Store orders no ERP page matched: read their sales by reference."""
        page = await self._erp.list_sales(
            refs=[f"{store_prefix(inp.store)}{i}" for i in inp.woo_ids],
            limit=max(1, len(inp.woo_ids)))
        return await self._stage(inp.run_key, page)


class ReconcileLedgerActivities:
    """Runs, the plan of what is left open, and the compare itself."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=refs.RECONCILE_WINDOW.name)
    @classified
    def window(self, req: WindowRequest) -> ReconcileWindow:
        """The business day(s) a scheduled tick covers, in the store's time zone."""
        today = day_of(req.at, req.timezone)
        current = business_day(today, req.timezone)
        if req.mode == "yesterday":
            first = last = today - timedelta(days=1)
        elif (req.at - current.start).total_seconds() < req.close_previous_within_seconds:
            first, last = today - timedelta(days=1), today
        else:
            first = last = today
        days = business_days(first, last, req.timezone)
        return ReconcileWindow(store=req.store, first_day=first, last_day=last,
                               timezone=req.timezone, start=days[0].start, end=days[-1].end)

    @activity.defn(name=refs.RECONCILE_BEGIN.name)
    @classified
    def begin(self, inp: BeginInput) -> bool:
        w = inp.window
        return self._ledger.reconcile_begin(run_key=inp.run_key, workflow_id=inp.workflow_id,
                                            store=w.store, first_day=w.first_day,
                                            last_day=w.last_day)

    @activity.defn(name=refs.RECONCILE_PLAN.name)
    @classified
    def plan(self, inp: PlanInput) -> Plan:
        w = inp.window
        stores = [StoreOrder.from_row(p) for _, p in self._ledger.reconcile_staged(
            inp.run_key, STORE)]
        erp_ids = {int(k) for k, _ in self._ledger.reconcile_staged(inp.run_key, ERP)
                   if k.isdigit()}
        order_sagas, refund_sagas = set(), Counter()
        for _, p in self._ledger.reconcile_staged(inp.run_key, SAGA):
            (order_sagas.add(p["woo_id"]) if p["kind"] == "order"
             else refund_sagas.update([p["woo_id"]]))
        in_window = [o for o in stores if w.start <= o.created_at < w.end]
        lacking = sorted(o.woo_id for o in in_window if o.status not in NOT_FORWARDED and (
            o.woo_id not in order_sagas or o.refunds > refund_sagas[o.woo_id]))
        seen = {o.woo_id for o in stores}
        return Plan(forward=lacking[:inp.max_recover],
                    not_forwarded=max(0, len(lacking) - inp.max_recover),
                    erp_refs=sorted(o.woo_id for o in in_window
                                    if o.demand and o.woo_id not in erp_ids)[:inp.max_lookups],
                    lookups=sorted(erp_ids - seen)[:inp.max_lookups])

    @activity.defn(name=refs.RECONCILE_RECOVERIES.name)
    @classified
    def recoveries(self, inp: RecoveriesInput) -> int:
        return self._ledger.reconcile_stage(inp.run_key, RECOVERED, [
            (str(r.woo_id), Recovery(woo_id=r.woo_id, workflow_id=r.workflow_id, known=r.known,
                                     note=r.note).row()) for r in inp.recoveries])

    @activity.defn(name=refs.RECONCILE_COMPARE.name)
    @classified
    def compare(self, inp: CompareInput) -> CompareResult:
        w, run = inp.window, inp.run_key
        days = {d.day: d for d in business_days(w.first_day, w.last_day, w.timezone)}
        compares = {day: DayCompare(w.store, d, inp.now) for day, d in days.items()}
        erp = {k: ErpDocument.from_row(p) for k, p in self._ledger.reconcile_staged(run, ERP)}
        _beat("erp read")
        sagas: dict[int, list[SagaState]] = {}
        for _, p in self._ledger.reconcile_staged(run, SAGA):
            saga = SagaState.from_row(p)
            sagas.setdefault(saga.woo_id, []).append(saga)
        recovered = {int(k): Recovery.from_row(p)
                     for k, p in self._ledger.reconcile_staged(run, RECOVERED)}
        gone = {int(k) for k, _ in self._ledger.reconcile_staged(run, GONE)}
        stores = [StoreOrder.from_row(p) for _, p in self._ledger.reconcile_staged(run, STORE)]
        _beat("store read")
        ids = {o.woo_id for o in stores} | {d.woo_id for d in erp.values() if d.woo_id}
        facts = self._ledger.order_facts(w.store, ids)
        compared = 0
        seen: set[int] = set()
        for n, order in enumerate(stores):
            seen.add(order.woo_id)
            day = compares.get(day_of(order.created_at, w.timezone))
            if day is None:
                continue  # another day's order, modified during this window
            day.add(order=order, erp=erp.pop(str(order.woo_id), None),
                    sagas=sagas.get(order.woo_id, ()), facts=facts.get(order.woo_id),
                    recovery=recovered.get(order.woo_id))
            compared += 1
            if n % 5000 == 0:
                _beat(f"{n} orders")
        for doc in erp.values():  # ERP sales whose store order no page showed
            if doc.woo_id in seen:
                continue  # its store order belongs to another day
            f = facts.get(doc.woo_id) if doc.woo_id is not None else None
            moment = (f.captured_at if f is not None and f.captured_at else doc.created_at)
            day = compares.get(day_of(moment, w.timezone)) if moment else None
            if day is None:
                continue
            day.add(erp=doc, sagas=sagas.get(doc.woo_id, ()) if doc.woo_id else (), facts=f,
                    recovery=recovered.get(doc.woo_id) if doc.woo_id else None,
                    gone=doc.woo_id in gone)
            compared += 1
        reports = [r for c in compares.values() for r in c.reports()]
        self._ledger.reconcile_finish(run, reports, {**inp.summary, "orders_compared": compared})
        return CompareResult(orders_compared=compared, days=[DaySummary(
            business_day=r.business_day, currency=r.currency, orders=r.orders_compared,
            commerce=r.commerce, erp=r.erp, difference=r.difference, unexplained=r.unexplained,
            variances=len(r.variances),
            by_cause={c.value: m for c, m in r.by_cause().items()}) for r in reports])

    @activity.defn(name=refs.RECONCILE_FAILED.name)
    @classified
    def failed(self, inp: FailedInput) -> None:
        self._ledger.reconcile_failed(inp.run_key, inp.error)

