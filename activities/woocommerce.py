"""WooCommerce activities: sync (the `woocommerce` client is sync) on the
woocommerce queue's thread pool. Each write looks first, so a retry reads
what the first attempt wrote instead of writing it again."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import refs
from activities.contracts import (CancelWooOrderInput, CreateWooRefundInput, MarkShippedInput,
                                  OrderRef, RefundRef, WriteBackInput)
from activities.errors import classified
from canonical.entities import Order, Refund, RefundLine
from canonical.errors import ErrorType
from systems.woocommerce import mapping
from systems.woocommerce.client import WooClient

ERP_META_KEY = "_wooerp_erp_document"


def note_once(client: WooClient, order_id: int, text: str, customer_note: bool = False) -> None:
    """Add the note unless an earlier attempt of this call did: a retry after
    the write that follows a note failed must not say it twice (a customer
    note is an e-mail to the customer). A first attempt has nothing to find."""
    if activity.info().attempt > 1 and any(
            text in str(n.get("note") or "") for n in client.list_order_notes(order_id)):
        return
    client.add_order_note(order_id, text, customer_note=customer_note)


def store_client(clients: Mapping[str, WooClient], store: str) -> WooClient:
    """The worker's client of `store`; a store this worker does not know is
    a configuration error no retry can fix."""
    try:
        return clients[store]
    except KeyError:
        raise ApplicationError(f"no store {store!r} is configured on this worker",
                               type=ErrorType.UNKNOWN_STORE, non_retryable=True) from None


class WooActivities:
    def __init__(self, clients: Mapping[str, WooClient]) -> None:
        self._clients = clients

    def _client(self, store: str) -> WooClient:
        return store_client(self._clients, store)

    @activity.defn(name=refs.WOO_GET_ORDER.name)
    @classified
    def get_order(self, ref: OrderRef) -> Order:
        raw = self._client(ref.store).get_order(ref.woo_order_id)
        return mapping.order_from_woo(raw, store=ref.store)

    @activity.defn(name=refs.WOO_GET_REFUND.name)
    @classified
    def get_refund(self, ref: RefundRef) -> Refund:
        client = self._client(ref.store)
        order = client.get_order(ref.woo_order_id)
        for raw in client.list_refunds(ref.woo_order_id):
            if raw["id"] == ref.woo_refund_id:
                return mapping.refund_from_woo(raw, order=order)
        raise ApplicationError(f"order {ref.woo_order_id} has no refund {ref.woo_refund_id}",
                               type=ErrorType.WOO_REFUND_NOT_FOUND, non_retryable=True)

    @activity.defn(name=refs.WOO_WRITE_ERP_DOCUMENT.name)
    @classified
    def write_erp_document(self, inp: WriteBackInput) -> None:
        """ERP number as order meta (the commit marker) after a note for people."""
        client = self._client(inp.store)
        order = client.get_order(inp.woo_order_id)
        if _meta(order, ERP_META_KEY) == inp.erp_document:
            return
        note_once(client, inp.woo_order_id, f"Booked in the ERP as {inp.erp_document}.")
        client.update_order(inp.woo_order_id,
                            meta_data=[{"key": ERP_META_KEY, "value": inp.erp_document}])

    @activity.defn(name=refs.WOO_MARK_SHIPPED.name)
    @classified
    def mark_shipped(self, inp: MarkShippedInput) -> Order:
        """`completed` in the store; answers with the order as the store now has
        it, so the saga's view (and `wooerp order status`) follows its own write."""
        client = self._client(inp.store)
        order = client.get_order(inp.woo_order_id)
        if order["status"] != "completed":
            tracking = f" Tracking number: {inp.tracking_number}." if inp.tracking_number else ""
            note_once(client, inp.woo_order_id,
                      f"Shipped by the ERP ({inp.erp_document}).{tracking}", customer_note=True)
            order = client.update_order(inp.woo_order_id, status="completed")
        return mapping.order_from_woo(order, store=inp.store)

    @activity.defn(name=refs.WOO_CANCEL_ORDER.name)
    @classified
    def cancel_order(self, inp: CancelWooOrderInput) -> None:
        client = self._client(inp.store)
        if client.get_order(inp.woo_order_id)["status"] == "cancelled":
            return
        note_once(client, inp.woo_order_id, f"Cancelled by wooerp: {inp.reason}")
        client.update_order(inp.woo_order_id, status="cancelled")

    @activity.defn(name=refs.WOO_CREATE_REFUND.name)
    @classified
    def create_refund(self, inp: CreateWooRefundInput) -> int:
        """Money moves here, so look for our refund first: never refund twice."""
        client = self._client(inp.store)
        for existing in client.list_refunds(inp.woo_order_id):
            if inp.refund_ref in (existing.get("reason") or ""):
                return int(existing["id"])
        order = client.get_order(inp.woo_order_id)
        created = client.create_refund(
            inp.woo_order_id, inp.amount.amount, reason=inp.reason,
            line_items=[_refund_item(order, line) for line in inp.lines] or None,
            api_refund=inp.api_refund, api_restock=inp.restock)
        return int(created["id"])


def _meta(order: dict[str, Any], key: str) -> Any:
    return next((m.get("value") for m in order.get("meta_data", []) if m.get("key") == key), None)


def _refund_item(order: dict[str, Any], line: RefundLine) -> dict[str, Any]:
    """A Woo refund line: the tax goes to the line's tax rate ids, pro rata."""
    item = next(i for i in order["line_items"] if i["id"] == line.line_id)
    rates = [t for t in item.get("taxes", []) if Decimal(str(t.get("total") or 0)) != 0]
    weights = [Decimal(str(t["total"])) for t in rates]
    taxes = line.tax.allocate(weights) if rates and not line.tax.is_zero() else []
    return {"id": line.line_id, "quantity": line.quantity,
            "refund_total": str(line.amount.amount),
            "refund_tax": [{"id": t["id"], "refund_total": str(m.amount)}
                           for t, m in zip(rates, taxes)]}
