"""What a warehouse does to stock in the sandbox ERP, over plain JSON-RPC as
a Tryton user would: products with stock, and counts that change it. For
the tests and the benchmarks (product code never imports the sandbox)."""
from __future__ import annotations

from decimal import Decimal

from systems.erp.tryton.rpc import TrytonRpc


async def create_stocked_products(rpc: TrytonRpc, skus: list[str], price: Decimal,
                                  stock: int) -> dict[str, int]:
    """Several such products in a few calls, `stock` units each: sku -> product id."""
    unit, = await rpc.search("product.uom", [["name", "=", "Unit"]], limit=1)
    category, = await rpc.search("product.category", [["name", "=", "Shop"]], limit=1)
    await rpc.create("product.template", [{
        "name": f"Print {sku}", "type": "goods", "salable": True, "list_price": price,
        "cost_price_method": "fixed", "default_uom": unit, "sale_uom": unit,
        "account_category": category,
        "products": [["create", [{"suffix_code": sku}]]]} for sku in skus])
    rows = await rpc.search_read("product.product", [["code", "in", skus]], ["code"])
    ids = {r["code"]: r["id"] for r in rows}
    storage = await storage_location(rpc)
    inventory, = await rpc.create("stock.inventory", [{
        "location": storage, "empty_quantity": "keep",
        "lines": [["create", [{"product": ids[s], "quantity": stock} for s in skus]]]}])
    await rpc.button("stock.inventory", "confirm", [inventory])
    return ids


async def storage_location(rpc: TrytonRpc) -> int:
    warehouse, = await rpc.search("stock.location", [["type", "=", "warehouse"]], limit=1,
                                  order=[["id", "ASC"]])
    row, = await rpc.read("stock.location", [warehouse], ["storage_location"])
    return row["storage_location"]


async def adjust(rpc: TrytonRpc, deltas: dict[int, int]) -> None:
    """A warehouse count that finds `delta` more (or fewer) units of each
    product than the books say: one stock inventory, confirmed, so one
    transaction with one stock move per product (a receipt or a loss)."""
    storage = await storage_location(rpc)
    rows = await rpc.read("product.product", list(deltas), ["quantity"],
                          context={"locations": [storage]})
    lines = [{"product": r["id"], "quantity": r["quantity"] + deltas[r["id"]]}
             for r in rows if deltas[r["id"]]]
    if not lines:
        return
    inventory, = await rpc.create("stock.inventory", [{
        "location": storage, "empty_quantity": "keep", "lines": [["create", lines]]}])
    await rpc.button("stock.inventory", "confirm", [inventory])
