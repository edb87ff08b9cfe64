"""Product categories: the `product_cat` taxonomy as WordPress keeps it.

Terms have their own id sequence (a fresh WordPress + WooCommerce install
gives the default "Uncategorized" product category id 15). What third-party
connectors trip over is reproduced from wp_insert_term / wp_update_term /
wp_delete_term (WordPress 6.8) and WC_REST_Terms_Controller:

- names are stored sanitized: tags stripped, `&`, `<`, `>` as entities, so
  "Tools & Hardware" reads back as "Tools &amp; Hardware";
- a sibling with the same name (any case) is `term_exists` with its id; the
  same name under another parent is fine and gets a slug suffixed with the
  parent's slug;
- updates never check names, only slugs (`duplicate_term_slug`, HTTP 500);
- deleting a term moves its children to its parent and gives products left
  without a category the default one; the default cannot be deleted.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from sandbox.store.errors import WooError, bare_wp_error
from sandbox.store.site import Site

TAXONOMY = "product_cat"
FIRST_ID = 15
DEFAULT = {"name": "Uncategorized", "slug": "uncategorized"}
DISPLAY = ("default", "products", "subcategories", "both")
ENTITY = re.compile(r"&(?!(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);)")


# -- WordPress's sanitizers -----------------------------------------------------------
def sanitize_name(value: Any) -> str:
    """pre_term_name: sanitize_text_field, wp_filter_kses, _wp_specialchars
    (ENT_NOQUOTES, existing entities kept)."""
    text = str(value if value is not None else "")
    text = re.sub(r"<[^>]*>", "", text)  # wp_strip_all_tags
    text = re.sub(r"[\r\n\t ]+", " ", text).strip()
    text = re.sub(r"%[a-fA-F0-9]{2}", "", text)  # sanitize_text_field drops octets
    text = ENTITY.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def sanitize_title(value: Any) -> str:
    """sanitize_title($title, '', 'save'): remove_accents + sanitize_title_with_dashes."""
    text = re.sub(r"<[^>]*>", "", str(value or ""))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[\u00a0\u2013\u2014]|&nbsp;|&ndash;|&mdash;", "-", text)
    text = "".join(quote(c.lower(), safe="") if ord(c) > 127 else c for c in text).lower()
    text = re.sub(r"&.+?;", "", text)  # kill entities
    text = text.replace(".", "-")
    text = re.sub(r"[^%a-z0-9 _-]", "", text)
    text = re.sub(r"\s+", "-", text)
    return re.sub(r"-+", "-", text).strip("-")


# -- storage --------------------------------------------------------------------------
def get(site: Site, term_id: int) -> dict[str, Any] | None:
    return site.db.get_row("terms", "id", term_id)


def all_terms(site: Site) -> list[dict[str, Any]]:
    return site.db.rows("terms", "taxonomy=?", (TAXONOMY,), "id")


def default_id(site: Site) -> int:
    return int(site.db.kv_get("default_product_cat") or 0)


def _save(site: Site, term: dict[str, Any]) -> None:
    site.db.save_row("terms", "id", term["id"], term, taxonomy=TAXONOMY,
                     parent=term["parent"], slug=term["slug"])


def _next_id(site: Site) -> int:
    with site.db.tx():
        row = site.db.execute("SELECT value FROM seq WHERE name='terms'").fetchone()
        value = max(row["value"] if row else 0, FIRST_ID - 1) + 1
        site.db.execute("INSERT OR REPLACE INTO seq (name, value) VALUES ('terms', ?)", (value,))
        return value


def ensure_default(site: Site) -> None:
    """The default product category, and products from before categories existed."""
    if default_id(site):
        return
    term = _insert(site, DEFAULT["name"], DEFAULT["slug"], 0, "")
    site.db.kv_set("default_product_cat", term["id"])
    for product in site.db.query_posts("type='product'", (), "id"):
        if "category_ids" not in product:
            product["category_ids"] = [term["id"]]
            site.db.save_post(product, "product")


def _insert(site: Site, name: str, slug: str, parent: int, description: str) -> dict[str, Any]:
    term = {"id": _next_id(site), "name": name, "slug": slug, "parent": parent,
            "description": description, "display": "", "menu_order": 0}
    if not term["slug"]:
        term["slug"] = str(term["id"])  # sanitize_title('', $term_id)
    _save(site, term)
    return term


def _by_slug(site: Site, slug: str, other_than: int = 0) -> dict[str, Any] | None:
    return next((t for t in all_terms(site) if t["slug"] == slug and t["id"] != other_than), None)


def _children(site: Site, parent: int) -> list[dict[str, Any]]:
    return [t for t in all_terms(site) if t["parent"] == parent]


def descendants(site: Site, term_id: int) -> set[int]:
    found, todo = set(), [term_id]
    terms = all_terms(site)
    while todo:
        current = todo.pop()
        for t in terms:
            if t["parent"] == current and t["id"] not in found:
                found.add(t["id"])
                todo.append(t["id"])
    return found


def unique_slug(site: Site, slug: str, parent: int, own_id: int = 0) -> str:
    """wp_unique_term_slug: parent slugs first (`shirts-women`), then `-2`, `-3`..."""
    if _by_slug(site, slug, own_id) is None:
        return slug
    suffix, current = "", parent
    while current:
        parent_term = get(site, current)
        if parent_term is None:
            break
        suffix += "-" + parent_term["slug"]
        if _by_slug(site, slug + suffix, own_id) is None:
            break
        current = parent_term["parent"]
    slug += suffix
    if _by_slug(site, slug, own_id) is None:
        return slug
    num = 2
    while _by_slug(site, f"{slug}-{num}") is not None:
        num += 1
    return f"{slug}-{num}"


# -- the REST writes --------------------------------------------------------------------
def _meta_fields(term: dict[str, Any], data: dict[str, Any]) -> None:
    """update_term_meta_fields (display, menu_order; images are not emulated)."""
    if data.get("display") is not None:
        term["display"] = "" if data["display"] == "default" else str(data["display"])
    if data.get("menu_order") is not None:
        term["menu_order"] = int(data["menu_order"])


def create(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """WC_REST_Terms_Controller::create_item + wp_insert_term; errors are 400."""
    name = sanitize_name(data.get("name"))
    if not name.strip():
        raise WooError("empty_term_name", "A name is required for this term.", 400)
    parent = int(data.get("parent") or 0)
    if parent > 0 and get(site, parent) is None:
        raise WooError("missing_parent", "Parent term does not exist.", 400)
    parent = max(parent, 0)
    slug_provided = bool(data.get("slug"))
    slug = sanitize_title(data["slug"] if slug_provided else name)
    siblings = _children(site, parent)
    name_match = next((t for t in siblings if t["name"].lower() == name.lower()), None)
    if name_match is not None:
        slug_match = _by_slug(site, slug)
        if not slug_provided or name_match["slug"] == slug or slug_match:
            existing = None
            if (not slug_provided or name_match["slug"] == slug) and name in [t["name"] for t in siblings]:
                existing = name_match
            elif slug_match and slug in [t["slug"] for t in siblings]:
                existing = slug_match
            if existing is not None:
                raise WooError("term_exists",
                               "A term with the name provided already exists with this parent.",
                               data={"status": 400, "resource_id": existing["id"]})
    term = _insert(site, name, unique_slug(site, slug, parent), parent, str(data.get("description") or ""))
    _meta_fields(term, data)
    _save(site, term)
    return term


def _fix_loop(site: Site, term_id: int, parent: int) -> int:
    """wp_check_term_hierarchy_for_loops: a term cannot sit below itself."""
    if parent == term_id or parent in descendants(site, term_id):
        return 0
    return parent


def update(site: Site, term: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """update_item + wp_update_term: its errors carry no status, so they are HTTP 500."""
    name = sanitize_name(data["name"]) if data.get("name") is not None else term["name"]
    if not name.strip():
        raise bare_wp_error("empty_term_name", "A name is required for this term.")
    parent = term["parent"]
    if data.get("parent") is not None:
        parent = int(data["parent"])
        if parent > 0 and get(site, parent) is None:
            raise bare_wp_error("missing_parent", "Parent term does not exist.")
        parent = _fix_loop(site, term["id"], max(parent, 0))
    given = sanitize_title(data["slug"]) if data.get("slug") is not None else term["slug"]
    slug = given or sanitize_title(name)
    if _by_slug(site, slug, term["id"]) is not None:
        if not given or parent != term["parent"]:
            slug = unique_slug(site, slug, parent, term["id"])
        else:
            raise bare_wp_error("duplicate_term_slug",
                                f"The slug &#8220;{slug}&#8221; is already in use by another term.")
    term.update({"name": name, "slug": slug or str(term["id"]), "parent": parent})
    if data.get("description") is not None:
        term["description"] = str(data["description"])
    _meta_fields(term, data)
    _save(site, term)
    return term


def delete(site: Site, term: dict[str, Any]) -> None:
    """delete_item (force only) + wp_delete_term + AssignDefaultCategory (run at once
    here; WooCommerce schedules it)."""
    if term["id"] == default_id(site):
        raise WooError("woocommerce_rest_cannot_delete", "Default product category cannot be deleted.", 500)
    for child in _children(site, term["id"]):
        child["parent"] = term["parent"]
        _save(site, child)
    site.db.execute("DELETE FROM terms WHERE id=?", (term["id"],))
    for product in site.db.query_posts("type='product'", (), "id"):
        ids = product.get("category_ids") or []
        if term["id"] in ids:
            ids = [i for i in ids if i != term["id"]]
            product["category_ids"] = ids or [default_id(site)]
            site.db.save_post(product, "product")  # term relationships: date_modified stays


# -- products -----------------------------------------------------------------------------
def assign(site: Site, product: dict[str, Any], entries: Any) -> None:
    """set_category_ids + update_terms: ids that exist, in the order given; an empty
    list means the default category; unknown ids are skipped silently."""
    wanted = [_absint(e.get("id")) for e in entries or [] if isinstance(e, dict)]
    wanted = [i for i in wanted if i]
    if not wanted:
        product["category_ids"] = [default_id(site)] if default_id(site) else []
        return
    product["category_ids"] = [i for i in dict.fromkeys(wanted) if get(site, i) is not None]


def _absint(value: Any) -> int:
    try:
        return abs(int(value))
    except (TypeError, ValueError):
        return 0


def product_terms(site: Site, product: dict[str, Any]) -> list[dict[str, Any]]:
    terms = [get(site, i) for i in product.get("category_ids") or []]
    terms = [t for t in terms if t is not None]
    terms.sort(key=lambda t: (t["name"].lower(), t["id"]))  # wp_get_object_terms: by name
    return [{"id": t["id"], "name": t["name"], "slug": t["slug"]} for t in terms]


def counts(site: Site) -> dict[int, int]:
    """term count: published products directly in the category."""
    out: dict[int, int] = {}
    for product in site.db.query_posts("type='product' AND status='publish'", (), "id"):
        for i in product.get("category_ids") or []:
            out[i] = out.get(i, 0) + 1
    return out


def render(site: Site, term: dict[str, Any], home: str,
           count_map: dict[int, int] | None = None) -> dict[str, Any]:
    count_map = counts(site) if count_map is None else count_map
    links = {"self": [{"href": site.url(home, f"products/categories/{term['id']}")}],
             "collection": [{"href": site.url(home, "products/categories")}]}
    if term["parent"] and get(site, term["parent"]) is not None:
        links["up"] = [{"href": site.url(home, f"products/categories/{term['parent']}")}]
    return {"id": term["id"], "name": term["name"], "slug": term["slug"], "parent": term["parent"],
            "description": term["description"], "display": term["display"] or "default",
            "image": None, "menu_order": term["menu_order"], "count": count_map.get(term["id"], 0),
            "_links": links}
