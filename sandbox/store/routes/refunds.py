"""/orders/<id>/refunds, with the controller's HTTP-500 error quirk (CONTRACT.md 3.4)."""
from __future__ import annotations

from sandbox.store import refunds, render
from sandbox.store.errors import WooError
from sandbox.store.pagination import paginate, window
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes


def _order(ctx: Ctx, order_id: int) -> dict:
    order = ctx.site.db.get_post(order_id, "order")
    if order is None:
        raise WooError("woocommerce_rest_invalid_order_id", "Invalid order ID.", data=404)
    return order


@routes.add("GET", "orders/<order_id>/refunds", "list")
def list_refunds(ctx: Ctx, order_id: int) -> Reply:
    _order(ctx, order_id)
    win = window(ctx, ("date", "id", "include", "title", "slug", "modified"))
    found = refunds.list_for(ctx.site, order_id)
    if win.order == "asc":
        found.reverse()
    return paginate(ctx, found, win, lambda r: render.refund(ctx.site, r, ctx.home, ctx.dp))


@routes.add("POST", "orders/<order_id>/refunds", "create")
def create_refund(ctx: Ctx, order_id: int) -> Reply:
    refund = refunds.create(ctx.site, _order(ctx, order_id), ctx.data())
    return Reply(render.refund(ctx.site, refund, ctx.home, ctx.dp), 201,
                 {"Location": ctx.site.url(ctx.home, f"orders/{order_id}/refunds/{refund['id']}")})


def _refund(ctx: Ctx, order_id: int, refund_id: int) -> dict:
    refund = ctx.site.db.get_post(refund_id, "refund")
    if refund is None:
        raise WooError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404)
    if refund["parent_id"] != order_id:
        raise WooError("woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID.",
                       data=404)
    return refund


@routes.add("GET", "orders/<order_id>/refunds/<id>", "read")
def get_refund(ctx: Ctx, order_id: int, id: int) -> Reply:
    _order(ctx, order_id)
    return Reply(render.refund(ctx.site, _refund(ctx, order_id, id), ctx.home, ctx.dp))


@routes.add("DELETE", "orders/<order_id>/refunds/<id>", "delete")
def delete_refund(ctx: Ctx, order_id: int, id: int) -> Reply:
    order = _order(ctx, order_id)
    refund = _refund(ctx, order_id, id)
    if not ctx.bool_param("force", True):
        raise WooError("woocommerce_rest_trash_not_supported", "Refunds do not support trashing.", 501)
    body = render.refund(ctx.site, refund, ctx.home, ctx.dp)
    ctx.site.db.delete_post(id)
    ctx.site.fire("order.updated", order["id"])  # woocommerce_delete_order_refund
    return Reply(body)
