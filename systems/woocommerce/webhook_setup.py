"""Point a store's webhooks at the ingress, idempotently.

WooCommerce disables a webhook after repeated delivery failures (an ingress
restart is enough), so installing again re-activates the ones that exist
instead of piling up duplicates.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

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


SAFE_PORTS = (80, 443, 8080)  # WordPress's http_allowed_safe_ports default
_PRIVATE = re.compile(r"^(127\.|10\.|0\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)")


def delivery_refusal(delivery_url: str, site_url: str,
                     allowed_ports: Iterable[int] = SAFE_PORTS) -> str | None:
    """Why WordPress would refuse to deliver webhooks to `delivery_url`, or None.

    WooCommerce delivers with wp_safe_remote_request, which (wp_http_validate_url)
    takes only ports 80, 443 and 8080, or the site's own port on the site's own
    host, and refuses private and loopback addresses on another host. A refused
    delivery fails silently in the store and counts towards disabling the
    webhook (more than 5 failures in a row).
    """
    target, site = urlsplit(delivery_url), urlsplit(site_url)
    if target.scheme not in ("http", "https") or not target.hostname:
        return f"{delivery_url!r} is not an http(s) URL"
    same_host = (target.hostname or "").lower() == (site.hostname or "").lower()
    host = target.hostname or ""
    if not same_host and (host == "localhost" or _PRIVATE.match(host)):
        return (f"{host} is a private or loopback address and the site is on "
                f"{site.hostname}: WordPress refuses to deliver there")
    port = target.port
    if port is None or port in set(allowed_ports):
        return None
    if same_host and port == (site.port or (443 if site.scheme == "https" else 80)):
        return None
    ports = ", ".join(str(p) for p in sorted(set(allowed_ports)))
    return (f"port {port}: WordPress delivers webhooks only to ports {ports} or the "
            f"site's own port ({site.port or 'default'}) on its own host")
