"""Inputs, policy and status of the OrderSaga (importable by callers)."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from canonical.money import Money


def order_workflow_id(store: str, woo_order_id: int) -> str:
    return f"order:{store}:{woo_order_id}"


def erp_reference(store: str, woo_order_id: int) -> str:
    """The sale's unique external reference in the ERP (idempotent create)."""
    return f"woo:{store}:{woo_order_id}"


class SagaPolicy(BaseModel):
    on_erp_rejection: Literal["park", "cancel_and_refund"] = "park"
    total_tolerance: Decimal = Decimal("0.05")  # per order, in its currency
    poll_initial_seconds: float = 2.0  # shipment/invoice polling backs off from here
    poll_max_seconds: float = 600.0
    max_attempts: int = 8  # per activity, before the saga parks


class OrderSagaInput(BaseModel):
    store: str
    woo_order_id: int
    policy: SagaPolicy = Field(default_factory=SagaPolicy)
    # Handed over by a backfill: the order is history, in a final state in the
    # store (see OrderSaga._historical). Defaults keep older histories replaying.
    historical: bool = False
    backfill_id: str | None = None  # told `saga_settled` once the sale is booked or parked


class SagaStatus(BaseModel):
    workflow_id: str
    stage: str
    order_status: str | None
    woo_status: str | None
    erp_document: str | None
    total: Money | None
    erp_total: Money | None = None
    events: list[str]
    pending_action: str | None
    last_error: str | None
