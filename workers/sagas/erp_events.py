"""What an ERP notification becomes (systems/erp/notifications.py): stock
moved → the `changed` signal of every store's InventorySync, for the SKUs
it names; a shipment or an invoice of a wooerp sale → `erp_updated` on the
order sagas its references name, so they read the ERP now instead of at
their next poll. A saga that no longer runs (or never did) is no error:
the notification was only a hint, and the polls and the full comparison
are the backstop."""
from __future__ import annotations

import re
from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from systems.erp.notifications import ErpNotification
from workers.config.settings import Settings
from workers.sagas import inventory
from workflows.order_types import order_workflow_id

# erp_reference(store, id): "woo:{store}:{id}" (workflows/order_types.py)
_REF = re.compile(r"woo:([A-Za-z0-9_.-]{1,64}):([0-9]{1,16})")
MAX_SAGAS = 500  # sagas signalled for one notification


async def relay(client: Client, settings: Settings, event: ErpNotification) -> str:
    if event.kind == "stock":
        if not event.skus:
            return "stock event without SKUs: nothing to sync"
        for store in settings.stores:
            await inventory.changed(client, settings, store, list(event.skus), event.occurred_at)
        return f"{len(event.skus)} SKU(s) to the inventory sync of {len(settings.stores)} store(s)"
    signalled, absent = 0, 0
    for ref in event.external_refs[:MAX_SAGAS]:
        match = _REF.fullmatch(ref)
        if match is None or match.group(1) not in settings.stores:
            continue
        wid = order_workflow_id(match.group(1), int(match.group(2)))
        try:
            await client.get_workflow_handle(wid).signal(
                "erp_updated", rpc_timeout=timedelta(seconds=10))
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            absent += 1
            continue
        signalled += 1
    return f"{event.kind} {event.state}: signalled {signalled} saga(s), {absent} not running"
