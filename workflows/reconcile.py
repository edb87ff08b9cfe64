"""ReconcileWorkflow: does the ERP hold what the store sold, for one store and
one window of business days, and if not, why? And ReconcileTick, what a
Temporal Schedule starts per store.

    begin -> store pages -> ERP pages -> saga pages -> plan
          -> ERP by reference -> store look-ups -> recover -> compare -> done

Each step is an activity that reads a page into the run's staging area in the
ledger and returns counts: the workflow never holds the orders (a day can
have 100,000). The compare runs in one activity and stores the report.
Orders with no saga (their webhooks were lost) are handed to their saga with
the webhook's own signal-with-start (refs.SAGAS_FORWARD_ORDER), so a resumed
or repeated run can never start a second saga for an order.

Reading: the store is paged by date_modified from the window's start less an
overlap (clock skew; `modified_after` counts whole seconds) up to the run's
cut-off, which is `workflow.now()` when the run began; the ERP's sales are
read by creation date over the same span. Every order created in the window
was last modified inside that span, so the window's orders are all read;
orders of other days met on the way are left to their own day's report.

Resumable: killed mid-way, the workflow resumes from its history (and, past
a few thousand events, continues as new with its phase and cursors), so no
page is lost and no saga is started twice.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from activities.contracts import OrderRef
    from activities.reconcile_contracts import (BeginInput, CompareInput, CompareResult,
                                                ErpPageInput, ErpRefsInput, FailedInput,
                                                LookupInput, PlanInput, RecoveriesInput,
                                                Recovered, SagaPageInput, StoreCursor,
                                                StorePageInput, WindowRequest)
    from workflows.options import call
    from workflows.reconcile_types import (ReconcileInput, ReconcileProgress, ReconcileResult,
                                           ReconcileState, ReconcileTickInput,
                                           reconcile_workflow_id)
    from workflows.saga import describe

DONE = "done"
REFS_BATCH, LOOKUP_BATCH, FORWARD_BATCH = 200, 50, 10


@workflow.defn(name="ReconcileWorkflow")
class ReconcileWorkflow:
    def __init__(self) -> None:
        self._state: ReconcileState | None = None
        self._compared: CompareResult | None = None

    @workflow.query
    def progress(self) -> ReconcileProgress:
        st = self._state
        return ReconcileProgress(
            workflow_id=workflow.info().workflow_id, phase=st.phase if st else "starting",
            pages_read=(st.store_pages + st.erp_pages + st.saga_pages) if st else 0,
            store_orders=st.store_orders if st else 0, erp_sales=st.erp_sales if st else 0,
            sagas=st.sagas if st else 0, recovered=st.recovered if st else 0,
            orders_compared=self._compared.orders_compared if self._compared else 0,
            done=bool(st and st.phase == DONE))

    @workflow.run
    async def run(self, inp: ReconcileInput) -> ReconcileResult:
        info = workflow.info()
        self._inp = inp
        self._state = st = inp.state or ReconcileState(
            run_key=f"{info.workflow_id}@{info.first_execution_run_id}", cutoff=workflow.now())
        try:
            while st.phase != DONE:
                await self._step(st)
                if st.phase != DONE and self._history_is_long(inp.policy.history_limit):
                    workflow.continue_as_new(ReconcileInput(window=inp.window,
                                                            policy=inp.policy, state=st))
        except ActivityError as err:
            reason = f"reconciliation failed reading {st.phase}: {describe(err)}"
            await call(refs.RECONCILE_FAILED, FailedInput(run_key=st.run_key, error=reason), 3)
            raise ApplicationError(reason, non_retryable=True) from err
        assert self._compared is not None
        return ReconcileResult(workflow_id=info.workflow_id, run_key=st.run_key,
                               window=inp.window, progress=self.progress(),
                               compared=self._compared)

    @staticmethod
    def _history_is_long(limit: int) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > limit

    @property
    def _overlap_start(self):  # noqa: ANN202 (a datetime)
        return self._inp.window.start - timedelta(seconds=self._inp.policy.overlap_seconds)

    async def _step(self, st: ReconcileState) -> None:
        w, policy, attempts = self._inp.window, self._inp.policy, self._inp.policy.max_attempts
        if st.phase == "begin":
            await call(refs.RECONCILE_BEGIN, BeginInput(
                run_key=st.run_key, workflow_id=workflow.info().workflow_id, window=w), attempts)
            st.store_cursor, st.phase = StoreCursor(after=self._overlap_start), "store"
        elif st.phase == "store":
            assert st.store_cursor is not None
            page = await call(refs.RECONCILE_STORE_PAGE, StorePageInput(
                run_key=st.run_key, store=w.store, cursor=st.store_cursor,
                modified_before=st.cutoff, per_page=policy.per_page), attempts)
            st.store_pages += 1
            st.store_orders += page.orders
            st.unreadable += page.unreadable
            st.store_cursor = page.next
            if page.next is None:
                st.phase = "erp"
        elif st.phase == "erp":
            page = await call(refs.RECONCILE_ERP_PAGE, ErpPageInput(
                run_key=st.run_key, store=w.store, created_from=self._overlap_start,
                created_to=st.cutoff, offset=st.erp_offset, limit=policy.erp_page), attempts)
            st.erp_pages += 1
            st.erp_sales += page.sales
            st.credit_notes += page.credit_notes
            if page.next_offset is None:
                st.phase = "sagas"
            else:
                st.erp_offset = page.next_offset
        elif st.phase == "sagas":
            page = await call(refs.RECONCILE_SAGA_PAGE, SagaPageInput(
                run_key=st.run_key, store=w.store, started_after=self._overlap_start,
                page_token=st.saga_token), attempts)
            st.saga_pages += 1
            st.sagas += page.sagas
            st.saga_token = page.next_token
            if page.next_token is None:
                st.phase = "plan"
        elif st.phase == "plan":
            st.plan = await call(refs.RECONCILE_PLAN, PlanInput(
                run_key=st.run_key, window=w, max_recover=policy.max_recover,
                max_lookups=policy.max_lookups), attempts)
            st.not_forwarded, st.phase = st.plan.not_forwarded, "erp_refs"
        elif st.phase == "erp_refs":
            assert st.plan is not None
            batch, rest = st.plan.erp_refs[:REFS_BATCH], st.plan.erp_refs[REFS_BATCH:]
            if batch:
                page = await call(refs.RECONCILE_ERP_REFS, ErpRefsInput(
                    run_key=st.run_key, store=w.store, woo_ids=batch), attempts)
                st.erp_sales += page.sales
            st.plan = st.plan.model_copy(update={"erp_refs": rest})
            if not rest:
                st.phase = "lookup"
        elif st.phase == "lookup":
            assert st.plan is not None
            batch, rest = st.plan.lookups[:LOOKUP_BATCH], st.plan.lookups[LOOKUP_BATCH:]
            if batch:
                found = await call(refs.RECONCILE_STORE_LOOKUP, LookupInput(
                    run_key=st.run_key, store=w.store, woo_ids=batch), attempts)
                st.looked_up += found.found
                st.gone += found.gone
            st.plan = st.plan.model_copy(update={"lookups": rest})
            if not rest:
                st.phase = "forward"
        elif st.phase == "forward":
            assert st.plan is not None
            batch, rest = st.plan.forward[:FORWARD_BATCH], st.plan.forward[FORWARD_BATCH:]
            if batch:
                done = [r for r in await asyncio.gather(*(self._forward(i) for i in batch)) if r]
                if done:
                    await call(refs.RECONCILE_RECOVERIES, RecoveriesInput(
                        run_key=st.run_key, recoveries=done), attempts)
            st.plan = st.plan.model_copy(update={"forward": rest})
            if not rest:
                st.phase = "compare"
        elif st.phase == "compare":
            self._compared = await call(refs.RECONCILE_COMPARE, CompareInput(
                run_key=st.run_key, window=w, now=st.cutoff, summary=self._summary(st)),
                attempts)
            st.phase = DONE
        else:
            raise ApplicationError(f"unknown reconciliation phase {st.phase!r}",
                                   non_retryable=True)

    async def _forward(self, woo_id: int) -> Recovered | None:
        """Hand a store order to its saga, as its lost webhook would have."""
        st, w = self._state, self._inp.window
        assert st is not None
        try:
            order = await call(refs.WOO_GET_ORDER, OrderRef(store=w.store, woo_order_id=woo_id),
                               self._inp.policy.max_attempts)
            forwarded = await call(refs.SAGAS_FORWARD_ORDER, order,
                                   self._inp.policy.max_attempts)
        except ActivityError as err:
            st.forward_failed += 1
            workflow.logger.warning("reconcile: could not hand order %s to its saga: %s",
                                    woo_id, describe(err))
            return None
        st.forwarded += 1
        if not forwarded.known or "started refund:" in forwarded.note:
            st.recovered += 1
        return Recovered(woo_id=woo_id, workflow_id=forwarded.workflow_id,
                         known=forwarded.known, note=forwarded.note)

    @staticmethod
    def _summary(st: ReconcileState) -> dict[str, int]:
        return {name: getattr(st, name) for name in (
            "store_pages", "erp_pages", "saga_pages", "store_orders", "unreadable", "erp_sales",
            "credit_notes", "sagas", "forwarded", "recovered", "forward_failed",
            "not_forwarded", "looked_up", "gone")}


@workflow.defn(name="ReconcileTick")
class ReconcileTick:
    """Started by a store's Schedule: works out which business day(s) the tick
    covers in the store's time zone, and runs their ReconcileWorkflow as a
    child under its business key. A run of the same window still going (the
    previous tick, or an ad hoc `reconcile run`) is left alone."""

    @workflow.run
    async def run(self, inp: ReconcileTickInput) -> str:
        window = await call(refs.RECONCILE_WINDOW, WindowRequest(
            store=inp.store, timezone=inp.timezone, at=workflow.now(), mode=inp.mode,
            close_previous_within_seconds=inp.close_previous_within_seconds))
        wid = reconcile_workflow_id(inp.store, window.first_day, window.last_day)
        try:
            result = await workflow.execute_child_workflow(
                ReconcileWorkflow.run, ReconcileInput(window=window, policy=inp.policy),
                id=wid, task_queue=workflow.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON)
        except WorkflowAlreadyStartedError:
            return f"{wid} is already running; this tick left it to finish"
        unexplained = ", ".join(f"{d.business_day} {d.unexplained}" for d in result.compared.days)
        return f"{wid}: {result.compared.orders_compared} orders compared; unexplained " \
               f"{unexplained or 'none'}"
