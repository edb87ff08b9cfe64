"""Prometheus metrics of the ingress (served at /metrics)."""
from prometheus_client import Counter, Gauge

WEBHOOKS = Counter("wooerp_webhooks_total", "Webhook deliveries by outcome", ["outcome"])
DEAD_LETTERS = Counter("wooerp_webhook_dead_letters_total",
                       "Deliveries kept as dead letters: they cannot be mapped or forwarded")
INBOX_PENDING = Gauge("wooerp_inbox_pending", "Deliveries stored but not yet forwarded")
REFUSALS_NOT_RECORDED = Counter(
    "wooerp_webhook_refusals_not_recorded_total",
    "Refused unsigned deliveries not written to the inbox: their source was over its budget")
