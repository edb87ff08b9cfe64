"""Customers created at the same moment each get their party.

Tryton numbers parties from a sequence; on the sandbox's SQLite two
concurrent creates can draw the same code and the second is refused as a
duplicate code. That is a conflict between racers, not bad data, so the
adapter must create again rather than park the order.
"""
from __future__ import annotations

import asyncio
import uuid

import pytest

from canonical.entities import Address, Customer
from systems.erp.tryton.adapter import TrytonErp

pytestmark = pytest.mark.tryton


def _customer(n: int) -> tuple[Customer, Address]:
    email = f"racer-{n}-{uuid.uuid4().hex[:8]}@example.com"
    return (Customer(email=email, first_name="Racer", last_name=str(n)),
            Address(first_name="Racer", last_name=str(n), address_1=f"{n} Race Road",
                    city="Leeds", postcode="LS1", country="GB", email=email))


async def test_six_different_customers_created_at_once_get_six_parties(tryton_server):
    racers = [TrytonErp.connect(tryton_server.url, tryton_server.database,
                                tryton_server.user, tryton_server.password(), timeout=60)
              for _ in range(6)]
    try:
        await asyncio.gather(*(r.rpc.login() for r in racers))
        customers = [_customer(n) for n in range(6)]
        parties = await asyncio.gather(*(r.ensure_party(c, a) for r, (c, a) in
                                         zip(racers, customers)))
    finally:
        await asyncio.gather(*(r.aclose() for r in racers))
    assert len(set(parties)) == 6
