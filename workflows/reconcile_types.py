"""Inputs, progress and result of the reconciliation workflows (importable by
callers: the saga client API, the CLI)."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from activities.reconcile_contracts import (CompareResult, Plan, ReconcileWindow, StoreCursor)


def reconcile_workflow_id(store: str, first: date, last: date) -> str:
    """`reconcile:{store}:{window}`: one day is its date, several are `from..to`."""
    window = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return f"reconcile:{store}:{window}"


class ReconcilePolicy(BaseModel):
    """How a run reads (from settings `reconcile.*`)."""

    overlap_seconds: int = Field(300, ge=0)  # read this much before the window: clock skew
    per_page: int = Field(100, ge=1, le=100)  # WooCommerce's maximum
    erp_page: int = Field(500, ge=1, le=1000)
    max_recover: int = Field(500, ge=0)  # orders handed to their saga per run
    max_lookups: int = Field(2000, ge=0)
    max_attempts: int = Field(10, ge=1)  # per page, before the run fails (and says so)
    # Events before the run continues as new with its phase and cursors
    # (Temporal suggests it near 10k; tests set it low).
    history_limit: int = Field(8000, ge=50)


class ReconcileState(BaseModel):
    """Where a run is; carried over continue-as-new, so a long run resumes
    where it was instead of reading everything again."""

    run_key: str
    cutoff: datetime  # nothing modified or created after this is read
    phase: str = "begin"
    store_cursor: StoreCursor | None = None
    erp_offset: int = 0
    saga_token: str | None = None
    plan: Plan | None = None
    store_pages: int = 0
    erp_pages: int = 0
    saga_pages: int = 0
    store_orders: int = 0
    unreadable: int = 0
    erp_sales: int = 0
    credit_notes: int = 0
    sagas: int = 0
    forwarded: int = 0
    recovered: int = 0
    forward_failed: int = 0
    not_forwarded: int = 0
    looked_up: int = 0
    gone: int = 0


class ReconcileInput(BaseModel):
    window: ReconcileWindow
    policy: ReconcilePolicy = Field(default_factory=ReconcilePolicy)
    state: ReconcileState | None = None  # set by continue-as-new only


class ReconcileProgress(BaseModel):
    """The `progress` query: what a progress bar needs."""

    workflow_id: str
    phase: str
    pages_read: int
    store_orders: int
    erp_sales: int
    sagas: int
    recovered: int
    orders_compared: int
    done: bool


class ReconcileResult(BaseModel):
    workflow_id: str
    run_key: str
    window: ReconcileWindow
    progress: ReconcileProgress
    compared: CompareResult


class ReconcileTickInput(BaseModel):
    """What a Schedule starts at each tick (see workflows/reconcile.py)."""

    store: str
    timezone: str = "UTC"
    mode: str = "today"  # interval ticks: today so far; daily ticks: "yesterday"
    close_previous_within_seconds: int = 3600
    policy: ReconcilePolicy = Field(default_factory=ReconcilePolicy)
