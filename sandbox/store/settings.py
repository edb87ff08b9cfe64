"""How the store behaves where a real WooCommerce can be set up differently.

Unlike faults (sandbox/store/faults.py), these are not errors: they are the
store's normal behaviour, with the default a real WooCommerce 9.9 has. Each
exists so a test can switch one off. The CLI flags set the start-up values;
`PUT /__sandbox/settings` changes them at run time and `DELETE` returns to the
start-up values. They are not persisted: a restart takes the CLI values again.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

PAYLOADS = ("delivery", "event")
CRON_MODES = ("runner", "page_view")


@dataclass(frozen=True)
class StoreSettings:
    # "delivery": the body is the REST representation when the delivery runs
    # (WC_Webhook::build_payload); "event": a snapshot taken when the event fired
    webhook_payload: str = "delivery"
    # merge a new event into a pending delivery of the same webhook and resource
    # (wc_webhook_execute_queue asks Action Scheduler for an identical pending action)
    webhook_coalesce: bool = True
    # woocommerce_max_webhook_delivery_failures: a failure with failure_count above
    # this disables the webhook, so the default 5 disables on the 7th failure in a row
    webhook_max_failures: int = 5
    # WooCommerce never retries (at-most-once); > 0 re-queues a failed delivery
    webhook_retries: int = 0
    # "runner": a cron runner (system cron, WP-CLI, a host's runner) picks deliveries
    # up `webhook_cron_delay_ms` after they were queued; "page_view": WP-Cron, which
    # only runs when the site gets a request (a REST call or POST /__sandbox/page_view)
    webhook_cron: str = "runner"
    webhook_cron_delay_ms: int = 0

    def validate(self) -> "StoreSettings":
        if self.webhook_payload not in PAYLOADS:
            raise ValueError(f"webhook_payload must be one of {', '.join(PAYLOADS)}")
        if self.webhook_cron not in CRON_MODES:
            raise ValueError(f"webhook_cron must be one of {', '.join(CRON_MODES)}")
        for name, low, high in (("webhook_max_failures", 0, 10_000), ("webhook_retries", 0, 10),
                                ("webhook_cron_delay_ms", 0, 600_000)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer in [{low}, {high}]")
        if not isinstance(self.webhook_coalesce, bool):
            raise ValueError("webhook_coalesce must be true or false")
        return self


class Settings:
    """The live settings, shared by the request handlers and the delivery thread."""

    def __init__(self, startup: StoreSettings | None = None):
        self._lock = threading.Lock()
        self.startup = (startup or StoreSettings()).validate()
        self.current = self.startup

    def update(self, changes: dict[str, Any]) -> StoreSettings:
        names = {f.name for f in fields(StoreSettings)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            self.current = replace(self.current, **changes).validate()
            return self.current

    def reset(self) -> StoreSettings:
        with self._lock:
            self.current = self.startup
            return self.current

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.current)
