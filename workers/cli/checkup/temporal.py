"""Temporal's side of `wooerp doctor`: the cluster reachable, wooerp's search
attributes registered, and a live worker polling every task queue of this
deployment (through the saga client API: only workers/sagas/ talks to
Temporal)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from activities.refs import Queue
from workers.cli.checkup.findings import Finding, fail, ok, skipped
from workers.config.settings import Settings
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import SagaCallError

AREA = "temporal"
# A worker long-polls for up to a minute; one not seen for longer has gone.
LIVE = timedelta(minutes=2)


async def temporal_findings(settings: Settings) -> list[Finding]:
    cfg = settings.temporal
    queues = [settings.temporal.queue(q) for q in Queue]
    try:
        sagas = await SagaClient.connect(settings, timeout=5.0)
    except SagaCallError as exc:
        return [fail(AREA, "reachable", f"{cfg.address}: {exc}",
                     "start `wooerp dev`, or check temporal.address / namespace / api_key")] + [
            skipped(AREA, "search attributes", "Temporal did not answer")] + [
            skipped(AREA, f"workers on {q}", "Temporal did not answer") for q in queues]
    findings = [ok(AREA, "reachable", f"{cfg.address}, namespace {cfg.namespace}")]
    try:
        missing = await sagas.missing_search_attributes()
    except SagaCallError as exc:
        findings.append(fail(AREA, "search attributes", f"cannot list them: {exc}",
                             "the API key needs namespace read access"))
    else:
        if missing:
            findings.append(fail(AREA, "search attributes", f"missing: {', '.join(missing)}",
                                 "wooerp temporal register-search-attributes"))
        else:
            findings.append(ok(AREA, "search attributes", "all registered"))
    now = datetime.now(timezone.utc)
    for queue in Queue:
        name = settings.temporal.queue(queue)
        check = f"workers on {name}"
        try:
            pollers = await sagas.task_queue_pollers(queue)
        except SagaCallError as exc:
            findings.append(fail(AREA, check, f"cannot describe the queue: {exc}",
                                 "check the Temporal connection"))
            continue
        live = [p for p in pollers if p.last_access and now - p.last_access < LIVE]
        if live:
            findings.append(ok(AREA, check, f"{len(live)} polling: "
                               + ", ".join(sorted({p.identity for p in live}))))
        else:
            deployment = (f" with temporal.deployment = {cfg.deployment!r}" if cfg.deployment
                          else "")
            findings.append(fail(AREA, check, "no worker polls it"
                                 + (f" ({len(pollers)} gone)" if pollers else ""),
                                 f"start `wooerp worker`{deployment} against {cfg.address}"))
    return findings
