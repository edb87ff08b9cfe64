"""InventorySync, `inventory:{store}`: the store shows what the ERP can sell.

    changed(skus) ─┐  coalesced for `window_seconds`
    every hour ────┼─▶ round: holds → ERP available → store stock → plan → push → record
    sync_full() ───┘

A round reads, in this order, the units store orders hold that the ERP has
not accepted (in-flight sagas), what the ERP can promise, and what the
store shows; holds first, so a sale the ERP accepts meanwhile is counted
twice (the store shows one too few for a moment) rather than not at all
(one too many: an oversell). It pushes only the SKUs whose number differs,
through Woo's batch endpoints, and records an InventoryAdjusted per SKU
the store took. A pushed SKU is looked at once more `settle_seconds`
later: an order placed just before the round may not have had a saga to
hold its units yet (its webhook comes late), and nothing else would tell. A full round compares every SKU either side knows: the
backstop for a notification that never came. What cannot be pushed (a SKU
on one side only, stock not managed, a refused item) is kept as a problem
in the status, never raised. Continues as new after `rounds_per_run`
rounds or when the history grows, carrying its state.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.inventory_contracts import (Adjustment, Holds, PushInput, PushResult,
                                                RecordInput, SkusInput)
    from canonical.inventory import plan
    from workflows.inventory_types import (MAX_PENDING, Changed, Gap, InventoryInput,
                                           InventoryState, InventoryStatus)
    from workflows.options import call
    from workflows.saga import describe


@workflow.defn(name="InventorySync")
class InventorySync:
    def __init__(self) -> None:
        self._st = InventoryState()
        self._store = ""
        self._rechecking: set[str] = set()  # SKUs in the next round for a second look

    # signals, queries ---------------------------------------------------------
    @workflow.signal
    def changed(self, change: Changed) -> None:
        at = change.occurred_at or workflow.now()
        for sku in change.skus:
            if len(self._st.pending) >= MAX_PENDING:
                self._st.full_requested = True  # too many to list: compare everything
                break
            if sku and len(sku) <= 255:
                self._st.pending.setdefault(sku, at)

    @workflow.signal
    def sync_full(self) -> None:
        self._st.full_requested = True

    @workflow.query
    def status(self) -> InventoryStatus:
        st = self._st
        return InventoryStatus(
            workflow_id=workflow.info().workflow_id, store=self._store, pending=len(st.pending),
            rechecks=len(st.recheck),
            out_of_step=sorted(st.gaps.values(), key=lambda g: g.sku),
            problems=sorted(st.problems.values(), key=lambda p: p.sku), rounds=st.rounds,
            full_runs=st.full_runs, pushed=st.pushed, repaired_by_full=st.repaired_by_full,
            store_calls=st.store_calls, last_full_at=st.last_full_at,
            next_full_at=st.next_full_at,
            accuracy=(st.last_full_in_step / st.last_full_compared
                      if st.last_full_compared else None),
            last_error=st.last_error)

    # the loop -----------------------------------------------------------------
    @workflow.run
    async def run(self, inp: InventoryInput) -> None:
        self._store, policy = inp.store, inp.policy
        if inp.state is not None:  # signals that came before the run began are kept
            carried = inp.state
            for sku, at in self._st.pending.items():
                carried.pending.setdefault(sku, at)
            carried.full_requested |= self._st.full_requested
            self._st = carried
        st = self._st
        if st.next_full_at is None:  # a new sync starts with a full comparison
            st.next_full_at = workflow.now()
        rounds = 0
        while True:
            due = min([st.next_full_at, *st.recheck.values()])
            wait = (due - workflow.now()).total_seconds()
            if wait > 0:
                try:
                    await workflow.wait_condition(lambda: bool(st.pending) or st.full_requested,
                                                  timeout=timedelta(seconds=wait))
                except asyncio.TimeoutError:
                    pass
            if st.next_full_at <= workflow.now():
                st.full_requested = True
            self._take_rechecks()
            if not st.full_requested and policy.window_seconds:
                await workflow.sleep(policy.window_seconds)  # let the burst gather
            await self._round(policy)
            rounds += 1
            info = workflow.info()
            if (rounds >= policy.rounds_per_run or info.is_continue_as_new_suggested()
                    or info.get_current_history_length() > policy.history_limit):
                workflow.continue_as_new(InventoryInput(store=inp.store, policy=policy,
                                                        state=st))

    def _take_rechecks(self) -> None:
        st, now = self._st, workflow.now()
        for sku in [s for s, at in st.recheck.items() if at <= now]:
            del st.recheck[sku]
            st.pending.setdefault(sku, now)
            self._rechecking.add(sku)

    async def _round(self, policy) -> None:  # noqa: ANN001 (InventoryPolicy)
        st = self._st
        full = st.full_requested
        rechecking, self._rechecking = self._rechecking, set()
        changes, st.pending, st.full_requested = st.pending, {}, False
        skus = None if full else sorted(changes)
        if full:
            st.next_full_at = workflow.now() + timedelta(seconds=policy.full_every_seconds)
        attempts, store = policy.max_attempts, self._store
        try:
            holds: Holds = await call(refs.INVENTORY_HOLDS, store, attempts)
            available = await call(refs.INVENTORY_ERP_AVAILABLE,
                                   SkusInput(store=store, skus=skus), attempts)
            shown = await call(refs.INVENTORY_STORE_STOCK, SkusInput(store=store, skus=skus),
                               attempts)
            st.store_calls += shown.calls
            todo = plan(available.units, holds.units, shown.items, skus)
            pushed = PushResult()
            if todo.pushes:
                pushed = await call(refs.INVENTORY_PUSH, PushInput(store=store,
                                                                   pushes=todo.pushes), attempts)
            now = workflow.now()
            st.seq += 1
            took = set(pushed.updated)
            adjustments = [Adjustment(sku=p.sku, before=p.before, quantity=p.quantity,
                                      changed_at=changes.get(p.sku, now))
                           for p in todo.pushes if p.sku in took]
            await call(refs.INVENTORY_RECORD, RecordInput(
                store=store, check_key=f"{workflow.info().workflow_id}:{st.seq}",
                kind="full" if full else "event", checked_at=now, compared=todo.compared,
                in_step=todo.in_step, unresolved=len(pushed.failed),
                adjustments=adjustments), attempts)
        except ActivityError as err:
            # Nothing is lost: the SKUs go back to wait for the next round.
            st.last_error = f"round failed: {describe(err)}"
            workflow.logger.warning("inventory %s: %s", store, st.last_error)
            for sku, at in changes.items():
                st.pending.setdefault(sku, at)
            st.full_requested |= full
            await workflow.sleep(min(60.0, 2.0 * policy.max_attempts))
            return
        st.last_error = None
        if policy.settle_seconds:
            again = now + timedelta(seconds=policy.settle_seconds)
            for sku in took - rechecking:
                st.recheck[sku] = again
            if holds.unanswered:  # sagas not answering yet: look at everything once more
                for sku in todo.sellable:
                    st.recheck.setdefault(sku, again)
        st.rounds += 1
        st.store_calls += pushed.calls
        st.pushed += len(adjustments)
        self._note(todo, pushed, skus, now)
        if full:
            st.full_runs += 1
            st.repaired_by_full += len(adjustments)
            st.last_full_at = now
            st.last_full_compared, st.last_full_in_step = todo.compared, todo.in_step

    def _note(self, todo, pushed: PushResult, skus: list[str] | None,  # noqa: ANN001
              now: datetime) -> None:
        """Keep the gaps and problems of the SKUs this round looked at."""
        st = self._st
        scope = set(skus) if skus is not None else None
        if scope is None:
            st.gaps, st.problems = {}, {}
        else:
            for sku in scope:
                st.problems.pop(sku, None)
        failed = {p.sku for p in pushed.failed}
        for sku in todo.sellable:
            if sku not in failed:
                st.gaps.pop(sku, None)
        for p in todo.pushes:
            if p.sku in failed:
                old = st.gaps.get(p.sku)
                st.gaps[p.sku] = Gap(sku=p.sku, erp=p.quantity, store=p.before,
                                     since=old.since if old else now)
        for problem in [*todo.problems, *pushed.failed]:
            st.problems[problem.sku] = problem
        if scope is not None:  # a SKU no longer comparable is no longer a gap
            for sku in scope - set(todo.sellable):
                st.gaps.pop(sku, None)
