"""Where a saga's acceptance time went, read from its Temporal history:
per activity type, the wait on the task queue (scheduled -> started) and
the run (started -> completed), up to the accept activity's completion."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from temporalio.client import Client

from bench.stats import percentile


class Breakdown:
    def __init__(self) -> None:
        self.wait: dict[str, list[float]] = defaultdict(list)
        self.run: dict[str, list[float]] = defaultdict(list)
        self.workflow_tasks: list[float] = []  # per saga: summed workflow-task time

    async def add(self, client: Client, workflow_id: str, until: str = "erp.accept_order") -> None:
        scheduled: dict[int, tuple[str, float]] = {}
        started: dict[int, float] = {}
        task_time, task_scheduled = 0.0, None
        async for e in client.get_workflow_handle(workflow_id).fetch_history_events():
            at = e.event_time.ToDatetime().timestamp()
            if e.HasField("workflow_task_scheduled_event_attributes"):
                task_scheduled = at
            elif e.HasField("workflow_task_completed_event_attributes") and task_scheduled:
                task_time += at - task_scheduled
            elif e.HasField("activity_task_scheduled_event_attributes"):
                scheduled[e.event_id] = (e.activity_task_scheduled_event_attributes
                                         .activity_type.name, at)
            elif e.HasField("activity_task_started_event_attributes"):
                started[e.activity_task_started_event_attributes.scheduled_event_id] = at
            elif e.HasField("activity_task_completed_event_attributes"):
                sid = e.activity_task_completed_event_attributes.scheduled_event_id
                name, when = scheduled[sid]
                self.wait[name].append(started[sid] - when)
                self.run[name].append(at - started[sid])
                if name == until:
                    break
        self.workflow_tasks.append(task_time)

    async def add_all(self, client: Client, workflow_ids: Iterable[str]) -> None:
        for wid in workflow_ids:
            await self.add(client, wid)

    def lines(self) -> list[str]:
        out = [f"  {'activity':<24} {'n':>4} {'queue wait p50/p95':>20} {'run p50/p95':>18}"]
        for name in self.run:
            w, r = self.wait[name], self.run[name]
            out.append(f"  {name:<24} {len(r):>4} {_ms(w, 50):>9}/{_ms(w, 95):<6} ms "
                       f"{_ms(r, 50):>7}/{_ms(r, 95):<6} ms")
        t = self.workflow_tasks
        out.append(f"  {'workflow tasks (sum)':<24} {len(t):>4} {'':>20} "
                   f"{_ms(t, 50):>7}/{_ms(t, 95):<6} ms")
        return out


def _ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.0f}"
