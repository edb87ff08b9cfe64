"""SKU -> ERP product id, kept in the ledger's id map (systems/erp/port.py's
ProductIds): one cache for every worker process, emptied by a person with
`wooerp erp forget-products` when products are recoded in the ERP."""
from __future__ import annotations

from typing import Iterable

from systems.ledger.store import Ledger

ENTITY = "product"


class LedgerProductIds:
    def __init__(self, ledger: Ledger, system: str = "erp") -> None:
        self._ledger, self._system = ledger, system

    def ids_for(self, skus: Iterable[str]) -> dict[str, int]:
        return {sku: int(pid) for sku, pid
                in self._ledger.external_ids_for(self._system, ENTITY, skus).items()}

    def remember(self, sku: str, product_id: int) -> None:
        # A cache of the ERP's current state, not a fact: a recoded product
        # replaces what its SKU or its id were mapped to.
        self._ledger.remap_id(self._system, ENTITY, product_id, sku)

    def forget(self, skus: Iterable[str] | None = None) -> int:
        return self._ledger.forget_ids(self._system, ENTITY, skus)
