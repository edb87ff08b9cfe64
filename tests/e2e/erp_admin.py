"""What an ERP administrator does by hand in Tryton, over plain JSON-RPC:
here, mapping a SKU the store sells by creating the product and its stock."""
from __future__ import annotations

from decimal import Decimal

from sandbox.erp.stock_admin import adjust, create_stocked_products, storage_location
from systems.erp.tryton.rpc import TrytonRpc

__all__ = ["adjust", "create_stocked_product", "create_stocked_products", "storage_location"]


async def create_stocked_product(rpc: TrytonRpc, sku: str, price: Decimal, stock: int) -> int:
    """A salable goods product coded `sku`, in the seeded accounting category
    (so it carries the sales tax), with `stock` units in the warehouse."""
    unit, = await rpc.search("product.uom", [["name", "=", "Unit"]], limit=1)
    category, = await rpc.search("product.category", [["name", "=", "Shop"]], limit=1)
    template, = await rpc.create("product.template", [{
        "name": f"Print {sku}", "type": "goods", "salable": True, "list_price": price,
        "cost_price_method": "fixed", "default_uom": unit, "sale_uom": unit,
        "account_category": category,
        "products": [["create", [{"suffix_code": sku}]]]}])
    product, = await rpc.search("product.product", [["template", "=", template]], limit=1)
    warehouse, = await rpc.search("stock.location", [["type", "=", "warehouse"]], limit=1,
                                  order=[["id", "ASC"]])
    row, = await rpc.read("stock.location", [warehouse], ["storage_location"])
    inventory, = await rpc.create("stock.inventory", [{
        "location": row["storage_location"], "empty_quantity": "keep",
        "lines": [["create", [{"product": product, "quantity": stock}]]]}])
    await rpc.button("stock.inventory", "confirm", [inventory])
    return product

