"""Prometheus metrics of the ingress (served at /metrics)."""
from prometheus_client import Counter, Gauge

WEBHOOKS = Counter("wooerp_webhooks_total", "Webhook deliveries by outcome", ["outcome"])
DEAD_LETTERS = Counter("wooerp_webhook_dead_letters_total", "Deliveries that could not be mapped")
INBOX_PENDING = Gauge("wooerp_inbox_pending", "Deliveries stored but not yet forwarded")
