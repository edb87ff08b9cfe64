"""Inputs, state and progress of the BackfillWorkflow (importable by callers:
the saga client API, the CLI); the page activity's contract is in
activities/backfill_contracts.py."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from activities.backfill_contracts import (BackfillCursor, BackfillPolicy, Mode, PageInput,
                                           PageResult, Quarantined)

__all__ = ["BackfillCursor", "BackfillPolicy", "Mode", "PageInput", "PageResult", "Quarantined"]

# Lists kept in the workflow's state are capped so a million-order backfill
# keeps a small state: the counters stay exact, the lists show the first ones.
LIST_CAP = 200


def backfill_workflow_id(store: str, first: date, last: date) -> str:
    return f"backfill:{store}:{first.isoformat()}:{last.isoformat()}"


class SagaSettled(BaseModel):
    """What an order saga started by a backfill tells it once, when its sale
    is booked (or it parked, or was called off): its slot is free."""

    woo_id: int
    outcome: Literal["booked", "parked", "cancelled", "resolved"]
    reason: str = ""
    refunds: int = 0  # RefundSagas it started for the store's refunds


class BackfillState(BaseModel):
    """Carried over continue-as-new: the cursor and every counter."""

    cursor: BackfillCursor = Field(default_factory=BackfillCursor)
    phase: str = "paging"  # paging, draining, done, cancelled
    paused: bool = False
    cancelled: bool = False
    started_at: datetime | None = None
    pages: int = 0
    seen: int = 0
    started: int = 0
    known: int = 0
    refunds_started: int = 0
    booked: int = 0
    parked: int = 0
    settled: int = 0
    unpaid: int = 0
    linked: int = 0
    not_linked: int = 0
    quarantined: int = 0
    throttled_seconds: float = 0.0
    unpaid_ids: list[int] = Field(default_factory=list)
    not_linked_ids: list[int] = Field(default_factory=list)
    quarantine: list[Quarantined] = Field(default_factory=list)
    estimated_total: int | None = None


class BackfillInput(BaseModel):
    store: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    mode: Mode = "book"
    statuses: list[str] = Field(default_factory=lambda: ["any"])
    policy: BackfillPolicy = Field(default_factory=BackfillPolicy)
    state: BackfillState | None = None  # set by continue-as-new only


class BackfillProgress(BaseModel):
    """The `progress` query: what the progress bar needs."""

    workflow_id: str
    store: str
    mode: Mode
    phase: str
    paused: bool
    pages: int
    seen: int
    started: int
    known: int
    booked: int
    parked: int
    in_flight: int
    unpaid: int
    linked: int
    not_linked: int
    quarantined: int
    refunds_started: int
    throttled_seconds: float
    elapsed_seconds: float
    estimated_total: int | None  # the store's X-WP-Total at the first page
    quarantine: list[Quarantined]
    unpaid_ids: list[int]
    not_linked_ids: list[int]
    done: bool
