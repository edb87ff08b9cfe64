"""/orders/<id>/notes."""
from __future__ import annotations

from sandbox.store import orders, render
from sandbox.store.errors import WooError, missing_params
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes


def _order(ctx: Ctx, order_id: int) -> dict:
    order = ctx.site.db.get_post(order_id, "order")
    if order is None:
        raise WooError("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
    return order


def _note(ctx: Ctx, order_id: int, note_id: int) -> dict:
    note = ctx.site.db.get_row("notes", "id", note_id)
    if note is None or note["order_id"] != order_id:
        raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return note


@routes.add("GET", "orders/<order_id>/notes", "list")
def list_notes(ctx: Ctx, order_id: int) -> Reply:
    _order(ctx, order_id)
    kind = ctx.param("type", "any")
    rows = ctx.site.db.rows("notes", "order_id=?", (order_id,), "id DESC")
    if kind == "customer":
        rows = [r for r in rows if r["customer_note"]]
    elif kind == "internal":
        rows = [r for r in rows if not r["customer_note"]]
    return Reply([render.note(ctx.site, r, ctx.home) for r in rows])


@routes.add("POST", "orders/<order_id>/notes", "create")
def create_note(ctx: Ctx, order_id: int) -> Reply:
    order = _order(ctx, order_id)
    text = ctx.param("note")
    if not text:
        raise missing_params("note")
    note = orders.add_note(ctx.site, order_id, str(text), ctx.bool_param("customer_note"),
                           by_user=ctx.bool_param("added_by_user"))
    ctx.site.fire("order.updated", order["id"])
    return Reply(render.note(ctx.site, note, ctx.home), 201,
                 {"Location": ctx.site.url(ctx.home, f"orders/{order_id}/notes/{note['id']}")})


@routes.add("GET", "orders/<order_id>/notes/<id>", "read")
def get_note(ctx: Ctx, order_id: int, id: int) -> Reply:
    _order(ctx, order_id)
    return Reply(render.note(ctx.site, _note(ctx, order_id, id), ctx.home))


@routes.add("DELETE", "orders/<order_id>/notes/<id>", "delete")
def delete_note(ctx: Ctx, order_id: int, id: int) -> Reply:
    _order(ctx, order_id)
    note = _note(ctx, order_id, id)
    if not ctx.bool_param("force"):
        raise WooError("woocommerce_rest_trash_not_supported",
                       "Order notes do not support trashing.", 501)
    ctx.site.db.execute("DELETE FROM notes WHERE id=?", (id,))
    return Reply(render.note(ctx.site, note, ctx.home))
