"""Tryton's wire codec and error classification (pure, no server)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from systems.erp.errors import ErpRejectedError, ErpRetryableError, ErpWarning
from systems.erp.tryton import wire
from systems.erp.tryton.rpc import error_from_payload


def test_decimals_and_dates_round_trip_the_tryton_way():
    value = {"price": Decimal("10.0500"), "day": dt.date(2026, 11, 26),
             "at": dt.datetime(2026, 11, 26, 17, 5, 1), "blob": b"\x00\x01", "n": [1.5, None]}
    body = wire.dumps(value)
    assert b'{"__class__":"Decimal","decimal":"10.0500"}' in body
    assert b'{"__class__":"date","year":2026,"month":11,"day":26}' in body
    assert wire.loads(body) == value


@pytest.mark.parametrize("error, kind, retryable", [
    (["UserError", ["You can not call \"cancel\".", "", None]], ErpRejectedError, False),
    (["UserWarning", ["abc.invoice_date_future", "In the future.", ""]], ErpWarning, False),
    (["ConcurrencyException", "Records were modified in the meanwhile"], ErpRetryableError, True),
    (["database is locked", "Traceback ..."], ErpRetryableError, True),
    (["'sale.nope'", ""], ErpRejectedError, False),
])
def test_tryton_error_shapes_are_classified(error, kind, retryable):
    mapped = error_from_payload(error, "model.sale.sale.cancel")
    assert type(mapped) is kind and mapped.retryable is retryable
    assert mapped.type == kind.__name__


def test_user_errors_keep_tryton_message_and_warnings_their_name():
    rejected = error_from_payload(["UserError", ["To delete sale \"6\" you must cancel it.",
                                                 "details", None]], "m")
    assert rejected.message == 'To delete sale "6" you must cancel it.'
    assert rejected.description == "details"
    warning = error_from_payload(["UserWarning", ["w.name", "Post anyway?", ""]], "m")
    assert warning.name == "w.name" and warning.message == "Post anyway?"


@pytest.mark.parametrize("status, kind", [
    (503, ErpRetryableError), (500, ErpRetryableError), (429, ErpRetryableError),
    (422, ErpRejectedError), (403, ErpRejectedError), (401, ErpRejectedError),
])
def test_http_statuses_are_classified(status, kind):
    import httpx

    from systems.erp.tryton.rpc import _raise_for_status

    with pytest.raises(kind):
        _raise_for_status(httpx.Response(status, text="<html>"), "common.db.login", session=False)
