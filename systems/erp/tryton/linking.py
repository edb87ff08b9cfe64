"""Linking sales another connector made to the store orders they were for
(`wooerp backfill --mode link`, a migration): a sale with no wooerp
reference whose `reference` is the store's order number, in the order's
currency and for the order's total, is given the order's wooerp reference,
so that sagas, reconciliation and refunds find it as if wooerp had made it.
Nothing else of the sale changes. An order number that two such sales share
is left alone: a person must say which one it is.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Sequence

from systems.erp.port import SaleToLink
from systems.erp.tryton.documents import Documents
from systems.erp.tryton.rpc import TrytonRpc


async def link_by_number(rpc: TrytonRpc, documents: Documents,
                         wanted: Sequence[SaleToLink]) -> list[str]:
    """Give each unambiguous, matching unlinked sale its order's wooerp
    reference; returns the references now on a sale."""
    by_number = {w.number: w for w in wanted}
    if not by_number:
        return []
    rows = await rpc.search_read(
        "sale.sale", [["reference", "in", sorted(by_number)], ["wooerp_ref", "=", None],
                      ["state", "!=", "cancelled"]],
        ["reference", "total_amount", "currency"])
    candidates: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        candidates[row["reference"]].append(row)
    pairs: list = []
    linked: list[str] = []
    for number, found in candidates.items():
        want = by_number[number]
        if len(found) != 1:
            continue
        row = found[0]
        if (await documents.currency_code(row["currency"]) != want.total.currency
                or Decimal(str(row["total_amount"])) != want.total.amount):
            continue  # the same number, another order (another store, an edit)
        pairs += [[row["id"]], {"wooerp_ref": want.external_ref}]
        linked.append(want.external_ref)
    if pairs:  # one write for the page: Tryton takes (records, values) pairs
        await rpc.execute("sale.sale", "write", *pairs)
    return linked
