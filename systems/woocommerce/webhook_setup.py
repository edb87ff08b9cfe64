"""Point a store's webhooks at the ingress, idempotently.

WooCommerce disables a webhook after repeated delivery failures (an ingress
restart is enough), so installing again re-activates the ones that exist
instead of piling up duplicates.
"""
from __future__ import annotations

from dataclasses import dataclass

from systems.woocommerce.client import WooClient
from systems.woocommerce.webhooks import ORDER_TOPICS


@dataclass(frozen=True)
class WebhookChange:
    topic: str
    webhook_id: int
    action: str  # created | reactivated | kept


def ensure_webhooks(client: WooClient, delivery_url: str, secret: str,
                    topics: tuple[str, ...] = ORDER_TOPICS) -> list[WebhookChange]:
    existing = {(w["topic"], w["delivery_url"]): w for w in client.list_webhooks()}
    changes = []
    for topic in topics:
        hook = existing.get((topic, delivery_url))
        if hook is None:
            hook = client.create_webhook(topic, delivery_url, secret, name=f"wooerp {topic}")
            changes.append(WebhookChange(topic, hook["id"], "created"))
        elif hook.get("status") != "active" or hook.get("secret") not in (None, secret):
            # The secret is re-sent: a webhook left with a stale secret would
            # be rejected by the ingress forever.
            client.update_webhook(hook["id"], status="active", secret=secret)
            changes.append(WebhookChange(topic, hook["id"], "reactivated"))
        else:
            changes.append(WebhookChange(topic, hook["id"], "kept"))
    return changes
