"""WooCommerce REST JSON -> canonical model (CONTRACT.md 1.2-1.3, 3.3).

Money: the dp-formatted fields ("10.00") and the raw stored ones ("0.9",
"30", "" for an unset fee amount) are both parsed as Decimal strings and
quantized to the currency by Money; JSON numbers are refused for money (a
float has already lost cents). The line-item `price` (a JSON number) is
derived data and not read. Dates come from the `*_gmt` twins, which are UTC
without an offset; the site-local ones are ignored.

Every number is bounded, so what passes here fits everything downstream
(Temporal's int64 search attributes, the Web UI's JavaScript, Tryton):
ids are 1..MAX_ID (2^53 - 1, the largest integer a JSON reader using
doubles still holds exactly; WordPress ids are far below it), references
that may be unset (`product_id`, `customer_id`) are 0..MAX_ID, quantities
are at most MAX_QUANTITY, and money is below MAX_AMOUNT in magnitude, with
at most the currency's decimals once quantized. Integers are ASCII digits
(a JSON number or a decimal string), never floats.

Malformed or out-of-range input raises WooMappingError naming the field,
e.g. `line_items[1].total: not a decimal amount: 'abc'`.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, ClassVar, TypeVar

from pydantic import ValidationError

from canonical.entities import (Address, CouponLine, Customer, FeeLine, Order, OrderLine,
                                Product, Refund, RefundLine, ShippingLine)
from canonical.money import Money

T = TypeVar("T")
MISSING = object()
REFUNDED_ITEM_KEY = "_refunded_item_id"

MAX_ID = 2**53 - 1
MAX_QUANTITY = 10**9
MAX_AMOUNT = Decimal(10) ** 12  # exclusive: 999,999,999,999.99 is the largest total
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # ASCII only: int() also takes "1_0" and "١٢"
_MAX_NUMBER_TEXT = 64  # longer decimal strings are not amounts a store writes
_CURRENCY = re.compile(r"[A-Z]{3}")


class WooMappingError(ValueError):
    """A WooCommerce document that does not have the shape the contract promises."""

    type: ClassVar[str] = "WooMappingError"
    retryable: ClassVar[bool] = False  # the same document fails the same way again

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _show(value: Any, limit: int = 60) -> str:
    """The offending value for a message, cut short: a hostile body may put a
    megabyte where a number belongs, and the reason is stored and logged."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def bounded_int(path: str, value: Any, low: int, high: int) -> int:
    """An integer in low..high from a JSON int or an ASCII decimal string."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise WooMappingError(path, f"expected an integer, got {_show(value)}")
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            raise WooMappingError(path, f"expected an integer, got {_show(value)}")
        value = int(value)
    if not low <= value <= high:
        raise WooMappingError(path, f"{_show(value, 30)} is outside {low}..{high}")
    return value


def _document(raw: Any) -> "_Doc":
    """The object to map; a WooCommerce error object (a failed batch entry, or a
    webhook payload rendered after the resource was deleted) is refused by name."""
    doc = unwrap(raw)
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        doc = doc["error"]
    if isinstance(doc, dict) and "code" in doc and "message" in doc and "id" not in doc:
        raise WooMappingError("code", f"the document is a WooCommerce error: {doc.get('code')}")
    return _Doc(doc, "")


def unwrap(doc: Any) -> Any:
    """Drop the {"data": …} envelope of the WordPress.com/Jetpack tunnel, if present."""
    if isinstance(doc, dict) and set(doc) == {"data"} and isinstance(doc["data"], dict):
        return doc["data"]
    return doc


class _Doc:
    """Typed reads from one JSON object, every error naming its path."""

    def __init__(self, data: Any, path: str):
        if not isinstance(data, dict):
            raise WooMappingError(path or "<root>", f"expected an object, got {type(data).__name__}")
        self.data, self.path = data, path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = MISSING) -> Any:
        if key not in self.data:
            if default is MISSING:
                raise WooMappingError(self.at(key), "missing")
            return default
        return self.data[key]

    def int(self, key: str, default: Any = MISSING, *, low: int, high: int) -> int:
        return bounded_int(self.at(key), self.get(key, default), low, high)

    def id(self, key: str = "id") -> int:
        """A WooCommerce object's own id: always set, 1..MAX_ID."""
        return self.int(key, low=1, high=MAX_ID)

    def ref(self, key: str) -> int:
        """An id that may be unset (0: a guest, a product deleted since)."""
        return self.int(key, 0, low=0, high=MAX_ID)

    def str(self, key: str, default: Any = "") -> str:
        value = self.get(key, default)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise WooMappingError(self.at(key), f"expected a string, got {_show(value)}")
        if "\x00" in value:  # PostgreSQL text (the ledger, Tryton) refuses NUL
            raise WooMappingError(self.at(key), "a NUL character in text")
        return value

    def money(self, key: str, currency: str, default: Any = MISSING) -> Money:
        value = self.get(key, default)
        if value == "" or value is None:  # raw fields: "" means unset
            value = "0"
        if not isinstance(value, str):
            raise WooMappingError(self.at(key), f"money must be a decimal string, got {_show(value)}")
        if len(value) > _MAX_NUMBER_TEXT:
            raise WooMappingError(self.at(key), f"not a decimal amount: {_show(value)}")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise WooMappingError(self.at(key), f"not a decimal amount: {_show(value)}") from None
        if not amount.is_finite():
            raise WooMappingError(self.at(key), f"not a finite amount: {_show(value)}")
        if abs(amount) >= MAX_AMOUNT:
            raise WooMappingError(self.at(key), f"amount {_show(value)} is not below {MAX_AMOUNT:,}")
        try:
            money = Money.of(amount, currency)
        except ValueError as exc:  # the currency's own rules (an unknown code, say)
            raise WooMappingError(self.at(key), str(exc).splitlines()[-1].strip()) from None
        if abs(money.amount) >= MAX_AMOUNT:  # 999999999999.999 rounds up to the bound
            raise WooMappingError(self.at(key), f"amount {_show(value)} is not below {MAX_AMOUNT:,}")
        return money

    def date_gmt(self, key: str, required: bool = True) -> datetime | None:
        value = self.get(key, MISSING if required else None)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise WooMappingError(self.at(key), f"expected a date string, got {_show(value)}")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise WooMappingError(self.at(key), f"not an ISO 8601 date: {_show(value)}") from None
        # *_gmt values carry no offset and are UTC
        return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed

    def items(self, key: str) -> list[_Doc]:
        value = self.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise WooMappingError(self.at(key), f"expected a list, got {type(value).__name__}")
        return [_Doc(v, f"{self.at(key)}[{i}]") for i, v in enumerate(value)]

    def obj(self, key: str) -> _Doc | None:
        value = self.get(key, None)
        return None if value is None else _Doc(value, self.at(key))


def _build(path: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Construct a canonical model, turning its validation errors into named ones."""
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise WooMappingError(f"{path}.{loc}" if path else loc, err["msg"]) from None


def meta_dict(doc: _Doc) -> dict[str, Any]:
    """meta_data as {key: value}; a key WooCommerce stores twice keeps all values, in a list."""
    out: dict[str, Any] = {}
    for m in doc.items("meta_data"):
        key = m.str("key", MISSING)
        value = m.get("value", None)
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def _address(doc: _Doc | None, path: str) -> Address | None:
    if doc is None:
        return None
    fields = {k: doc.str(k) for k in ("first_name", "last_name", "company", "address_1",
                                      "address_2", "city", "state", "postcode", "country")}
    fields["email"] = doc.str("email") or None
    fields["phone"] = doc.str("phone") or None
    return _build(path, Address, **fields)


def _line(d: _Doc, cur: str) -> OrderLine:
    return _build(d.path, OrderLine, line_id=d.id(), sku=d.str("sku", None) or None,
                  name=d.str("name"), product_id=d.ref("product_id"),
                  variation_id=d.ref("variation_id"),
                  quantity=d.int("quantity", low=1, high=MAX_QUANTITY),
                  subtotal=d.money("subtotal", cur), subtotal_tax=d.money("subtotal_tax", cur),
                  total=d.money("total", cur), total_tax=d.money("total_tax", cur),
                  meta=meta_dict(d))


def _shipping(d: _Doc, cur: str) -> ShippingLine:
    return _build(d.path, ShippingLine, line_id=d.id(), method_id=d.str("method_id"),
                  method_title=d.str("method_title"), total=d.money("total", cur),
                  total_tax=d.money("total_tax", cur))


def _fee(d: _Doc, cur: str) -> FeeLine:
    return _build(d.path, FeeLine, line_id=d.id(), name=d.str("name"),
                  total=d.money("total", cur), total_tax=d.money("total_tax", cur))


def _coupon(d: _Doc, cur: str) -> CouponLine:
    # discount / discount_tax are raw stored strings ("30", "1.2"), not dp-formatted
    return _build(d.path, CouponLine, line_id=d.id(), code=d.str("code"),
                  discount=d.money("discount", cur, "0"),
                  discount_tax=d.money("discount_tax", cur, "0"))


def _order_refund(d: _Doc, order_id: int, cur: str) -> Refund:
    # the order lists refunds as {id, reason, total: "-10.00"}
    return _build(d.path, Refund, woo_id=d.id(), order_woo_id=order_id,
                  amount=-d.money("total", cur), reason=d.str("reason"))


def order_from_woo(raw: Any, store: str) -> Order:
    """A WooCommerce order (REST v3, webhook payload or batch entry) as a canonical Order."""
    d = _document(raw)
    cur = _currency(d.str("currency", MISSING))
    oid = d.id()
    billing = _address(d.obj("billing"), "billing") or Address()
    customer = _build("billing", Customer, woo_id=d.ref("customer_id"),
                      email=billing.email, first_name=billing.first_name,
                      last_name=billing.last_name, phone=billing.phone)
    shipping = _address(d.obj("shipping"), "shipping")
    if shipping is not None and not any(shipping.model_dump(exclude={"schema_version"}).values()):
        shipping = None  # no shipping address at all (digital goods, POS)
    return _build("", Order, store=store, woo_id=oid, number=d.str("number") or str(oid),
                  woo_status=d.str("status", MISSING), currency=cur,
                  prices_include_tax=bool(d.get("prices_include_tax", False)),
                  customer=customer, billing=billing, shipping=shipping,
                  lines=[_line(x, cur) for x in d.items("line_items")],
                  shipping_lines=[_shipping(x, cur) for x in d.items("shipping_lines")],
                  fee_lines=[_fee(x, cur) for x in d.items("fee_lines")],
                  coupon_lines=[_coupon(x, cur) for x in d.items("coupon_lines")],
                  refunds=[_order_refund(x, oid, cur) for x in d.items("refunds")],
                  **{k: d.money(k, cur) for k in ("discount_total", "discount_tax",
                                                  "shipping_total", "shipping_tax",
                                                  "cart_tax", "total", "total_tax")},
                  payment_method=d.str("payment_method"),
                  payment_method_title=d.str("payment_method_title"),
                  transaction_id=d.str("transaction_id"), customer_note=d.str("customer_note"),
                  date_created=d.date_gmt("date_created_gmt"),
                  date_modified=d.date_gmt("date_modified_gmt"),
                  date_paid=d.date_gmt("date_paid_gmt", required=False),
                  date_completed=d.date_gmt("date_completed_gmt", required=False),
                  meta=meta_dict(d))


def _currency(code: str) -> str:
    if not _CURRENCY.fullmatch(code):
        raise WooMappingError("currency", f"expected an ISO 4217 code, got {_show(code)}")
    return code


def order_id_from_woo(raw: Any) -> int:
    """The order id of an `order.deleted` delivery, whose body is only {"id": N}."""
    return _document(raw).id()


def _refund_line(d: _Doc, cur: str, skus: dict[int, str | None]) -> RefundLine:
    """A refund item: negative copies of the order item, pointing back via _refunded_item_id."""
    meta = meta_dict(d)
    if REFUNDED_ITEM_KEY not in meta:
        raise WooMappingError(d.at("meta_data"), f"no {REFUNDED_ITEM_KEY} entry")
    try:
        line_id = bounded_int(d.at("meta_data"), meta[REFUNDED_ITEM_KEY], 1, MAX_ID)
    except WooMappingError:
        raise WooMappingError(d.at("meta_data"), f"{REFUNDED_ITEM_KEY} is not an id") from None
    sku = d.str("sku", None) or skus.get(line_id)
    quantity = d.int("quantity", 0, low=-MAX_QUANTITY, high=MAX_QUANTITY)  # negative in a refund
    return _build(d.path, RefundLine, line_id=line_id, sku=sku,
                  quantity=abs(quantity), amount=-d.money("total", cur),
                  tax=-d.money("total_tax", cur))


def refund_from_woo(raw: Any, order: dict[str, Any] | None = None, *,
                    order_id: int | None = None, currency: str | None = None) -> Refund:
    """A WooCommerce refund as a canonical Refund.

    The refund object carries neither its order id nor a currency: they come
    from `order` (the raw order), or from `order_id` / `currency`, or the id
    from the refund's `_links.up`.
    """
    d = _document(raw)
    if order is not None:
        o = _Doc(unwrap(order), "order")
        order_id, currency = o.id(), _currency(o.str("currency", MISSING))
        skus = {x.id(): x.str("sku", None) or None for x in o.items("line_items")}
    else:
        skus = {}
    if currency is None:
        raise WooMappingError("currency", "unknown: pass the order or currency=")
    currency = _currency(currency)
    order_id = order_id if order_id is not None else _up_id(d)
    lines = [_refund_line(x, currency, skus)
             for key in ("line_items", "shipping_lines", "fee_lines") for x in d.items(key)]
    return _build("", Refund, woo_id=d.id(), order_woo_id=order_id,
                  amount=d.money("amount", currency), reason=d.str("reason"), lines=lines,
                  refunded_payment=bool(d.get("refunded_payment", False)),
                  date_created=d.date_gmt("date_created_gmt"))


def _up_id(d: _Doc) -> int:
    try:
        href = d.data["_links"]["up"][0]["href"]
        return bounded_int("_links.up", href.rstrip("/").rsplit("/", 1)[1], 1, MAX_ID)
    except (KeyError, IndexError, TypeError, AttributeError, WooMappingError):
        raise WooMappingError("_links.up", "cannot tell the refund's order; pass order=") from None


def product_from_woo(raw: Any, currency: str) -> Product:
    """A product or variation (from /products or /products/<id>/variations)."""
    d = _document(raw)
    manage = d.get("manage_stock", False)
    qty = d.get("stock_quantity", None)
    if qty is not None and (isinstance(qty, bool) or not isinstance(qty, (int, float))):
        raise WooMappingError("stock_quantity", f"expected a number, got {_show(qty)}")
    if qty is not None and not (math.isfinite(qty) and abs(qty) <= MAX_QUANTITY):
        # negative is real (backorders); a float is how some stores keep stock
        raise WooMappingError("stock_quantity", f"{_show(qty, 30)} is outside "
                                                f"-{MAX_QUANTITY}..{MAX_QUANTITY}")
    links = d.get("_links", {})
    parent = d.ref("parent_id") or (_up_id(d) if isinstance(links, dict) and "up" in links else 0)
    return _build("", Product, sku=d.str("sku"), name=d.str("name", "") or d.str("description"),
                  price=d.money("price", _currency(currency), "0"), woo_id=d.id(),
                  woo_parent_id=parent or None,
                  manage_stock=manage is True,  # "parent": the parent's stock applies
                  stock_quantity=int(qty) if qty is not None else None)
