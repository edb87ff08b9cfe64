"""Every activity a workflow can call: its name, its task queue, and the
types it takes and returns, in one typed reference.

Workflows cannot import the activity classes (they hold clients and
databases, which the workflow sandbox must not load), so they call these
references instead:

    sale = await call(ERP_GET_SALE, ref)  # -> ErpSale, typed

and the implementations register under the same name:

    @activity.defn(name=ERP_GET_SALE.name)

tests/unit/test_activity_refs.py checks that each reference's types are the
implementation's annotations, so a call site can never decode a result into
the wrong type. Pure (canonical + pydantic): safe in the workflow sandbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from activities.contracts import (AcceptOrderInput, CancelWooOrderInput, CreateWooRefundInput,
                                  CreditNoteInput, Forwarded, MarkShippedInput, OrderRef,
                                  PingInput, RefundRef, ValidateOrderInput, ValidationReport,
                                  WriteBackInput)
from activities.backfill_contracts import PageInput, PageResult
from activities.reconcile_contracts import (BeginInput, CompareInput, CompareResult,
                                            ErpPageInput, ErpPageResult, ErpRefsInput,
                                            FailedInput, LookupInput, LookupResult, Plan,
                                            PlanInput, RecoveriesInput, ReconcileWindow,
                                            SagaPageInput, SagaPageResult, StorePageInput,
                                            StorePageResult, WindowRequest)
from activities.inventory_contracts import (Available, Holds, PushInput, PushResult,
                                            RecordInput, SkusInput, StoreStock)
from canonical.entities import Order, Refund
from canonical.erp import CreditNote, ErpSale
from canonical.events import BusinessEvent

A = TypeVar("A")
R = TypeVar("R")


class Queue(StrEnum):
    """One task queue per system, so each can be rate-limited and scaled alone."""

    WORKFLOWS = "orders"
    WOOCOMMERCE = "woocommerce"
    ERP = "erp"
    LEDGER = "ledger"
    SAGAS = "sagas"  # activities that start or signal other sagas (reconcile, backfill)


@dataclass(frozen=True)
class ActivityRef(Generic[A, R]):
    name: str
    queue: Queue
    arg: type[A]
    result: type[R]
    timeout_seconds: int = 30  # start-to-close of one attempt
    # Run inside the workflow's own worker, with no server round trip of its
    # own (a local activity): for quick, idempotent writes such as the ledger's.
    local: bool = False
    # Long calls heartbeat: a worker that dies mid-call is noticed within this
    # many seconds (and the call retried elsewhere), not after timeout_seconds.
    heartbeat_seconds: int | None = None


def _ref(name: str, queue: Queue, arg: type[A], result: type[R], *,
         local: bool = False) -> ActivityRef[A, R]:
    timeout = {Queue.ERP: 60, Queue.WOOCOMMERCE: 30, Queue.LEDGER: 15, Queue.SAGAS: 30}[queue]
    return ActivityRef(name, queue, arg, result, timeout, local)


NONE: Any = type(None)

WOO_GET_ORDER = _ref("woo.get_order", Queue.WOOCOMMERCE, OrderRef, Order)
WOO_GET_REFUND = _ref("woo.get_refund", Queue.WOOCOMMERCE, RefundRef, Refund)
WOO_WRITE_ERP_DOCUMENT = _ref("woo.write_erp_document", Queue.WOOCOMMERCE, WriteBackInput, NONE)
# Answers with the order as the store has it after the update (None in
# histories recorded before it answered at all).
WOO_MARK_SHIPPED = _ref("woo.mark_shipped", Queue.WOOCOMMERCE, MarkShippedInput, Order)
WOO_CANCEL_ORDER = _ref("woo.cancel_order", Queue.WOOCOMMERCE, CancelWooOrderInput, NONE)
WOO_CREATE_REFUND = _ref("woo.create_refund", Queue.WOOCOMMERCE, CreateWooRefundInput, int)
ERP_VALIDATE_ORDER = _ref("erp.validate_order", Queue.ERP, ValidateOrderInput, ValidationReport)
ERP_ACCEPT_ORDER = _ref("erp.accept_order", Queue.ERP, AcceptOrderInput, ErpSale)
ERP_GET_SALE = _ref("erp.get_sale", Queue.ERP, str, ErpSale)
ERP_CANCEL_SALE = _ref("erp.cancel_sale", Queue.ERP, str, NONE)
ERP_CREDIT_NOTE = _ref("erp.credit_note", Queue.ERP, CreditNoteInput, CreditNote)
# Idempotent by event id, so a local run repeated after a worker crash records one fact.
LEDGER_RECORD_EVENT = _ref("ledger.record_event", Queue.LEDGER, BusinessEvent, bool, local=True)
PING_RECORD = _ref("ping.record", Queue.LEDGER, PingInput, bool)
# Implemented by the saga client API (workers/sagas/activities.py): the same
# signal-with-start as a webhook, for the workflows that drive other sagas.
SAGAS_FORWARD_ORDER = _ref("sagas.forward_order", Queue.SAGAS, Order, Forwarded)
# A historical order's store refunds, started once its ERP sale exists (their
# credit notes need it); answers how many RefundSagas it started.
SAGAS_START_REFUNDS = _ref("sagas.start_refunds", Queue.SAGAS, Order, int)

# Reconciliation (activities/reconcile.py; the saga page in workers/sagas/reconcile.py).
# Pages stage snapshots in the ledger and return counts: the workflow never
# holds the orders. The compare reads a whole day: it gets minutes, not seconds.
RECONCILE_WINDOW = _ref("reconcile.window", Queue.LEDGER, WindowRequest, ReconcileWindow)
RECONCILE_BEGIN = _ref("reconcile.begin", Queue.LEDGER, BeginInput, bool)
RECONCILE_STORE_PAGE = _ref("reconcile.store_page", Queue.WOOCOMMERCE, StorePageInput,
                            StorePageResult)
RECONCILE_STORE_LOOKUP = _ref("reconcile.store_lookup", Queue.WOOCOMMERCE, LookupInput,
                              LookupResult)
RECONCILE_ERP_PAGE = ActivityRef("reconcile.erp_page", Queue.ERP, ErpPageInput, ErpPageResult,
                                 180)
RECONCILE_ERP_REFS = ActivityRef("reconcile.erp_refs", Queue.ERP, ErpRefsInput, ErpPageResult,
                                 180)
RECONCILE_SAGA_PAGE = _ref("reconcile.saga_page", Queue.SAGAS, SagaPageInput, SagaPageResult)
RECONCILE_PLAN = ActivityRef("reconcile.plan", Queue.LEDGER, PlanInput, Plan, 300)
RECONCILE_RECOVERIES = _ref("reconcile.recoveries", Queue.LEDGER, RecoveriesInput, int)
RECONCILE_COMPARE = ActivityRef("reconcile.compare", Queue.LEDGER, CompareInput, CompareResult,
                                900)
RECONCILE_FAILED = _ref("reconcile.failed", Queue.LEDGER, FailedInput, NONE)

# Inventory sync (activities/inventory.py; the holds in workers/sagas/inventory.py).
# Each heartbeats (activities/heartbeat.py): a round caught by a worker's death
# goes on 15 s later, not after minutes of start-to-close.
INVENTORY_ERP_AVAILABLE = ActivityRef("inventory.erp_available", Queue.ERP, SkusInput, Available,
                                      120, heartbeat_seconds=15)
INVENTORY_STORE_STOCK = ActivityRef("inventory.store_stock", Queue.WOOCOMMERCE, SkusInput,
                                    StoreStock, 300, heartbeat_seconds=15)
INVENTORY_HOLDS = ActivityRef("inventory.holds", Queue.SAGAS, str, Holds, 30,
                              heartbeat_seconds=15)
INVENTORY_PUSH = ActivityRef("inventory.push", Queue.WOOCOMMERCE, PushInput, PushResult, 300,
                             heartbeat_seconds=15)
INVENTORY_RECORD = _ref("inventory.record", Queue.LEDGER, RecordInput, bool)
# Backfill (activities/backfill.py): reads pages at the backfill's own rate and
# hands their orders to sagas itself, returning counts and the cursor only.
# Minutes, not seconds: a 429 storm's Retry-After is slept inside the call.
BACKFILL_PAGE = ActivityRef("backfill.page", Queue.SAGAS, PageInput, PageResult, 600,
                            heartbeat_seconds=30)

ALL: tuple[ActivityRef[Any, Any], ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, ActivityRef))

LOCAL: frozenset[str] = frozenset(r.name for r in ALL if r.local)
