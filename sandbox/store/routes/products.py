"""/products, /products/<id>/variations and their batch endpoints (CONTRACT.md 4)."""
from __future__ import annotations

from typing import Any

from sandbox.store import categories, products
from sandbox.store.errors import WooError, invalid_id
from sandbox.store.pagination import id_list, paginate, window
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes
from sandbox.store.routes.batch import run_batch

ORDERBY = ("date", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order")
VARIATION_VIA_PRODUCT = ("To manipulate product variations you should use the "
                         "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.")


def _render(ctx: Ctx, obj: dict[str, Any]) -> dict[str, Any]:
    return products.render(ctx.site, obj, ctx.home)


def _product(ctx: Ctx, id_: int, status: int = 404) -> dict[str, Any]:
    obj = products.get(ctx.site, id_)
    if obj is None:
        raise invalid_id("product", status)
    return obj


def _editable_product(ctx: Ctx, id_: int, status: int = 400) -> dict[str, Any]:
    obj = _product(ctx, id_, status)
    if obj["type"] == "variation":
        raise WooError("woocommerce_rest_invalid_product_id", VARIATION_VIA_PRODUCT, 404)
    return obj


@routes.add("GET", "products", "list")
def list_products(ctx: Ctx) -> Reply:
    win = window(ctx, ORDERBY)
    skus = [s for s in str(ctx.param("sku") or "").split(",") if s]
    if skus:  # exact SKUs, over products and variations alike
        marks = ",".join("?" * len(skus))
        where, args = f"type IN ('product','variation') AND sku IN ({marks})", tuple(skus)
    else:
        where, args = "type='product'", ()
    column = {"date": "created_gmt", "modified": "modified_gmt"}.get(win.orderby, "id")
    found = ctx.site.db.query_posts(where, args, f"{column} {win.order}, id {win.order}")
    for name in ("type", "status", "stock_status"):
        if ctx.param(name):
            found = [p for p in found if p.get(name) == ctx.param(name)]
    include = id_list(ctx, "include")
    if include:
        found = [p for p in found if p["id"] in include]
    category = _leading_int(ctx.param("category"))
    if category:  # a tax_query on product_cat: include_children by default
        wanted = {category} | categories.descendants(ctx.site, category)
        found = [p for p in found if wanted & set(p.get("category_ids") or [])]
    if ctx.param("search"):
        needle = str(ctx.param("search")).lower()
        found = [p for p in found if needle in p["name"].lower()]
    if ctx.param("search_sku"):
        found = [p for p in found if str(ctx.param("search_sku")) in (p["sku"] or "")]
    return paginate(ctx, found, win, lambda p: _render(ctx, p))


@routes.add("POST", "products", "create")
def create_product(ctx: Ctx) -> Reply:
    obj = products.create(ctx.site, ctx.data())
    return Reply(_render(ctx, obj), 201, {"Location": ctx.site.url(ctx.home, f"products/{obj['id']}")})


@routes.add("GET", "products/<id>", "read")
def get_product(ctx: Ctx, id: int) -> Reply:
    return Reply(_render(ctx, _product(ctx, id)))


@routes.add("POST PUT PATCH", "products/<id>", "edit")
def update_product(ctx: Ctx, id: int) -> Reply:
    return Reply(_render(ctx, products.update(ctx.site, _editable_product(ctx, id), ctx.data())))


@routes.add("DELETE", "products/<id>", "delete")
def delete_product(ctx: Ctx, id: int) -> Reply:
    obj = _editable_product(ctx, id, 404)
    body = _render(ctx, obj)
    if ctx.bool_param("force"):
        ctx.site.db.delete_post(id)  # wp_delete_post: product.deleted hooks wp_trash_post only
    else:
        obj["status"] = "trash"
        products.save(ctx.site, obj)
        ctx.site.fire("product.deleted", id)
    return Reply(body)


@routes.add("POST PUT PATCH", "products/batch", "batch")
def batch_products(ctx: Ctx) -> Reply:
    def update(d: dict) -> dict:
        return _render(ctx, products.update(ctx.site, _editable_product(ctx, _item_id(d)), d))

    def delete(i: Any) -> dict:
        obj = _editable_product(ctx, int(i), 404)
        ctx.site.db.delete_post(obj["id"])
        return _render(ctx, obj)

    return run_batch(ctx, create=lambda d: _render(ctx, products.create(ctx.site, d)),
                     update=update, delete=delete)


# -- variations -----------------------------------------------------------------
def _parent(ctx: Ctx, product_id: int) -> dict[str, Any]:
    parent = ctx.site.db.get_post(product_id, "product")
    if parent is None:
        raise invalid_id("product", 404)
    return parent


def _variation(ctx: Ctx, product_id: int, id_: int, status: int = 404) -> dict[str, Any]:
    obj = ctx.site.db.get_post(id_, "variation")
    if obj is None or obj["parent_id"] != product_id:
        raise invalid_id("product_variation", status)
    return obj


def _render_var(ctx: Ctx, obj: dict[str, Any]) -> dict[str, Any]:
    return products.render_variation(ctx.site, obj, ctx.home)


@routes.add("GET", "products/<product_id>/variations", "list")
def list_variations(ctx: Ctx, product_id: int) -> Reply:
    win = window(ctx, ORDERBY)
    found = [ctx.site.db.get_post(v, "variation") for v in _parent(ctx, product_id)["variations"]]
    found = [v for v in found if v]
    skus = [s for s in str(ctx.param("sku") or "").split(",") if s]
    if skus:
        found = [v for v in found if v["sku"] in skus]
    return paginate(ctx, found, win, lambda v: _render_var(ctx, v))


@routes.add("POST", "products/<product_id>/variations", "create")
def create_variation(ctx: Ctx, product_id: int) -> Reply:
    obj = products.create(ctx.site, ctx.data(), parent=_parent(ctx, product_id))
    return Reply(_render_var(ctx, obj), 201)


@routes.add("GET", "products/<product_id>/variations/<id>", "read")
def get_variation(ctx: Ctx, product_id: int, id: int) -> Reply:
    return Reply(_render_var(ctx, _variation(ctx, product_id, id)))


@routes.add("POST PUT PATCH", "products/<product_id>/variations/<id>", "edit")
def update_variation(ctx: Ctx, product_id: int, id: int) -> Reply:
    obj = _variation(ctx, product_id, id, 400)
    return Reply(_render_var(ctx, products.update(ctx.site, obj, ctx.data())))


@routes.add("POST PUT PATCH", "products/<product_id>/variations/batch", "batch")
def batch_variations(ctx: Ctx, product_id: int) -> Reply:
    parent = _parent(ctx, product_id)

    def update(d: dict) -> dict:
        obj = _variation(ctx, product_id, _item_id(d), 400)
        return _render_var(ctx, products.update(ctx.site, obj, d))

    def delete(i: Any) -> dict:
        obj = _variation(ctx, product_id, int(i))
        ctx.site.db.delete_post(obj["id"])
        return _render_var(ctx, obj)

    return run_batch(ctx, create=lambda d: _render_var(ctx, products.create(ctx.site, d, parent)),
                     update=update, delete=delete)


def _item_id(d: Any) -> int:
    """absint($item['id']) of a batch update item: missing or junk is 0, an invalid id."""
    try:
        return abs(int(d.get("id", 0))) if isinstance(d, dict) else 0
    except (TypeError, ValueError):
        return 0


def _leading_int(value: Any) -> int:
    """PHP's intval on the `category` string: "12,13" is 12."""
    digits = ""
    for ch in str(value or "").strip():
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0
