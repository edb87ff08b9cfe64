"""Historical orders in the sandbox store: what a store that adopts wooerp
already holds. They are made on past days (the store's admin clock set
back) while its webhooks are paused, as if before wooerp was installed, so
only a backfill can bring them in. `wooerp sandbox history` makes them in a
running store; the backfill tests and benchmarks use the same helpers.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from systems.woocommerce.oauth import StoreAPI

GMT = "%Y-%m-%dT%H:%M:%S"
# The final states a store keeps, in the proportions of a shop's history,
# interleaved so a handful of orders already has some of each.
MIX = ("completed", "refunded", "completed", "cancelled", "completed", "failed", "completed",
       "completed", "refunded", "completed", "cancelled", "completed", "completed", "completed",
       "refunded", "completed", "cancelled", "completed", "failed", "completed")
PAID = ("completed", "refunded")
BATCH = 100  # WooCommerce's batch limit
MAX_PER_DAY, MAX_DAYS = 1_000, 366


def _checked(resp: Any, what: str) -> Any:
    if resp.status_code >= 300:
        raise RuntimeError(f"the store refused {what}: HTTP {resp.status_code} {resp.text[:200]}")
    return resp.json()


@contextlib.contextmanager
def in_the_past(api: StoreAPI, store_url: str, when: datetime) -> Iterator[None]:
    """The store's clock at `when` and its active webhooks paused, for the
    block; both put back after, whatever happens."""
    admin = f"{store_url.rstrip('/')}/__sandbox/clock"
    hooks = _checked(api.get("webhooks", params={"per_page": 100}), "listing its webhooks")
    active = [h["id"] for h in hooks if h.get("status") == "active"]
    for hook in active:
        _checked(api.put(f"webhooks/{hook}", {"status": "paused"}), "pausing a webhook")
    try:
        httpx.put(admin, json={"now_gmt": when.strftime(GMT)}, timeout=30).raise_for_status()
        yield
    finally:
        # Every one is tried; one the store would not take back is said, never
        # left paused in silence (it would stop telling wooerp of new orders).
        left = [] if httpx.put(admin, json={"offset_seconds": 0},
                               timeout=30).status_code < 300 else ["the clock"]
        left += [f"webhook {hook}" for hook in active
                 if api.put(f"webhooks/{hook}", {"status": "active"}).status_code >= 300]
        if left:
            raise RuntimeError(f"the store did not take back {', '.join(left)}: "
                               "reset them by hand")


def is_sandbox(store_url: str) -> bool:
    try:
        return httpx.get(f"{store_url.rstrip('/')}/__sandbox/clock", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def product_ids(api: StoreAPI, skus: Sequence[str]) -> list[int]:
    ids = []
    for sku in skus:
        found = _checked(api.get("products", params={"sku": sku}), f"looking up {sku}")
        if not found:
            raise RuntimeError(f"the store has no product {sku}")
        ids.append(int(found[0]["id"]))
    return ids


def make_day(api: StoreAPI, store_url: str, day: date, count: int, products: Sequence[int],
             *, at: time = time(10), kinds: Sequence[str] = MIX) -> dict[str, list[int]]:
    """`count` orders made on `day` in the final states of `kinds` (cycled);
    the refunded ones were paid and completed first. Ids by final state."""
    if not 1 <= count <= MAX_PER_DAY:
        raise ValueError(f"orders per day must be 1..{MAX_PER_DAY}")
    wanted = [kinds[i % len(kinds)] for i in range(count)]
    made: dict[str, list[int]] = {k: [] for k in dict.fromkeys(kinds)}
    with in_the_past(api, store_url, datetime.combine(day, at)):
        for start in range(0, count, BATCH):
            chunk = wanted[start:start + BATCH]
            create = [{"status": "completed" if k in PAID else k, "set_paid": k in PAID,
                       "payment_method": "sandbox_card",
                       "billing": {"first_name": "Ada", "last_name": "History", "country": "US",
                                   "email": f"history-{day.isoformat()}-{start + n}@example.com"},
                       "line_items": [{"product_id": products[(start + n) % len(products)],
                                       "quantity": 1}]}
                      for n, k in enumerate(chunk)]
            answer = _checked(api.post("orders/batch", {"create": create}), "the orders")
            orders = answer.get("create", [])
            failed = [o["error"] for o in orders if "error" in o]
            if failed:
                raise RuntimeError(f"the store refused an order: {failed[0]}")
            refunded = [o["id"] for o, k in zip(orders, chunk) if k == "refunded"]
            if refunded:  # in full, by hand: the store makes the refund itself
                _checked(api.post("orders/batch", {"update": [
                    {"id": i, "status": "refunded"} for i in refunded]}), "the refunds")
            for o, k in zip(orders, chunk):
                made[k].append(int(o["id"]))
    return made


def make_history(api: StoreAPI, store_url: str, first: date, last: date, per_day: int,
                 skus: Sequence[str], progress: Any = None) -> dict[str, list[int]]:
    """`per_day` orders on every day from `first` to `last`; `progress(day)`
    is called after each day."""
    days = (last - first).days + 1
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"from {first} to {last}: 1 to {MAX_DAYS} days")
    products = product_ids(api, skus)
    made: dict[str, list[int]] = {}
    for n in range(days):
        day = first + timedelta(days=n)
        for kind, ids in make_day(api, store_url, day, per_day, products).items():
            made.setdefault(kind, []).extend(ids)
        if progress is not None:
            progress(day)
    return made
