import pytest

from canonical.status import IllegalTransition, OrderStatus as S, advance

HAPPY_PATH = ["OrderCaptured", "PaymentAuthorized", "OrderValidated", "OrderAccepted",
              "StockReserved", "ShipmentConfirmed", "InvoicePosted", "OrderClosed"]


def test_happy_path_walks_captured_to_closed():
    status, seen = None, []
    for event in HAPPY_PATH:
        status = advance(status, event)
        seen.append(status)
    assert seen[0] is S.CAPTURED and seen[3] is S.ACCEPTED
    assert seen[-3:] == [S.FULFILLED, S.INVOICED, S.CLOSED]


@pytest.mark.parametrize("status,event", [
    (S.CAPTURED, "ShipmentConfirmed"),  # cannot ship what the ERP never accepted
    (S.ACCEPTED, "InvoicePosted"),  # revenue before fulfilment
    (S.FULFILLED, "OrderCancelled"),  # shipped goods are returned, not cancelled
    (S.CLOSED, "OrderAccepted"),
    (None, "OrderAccepted"),
])
def test_illegal_transitions_name_event_and_status(status, event):
    with pytest.raises(IllegalTransition, match=event):
        advance(status, event)


def test_rejection_parks_and_acceptance_resumes():
    parked = advance(S.CAPTURED, "OrderRejected")
    assert parked is S.NEEDS_ATTENTION
    assert advance(parked, "OrderAccepted") is S.ACCEPTED


def test_refunds_tell_partial_from_full():
    assert advance(S.CLOSED, "RefundCompleted") is S.PARTIALLY_REFUNDED
    assert advance(S.PARTIALLY_REFUNDED, "RefundCompleted", fully_refunded=True) is S.REFUNDED
    with pytest.raises(IllegalTransition):
        advance(S.CAPTURED, "RefundCompleted")  # nothing booked to refund against


def test_a_refund_before_shipment_keeps_the_order_partially_refunded_to_its_close():
    status = advance(S.ACCEPTED, "RefundCompleted")
    for event in ("ShipmentConfirmed", "InvoicePosted", "OrderClosed"):
        status = advance(status, event)
    assert status is S.PARTIALLY_REFUNDED
    assert advance(status, "RefundCompleted", fully_refunded=True) is S.REFUNDED


def test_other_sagas_events_leave_the_order_alone():
    assert advance(S.INVOICED, "CreditNotePosted") is S.INVOICED


def test_unknown_event_is_refused():
    with pytest.raises(IllegalTransition, match="unknown"):
        advance(S.CAPTURED, "OrderTeleported")
