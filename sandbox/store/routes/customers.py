"""/customers, the minimum orders need (customer_id must exist)."""
from __future__ import annotations

from typing import Any

from sandbox.store import orders
from sandbox.store.errors import WooError, missing_params
from sandbox.store.pagination import paginate, window
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes
from sandbox.store.site import Site


def render(site: Site, c: dict[str, Any], home: str) -> dict[str, Any]:
    return {**{k: v for k, v in c.items() if k not in ("date_created_gmt", "date_modified_gmt")},
            **site.clock.dates(c, "date_created", "date_modified"),
            "_links": site.links(home, f"customers/{c['id']}", "customers")}


def _render(ctx: Ctx, c: dict[str, Any]) -> dict[str, Any]:
    return render(ctx.site, c, ctx.home)


@routes.add("GET", "customers", "list")
def list_customers(ctx: Ctx) -> Reply:
    win = window(ctx, ("id", "include", "name", "registered_date"), "name")
    found = ctx.site.db.rows("customers", order=f"id {win.order}")
    if ctx.param("email"):
        found = [c for c in found if c["email"] == ctx.param("email")]
    return paginate(ctx, found, win, lambda c: _render(ctx, c))


@routes.add("POST", "customers", "create")
def create_customer(ctx: Ctx) -> Reply:
    data = ctx.data()
    if not data.get("email"):
        raise missing_params("email")
    if ctx.site.db.execute("SELECT 1 FROM customers WHERE email=?", (data["email"],)).fetchone():
        raise WooError("registration-error-email-exists",
                       "An account is already registered with your email address.", 400)
    now = ctx.site.clock.now_gmt()
    cid = ctx.site.db.next_id("users")
    customer = {
        "id": cid, "date_created_gmt": now, "date_modified_gmt": now, "email": data["email"],
        "first_name": data.get("first_name", ""), "last_name": data.get("last_name", ""),
        "role": "customer", "username": data.get("username") or data["email"].split("@")[0],
        "billing": {**orders.empty_address(True), **(data.get("billing") or {})},
        "shipping": {**orders.empty_address(False), **(data.get("shipping") or {})},
        "is_paying_customer": False, "avatar_url": "", "meta_data": [],
    }
    ctx.site.db.save_row("customers", "id", cid, customer, email=data["email"])
    ctx.site.fire("customer.created", cid)
    return Reply(_render(ctx, customer), 201)


@routes.add("GET", "customers/<id>", "read")
def get_customer(ctx: Ctx, id: int) -> Reply:
    customer = ctx.site.db.get_row("customers", "id", id)
    if customer is None:
        raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
    return Reply(_render(ctx, customer))
