"""JSON Schema export of every entity and event (what `wooerp schema` prints)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from canonical import SCHEMA_VERSION, entities, erp
from canonical.events import EVENT_CLASSES
from canonical.money import Money

ENTITY_CLASSES: tuple[type[BaseModel], ...] = (
    Money, entities.Order, entities.OrderLine, entities.Customer, entities.Address,
    entities.Product, entities.InventoryPosition, erp.Shipment, erp.Invoice, erp.ErpSale,
    erp.CreditNote, entities.Refund, entities.RefundLine, entities.ReturnAuthorization, entities.ReturnLine,
)


def json_schemas() -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "entities": {c.__name__: c.model_json_schema() for c in ENTITY_CLASSES},
        "events": {c.__name__: c.model_json_schema() for c in EVENT_CLASSES},
    }
