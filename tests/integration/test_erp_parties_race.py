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
from systems.erp.errors import ErpRejectedError, ErpRetryableError
from systems.erp.tryton.adapter import TrytonErp
from systems.erp.tryton.parties import UNIQUE

pytestmark = pytest.mark.tryton


def _customer(n: int) -> tuple[Customer, Address]:
    email = f"racer-{n}-{uuid.uuid4().hex[:8]}@example.com"
    return (Customer(email=email, first_name="Racer", last_name=str(n)),
            Address(first_name="Racer", last_name=str(n), address_1=f"{n} Race Road",
                    city="Leeds", postcode="LS1", country="GB", email=email))


ROUNDS = 5  # of six racers each, until two of them are seen drawing the same code


def _counting_collisions(erp: TrytonErp, seen: list[str]) -> None:
    """Record each create of a party the ERP refuses as a duplicate code: the
    race this test is about, which the adapter must absorb."""
    create = erp.rpc.create

    async def counted(model, values, *args, **kwargs):
        try:
            return await create(model, values, *args, **kwargs)
        except ErpRejectedError as exc:
            if model == "party.party" and UNIQUE in exc.message:
                seen.append(exc.message)
            raise

    erp.rpc.create = counted


async def _ensure(erp: TrytonErp, customer: Customer, address: Address) -> int:
    """ensure_party as the validate activity runs it: a collision that outlasts
    the adapter's own tries is ErpRetryableError, which Temporal retries."""
    for _ in range(5):
        try:
            return await erp.ensure_party(customer, address)
        except ErpRetryableError:
            continue
    return await erp.ensure_party(customer, address)


async def test_six_different_customers_created_at_once_get_six_parties(tryton_server):
    collisions: list[str] = []
    rounds = 0
    while not collisions and rounds < ROUNDS:
        rounds += 1
        racers = [TrytonErp.connect(tryton_server.url, tryton_server.database,
                                    tryton_server.user, tryton_server.password(), timeout=60)
                  for _ in range(6)]
        try:
            await asyncio.gather(*(r.rpc.login() for r in racers))
            for racer in racers:
                _counting_collisions(racer, collisions)
            customers = [_customer(n) for n in range(6)]
            parties = await asyncio.gather(*(_ensure(r, c, a) for r, (c, a) in
                                             zip(racers, customers)))
        finally:
            await asyncio.gather(*(r.aclose() for r in racers))
        assert len(set(parties)) == 6, f"round {rounds}: {parties}"
    # The claim holds only if the race happened: two creates drew one code.
    assert collisions, f"no two of {6 * rounds} concurrent creates collided: the race never ran"
