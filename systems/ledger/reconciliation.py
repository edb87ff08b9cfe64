"""The ledger's reconciliation tables: runs, their per-day reports and
variances, and the staging area a run works in.

A run stages each side's snapshots as it reads them (several activities, on
several workers), the compare reads them back, and `reconcile_finish` stores
the report and drops the staging in one transaction. Re-running a window is
a new run; the newest completed run is the report of its days.

A mixin of `Ledger` (store.py), so there stays one ledger API.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from canonical.money import Money
from canonical.reconcile import DayReport, LedgerFacts, Variance
from systems.ledger.models import (BusinessEventRow, ReconcileDay, ReconcileRun, ReconcileStaged,
                                   ReconcileVariance, utcnow)

CHUNK = 500  # rows per statement: well below every backend's parameter limit
FACT_EVENTS = ("OrderCaptured", "PaymentAuthorized", "OrderAccepted", "OrderCancelled")


@dataclass(frozen=True)
class RunRecord:
    run_key: str
    workflow_id: str
    store: str
    first_day: date
    last_day: date
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class ReconcileLedger:
    _session: Callable[..., Session]
    _insert: Any

    # runs --------------------------------------------------------------------------
    def reconcile_begin(self, *, run_key: str, workflow_id: str, store: str, first_day: date,
                        last_day: date) -> bool:
        """Record a run as running; False if it was recorded already (a resume)."""
        stmt = self._insert(ReconcileRun).values(
            run_key=run_key, workflow_id=workflow_id, store=store, first_day=first_day,
            last_day=last_day, status="running", started_at=utcnow(), finished_at=None,
            summary={}).on_conflict_do_nothing(index_elements=["run_key"]) \
            .returning(ReconcileRun.id)
        with self._session.begin() as s:
            return s.execute(stmt).first() is not None

    def reconcile_finish(self, run_key: str, reports: Iterable[DayReport],
                         summary: dict[str, Any]) -> None:
        """Store the run's report (replacing one a retried attempt stored) and
        drop its staging, in one transaction."""
        with self._session.begin() as s:
            run = s.scalar(select(ReconcileRun).where(ReconcileRun.run_key == run_key))
            if run is None:
                raise KeyError(f"no reconciliation run {run_key!r}")
            s.execute(delete(ReconcileVariance).where(ReconcileVariance.run_id == run.id))
            s.execute(delete(ReconcileDay).where(ReconcileDay.run_id == run.id))
            for report in reports:
                s.add(_day_row(run.id, report))
                variances = [_variance_row(run.id, v) for v in report.variances]
                for chunk in _chunks(variances):
                    s.add_all(chunk)
                    s.flush()
            run.status, run.finished_at, run.summary = "completed", utcnow(), summary
            s.execute(delete(ReconcileStaged).where(ReconcileStaged.run_key == run_key))

    def reconcile_failed(self, run_key: str, error: str) -> None:
        with self._session.begin() as s:
            s.execute(update(ReconcileRun).where(ReconcileRun.run_key == run_key).values(
                status="failed", finished_at=utcnow(), summary={"error": error[:2000]}))
            s.execute(delete(ReconcileStaged).where(ReconcileStaged.run_key == run_key))

    def reconcile_run(self, run_key: str) -> RunRecord | None:
        with self._session() as s:
            row = s.scalar(select(ReconcileRun).where(ReconcileRun.run_key == run_key))
            return _run(row) if row else None

    def reconcile_runs(self, store: str, limit: int = 20) -> list[RunRecord]:
        with self._session() as s:
            rows = s.scalars(select(ReconcileRun).where(ReconcileRun.store == store)
                             .order_by(ReconcileRun.id.desc()).limit(limit))
            return [_run(r) for r in rows]

    # staging -------------------------------------------------------------------------
    def reconcile_stage(self, run_key: str, kind: str,
                        rows: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Upsert snapshots by (kind, key): a page read twice stays one row each."""
        values = [{"run_key": run_key, "kind": kind, "key": key, "payload": payload}
                  for key, payload in rows]
        with self._session.begin() as s:
            for chunk in _chunks(values):
                stmt = self._insert(ReconcileStaged).values(chunk)
                s.execute(stmt.on_conflict_do_update(
                    index_elements=["run_key", "kind", "key"],
                    set_={"payload": stmt.excluded.payload}))
        return len(values)

    def reconcile_staged(self, run_key: str, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every staged snapshot of a kind, streamed in key order."""
        with self._session() as s:
            result = s.execute(select(ReconcileStaged.key, ReconcileStaged.payload)
                               .where(ReconcileStaged.run_key == run_key,
                                      ReconcileStaged.kind == kind)
                               .order_by(ReconcileStaged.key)
                               .execution_options(yield_per=2000))
            for key, payload in result:
                yield key, payload

    def reconcile_staged_count(self, run_key: str, kind: str) -> int:
        with self._session() as s:
            return s.scalar(select(func.count()).select_from(ReconcileStaged).where(
                ReconcileStaged.run_key == run_key, ReconcileStaged.kind == kind)) or 0

    # reports ------------------------------------------------------------------------
    def variance_days(self, store: str, first: date, last: date) -> list[DayReport]:
        """The report of each day from the newest completed run that covered it."""
        with self._session() as s:
            rows = s.execute(
                select(ReconcileDay, ReconcileRun.finished_at)
                .join(ReconcileRun, ReconcileRun.id == ReconcileDay.run_id)
                .where(ReconcileDay.store == store, ReconcileDay.business_day >= first,
                       ReconcileDay.business_day <= last, ReconcileRun.status == "completed")
                .order_by(ReconcileDay.business_day, ReconcileRun.id.desc())).all()
            newest: dict[date, int] = {}
            days = []
            for day, _ in rows:
                if newest.setdefault(day.business_day, day.run_id) == day.run_id:
                    days.append(day)
            variances: dict[tuple[int, date, str], list[ReconcileVariance]] = {}
            for run_id in set(newest.values()):
                for v in s.scalars(select(ReconcileVariance).where(
                        ReconcileVariance.run_id == run_id).order_by(ReconcileVariance.id)):
                    variances.setdefault((run_id, v.business_day, v.currency), []).append(v)
            return [_report(d, variances.get((d.run_id, d.business_day, d.currency), []))
                    for d in days]

    def reconcile_latest(self, store: str) -> tuple[RunRecord, list[DayReport]] | None:
        """The store's newest completed run and its report (for /metrics)."""
        with self._session() as s:
            run = s.scalar(select(ReconcileRun).where(
                ReconcileRun.store == store, ReconcileRun.status == "completed")
                .order_by(ReconcileRun.id.desc()).limit(1))
            if run is None:
                return None
            days = list(s.scalars(select(ReconcileDay).where(ReconcileDay.run_id == run.id)
                                  .order_by(ReconcileDay.business_day, ReconcileDay.currency)))
            variances: dict[tuple[date, str], list[ReconcileVariance]] = {}
            for v in s.scalars(select(ReconcileVariance).where(
                    ReconcileVariance.run_id == run.id).order_by(ReconcileVariance.id)):
                variances.setdefault((v.business_day, v.currency), []).append(v)
            return _run(run), [_report(d, variances.get((d.business_day, d.currency), []))
                               for d in days]

    # the ledger's side of the compare -------------------------------------------------------
    def order_facts(self, store: str, woo_ids: Iterable[int]) -> dict[int, LedgerFacts]:
        """The acceptance baseline of each order saga, folded from its events."""
        ids = sorted(set(woo_ids))
        facts: dict[int, LedgerFacts] = {}
        prefix = f"order:{store}:"
        with self._session() as s:
            for chunk in _chunks(ids):
                events: dict[int, list[tuple[str, dict[str, Any], datetime]]] = {}
                rows = s.execute(
                    select(BusinessEventRow.correlation_id, BusinessEventRow.type,
                           BusinessEventRow.payload, BusinessEventRow.recorded_at)
                    .where(BusinessEventRow.correlation_id.in_([f"{prefix}{i}" for i in chunk]),
                           BusinessEventRow.type.in_(FACT_EVENTS))
                    .order_by(BusinessEventRow.seq))
                for correlation_id, kind, payload, recorded_at in rows:
                    woo_id = int(correlation_id.removeprefix(prefix))
                    events.setdefault(woo_id, []).append((kind, payload, recorded_at))
                for woo_id, found in events.items():
                    facts[woo_id] = LedgerFacts.fold(woo_id, found)
        return facts


def _run(row: ReconcileRun) -> RunRecord:
    return RunRecord(run_key=row.run_key, workflow_id=row.workflow_id, store=row.store,
                     first_day=row.first_day, last_day=row.last_day, status=row.status,
                     started_at=row.started_at, finished_at=row.finished_at,
                     summary=dict(row.summary or {}))


def _day_row(run_id: int, r: DayReport) -> ReconcileDay:
    return ReconcileDay(
        run_id=run_id, store=r.store, business_day=r.business_day, currency=r.currency,
        orders_compared=r.orders_compared, commerce=r.commerce.amount, erp=r.erp.amount,
        difference=r.difference.amount, unexplained=r.unexplained.amount,
        states={k.value: v.model_dump(mode="json") for k, v in r.states.items()})


def _variance_row(run_id: int, v: Variance) -> ReconcileVariance:
    return ReconcileVariance(
        run_id=run_id, store=v.store, business_day=v.business_day, woo_order_id=v.woo_order_id,
        erp_document=v.erp_document, workflow_id=v.workflow_id, component=v.component.value,
        currency=v.difference.currency, commerce=v.commerce.amount, erp=v.erp.amount,
        difference=v.difference.amount, cause=v.cause.value, evidence=v.evidence)


def _report(d: ReconcileDay, variances: list[ReconcileVariance]) -> DayReport:
    def money(x: Decimal) -> Money:
        return Money.of(x, d.currency)
    return DayReport(
        store=d.store, business_day=d.business_day, currency=d.currency,
        orders_compared=d.orders_compared, states=d.states, commerce=money(d.commerce),
        erp=money(d.erp), difference=money(d.difference),
        variances=[Variance(
            store=v.store, business_day=v.business_day, woo_order_id=v.woo_order_id,
            erp_document=v.erp_document, workflow_id=v.workflow_id, component=v.component,
            commerce=money(v.commerce), erp=money(v.erp), difference=money(v.difference),
            cause=v.cause, evidence=v.evidence) for v in variances])
