"""Business entities, independent of WooCommerce and of the ERP.

Ids from the source systems are kept as named fields (`woo_id`, `erp_id`) so
that mapping code, not the model, decides how they relate.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from canonical import SCHEMA_VERSION
from canonical.money import Money, total


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("datetimes must carry a timezone (source systems give UTC via *_gmt)")
    return value.astimezone(timezone.utc)


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: int = SCHEMA_VERSION


class Address(Entity):
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, may be empty for digital goods
    email: str | None = None
    phone: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.company


class Customer(Entity):
    woo_id: int = 0  # 0 for a guest checkout
    email: str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None

    @property
    def is_guest(self) -> bool:
        return self.woo_id == 0

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.email or "guest")


class Product(Entity):
    sku: str
    name: str
    price: Money
    woo_id: int | None = None
    woo_parent_id: int | None = None  # set for a variation
    manage_stock: bool = False
    stock_quantity: int | None = None


class InventoryPosition(Entity):
    sku: str
    quantity: int
    source_system: Literal["woocommerce", "erp"]
    as_of: datetime

    _as_of_utc = field_validator("as_of")(lambda cls, v: _utc(v))


class OrderLine(Entity):
    line_id: int  # WooCommerce line item id: stable key for refunds and returns
    sku: str | None  # None when the store product has no SKU (cannot be mapped)
    name: str
    product_id: int = 0
    variation_id: int = 0
    quantity: int = Field(gt=0)
    subtotal: Money  # before coupon discounts, excluding tax
    subtotal_tax: Money
    total: Money  # after coupon discounts, excluding tax
    total_tax: Money
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def gross(self) -> Money:
        return self.total + self.total_tax


class ShippingLine(Entity):
    line_id: int
    method_id: str = ""
    method_title: str = ""
    total: Money
    total_tax: Money


class FeeLine(Entity):
    line_id: int
    name: str
    total: Money
    total_tax: Money


class CouponLine(Entity):
    line_id: int
    code: str
    discount: Money
    discount_tax: Money


class RefundLine(Entity):
    line_id: int  # the refunded order line
    sku: str | None = None
    quantity: int = Field(ge=0)
    amount: Money  # excluding tax
    tax: Money


class Refund(Entity):
    woo_id: int | None = None  # None until WooCommerce has created it
    order_woo_id: int
    amount: Money  # the money moved, tax included
    reason: str = ""
    lines: list[RefundLine] = Field(default_factory=list)  # empty: amount-only refund
    refunded_payment: bool = False  # did the gateway move the money (api_refund)
    date_created: datetime | None = None

    _date_utc = field_validator("date_created")(lambda cls, v: _utc(v))


class WooOrderStatus(StrEnum):
    """The store's own status field, distinct from our saga/order status."""

    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"
    CHECKOUT_DRAFT = "checkout-draft"
    TRASH = "trash"


class Order(Entity):
    store: str
    woo_id: int
    number: str
    woo_status: str  # a WooOrderStatus value, or a plugin's custom status
    currency: str
    prices_include_tax: bool = False
    customer: Customer
    billing: Address
    shipping: Address | None = None
    lines: list[OrderLine]
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)
    coupon_lines: list[CouponLine] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)
    discount_total: Money
    discount_tax: Money
    shipping_total: Money
    shipping_tax: Money
    cart_tax: Money
    total: Money
    total_tax: Money
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_note: str = ""
    date_created: datetime
    date_modified: datetime
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    _dates_utc = field_validator(
        "date_created", "date_modified", "date_paid", "date_completed"
    )(lambda cls, v: _utc(v))

    @model_validator(mode="after")
    def _one_currency(self) -> Order:
        for m in (self.total, self.total_tax, self.shipping_total, self.discount_total):
            if m.currency != self.currency:
                raise ValueError(f"order {self.woo_id}: {m} is not in {self.currency}")
        return self

    @property
    def is_paid(self) -> bool:
        return self.date_paid is not None or self.woo_status in (
            WooOrderStatus.PROCESSING, WooOrderStatus.COMPLETED)

    @property
    def is_cancelled(self) -> bool:
        return self.woo_status in (WooOrderStatus.CANCELLED, WooOrderStatus.FAILED,
                                   WooOrderStatus.TRASH)

    def computed_total(self) -> Money:
        """Re-add the order from its lines: must equal `total` for a sound order."""
        parts = [*self.lines, *self.shipping_lines, *self.fee_lines]
        return total((p.total + p.total_tax for p in parts), self.currency)

    def refunded_total(self) -> Money:
        return total((r.amount for r in self.refunds), self.currency)

    def remaining_refundable(self) -> Money:
        return self.total - self.refunded_total()

    def line(self, line_id: int) -> OrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(f"order {self.woo_id} has no line {line_id}")


class Disposition(StrEnum):
    RESTOCK = "restock"
    SCRAP = "scrap"


class ReturnLine(Entity):
    line_id: int
    sku: str | None = None
    quantity: int = Field(gt=0)
    received_quantity: int = Field(default=0, ge=0)
    disposition: Disposition = Disposition.RESTOCK


class ReturnAuthorization(Entity):
    rma: str
    store: str
    order_woo_id: int
    lines: list[ReturnLine]
    reason: str = ""
