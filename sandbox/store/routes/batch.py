"""The shared batch endpoint logic (CONTRACT.md 4.2): <=100 items, per-item errors, 200."""
from __future__ import annotations

from typing import Any, Callable

from sandbox.store.errors import WooError
from sandbox.store.router import Ctx, Reply

LIMIT = 100


def run_batch(ctx: Ctx, create: Callable[[dict], Any], update: Callable[[dict], Any],
              delete: Callable[[Any], Any]) -> Reply:
    data = ctx.data()
    count = sum(len(data.get(k) or []) for k in ("create", "update", "delete"))
    if count > LIMIT:
        raise WooError("woocommerce_rest_request_entity_too_large",
                       f"Unable to accept more than {LIMIT} items for this request.", 413)
    out: dict[str, list[Any]] = {}
    for name, fn, id_of in (("create", create, lambda d: 0),
                            ("update", update, lambda d: d.get("id", 0)),
                            ("delete", delete, lambda d: d)):
        if name not in data:
            continue
        out[name] = []
        for entry in data[name] or []:
            if name == "delete":
                entry = _int(entry)
                if entry == 0:
                    continue  # batch_items skips (int) 0
            # each item runs on its own: an error is reported, the rest still apply
            try:
                with ctx.site.db.tx():
                    out[name].append(fn(entry))
            except WooError as err:
                out[name].append({"id": id_of(entry), "error": err.body()})
    return Reply(out)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
