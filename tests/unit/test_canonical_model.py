from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from canonical.entities import Address, Customer, Order, OrderLine, ShippingLine
from canonical.events import AnyEvent, OrderAccepted, event_id
from canonical.money import Money
from canonical.schema import json_schemas
from pydantic import TypeAdapter

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def usd(x):
    return Money.of(x, "USD")


def make_order(**over):
    line = OrderLine(line_id=1, sku="WOO-MUG", name="Mug", quantity=2, subtotal=usd("25.00"),
                     subtotal_tax=usd("2.50"), total=usd("25.00"), total_tax=usd("2.50"))
    fields = dict(
        store="default", woo_id=7, number="7", woo_status="processing", currency="USD",
        customer=Customer(email="a@example.com"), billing=Address(first_name="Ada"),
        lines=[line], shipping_lines=[ShippingLine(line_id=2, total=usd("5"), total_tax=usd("0.50"))],
        discount_total=usd(0), discount_tax=usd(0), shipping_total=usd(5), shipping_tax=usd("0.5"),
        cart_tax=usd("2.5"), total=usd("33.00"), total_tax=usd("3.00"),
        date_created=T0, date_modified=T0, date_paid=T0)
    fields.update(over)
    return Order(**fields)


def test_order_re_adds_to_its_total_and_knows_it_is_paid():
    order = make_order()
    assert order.computed_total() == order.total
    assert order.is_paid and order.customer.is_guest
    assert order.remaining_refundable() == usd(33)


def test_order_in_one_currency_only():
    with pytest.raises(ValidationError, match="not in USD"):
        make_order(total=Money.of(33, "EUR"))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValidationError, match="timezone"):
        make_order(date_created=datetime(2026, 1, 1))


def test_events_round_trip_through_the_discriminated_union():
    e = OrderAccepted(event_id=event_id("order:default:7", "OrderAccepted"), occurred_at=T0,
                      recorded_at=T0, source_system="erp", correlation_id="order:default:7",
                      erp_document="SO-1", erp_total=usd(33))
    back = TypeAdapter(AnyEvent).validate_json(e.model_dump_json())
    assert back == e and back.event_id == "order:default:7:OrderAccepted"


def test_every_entity_and_event_has_a_json_schema():
    schemas = json_schemas()
    assert {"Order", "Refund", "ReturnAuthorization", "Money"} <= schemas["entities"].keys()
    assert "InvoicePosted" in schemas["events"]
    assert schemas["entities"]["Order"]["properties"]["total"]
