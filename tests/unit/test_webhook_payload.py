"""workers/ingress/payload.py: a body is JSON that PHP's json_encode could have produced."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from workers.ingress.payload import MAX_DEPTH, BodyRefused, parse

DELIVERY = Path(__file__).resolve().parents[1] / "data" / "order_created_delivery.json"


def test_a_real_delivery_parses_as_json_does():
    body = DELIVERY.read_bytes()
    assert parse(body) == json.loads(body)


@pytest.mark.parametrize("body", [
    b"[" * 100_000, b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
    b'{"id": ' + b"1" * 5000 + b"}", b"-9223372036854775809", b"9223372036854775808",
    b"1e400", b"-1e400", b"NaN", b"[Infinity]", b"\xff", b"\xef\xbb\xbf{}", b"{", b""])
def test_what_php_cannot_have_sent_is_refused_with_a_reason(body):
    with pytest.raises(BodyRefused) as refused:
        parse(body)
    assert refused.value.reason and len(refused.value.reason) < 200


@pytest.mark.parametrize("body,doc", [(b"12", 12), (b'"order"', "order"), (b"null", None),
                                      (b"[]", []), (b"{}", {})])
def test_any_json_value_parses_the_mapping_refuses_what_is_not_an_order(body, doc):
    assert parse(body) == doc


def test_the_limits_themselves_still_parse():
    assert parse(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    assert parse(b"[9223372036854775807, -9223372036854775808, 1.7e308]") == [
        2**63 - 1, -(2**63), 1.7e308]


@pytest.mark.parametrize("body", [b'{"name": "\\ud800"}', b'["a\\udfff"]', b'{"\\ud800": 1}',
                                  b'"\\uDBFF"'])
def test_a_lone_surrogate_is_refused(body):
    """json.loads accepts it; the str then cannot be encoded for Temporal."""
    with pytest.raises(BodyRefused, match="surrogate"):
        parse(body)


def test_a_surrogate_pair_is_a_character_and_parses():
    assert parse(b'{"name": "\\ud83d\\ude00", "x": "\\\\ud800"}') == {
        "name": "\U0001F600", "x": "\\ud800"}
