"""`wooerp schema` prints valid JSON Schema for every entity and event of DESIGN.md."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# The lists in DESIGN.md ("Canonical model"): the spec, not the implementation.
ENTITIES = {"Order", "OrderLine", "Customer", "Address", "Product", "InventoryPosition", "Shipment",
            "Invoice", "Refund", "RefundLine", "ReturnAuthorization", "ReturnLine", "Money"}
EVENTS = {"OrderCaptured", "PaymentAuthorized", "OrderValidated", "OrderAccepted", "OrderRejected",
          "StockReserved", "ShipmentConfirmed", "InvoicePosted", "OrderCancelled", "RefundRequested",
          "RefundApproved", "RefundRejected", "RefundCompleted", "CreditNotePosted",
          "ReturnAuthorized", "ReturnReceived", "StockDisposed", "InventoryAdjusted"}
EVENT_FIELDS = {"event_id", "occurred_at", "recorded_at", "source_system", "correlation_id"}


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_schema_prints_every_entity_and_event():
    out = subprocess.run([str(Path(sys.executable).parent / "wooerp"), "schema"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    doc = json.loads(out)
    assert isinstance(doc["schema_version"], int)
    assert ENTITIES <= set(doc["entities"])
    assert EVENTS <= set(doc["events"])
    for kind in ("entities", "events"):
        for name, schema in doc[kind].items():
            assert schema["type"] == "object" and schema["title"] == name and schema["properties"]
            defs = schema.get("$defs", {})
            for ref in _refs(schema):  # every reference resolves inside the document
                assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in defs, (name, ref)
    for name in EVENTS:
        assert EVENT_FIELDS <= set(doc["events"][name]["properties"]), name
        assert EVENT_FIELDS <= set(doc["events"][name]["required"]), name
