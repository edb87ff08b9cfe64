"""What the reconciliation's activities take and return (the reconcile part
of contracts.py, kept in its own module). Pure: safe in the workflow sandbox.

The snapshots themselves never pass through the workflow: 100,000 orders
would not fit in its history. Activities stage them in the ledger under the
run's key and hand back counts and cursors only.
"""
from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from activities.contracts import Payload
from canonical.money import Money


class ReconcileWindow(Payload):
    """Business days of one store, and their UTC bounds."""

    store: str
    first_day: date
    last_day: date
    timezone: str = "UTC"
    start: datetime  # the first day's local midnight, UTC
    end: datetime  # the day after the last day's local midnight, UTC


class WindowRequest(Payload):
    """Which days a scheduled tick reconciles, at its (workflow) time `at`."""

    store: str
    timezone: str
    at: datetime
    mode: str = "today"  # "today" (interval schedules) or "yesterday" (the daily close)
    # An interval tick this soon after midnight closes yesterday as well.
    close_previous_within_seconds: int = 3600


class BeginInput(Payload):
    run_key: str
    workflow_id: str
    window: ReconcileWindow


class StoreCursor(Payload):
    """Keyset paging on date_modified: `after` moves forward as pages are read,
    so an order modified meanwhile cannot shift another out of the pages."""

    after: datetime
    page: int = 1


class StorePageInput(Payload):
    run_key: str
    store: str
    cursor: StoreCursor
    modified_before: datetime
    per_page: int = 100


class StorePageResult(Payload):
    orders: int  # staged from this page
    unreadable: int = 0  # refused by the mapping (named in the worker log)
    next: StoreCursor | None


class ErpPageInput(Payload):
    run_key: str
    store: str
    created_from: datetime
    created_to: datetime
    offset: int = 0
    limit: int = 500


class ErpPageResult(Payload):
    sales: int
    credit_notes: int
    next_offset: int | None


class ErpRefsInput(Payload):
    run_key: str
    store: str
    woo_ids: list[int]


class SagaPageInput(Payload):
    run_key: str
    store: str
    started_after: datetime
    page_token: str | None = None  # base64 of Temporal's next_page_token


class SagaPageResult(Payload):
    sagas: int
    next_token: str | None


class PlanInput(Payload):
    run_key: str
    window: ReconcileWindow
    max_recover: int = 500
    max_lookups: int = 2000


class Plan(Payload):
    """What the staged sides leave open, before the compare."""

    forward: list[int] = Field(default_factory=list)  # store orders lacking their saga(s)
    not_forwarded: int = 0  # more than max_recover lacked one
    erp_refs: list[int] = Field(default_factory=list)  # store demand with no ERP sale staged
    lookups: list[int] = Field(default_factory=list)  # ERP sales with no store order staged


class LookupInput(Payload):
    run_key: str
    store: str
    woo_ids: list[int]


class LookupResult(Payload):
    found: int
    gone: int


class Recovered(Payload):
    woo_id: int
    workflow_id: str
    known: bool
    note: str


class RecoveriesInput(Payload):
    run_key: str
    recoveries: list[Recovered]


class CompareInput(Payload):
    run_key: str
    window: ReconcileWindow
    now: datetime  # the run's cut-off: ages and "in flight" are measured against it
    summary: dict[str, int] = Field(default_factory=dict)  # counts to keep with the run


class DaySummary(Payload):
    business_day: date
    currency: str
    orders: int
    commerce: Money
    erp: Money
    difference: Money
    unexplained: Money
    variances: int
    by_cause: dict[str, Money] = Field(default_factory=dict)


class CompareResult(Payload):
    orders_compared: int
    days: list[DaySummary]


class FailedInput(Payload):
    run_key: str
    error: str
