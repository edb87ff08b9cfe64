"""Reconciliation runs and their Schedules, for the saga client API
(SagaClient's reconcile methods call these inside `translated()`).

Schedules, one or two per store:

* `reconcile-{store}-interval` (`--every 15m`): each tick reconciles the
  store's business day so far, and closes yesterday too in the first hour
  after local midnight, so the last minutes of a day are never left out.
* `reconcile-{store}-daily` (`--daily-at 02:00 --timezone Europe/Paris`):
  closes yesterday once a day, at that local time.

Overlap policy SKIP: a tick due while the previous one still runs is
dropped, never queued or run in parallel; every tick re-reads its whole
day, so the next one covers what the skipped one would have. (A tick that
finds a run of the same window going, e.g. an ad hoc `reconcile run`, leaves
it to finish.) Catch-up window: one interval for interval schedules (after
an outage, one tick soon, not a burst of stale ones), 6 hours for the daily
close (a cluster down at 02:00 still closes the day once back that morning).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from temporalio.client import (Client, Schedule, ScheduleActionStartWorkflow,
                               ScheduleAlreadyRunningError, ScheduleCalendarSpec,
                               ScheduleIntervalSpec, ScheduleOverlapPolicy, SchedulePolicy,
                               ScheduleRange, ScheduleSpec, ScheduleUpdate,
                               WorkflowExecutionStatus, WorkflowFailureError)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.reconcile_contracts import ReconcileWindow
from workers.sagas.outcomes import BadRequest, SagaCallError
from workflows.reconcile import ReconcileTick, ReconcileWorkflow
from workflows.reconcile_types import (ReconcileInput, ReconcilePolicy, ReconcileProgress,
                                       ReconcileResult, ReconcileTickInput,
                                       reconcile_workflow_id)

CALL_TIMEOUT = timedelta(seconds=10)
DAILY_CATCHUP = timedelta(hours=6)
SAGA_TYPES = ("OrderSaga", "RefundSaga")


@dataclass(frozen=True)
class ScheduleInfo:
    schedule_id: str
    kind: str  # interval or daily
    description: str
    next_runs: list[datetime]
    actions_taken: int
    paused: bool


def schedule_id(store: str, kind: str) -> str:
    return f"reconcile-{store}-{kind}"


def saga_query(task_queue: str, started_after: datetime) -> str:
    since = started_after.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    types = ", ".join(f'"{t}"' for t in SAGA_TYPES)
    return f'WorkflowType IN ({types}) AND TaskQueue = "{task_queue}" AND StartTime >= "{since}"'


async def start_or_attach(client: Client, window: ReconcileWindow, policy: ReconcilePolicy, *,
                          task_queue: str) -> tuple[str, bool]:
    wid = reconcile_workflow_id(window.store, window.first_day, window.last_day)
    running = False
    try:
        described = await client.get_workflow_handle(wid).describe(rpc_timeout=CALL_TIMEOUT)
        running = described.status == WorkflowExecutionStatus.RUNNING
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    if not running:
        # A re-run of a finished window is a new run; racing starters share one.
        await client.start_workflow(
            ReconcileWorkflow.run, ReconcileInput(window=window, policy=policy), id=wid,
            task_queue=task_queue, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, rpc_timeout=CALL_TIMEOUT)
    return wid, running


async def progress(client: Client, workflow_id: str) -> ReconcileProgress:
    return await client.get_workflow_handle(workflow_id).query(
        ReconcileWorkflow.progress, rpc_timeout=CALL_TIMEOUT)


async def result(client: Client, workflow_id: str) -> ReconcileResult:
    try:
        return await client.get_workflow_handle(workflow_id, result_type=ReconcileResult).result()
    except WorkflowFailureError as exc:
        cause = exc.cause
        while getattr(cause, "cause", None) is not None and not getattr(cause, "message", ""):
            cause = cause.cause
        raise SagaCallError(f"{workflow_id} failed: {getattr(cause, 'message', cause)}") from None


def _spec(every: timedelta | None, daily_at: time | None, tz: str) -> ScheduleSpec:
    if every is not None:
        return ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)])
    assert daily_at is not None
    return ScheduleSpec(calendars=[ScheduleCalendarSpec(
        hour=[ScheduleRange(daily_at.hour)], minute=[ScheduleRange(daily_at.minute)],
        second=[ScheduleRange(0)])], time_zone_name=tz)


async def schedule(client: Client, store: str, *, every: timedelta | None,
                   daily_at: time | None, timezone: str, catchup_window: timedelta | None,
                   policy: ReconcilePolicy, task_queue: str, trigger: bool = False) -> list[str]:
    if every is None and daily_at is None:
        raise BadRequest("give --every, --daily-at, or both")
    if every is not None and every < timedelta(minutes=1):
        raise BadRequest("reconciling more often than once a minute would only queue runs")
    made = []
    for kind, spec_every, spec_daily in (("interval", every, None), ("daily", None, daily_at)):
        if spec_every is None and spec_daily is None:
            continue
        sid = schedule_id(store, kind)
        tick = ReconcileTickInput(store=store, timezone=timezone,
                                  mode="today" if kind == "interval" else "yesterday",
                                  policy=policy)
        plan = Schedule(
            action=ScheduleActionStartWorkflow(ReconcileTick.run, tick,
                                               id=f"reconcile-tick:{store}:{kind}",
                                               task_queue=task_queue),
            spec=_spec(spec_every, spec_daily, timezone),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP,
                                  catchup_window=catchup_window or spec_every or DAILY_CATCHUP))
        try:
            handle = await client.create_schedule(sid, plan, rpc_timeout=CALL_TIMEOUT)
        except ScheduleAlreadyRunningError:
            handle = client.get_schedule_handle(sid)
            await handle.update(lambda _: ScheduleUpdate(schedule=plan),
                                rpc_timeout=CALL_TIMEOUT)
        if trigger:
            await handle.trigger(overlap=ScheduleOverlapPolicy.SKIP, rpc_timeout=CALL_TIMEOUT)
        made.append(sid)
    return made


async def schedules(client: Client, store: str) -> list[ScheduleInfo]:
    found = []
    for kind in ("interval", "daily"):
        sid = schedule_id(store, kind)
        try:
            d = await client.get_schedule_handle(sid).describe(rpc_timeout=CALL_TIMEOUT)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                continue
            raise
        spec = d.schedule.spec
        if spec.intervals:
            what = f"every {spec.intervals[0].every}"
        else:
            cal = spec.calendars[0]
            what = (f"daily at {cal.hour[0].start:02d}:{cal.minute[0].start:02d} "
                    f"{spec.time_zone_name or 'UTC'}")
        found.append(ScheduleInfo(schedule_id=sid, kind=kind, description=what,
                                  next_runs=list(d.info.next_action_times[:3]),
                                  actions_taken=d.info.num_actions,
                                  paused=d.schedule.state.paused))
    return found
