"""/orders and /orders/batch."""
from __future__ import annotations

from typing import Any

from sandbox.store import orders, render
from sandbox.store.errors import WooError, invalid_param
from sandbox.store.pagination import date_param, id_list, paginate, window
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes
from sandbox.store.routes.batch import run_batch

LIST_STATUSES = ("any", "trash", "auto-draft") + orders.STATUSES
ORDERBY = ("date", "id", "include", "title", "slug", "modified")


def _statuses(ctx: Ctx) -> list[str]:
    value = ctx.param("status", "any")
    parts = value if isinstance(value, list) else str(value).split(",")
    for i, s in enumerate(parts):
        if s not in LIST_STATUSES:
            msg = f"status[{i}] is not one of {', '.join(LIST_STATUSES)}."
            raise invalid_param("status", msg, "rest_not_in_enum")
    return parts


def _where(ctx: Ctx) -> tuple[str, list[Any]]:
    where, args = ["type='order'"], []
    statuses = _statuses(ctx)
    if "any" in statuses:
        where.append("status NOT IN ('trash','auto-draft')")
    else:
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        args += statuses
    is_gmt = ctx.bool_param("dates_are_gmt")
    for name, column, op in (("after", "created_gmt", ">"), ("before", "created_gmt", "<"),
                             ("modified_after", "modified_gmt", ">"),
                             ("modified_before", "modified_gmt", "<")):
        value = date_param(ctx, name)
        if value is not None:
            # dates_are_gmt=false compares against the site-local column
            where.append(f"{column} {op} ?")
            args.append(ctx.site.clock.to_gmt(value, is_gmt))
    for name, column in (("customer", "customer_id"),):
        value = ctx.int_param(name)
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    for name, op in (("include", "IN"), ("exclude", "NOT IN"), ("parent", "IN"),
                     ("parent_exclude", "NOT IN")):
        ids = id_list(ctx, name)
        if ids:
            column = "parent_id" if name.startswith("parent") else "id"
            where.append(f"{column} {op} ({','.join(str(i) for i in ids)})")
    return " AND ".join(where), args


@routes.add("GET", "orders", "list")
def list_orders(ctx: Ctx) -> Reply:
    win = window(ctx, ORDERBY)
    where, args = _where(ctx)
    column = {"modified": "modified_gmt", "date": "created_gmt"}.get(win.orderby, "id")
    direction = win.order.upper()
    found = ctx.site.db.query_posts(where, tuple(args), f"{column} {direction}, id {direction}")
    product = ctx.int_param("product")
    if product:
        found = [o for o in found if any(product in (i["product_id"], i["variation_id"])
                                         for i in o["line_items"])]
    search = ctx.param("search")
    if search:
        needle = str(search).lower()
        found = [o for o in found if needle in str(o["billing"]).lower() or needle == str(o["id"])]
    return paginate(ctx, found, win, lambda o: render.order(ctx.site, o, ctx.home, ctx.dp))


@routes.add("POST", "orders", "create")
def create_order(ctx: Ctx) -> Reply:
    if ctx.data().get("id"):
        raise WooError("woocommerce_rest_shop_order_exists", "Cannot create existing order.", 400)
    order = orders.create(ctx.site, ctx.data(), ctx.home)
    body = render.order(ctx.site, order, ctx.home, ctx.dp)
    return Reply(body, 201, {"Location": ctx.site.url(ctx.home, f"orders/{order['id']}")})


@routes.add("GET", "orders/<id>", "read")
def get_order(ctx: Ctx, id: int) -> Reply:
    return Reply(render.order(ctx.site, orders.get(ctx.site, id), ctx.home, ctx.dp))


@routes.add("POST PUT PATCH", "orders/<id>", "edit")
def update_order(ctx: Ctx, id: int) -> Reply:
    order = orders.update(ctx.site, orders.get(ctx.site, id, status=400), ctx.data())
    return Reply(render.order(ctx.site, order, ctx.home, ctx.dp))


@routes.add("DELETE", "orders/<id>", "delete")
def delete_order(ctx: Ctx, id: int) -> Reply:
    order = orders.get(ctx.site, id)
    body = render.order(ctx.site, order, ctx.home, ctx.dp)
    if ctx.bool_param("force"):
        orders.erase(ctx.site, id)  # a permanent delete fires no webhook
        return Reply(body)
    if order["status"] == "trash":
        raise WooError("woocommerce_rest_already_trashed", "The order has already been deleted.", 410)
    order["_status_before_trash"] = order["status"]
    order["status"] = "trash"
    orders.save(ctx.site, order)
    ctx.site.fire("order.deleted", id)
    return Reply(body)


def _batch_update(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    order = orders.get(ctx.site, int(data["id"]), status=400)
    return render.order(ctx.site, orders.update(ctx.site, order, data), ctx.home, ctx.dp)


def _batch_delete(ctx: Ctx, id_: int) -> dict[str, Any]:
    order = orders.get(ctx.site, int(id_))
    orders.erase(ctx.site, order["id"])  # batch deletes are always force=true
    return render.order(ctx.site, order, ctx.home, ctx.dp)


@routes.add("POST PUT PATCH", "orders/batch", "batch")
def batch_orders(ctx: Ctx) -> Reply:
    return run_batch(
        ctx,
        create=lambda d: render.order(ctx.site, orders.create(ctx.site, d, ctx.home), ctx.home, ctx.dp),
        update=lambda d: _batch_update(ctx, d),
        delete=lambda i: _batch_delete(ctx, i),
    )
