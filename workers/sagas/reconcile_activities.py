"""The reconciliation's view of the sagas: a page of Temporal's visibility at
a time (this deployment's order and refund sagas started since the window
began), staged in the ledger like the store's and the ERP's pages."""
from __future__ import annotations

import asyncio
import base64

from temporalio import activity

from activities import refs
from activities.reconcile_contracts import SagaPageInput, SagaPageResult
from canonical.reconcile import SagaState
from systems.ledger import Ledger
from workers.config.settings import Settings
from workers.sagas.client import SagaClient, SagaRow

PAGE_SIZE = 1000


def saga_state(store: str, row: SagaRow) -> SagaState | None:
    """`order:{store}:{id}` or `refund:{store}:{id}:{n}`; None for other stores'."""
    kind, _, rest = row.workflow_id.partition(":")
    row_store, _, rest = rest.partition(":")
    if kind not in ("order", "refund") or row_store != store:
        return None
    try:
        woo_id = int(rest.split(":", 1)[0])
    except ValueError:
        return None
    return SagaState(workflow_id=row.workflow_id, woo_id=woo_id, kind=kind, stage=row.stage,
                     reason=row.reason, since=row.since, running=bool(row.running))


class ReconcileSagaActivities:
    def __init__(self, settings: Settings, ledger: Ledger) -> None:
        self._settings, self._ledger = settings, ledger

    @activity.defn(name=refs.RECONCILE_SAGA_PAGE.name)
    async def saga_page(self, inp: SagaPageInput) -> SagaPageResult:
        sagas = SagaClient(activity.client(), self._settings)
        token = base64.b64decode(inp.page_token) if inp.page_token else None
        rows, next_token = await sagas.page(sagas.saga_query(inp.started_after), token,
                                            PAGE_SIZE)
        states = [s for s in (saga_state(inp.store, r) for r in rows) if s is not None]
        # A saga restarted after a failure is listed once per run: the running one counts.
        best: dict[str, SagaState] = {}
        for s in states:
            if s.workflow_id not in best or s.running:
                best[s.workflow_id] = s
        await asyncio.to_thread(self._ledger.reconcile_stage, inp.run_key, "saga",
                                [(s.workflow_id, s.row()) for s in best.values()])
        return SagaPageResult(sagas=len(best), next_token=base64.b64encode(next_token).decode()
                              if next_token else None)
