"""The ledger's inventory facts: each comparison of a store's stock with what
the ERP can sell (`inventory_checks`), and the InventoryAdjusted events of
the SKUs it pushed, written together in one transaction so a retried
activity records each once.

A mixin of `Ledger` (store.py), so there stays one ledger API.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from systems.ledger.models import BusinessEventRow, InventoryCheck


@dataclass(frozen=True)
class CheckRecord:
    store: str
    kind: str
    checked_at: datetime
    compared: int
    in_step: int
    repaired: int
    unresolved: int

    @property
    def accuracy(self) -> float | None:
        """Share of the compared SKUs the store showed exactly right."""
        return self.in_step / self.compared if self.compared else None


class InventoryLedger:
    engine: object
    _insert: object

    def inventory_record(self, check: CheckRecord, events: Sequence[object], check_key: str) -> bool:
        """Store one comparison and its adjustments; False if `check_key` (the
        comparison's idempotency key) was recorded already."""
        rows = [dict(event_id=e.event_id, type=e.type, correlation_id=e.correlation_id,
                     occurred_at=e.occurred_at, recorded_at=e.recorded_at,
                     source_system=e.source_system, payload=e.model_dump(mode="json"))
                for e in events]
        with Session(self.engine) as s, s.begin():
            marker = s.execute(self._insert(InventoryCheck).values(  # type: ignore[operator]
                check_key=check_key, store=check.store, kind=check.kind,
                checked_at=check.checked_at, compared=check.compared, in_step=check.in_step,
                repaired=check.repaired, unresolved=check.unresolved,
            ).on_conflict_do_nothing(index_elements=["check_key"]).returning(InventoryCheck.id))
            if marker.first() is None:
                return False
            if rows:
                s.execute(self._insert(BusinessEventRow).values(rows)  # type: ignore[operator]
                          .on_conflict_do_nothing(index_elements=["event_id"]))
        return True

    def inventory_latest(self, store: str, kind: str = "full") -> CheckRecord | None:
        with Session(self.engine) as s:
            row = s.execute(select(InventoryCheck).where(
                InventoryCheck.store == store, InventoryCheck.kind == kind)
                .order_by(InventoryCheck.checked_at.desc(), InventoryCheck.id.desc())
                .limit(1)).scalar_one_or_none()
            if row is None:
                return None
            return CheckRecord(store=row.store, kind=row.kind, checked_at=row.checked_at,
                               compared=row.compared, in_step=row.in_step,
                               repaired=row.repaired, unresolved=row.unresolved)

    def inventory_lags(self, store: str, since: datetime, until: datetime | None = None,
                       limit: int = 100_000) -> list[float]:
        """Seconds from the ERP change to the store updated, per adjustment
        recorded in [since, until) (for the lag metric)."""
        with Session(self.engine) as s:
            rows = s.execute(select(BusinessEventRow.occurred_at, BusinessEventRow.recorded_at)
                             .where(BusinessEventRow.type == "InventoryAdjusted",
                                    BusinessEventRow.correlation_id == f"inventory:{store}",
                                    BusinessEventRow.recorded_at >= since,
                                    *([BusinessEventRow.recorded_at < until] if until else []))
                             .limit(limit))
            return [max(0.0, (rec - occ).total_seconds()) for occ, rec in rows]
