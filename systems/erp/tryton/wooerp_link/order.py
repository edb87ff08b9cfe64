"""The order wooerp asks the ERP to accept, parsed and bounded.

`sale.sale.wooerp_accept` receives the store order as plain JSON-RPC data
(its shape is in README.md). This file turns it into small frozen records
and holds the pure rules that decide what the ERP books, the same rules the
multi-call path of wooerp's Tryton adapter applies over RPC:

* the customer's key (`email:<address>`, else `woo-customer:<id>`) and name,
* the contact mechanisms and the distinct addresses of a new party,
* one sale line per order line, shipping line (SKU `SHIPPING`) and fee
  line (SKU `FEE`), priced net of discounts and tax, taxed only when the
  store charged tax.

Nothing here imports trytond, so it is tested without a server. Every
number and string from outside is bounded: a bad order is refused in
words (`InvalidOrder`), never half-booked.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SHIPPING_SKU, FEE_SKU = "SHIPPING", "FEE"
PRICE_DIGITS = Decimal("0.0001")  # sale.line unit_price digits

MAX_LINES = 500  # order, shipping and fee lines together
MAX_QUANTITY = 1_000_000
MAX_AMOUNT = Decimal(10) ** 12
MAX_TEXT = 1024
ADDRESS_FIELDS = ("first_name", "last_name", "company", "address_1", "address_2", "city",
                  "state", "postcode", "country", "email", "phone")


class InvalidOrder(ValueError):
    """The payload does not describe an order the ERP can book."""


@dataclass(frozen=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str | None = None
    phone: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.company

    @property
    def street(self) -> str:
        return "\n".join(p for p in (self.address_1, self.address_2) if p)

    def same_place(self, other: Address) -> bool:
        fields = ("first_name", "last_name", "company", "address_1", "address_2", "city",
                  "postcode", "country")
        return all(getattr(self, f) == getattr(other, f) for f in fields)


@dataclass(frozen=True)
class Customer:
    woo_id: int = 0
    email: str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (
            self.email or "guest")


@dataclass(frozen=True)
class Line:
    """A line to book: the SKU, its quantity and the store's net total and tax."""
    sku: str | None
    description: str
    quantity: int
    total: Decimal  # after discounts, excluding tax
    total_tax: Decimal

    @property
    def unit_price(self) -> Decimal:
        return (self.total / self.quantity).quantize(PRICE_DIGITS)

    @property
    def taxed(self) -> bool:
        return self.total_tax != 0


@dataclass(frozen=True)
class Order:
    number: str
    store: str
    currency: str
    customer: Customer
    billing: Address
    shipping: Address | None
    lines: tuple[Line, ...]

    @property
    def description(self) -> str:
        return f"WooCommerce order {self.number} ({self.store})"

    @property
    def party_key(self) -> str:
        email = (self.customer.email or self.billing.email or "").strip().lower()
        if email:
            return f"email:{email}"
        if self.customer.woo_id:
            return f"woo-customer:{self.customer.woo_id}"
        raise InvalidOrder("The customer has neither an e-mail nor a store account id")

    @property
    def party_name(self) -> str:
        name = self.customer.display_name
        return name if name != "guest" else (self.billing.full_name or self.party_key)

    @property
    def contacts(self) -> list[tuple[str, str]]:
        """(type, value) of the contact mechanisms a new party gets."""
        contacts = []
        email = self.customer.email or self.billing.email
        if email:
            contacts.append(("email", email))
        phone = self.customer.phone or self.billing.phone
        if phone:
            contacts.append(("phone", phone))
        return contacts

    @property
    def party_addresses(self) -> list[Address]:
        """The addresses a new party is created with: billing, and shipping if elsewhere."""
        if self.shipping is None or self.billing.same_place(self.shipping):
            return [self.billing]
        return [self.billing, self.shipping]

    @property
    def skus(self) -> list[str | None]:
        """Every SKU the sale needs, in line order (unknown ones are named in this order)."""
        seen: list[str | None] = []
        for line in self.lines:
            if line.sku not in seen:
                seen.append(line.sku)
        return seen


def parse_order(data: object) -> Order:
    """An Order from the RPC payload, or InvalidOrder naming what is wrong."""
    data = _mapping(data, "order")
    lines = [_line(l, f"lines[{i}]", sku_key="sku", name_key="name")
             for i, l in enumerate(_list(data.get("lines"), "lines"))]
    if not lines:
        raise InvalidOrder("The order has no lines")
    for i, s in enumerate(_list(data.get("shipping_lines", []), "shipping_lines")):
        s = _mapping(s, f"shipping_lines[{i}]")
        lines.append(_priced(SHIPPING_SKU, _text(s.get("method_title"), "method_title")
                             or "Shipping", 1, s, f"shipping_lines[{i}]"))
    for i, f in enumerate(_list(data.get("fee_lines", []), "fee_lines")):
        f = _mapping(f, f"fee_lines[{i}]")
        lines.append(_priced(FEE_SKU, _text(f.get("name"), f"fee_lines[{i}].name"), 1, f,
                             f"fee_lines[{i}]"))
    if len(lines) > MAX_LINES:
        raise InvalidOrder(f"The order has more than {MAX_LINES} lines")
    currency = _text(data.get("currency"), "currency")
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidOrder(f"currency must be an ISO 4217 code, got {currency!r}")
    shipping = data.get("shipping")
    return Order(
        number=_required(data.get("number"), "number"),
        store=_required(data.get("store"), "store"),
        currency=currency.upper(),
        customer=_customer(_mapping(data.get("customer", {}), "customer")),
        billing=_address(data.get("billing"), "billing"),
        shipping=None if shipping is None else _address(shipping, "shipping"),
        lines=tuple(lines))


def _line(data: object, where: str, *, sku_key: str, name_key: str) -> Line:
    data = _mapping(data, where)
    sku = data.get(sku_key)
    sku = None if sku is None else _text(sku, f"{where}.{sku_key}") or None
    quantity = data.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) \
            or not 0 < quantity <= MAX_QUANTITY:
        raise InvalidOrder(f"{where}.quantity must be a whole number from 1 to {MAX_QUANTITY}")
    return _priced(sku, _text(data.get(name_key), f"{where}.{name_key}"), quantity, data, where)


def _priced(sku: str | None, description: str, quantity: int, data: dict, where: str) -> Line:
    return Line(sku=sku, description=description, quantity=quantity,
                total=_amount(data.get("total"), f"{where}.total"),
                total_tax=_amount(data.get("total_tax", 0), f"{where}.total_tax"))


def _customer(data: dict) -> Customer:
    woo_id = data.get("woo_id", 0) or 0
    if isinstance(woo_id, bool) or not isinstance(woo_id, int) or not 0 <= woo_id < 2 ** 63:
        raise InvalidOrder("customer.woo_id must be a non-negative whole number")
    return Customer(woo_id=woo_id, email=_optional(data.get("email"), "customer.email"),
                    first_name=_text(data.get("first_name"), "customer.first_name"),
                    last_name=_text(data.get("last_name"), "customer.last_name"),
                    phone=_optional(data.get("phone"), "customer.phone"))


def _address(data: object, where: str) -> Address:
    data = _mapping(data, where)
    values = {}
    for name in ADDRESS_FIELDS:
        if name in ("email", "phone"):
            values[name] = _optional(data.get(name), f"{where}.{name}")
        else:
            values[name] = _text(data.get(name), f"{where}.{name}")
    return Address(**values)


def _mapping(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidOrder(f"{where} must be an object")
    return value


def _list(value: object, where: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise InvalidOrder(f"{where} must be a list")
    if len(value) > MAX_LINES:
        raise InvalidOrder(f"{where} has more than {MAX_LINES} entries")
    return list(value)


def _text(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidOrder(f"{where} must be text")
    if len(value) > MAX_TEXT:
        raise InvalidOrder(f"{where} is longer than {MAX_TEXT} characters")
    return value


def _optional(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _required(value: object, where: str) -> str:
    text = _text(value, where)
    if not text.strip():
        raise InvalidOrder(f"{where} is required")
    return text


def _amount(value: object, where: str) -> Decimal:
    # Decimals arrive as Tryton's {"__class__": "Decimal"} objects; floats
    # have already lost cents, so they are refused like wooerp's Money does.
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidOrder(f"{where} must be a Decimal, not {type(value).__name__}")
    if isinstance(value, (int, str)):
        try:
            value = Decimal(value)
        except InvalidOperation:
            raise InvalidOrder(f"{where} is not a decimal amount") from None
    if not isinstance(value, Decimal) or not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise InvalidOrder(f"{where} must be a finite amount below {MAX_AMOUNT}")
    return value
