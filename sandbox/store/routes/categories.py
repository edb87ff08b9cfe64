"""/products/categories and /products/categories/batch (WC_REST_Product_Categories_Controller).

Unlike the post controllers, an unknown id is 404 `woocommerce_rest_term_invalid`
on every method, because the terms controller checks it in the permission
callback. The batch route skips that callback, so there an unknown id fails
further in, the way WooCommerce does.
"""
from __future__ import annotations

from typing import Any

from sandbox.store import categories
from sandbox.store.errors import WooError, bare_wp_error, invalid_param, missing_params
from sandbox.store.pagination import id_list, paginate, window
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes
from sandbox.store.routes.batch import run_batch

BASE = "products/categories"
ORDERBY = ("id", "include", "name", "slug", "term_group", "description", "count")


def _term(ctx: Ctx, id_: int) -> dict[str, Any]:
    term = categories.get(ctx.site, id_)
    if term is None:
        raise WooError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)
    return term


def _validate(data: dict[str, Any]) -> dict[str, Any]:
    """The item schema's types and enum, checked before the callback runs."""
    for name in ("name", "slug", "description"):
        if name in data and data[name] is not None and not isinstance(data[name], str):
            raise invalid_param(name, f"{name} is not of type string.")
    for name in ("parent", "menu_order"):
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not (isinstance(value, int) or str(value).lstrip("-").isdigit()):
            raise invalid_param(name, f"{name} is not of type integer.")
        if not -2**31 <= int(value) < 2**31:
            raise invalid_param(name, f"{name} is not of type integer.")
    if data.get("display") is not None and data["display"] not in categories.DISPLAY:
        raise invalid_param("display", "display is not one of default, products, subcategories, and both.",
                            "rest_not_in_enum")
    return data


def _render(ctx: Ctx, term: dict[str, Any], count_map: dict[int, int] | None = None) -> dict[str, Any]:
    return categories.render(ctx.site, term, ctx.home, count_map)


@routes.add("GET", BASE, "list")
def list_categories(ctx: Ctx) -> Reply:
    win = window(ctx, ORDERBY, default_orderby="name", default_order="asc")
    count_map = categories.counts(ctx.site)
    found = categories.all_terms(ctx.site)
    include, exclude = id_list(ctx, "include"), id_list(ctx, "exclude")
    if include:
        found = [t for t in found if t["id"] in include]
    if exclude:
        found = [t for t in found if t["id"] not in exclude]
    parent = ctx.int_param("parent")
    if parent is not None:
        found = [t for t in found if t["parent"] == abs(parent)]
    slugs = ctx.param("slug")
    if slugs not in (None, ""):
        wanted = slugs if isinstance(slugs, list) else [categories.sanitize_title(slugs)]
        found = [t for t in found if t["slug"] in wanted]
    search = ctx.param("search")
    if search:
        needle = str(search).lower()
        found = [t for t in found if needle in t["name"].lower() or needle in t["slug"]]
    product = ctx.int_param("product")
    if product:
        owned = set((ctx.site.db.get_post(product, "product") or {}).get("category_ids") or [])
        found = [t for t in found if t["id"] in owned]
    if ctx.bool_param("hide_empty"):
        # hierarchical get_terms keeps an empty term whose descendants have products
        found = [t for t in found if count_map.get(t["id"]) or any(
            count_map.get(d) for d in categories.descendants(ctx.site, t["id"]))]
    keys = {"id": lambda t: t["id"], "name": lambda t: t["name"].lower(),
            "slug": lambda t: t["slug"], "description": lambda t: t["description"],
            "count": lambda t: count_map.get(t["id"], 0), "term_group": lambda t: 0}
    if win.orderby == "include" and include:
        found.sort(key=lambda t: include.index(t["id"]))
    else:
        key = keys.get(win.orderby, keys["id"])
        found.sort(key=lambda t: (key(t), t["id"]), reverse=win.order == "desc")
    return paginate(ctx, found, win, lambda t: _render(ctx, t, count_map))


@routes.add("POST", BASE, "create")
def create_category(ctx: Ctx) -> Reply:
    data = _validate(ctx.data())
    if "name" not in data:
        raise missing_params("name")
    term = categories.create(ctx.site, data)
    return Reply(_render(ctx, term), 201, {"Location": ctx.site.url(ctx.home, f"{BASE}/{term['id']}")})


@routes.add("GET", f"{BASE}/<id>", "read")
def get_category(ctx: Ctx, id: int) -> Reply:
    return Reply(_render(ctx, _term(ctx, id)))


@routes.add("POST PUT PATCH", f"{BASE}/<id>", "edit")
def update_category(ctx: Ctx, id: int) -> Reply:
    term = _term(ctx, id)
    return Reply(_render(ctx, categories.update(ctx.site, term, _validate(ctx.data()))))


@routes.add("DELETE", f"{BASE}/<id>", "delete")
def delete_category(ctx: Ctx, id: int) -> Reply:
    term = _term(ctx, id)
    if not ctx.bool_param("force"):
        raise WooError("woocommerce_rest_trash_not_supported", "Resource does not support trashing.", 501)
    body = _render(ctx, term)  # rendered before it goes, as the controller does
    categories.delete(ctx.site, term)
    return Reply(body)


@routes.add("POST PUT PATCH", f"{BASE}/batch", "batch")
def batch_categories(ctx: Ctx) -> Reply:
    def create(d: dict) -> dict:
        return _render(ctx, categories.create(ctx.site, _validate(d)))

    def update(d: dict) -> dict:
        term = categories.get(ctx.site, _int(d.get("id")))
        if term is None:  # update_item on a null term: wp_update_term(null, null)
            raise bare_wp_error("invalid_taxonomy", "Invalid taxonomy.")
        return _render(ctx, categories.update(ctx.site, term, _validate(d)))

    def delete(i: Any) -> dict:
        term = categories.get(ctx.site, _int(i))
        if term is None:  # wp_delete_term finds nothing
            raise WooError("woocommerce_rest_cannot_delete", "The resource cannot be deleted.", 500)
        body = _render(ctx, term)
        categories.delete(ctx.site, term)
        return body

    return run_batch(ctx, create=create, update=update, delete=delete)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
