"""Customers and their addresses as Tryton parties.

A party is keyed by `wooerp_ref` = "email:<address>" (unique in the
database, thanks to wooerp_link), so two sagas for the same customer share
one party even when they race. Addresses are matched by their content and
created when new; on_change does not run over RPC, so every value is explicit.
"""
from __future__ import annotations

import asyncio
import random

from canonical.entities import Address, Customer
from systems.erp.errors import ErpRejectedError, ErpRetryableError
from systems.erp.tryton.rpc import TrytonRpc

# Concurrent creates of different parties may collide on the party code;
# a few tries are enough for the racers to draw distinct codes, provided
# they do not retry in lockstep: each waits a random, growing moment first.
# A burst of racers (an ERP back from an outage, with every saga retrying at
# once) can outlast them: that is still contention, not a verdict on the
# customer, so it is raised as retryable and the activity tries again later.
CREATE_ATTEMPTS = 5
RACE_PAUSE_S = 0.05
UNIQUE = "must be unique"  # Tryton's SQL unique constraint message


def party_key(customer: Customer, billing: Address) -> str:
    email = (customer.email or billing.email or "").strip().lower()
    if email:
        return f"email:{email}"
    if customer.woo_id:
        return f"woo-customer:{customer.woo_id}"
    raise ErpRejectedError("The customer has neither an e-mail nor a store account id")


class Parties:
    def __init__(self, rpc: TrytonRpc):
        self.rpc = rpc
        self._countries: dict[str, int] = {}

    async def ensure(self, customer: Customer, billing: Address,
                     shipping: Address | None = None) -> int:
        key = party_key(customer, billing)
        existing = await self._find(key)
        if existing:
            return existing
        values = {
            "name": customer.display_name if customer.display_name != "guest"
            else (billing.full_name or key),
            "wooerp_ref": key,
            "contact_mechanisms": [["create", _contacts(customer, billing)]],
            "addresses": [["create", [await self._address_values(a)
                                      for a in _distinct(billing, shipping)]]],
        }
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                party_id, = await self.rpc.create("party.party", [values])
                return party_id
            except ErpRejectedError as exc:
                # Most likely a racer created it first (unique wooerp_ref).
                existing = await self._find(key)
                if existing:
                    return existing
                # Or a racer for another customer drew the same party code
                # (the sequence is not atomic on SQLite): create again.
                if UNIQUE not in exc.message:
                    raise
                if attempt == CREATE_ATTEMPTS:
                    raise ErpRetryableError(
                        f"party for {key!r} not created: it kept colliding with concurrent "
                        f"creates ({exc.message})") from exc
                await asyncio.sleep(random.uniform(0, RACE_PAUSE_S * 2 ** attempt))
        raise AssertionError("CREATE_ATTEMPTS must be at least 1")

    async def address(self, party_id: int, address: Address) -> int:
        """The id of the party's address with this content, created if new."""
        values = await self._address_values(address)
        domain = [["party", "=", party_id]] + [
            [field, "=", values.get(field)] for field in
            ("street_unstructured", "postal_code", "city", "country", "party_name")]
        found = await self.rpc.search("party.address", domain, limit=1)
        if found:
            return found[0]
        address_id, = await self.rpc.create("party.address", [{**values, "party": party_id}])
        return address_id

    async def _find(self, key: str) -> int | None:
        found = await self.rpc.search("party.party", [["wooerp_ref", "=", key]], limit=1)
        return found[0] if found else None

    async def _address_values(self, address: Address) -> dict:
        street = "\n".join(p for p in (address.address_1, address.address_2) if p)
        return {
            "party_name": address.full_name or None,
            "street_unstructured": street or None,
            "postal_code": address.postcode or None,
            "city": address.city or None,
            "country": await self._country(address.country) if address.country else None,
        }

    async def _country(self, code: str) -> int:
        code = code.upper()
        if code not in self._countries:
            found = await self.rpc.search("country.country", [["code", "=", code]], limit=1)
            if not found:
                # Reference data the ERP lacks; create it rather than drop the country.
                found = await self.rpc.create("country.country", [{"name": code, "code": code}])
            self._countries[code] = found[0]
        return self._countries[code]


def _distinct(billing: Address, shipping: Address | None) -> list[Address]:
    return [billing] if shipping is None or _same_place(billing, shipping) else [billing, shipping]


def _same_place(a: Address, b: Address) -> bool:
    fields = ("first_name", "last_name", "company", "address_1", "address_2", "city",
              "postcode", "country")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _contacts(customer: Customer, billing: Address) -> list[dict]:
    contacts = []
    email = customer.email or billing.email
    if email:
        contacts.append({"type": "email", "value": email})
    phone = customer.phone or billing.phone
    if phone:
        contacts.append({"type": "phone", "value": phone})
    return contacts
