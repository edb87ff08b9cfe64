"""BackfillWorkflow: hand a range of historical store orders to their sagas.

    page (activity: read, classify, signal-with-start) -> wait for room
         in the window -> page ... -> drain -> done

The workflow never holds orders: the page activity reads one or more pages
of orders modified in [start, end) at the backfill's own rate, hands each
paid order to its OrderSaga with signal-with-start (an order that has a saga
already just gets the newer payload), and returns counts and the cursor.

Window: at most `policy.window` sagas this backfill started are in flight.
A saga started by a backfill signals `saga_settled` once, when its sale is
booked, it parks, or it is called off; that frees its slot (a historical
saga may go on waiting for its invoice long after). A slot whose signal
never comes (a saga terminated by hand) is given back after
`slot_timeout_seconds` without any signal.

Control: updates `pause`, `resume`, `cancel` (cancel stops paging; sagas
already started go on), query `progress`. Every `pages_per_run` pages the
workflow continues as new with its state, so the history stays short
whatever the range.
"""
from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import refs
    from workflows import search
    from workflows.backfill_types import (LIST_CAP, BackfillInput, BackfillProgress,
                                          BackfillState, PageInput, PageResult,
                                          Quarantined, SagaSettled)
    from workflows.options import call
    from workflows.saga import describe


@workflow.defn(name="BackfillWorkflow")
class BackfillWorkflow:
    @workflow.init
    def __init__(self, inp: BackfillInput) -> None:
        # The state is taken here, not in run(): signals that reached a run
        # continued as new before its first step are applied to this state.
        self._inp: BackfillInput | None = inp
        self._state = inp.state or BackfillState()

    # control ------------------------------------------------------------------
    @workflow.update
    def pause(self) -> BackfillProgress:
        self._state.paused = True
        self._publish()
        return self.progress()

    @pause.validator
    def _pause_ok(self) -> None:
        self._refuse_when_over()
        if self._state.paused:
            raise ApplicationError("the backfill is paused already")

    @workflow.update
    def resume(self) -> BackfillProgress:
        self._state.paused = False
        self._publish()
        return self.progress()

    @resume.validator
    def _resume_ok(self) -> None:
        self._refuse_when_over()
        if not self._state.paused:
            raise ApplicationError("the backfill is not paused")

    @workflow.update
    def cancel(self) -> BackfillProgress:
        self._state.cancelled = True
        return self.progress()

    @cancel.validator
    def _cancel_ok(self) -> None:
        if self._state.cancelled:
            raise ApplicationError("the backfill is cancelled already")
        self._refuse_when_over()

    def _refuse_when_over(self) -> None:
        if self._state.phase in ("done", "cancelled"):
            raise ApplicationError(f"the backfill is {self._state.phase}")

    @workflow.signal
    def saga_settled(self, settled: SagaSettled) -> None:
        st = self._state
        st.settled += 1
        st.refunds_started += settled.refunds
        if settled.outcome == "booked":
            st.booked += 1
        elif settled.outcome == "parked":
            st.parked += 1
            st.quarantined += 1
            if len(st.quarantine) < LIST_CAP:
                st.quarantine.append(Quarantined(woo_id=settled.woo_id,
                                                 reason=f"saga parked: {settled.reason}"[:300]))

    @workflow.query
    def progress(self) -> BackfillProgress:
        st, inp = self._state, self._inp
        elapsed = (workflow.now() - st.started_at).total_seconds() if st.started_at else 0.0
        return BackfillProgress(
            workflow_id=workflow.info().workflow_id, store=inp.store if inp else "",
            mode=inp.mode if inp else "book", phase=st.phase, paused=st.paused,
            pages=st.pages, seen=st.seen, started=st.started, known=st.known, booked=st.booked,
            parked=st.parked, in_flight=self._in_flight, unpaid=st.unpaid, linked=st.linked,
            not_linked=st.not_linked, quarantined=st.quarantined,
            refunds_started=st.refunds_started, throttled_seconds=st.throttled_seconds,
            elapsed_seconds=elapsed, estimated_total=st.estimated_total,
            quarantine=list(st.quarantine), unpaid_ids=list(st.unpaid_ids),
            not_linked_ids=list(st.not_linked_ids), done=st.phase in ("done", "cancelled"))

    @property
    def _in_flight(self) -> int:
        return max(0, self._state.started - self._state.settled)

    # the run --------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: BackfillInput) -> BackfillProgress:
        st = self._state
        st.started_at = st.started_at or workflow.now()
        policy, pages_this_run = inp.policy, 0
        self._publish(first=True)
        while st.phase == "paging":
            await workflow.wait_condition(lambda: not st.paused or st.cancelled)
            if st.cancelled:
                break
            await self._wait_for_room()
            if st.cancelled:
                break
            if st.paused:
                continue
            page = await self._page(policy.window - self._in_flight)
            pages_this_run += max(1, page.pages)
            self._count(page)
            if page.done:
                st.phase = "draining"
            self._publish()
            if st.phase == "paging" and (pages_this_run >= policy.pages_per_run
                                         or workflow.info().is_continue_as_new_suggested()):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={"state": st}))
        if st.cancelled:
            st.phase = "cancelled"
        else:
            # Booked counts are final once every saga this backfill started settled.
            await self._wait_for(lambda: self._in_flight == 0 or st.cancelled)
            st.phase = "cancelled" if st.cancelled else "done"
        self._publish()
        return self.progress()

    async def _wait_for_room(self) -> None:
        st = self._state
        await self._wait_for(lambda: self._in_flight < self._inp.policy.window  # type: ignore[union-attr]
                             or st.cancelled or st.paused)

    async def _wait_for(self, condition) -> None:  # noqa: ANN001 (a predicate)
        """Wait for `condition`; when no saga settles for a whole slot timeout,
        the slots still taken are given back (their sagas went silent)."""
        st = self._state
        timeout = timedelta(seconds=self._inp.policy.slot_timeout_seconds)  # type: ignore[union-attr]
        while not condition():
            settled = st.settled
            try:
                await workflow.wait_condition(lambda: condition() or st.settled != settled,
                                              timeout=timeout)
            except TimeoutError:
                workflow.logger.warning("backfill: %s slot(s) silent for %s, given back",
                                        self._in_flight, timeout)
                st.settled = st.started

    async def _page(self, room: int) -> PageResult:
        inp, st = self._inp, self._state
        assert inp is not None
        try:
            return await call(refs.BACKFILL_PAGE, PageInput(
                backfill_id=workflow.info().workflow_id, store=inp.store, mode=inp.mode,
                statuses=inp.statuses, start=inp.start, end=inp.end, cursor=st.cursor,
                room=max(1, room), policy=inp.policy), inp.policy.max_attempts)
        except ActivityError as err:
            st.phase = "failed"
            self._publish()
            raise ApplicationError(f"backfill failed reading the store: {describe(err)}",
                                   non_retryable=True) from err

    def _count(self, page: PageResult) -> None:
        st = self._state
        st.cursor = page.cursor
        st.pages += page.pages
        st.seen += page.seen
        st.started += page.started
        st.known += page.known
        st.refunds_started += page.refunds_started
        st.unpaid += len(page.unpaid)
        st.linked += page.linked
        st.not_linked += len(page.not_linked)
        st.quarantined += len(page.quarantined)
        st.throttled_seconds += page.throttled_seconds
        if st.estimated_total is None and page.total is not None:
            st.estimated_total = page.total
        st.unpaid_ids += page.unpaid[:max(0, LIST_CAP - len(st.unpaid_ids))]
        st.not_linked_ids += page.not_linked[:max(0, LIST_CAP - len(st.not_linked_ids))]
        st.quarantine += page.quarantined[:max(0, LIST_CAP - len(st.quarantine))]

    def _publish(self, first: bool = False) -> None:
        """The Web UI's view: store, range, state and orders seen."""
        inp, st = self._inp, self._state
        assert inp is not None
        state = "paused" if st.paused and st.phase == "paging" else st.phase
        pairs = [search.BACKFILL_STATE.value_set(state), search.BACKFILL_SEEN.value_set(st.seen)]
        if first:
            pairs += [search.WOO_STORE.value_set(inp.store), search.BACKFILL_RANGE.value_set(
                f"{inp.first_day.isoformat()}..{inp.last_day.isoformat()}")]
        workflow.upsert_search_attributes(pairs)
