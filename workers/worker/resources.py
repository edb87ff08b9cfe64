"""What activities need at run time, created once per worker process.

Each resource is built on first use, so a worker that serves only the store
queue never opens the ERP, and closed once at shutdown. The ERP adapter keeps
its SKU -> product ids in the ledger's id map, so it opens the ledger too.
"""
from __future__ import annotations

from functools import cached_property

from systems.erp.port import ErpPort
from systems.erp.tryton.adapter import TrytonErp
from systems.ledger import Ledger
from systems.ledger.product_ids import LedgerProductIds
from systems.woocommerce.client import WooClient
from workers.config.settings import Settings


class Resources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def ledger(self) -> Ledger:
        ledger = Ledger(self.settings.database_url)
        ledger.migrate()  # idempotent; the embedded default needs no separate step
        return ledger

    @cached_property
    def woo_clients(self) -> dict[str, WooClient]:
        return {
            code: WooClient(store.url, store.consumer_key.get_secret_value(),
                            store.consumer_secret.get_secret_value(),
                            timeout=store.timeout_seconds, verify=store.verify_tls)
            for code, store in self.settings.stores.items()
        }

    @cached_property
    def erp(self) -> ErpPort:
        cfg = self.settings.erp
        password = cfg.password.get_secret_value() if cfg.password else ""
        # SKU -> product ids live in the ledger, shared by every worker process.
        return TrytonErp.connect(cfg.url, cfg.database, cfg.user, password,
                                 timeout=cfg.timeout_seconds,
                                 product_ids=LedgerProductIds(self.ledger))

    def close(self) -> None:
        if "ledger" in self.__dict__:
            self.ledger.close()

    async def aclose(self) -> None:
        if "erp" in self.__dict__:
            await self.erp.aclose()
        self.close()
