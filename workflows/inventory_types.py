"""Inputs, state, signals and status of the InventorySync workflow
(importable by callers: the ingress, the CLI, the worker)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from activities.inventory_contracts import inventory_workflow_id
from canonical.inventory import Problem

__all__ = ["inventory_workflow_id"]  # one home (activities), named here for callers

MAX_SIGNAL_SKUS = 10_000
MAX_PENDING = 20_000  # SKUs waiting for a round; beyond, the next round is a full one


class InventoryPolicy(BaseModel):
    """How the sync runs (from settings `inventory.*`)."""

    # Changes arriving within this long of the first one go in one round.
    window_seconds: float = Field(1.0, ge=0, le=60)
    full_every_seconds: float = Field(3600.0, ge=10, le=7 * 86400)
    # A pushed SKU is looked at once more this long after: a store order
    # whose saga had not started (or answered) yet, or that the ERP accepted
    # between two reads, is counted then.
    settle_seconds: float = Field(5.0, ge=0, le=600)
    max_attempts: int = Field(5, ge=1, le=100)  # per activity, then the round is reported failed
    rounds_per_run: int = Field(500, ge=1)  # then continue-as-new
    history_limit: int = Field(8000, ge=100)


class Changed(BaseModel):
    """The `changed` signal: stock of these SKUs moved (in the ERP, or a store order)."""

    skus: list[str] = Field(max_length=MAX_SIGNAL_SKUS)
    occurred_at: datetime | None = None  # when it moved at the source (the lag starts here)


class Gap(BaseModel):
    """A SKU out of step: what the store may sell, what it shows, since when."""

    sku: str
    erp: int
    store: int | None
    since: datetime


class InventoryState(BaseModel):
    """Carried over continue-as-new."""

    pending: dict[str, datetime] = Field(default_factory=dict)  # sku -> first change seen
    recheck: dict[str, datetime] = Field(default_factory=dict)  # sku -> when to look again
    full_requested: bool = False
    next_full_at: datetime | None = None
    gaps: dict[str, Gap] = Field(default_factory=dict)
    problems: dict[str, Problem] = Field(default_factory=dict)
    seq: int = 0  # comparisons made by this workflow, across runs (idempotency keys)
    rounds: int = 0
    full_runs: int = 0
    pushed: int = 0
    repaired_by_full: int = 0
    store_calls: int = 0
    last_full_at: datetime | None = None
    last_full_compared: int = 0
    last_full_in_step: int = 0
    last_error: str | None = None


class InventoryInput(BaseModel):
    store: str
    policy: InventoryPolicy = Field(default_factory=InventoryPolicy)
    state: InventoryState | None = None  # set by continue-as-new only


class InventoryStatus(BaseModel):
    """The `status` query: `wooerp inventory status` prints it."""

    workflow_id: str
    store: str
    pending: int
    rechecks: int  # pushed SKUs waiting for their second look
    out_of_step: list[Gap]
    problems: list[Problem]
    rounds: int
    full_runs: int
    pushed: int
    repaired_by_full: int
    store_calls: int
    last_full_at: datetime | None
    next_full_at: datetime | None
    accuracy: float | None  # share of SKUs in step at the last full comparison
    last_error: str | None
