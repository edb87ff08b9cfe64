"""/webhooks (CONTRACT.md 7.6); creating one pings its delivery URL."""
from __future__ import annotations

import secrets
import string
from typing import Any
from urllib.parse import urlparse

from sandbox.store.errors import WooError, missing_params
from sandbox.store.pagination import paginate, window
from sandbox.store.router import Ctx, Reply
from sandbox.store.routes import routes

RESOURCES = ("order", "product", "coupon", "customer")
EVENTS = ("created", "updated", "deleted", "restored")
HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded",
                      "woocommerce_delete_order_refund"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product",
                        "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product",
                        "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"], "product.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"], "coupon.restored": ["untrashed_post"],
}


def _valid_topic(topic: str) -> bool:
    if topic.startswith("action."):
        return topic[7:].startswith(("woocommerce_", "wc_"))
    return topic in HOOKS


def render(ctx: Ctx, w: dict[str, Any]) -> dict[str, Any]:
    return {"id": w["id"], "name": w["name"], "status": w["status"], "topic": w["topic"],
            "resource": w["resource"], "event": w["event"], "hooks": w["hooks"],
            "delivery_url": w["delivery_url"],
            **ctx.site.clock.dates(w, "date_created", "date_modified"),
            "_links": ctx.site.links(ctx.home, f"webhooks/{w['id']}", "webhooks")}


def _apply(w: dict[str, Any], data: dict[str, Any]) -> None:
    if "topic" in data:
        topic = str(data["topic"])
        if not _valid_topic(topic):
            raise WooError("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is invalid.", 400)
        w["topic"] = topic
        w["resource"], _, w["event"] = topic.partition(".")
        w["hooks"] = HOOKS.get(topic, [topic[7:]])
    if "delivery_url" in data:
        url = urlparse(str(data["delivery_url"]))
        if url.scheme not in ("http", "https") or not url.netloc:
            raise WooError("woocommerce_rest_shop_webhook_invalid_delivery_url",
                           "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
        w["delivery_url"] = str(data["delivery_url"])
    if "status" in data:
        if data["status"] not in ("active", "paused", "disabled"):
            raise WooError("woocommerce_rest_shop_webhook_invalid_status", "Webhook status is invalid.", 400)
        w["status"] = data["status"]  # re-enabling keeps failure_count, as WooCommerce does
    for name in ("name", "secret"):
        if data.get(name):
            w[name] = str(data[name])


def _get(ctx: Ctx, id_: int, status: int = 404) -> dict[str, Any]:
    w = ctx.site.db.get_row("webhooks", "id", id_)
    if w is None:
        message = "Invalid ID." if status == 404 else "ID is invalid."
        raise WooError("woocommerce_rest_shop_webhook_invalid_id", message, status)
    return w


def _save(ctx: Ctx, w: dict[str, Any]) -> None:
    w["date_modified_gmt"] = ctx.site.clock.now_gmt()
    ctx.site.db.save_row("webhooks", "id", w["id"], w)


@routes.add("GET", "webhooks", "list")
def list_webhooks(ctx: Ctx) -> Reply:
    win = window(ctx, ("date", "id", "title"))
    found = ctx.site.db.rows("webhooks", order=f"id {win.order}")
    if ctx.param("status") and ctx.param("status") != "all":
        found = [w for w in found if w["status"] == ctx.param("status")]
    return paginate(ctx, found, win, lambda w: render(ctx, w))


@routes.add("POST", "webhooks", "create")
def create_webhook(ctx: Ctx) -> Reply:
    data = ctx.data()
    missing = [n for n in ("topic", "delivery_url") if not data.get(n)]
    if missing:
        raise missing_params(*missing)
    now = ctx.site.clock.now_gmt()
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"
    w: dict[str, Any] = {
        "id": ctx.site.db.next_id("webhooks"), "name": f"Webhook created on {now}",
        "status": "active", "secret": "".join(secrets.choice(alphabet) for _ in range(50)),
        "api_version": "wp_api_v3", "failure_count": 0, "pending_delivery": True, "user_id": 1,
        "date_created_gmt": now, "date_modified_gmt": now,
    }
    _apply(w, data)
    _save(ctx, w)
    service = ctx.site.webhooks
    after = [lambda: service.ping(w)] if service else []  # synchronous, result ignored
    return Reply(render(ctx, w), 201, {"Location": ctx.site.url(ctx.home, f"webhooks/{w['id']}")},
                 after=after)


@routes.add("GET", "webhooks/<id>", "read")
def get_webhook(ctx: Ctx, id: int) -> Reply:
    return Reply(render(ctx, _get(ctx, id)))


@routes.add("POST PUT PATCH", "webhooks/<id>", "edit")
def update_webhook(ctx: Ctx, id: int) -> Reply:
    w = _get(ctx, id, 400)
    _apply(w, ctx.data())
    _save(ctx, w)
    return Reply(render(ctx, w))


@routes.add("DELETE", "webhooks/<id>", "delete")
def delete_webhook(ctx: Ctx, id: int) -> Reply:
    w = _get(ctx, id)
    if not ctx.bool_param("force"):
        raise WooError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
    ctx.site.db.execute("DELETE FROM webhooks WHERE id=?", (id,))
    return Reply(render(ctx, w))
