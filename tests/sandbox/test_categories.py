"""/products/categories as third-party catalogue connectors use it, with the
codes and shapes WooCommerce answers (WC_REST_Terms_Controller, wp_insert_term,
wp_update_term, wp_delete_term)."""
from __future__ import annotations

import pytest

import uuid

from tests.sandbox.support import deliveries, unique

BASE = "products/categories"


@pytest.fixture(scope="module")
def api(sandbox_store):
    return sandbox_store.api()


def _create(api, **fields) -> dict:
    resp = api.post(BASE, fields)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _error(resp, status: int, code: str) -> dict:
    assert (resp.status_code, resp.json()["code"]) == (status, code), resp.text
    return resp.json()


def _default(api) -> dict:
    (found,) = api.get(BASE, params={"slug": "uncategorized"}).json()
    return found


class ErpConnector:
    """What a community ERP connector does with its category tree: look a
    category up by name under its parent, create it when missing, adopt the
    existing id when WooCommerce says `term_exists`, keep a map ERP -> Woo."""

    def __init__(self, api):
        self.api = api
        self.ids: dict[str, int] = {}

    def push(self, code: str, name: str, parent_code: str | None = None) -> int:
        parent = self.ids[parent_code] if parent_code else 0
        resp = self.api.post(BASE, {"name": name, "parent": parent})
        if resp.status_code == 400 and resp.json()["code"] == "term_exists":
            self.ids[code] = resp.json()["data"]["resource_id"]
        else:
            assert resp.status_code == 201, resp.text
            self.ids[code] = resp.json()["id"]
        return self.ids[code]

    def push_batch(self, items: list[tuple[str, str, str | None]]) -> list[dict]:
        body = {"create": [{"name": n, "parent": self.ids.get(p, 0) if p else 0} for _, n, p in items]}
        resp = self.api.post(f"{BASE}/batch", body)
        assert resp.status_code == 200, resp.text
        results = resp.json()["create"]
        for (code, _, _), result in zip(items, results):
            if "error" in result and result["error"]["code"] == "term_exists":
                self.ids[code] = result["error"]["data"]["resource_id"]
            elif "error" not in result:
                self.ids[code] = result["id"]
        return results


def test_an_erp_connector_pushes_its_tree_and_assigns_it(sandbox_store, api):
    erp = ErpConnector(api)
    top = unique("Tools & Hardware")
    parent = erp.push("T", top)
    created = api.get(f"{BASE}/{parent}").json()
    assert created["name"] == top.replace("&", "&amp;")  # stored sanitized, read back encoded
    assert created["slug"] == top.lower().replace(" & ", "-").replace(" ", "-")
    assert (created["parent"], created["count"], created["display"], created["image"]) == (
        0, 0, "default", None)
    child = erp.push("T/H", "Hand Tools", "T")
    assert api.get(f"{BASE}/{child}").json()["_links"]["up"][0]["href"].endswith(f"/{BASE}/{parent}")

    # a second run of the same sync: WooCommerce names the existing ids
    assert erp.push("T", top.upper()) == parent  # the name check ignores case
    again = api.post(BASE, {"name": "Hand Tools", "parent": parent})
    assert _error(again, 400, "term_exists")["data"] == {"status": 400, "resource_id": child}
    assert again.json()["message"] == "A term with the name provided already exists with this parent."

    # the rest of the tree in one batch, one of them already there
    results = erp.push_batch([("T/P", "Power Tools", "T"), ("T/H", "Hand Tools", "T"),
                              ("H", "Hand Tools", None)])
    assert [r.get("id") for r in results][1] == 0 and results[1]["error"]["code"] == "term_exists"
    assert erp.ids["T/H"] == child
    top_level_hand = api.get(f"{BASE}/{erp.ids['H']}").json()
    child_slug = api.get(f"{BASE}/{child}").json()["slug"]
    assert top_level_hand["parent"] == 0 and top_level_hand["slug"] != child_slug  # made unique
    update = api.post(f"{BASE}/batch", {"update": [
        {"id": child, "description": "From the ERP", "menu_order": 3},
        {"id": erp.ids["T/P"], "name": "Power Tools (Corded)"}]}).json()["update"]
    assert (update[0]["description"], update[0]["menu_order"]) == ("From the ERP", 3)
    assert update[1]["name"] == "Power Tools (Corded)" and update[1]["slug"] == results[0]["slug"]  # kept

    product = api.post("products", {"name": unique("Hammer"), "regular_price": "12.00",
                                    "categories": [{"id": child}, {"id": erp.ids["T/P"]}]})
    assert product.status_code == 201, product.text
    assert [(c["id"], c["name"]) for c in product.json()["categories"]] == [
        (child, "Hand Tools"), (erp.ids["T/P"], "Power Tools (Corded)")]  # by name
    assert api.get(f"{BASE}/{child}").json()["count"] == 1
    children = api.get(BASE, params={"parent": parent, "per_page": 1})
    assert (children.headers["X-WP-Total"], children.headers["X-WP-TotalPages"]) == ("2", "2")
    assert [c["id"] for c in children.json()] == [child]  # ordered by name, ascending
    in_tree = api.get("products", params={"category": parent, "per_page": 100}).json()
    assert product.json()["id"] in [p["id"] for p in in_tree]  # a child's products count for the parent


def test_a_product_without_categories_is_uncategorized_and_unknown_ids_are_skipped(api):
    default = _default(api)
    plain = api.post("products", {"name": unique("Plain"), "regular_price": "1.00"}).json()
    assert plain["categories"] == [{"id": default["id"], "name": "Uncategorized", "slug": "uncategorized"}]
    cat = _create(api, name=unique("Real"))
    moved = api.put(f"products/{plain['id']}", {"categories": [{"id": 987654}, {"id": cat["id"]}]}).json()
    assert [c["id"] for c in moved["categories"]] == [cat["id"]]
    gone = api.put(f"products/{plain['id']}", {"categories": [{"id": 987654}]}).json()
    assert gone["categories"] == []  # a non-empty list of unknown ids leaves none, not the default
    back = api.put(f"products/{plain['id']}", {"categories": []}).json()
    assert [c["id"] for c in back["categories"]] == [default["id"]]


def test_errors_have_woocommerces_codes_and_shapes(api):
    missing = api.get(f"{BASE}/987654")
    assert _error(missing, 404, "woocommerce_rest_term_invalid") == {
        "code": "woocommerce_rest_term_invalid", "message": "Resource does not exist.",
        "data": {"status": 404}}
    _error(api.put(f"{BASE}/987654", {"name": "x"}), 404, "woocommerce_rest_term_invalid")
    _error(api.delete(f"{BASE}/987654", params={"force": "true"}), 404, "woocommerce_rest_term_invalid")

    cat = _create(api, name=unique("Trashless"))
    trash = _error(api.delete(f"{BASE}/{cat['id']}"), 501, "woocommerce_rest_trash_not_supported")
    assert trash["message"] == "Resource does not support trashing."
    _error(api.delete(f"{BASE}/{_default(api)['id']}", params={"force": "true"}), 500,
           "woocommerce_rest_cannot_delete")

    assert _error(api.post(BASE, {"description": "no name"}), 400,
                  "rest_missing_callback_param")["data"]["params"] == ["name"]
    _error(api.post(BASE, {"name": "<b></b>"}), 400, "empty_term_name")
    _error(api.post(BASE, {"name": unique("Orphan"), "parent": 987654}), 400, "missing_parent")
    _error(api.post(BASE, {"name": unique("Shown"), "display": "grid"}), 400, "rest_invalid_param")
    _error(api.post(BASE, {"name": unique("Ordered"), "menu_order": "first"}), 400, "rest_invalid_param")

    other = _create(api, name=unique("Taken"))
    clash = api.put(f"{BASE}/{cat['id']}", {"slug": other["slug"]})
    assert clash.status_code == 500  # wp_update_term's WP_Error has no status
    message = f"The slug &#8220;{other['slug']}&#8221; is already in use by another term."
    assert clash.json() == {"code": "duplicate_term_slug", "message": message, "data": None}
    # names are only checked on create: an update may duplicate one
    assert api.put(f"{BASE}/{cat['id']}", {"name": other["name"]}).json()["name"] == other["name"]

    batch = api.post(f"{BASE}/batch", {"create": [{"description": "nameless"}],
                                       "update": [{"id": 987654, "name": "x"}],
                                       "delete": [987654, 0]}).json()
    assert batch["create"][0] == {"id": 0, "error": {"code": "empty_term_name", "data": {"status": 400},
                                                     "message": "A name is required for this term."}}
    assert batch["update"][0]["error"] == {"code": "invalid_taxonomy", "message": "Invalid taxonomy.",
                                           "data": None}
    assert batch["delete"] == [{"id": 987654, "error": {
        "code": "woocommerce_rest_cannot_delete", "message": "The resource cannot be deleted.",
        "data": {"status": 500}}}]  # id 0 is skipped


def test_deleting_moves_children_up_and_products_to_the_default(api):
    root = _create(api, name=unique("Root"))
    middle = _create(api, name="Middle", parent=root["id"])
    leaf = _create(api, name="Leaf", parent=middle["id"])
    product = api.post("products", {"name": unique("Boxed"), "regular_price": "3.00",
                                    "categories": [{"id": middle["id"]}]}).json()
    gone = api.delete(f"{BASE}/{middle['id']}", params={"force": "true"})
    assert gone.status_code == 200 and gone.json()["id"] == middle["id"] and gone.json()["count"] == 1
    assert api.get(f"{BASE}/{leaf['id']}").json()["parent"] == root["id"]
    after = api.get(f"products/{product['id']}").json()
    assert [c["slug"] for c in after["categories"]] == ["uncategorized"]
    assert after["date_modified_gmt"] == product["date_modified_gmt"]  # terms only, not the product


def test_slugs_follow_wordpress(api):
    women, men = _create(api, name=unique("Women")), _create(api, name=unique("Men"))
    shirts = unique("Shirts")
    first = _create(api, name=shirts, parent=women["id"])
    second = _create(api, name=shirts, parent=men["id"])
    assert second["slug"] == f"{first['slug']}-{men['slug']}"  # parent's slug, then numbers
    third = _create(api, name=shirts, parent=_create(api, name=unique("Kids"))["id"],
                    slug=first["slug"])
    assert third["slug"].startswith(first["slug"] + "-")
    accented = _create(api, name=unique("Café Crème"))
    assert accented["slug"].startswith("cafe-creme-")
    # a wanted slug for a sibling of the same name: allowed, it is a different term
    twin = _create(api, name=shirts, parent=women["id"], slug=unique("shirts alt").replace(" ", "-"))
    assert twin["id"] != first["id"] and twin["name"] == shirts


def test_list_filters_order_and_pages(api):
    root = _create(api, name=unique("Listing"))
    tag = uuid.uuid4().hex[:6]  # child names of their own, not matching a search for root's
    names = ["beta", "Alpha", "gamma", "delta"]
    made = {n: _create(api, name=f"{n} {tag}", parent=root["id"]) for n in names}
    listed = api.get(BASE, params={"parent": root["id"]}).json()
    assert [c["name"].split()[0] for c in listed] == ["Alpha", "beta", "delta", "gamma"]  # any case
    desc = api.get(BASE, params={"parent": root["id"], "orderby": "id", "order": "desc"}).json()
    assert [c["id"] for c in desc] == sorted((c["id"] for c in made.values()), reverse=True)
    page2 = api.get(BASE, params={"parent": root["id"], "per_page": 3, "page": 2})
    assert [c["id"] for c in page2.json()] == [made["gamma"]["id"]] and 'rel="prev"' in page2.headers["Link"]
    past = api.get(BASE, params={"parent": root["id"], "per_page": 3, "page": 5})
    assert past.status_code == 200 and past.json() == [] and past.headers["X-WP-Total"] == "4"
    only = api.get(BASE, params={"include": f"{made['beta']['id']},{made['gamma']['id']}",
                                 "exclude": made["gamma"]["id"]}).json()
    assert [c["id"] for c in only] == [made["beta"]["id"]]
    assert [c["id"] for c in api.get(BASE, params={"search": root["name"][-8:]}).json()] == [root["id"]]
    api.post("products", {"name": unique("Stocked"), "regular_price": "2.00",
                          "categories": [{"id": made["delta"]["id"]}]})
    non_empty = api.get(BASE, params={"hide_empty": "true", "per_page": 100,
                                      "search": root["name"][-8:]}).json()
    assert [c["id"] for c in non_empty] == [root["id"]]  # empty itself, kept for its child
    kids = api.get(BASE, params={"parent": root["id"], "hide_empty": "true"}).json()
    assert [c["id"] for c in kids] == [made["delta"]["id"]]
    too_many = api.get(BASE, params={"per_page": 101})
    _error(too_many, 400, "rest_invalid_param")
    _error(api.get(BASE, params={"orderby": "date"}), 400, "rest_invalid_param")


def test_a_permanent_product_delete_fires_no_webhook(sandbox_store, webhook_receiver, hook):
    hook("product.deleted")
    api = sandbox_store.api()
    kept = api.post("products", {"name": unique("Trashed"), "regular_price": "1.00"}).json()
    erased = api.post("products", {"name": unique("Erased"), "regular_price": "1.00"}).json()
    assert api.delete(f"products/{kept['id']}").json()["id"] == kept["id"]
    assert api.delete(f"products/{erased['id']}", params={"force": "true"}).status_code == 200
    sandbox_store.drain_webhooks()
    assert deliveries(webhook_receiver, "product.deleted") == [{"id": kept["id"]}]
