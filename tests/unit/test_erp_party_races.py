"""Creating a party while other creates race for the same party code.

A collision on a unique constraint is contention: when it outlasts the
adapter's own tries it must reach the activity as retryable, or a burst of
sagas retrying after an ERP outage parks orders as if the ERP had refused
the customer. Other refusals stay refusals."""
from __future__ import annotations

import pytest

from canonical.entities import Address, Customer
from systems.erp.errors import ErpRejectedError, ErpRetryableError
from systems.erp.tryton import parties as parties_mod
from systems.erp.tryton.parties import CREATE_ATTEMPTS, Parties


class Rpc:
    """Finds no party and refuses every party create with `refusal`."""

    def __init__(self, refusal: str, succeed_after: int | None = None) -> None:
        self.refusal, self.succeed_after, self.creates = refusal, succeed_after, 0

    async def search(self, model: str, domain: list, limit: int | None = None) -> list[int]:
        return [1] if model == "country.country" else []

    async def create(self, model: str, values: list[dict]) -> list[int]:
        self.creates += 1
        if self.succeed_after is not None and self.creates > self.succeed_after:
            return [77]
        raise ErpRejectedError(self.refusal)


CUSTOMER = Customer(email="race@example.com", first_name="Ada")
BILLING = Address(first_name="Ada", address_1="1 Loop Rd", city="Springfield", country="US")


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(parties_mod, "RACE_PAUSE_S", 0.0)


async def test_a_code_collision_that_outlasts_the_tries_is_retryable():
    rpc = Rpc("The code on party must be unique.")
    with pytest.raises(ErpRetryableError, match="colliding"):
        await Parties(rpc).ensure(CUSTOMER, BILLING)
    assert rpc.creates == CREATE_ATTEMPTS


async def test_a_collision_that_clears_creates_the_party():
    rpc = Rpc("The code on party must be unique.", succeed_after=2)
    assert await Parties(rpc).ensure(CUSTOMER, BILLING) == 77


async def test_another_refusal_is_not_retried():
    rpc = Rpc('The value "XX" for field "Country" is not valid.')
    with pytest.raises(ErpRejectedError) as refused:
        await Parties(rpc).ensure(CUSTOMER, BILLING)
    assert not isinstance(refused.value, ErpRetryableError) and rpc.creates == 1
