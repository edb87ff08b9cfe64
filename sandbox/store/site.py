"""The emulated site: database, clock, settings and the services handlers share."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sandbox.store.db import Database
from sandbox.store.fmt import Clock
from sandbox.store.request_log import RequestLog

if TYPE_CHECKING:
    from sandbox.store.webhooks import WebhookService

WC_VERSION = "9.9.5"  # the real store CONTRACT.md section 11 was measured on
WP_VERSION = "6.8.8"


@dataclass
class TaxRate:
    id: int
    rate: Decimal  # 0.10 for 10 %
    label: str
    code: str
    shipping: bool = True


@dataclass
class Site:
    db: Database
    clock: Clock
    home_url: str | None  # None: taken from the request's Host header
    currency: str
    tax: TaxRate
    dp: int = 2
    webhooks: "WebhookService | None" = None
    # gateways whose supports('refunds') is false: api_refund=true is refused
    manual_gateways: frozenset[str] = frozenset({"bacs", "cheque", "cod"})
    fired: list[tuple[str, int]] = field(default_factory=list)
    requests: RequestLog = field(default_factory=RequestLog)  # the REST calls received

    def fire(self, topic: str, resource_id: int) -> None:
        """An action hook ran. Webhooks are queued when the request ends (PHP shutdown)."""
        self.fired.append((topic, resource_id))

    def flush_hooks(self, committed: bool) -> None:
        fired, self.fired = self.fired, []
        if committed and self.webhooks is not None:
            # WC_Webhook::is_already_processed: one delivery per webhook and
            # resource per request, however often its hooks fired
            for topic, resource_id in dict.fromkeys(fired):
                self.webhooks.enqueue(topic, resource_id)

    def url(self, home: str, path: str) -> str:
        return f"{home.rstrip('/')}/wp-json/wc/v3/{path.lstrip('/')}"

    def links(self, home: str, self_path: str, collection: str, **extra: str) -> dict[str, Any]:
        out = {"self": [{"href": self.url(home, self_path)}],
               "collection": [{"href": self.url(home, collection)}]}
        for rel, path in extra.items():
            out[rel] = [{"href": self.url(home, path)}]
        return out
