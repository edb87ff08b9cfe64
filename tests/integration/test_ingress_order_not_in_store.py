"""A signed order that cannot be in the store (a negative id) starts no saga,
so nothing is booked in the ERP for it (issue 16, point 7). The bound itself
is the mapping's (ids 1..2^53); this checks it end to end through the real
ingress and a real Temporal server."""
from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from temporalio.service import RPCError

from tests.integration.test_ingress import delivery, settings_for, signed
from workers.ingress.app import create_app
from workflows.order_types import order_workflow_id


@pytest.mark.parametrize("order_id", [-5, 0])
async def test_a_signed_order_with_an_id_below_one_starts_no_saga(tmp_path, temporal_address,
                                                                  temporal_client, order_id):
    app = create_app(settings_for(tmp_path, temporal_address), relay_every=3600)
    body = json.dumps({**json.loads(delivery(1)), "id": order_id, "number": str(order_id)},
                      separators=(",", ":")).encode()
    with TestClient(app) as client:
        r = client.post("/webhooks/woocommerce/default", content=body, headers=signed(body))
    assert r.status_code < 500, r.text
    with pytest.raises(RPCError, match="not found"):
        await temporal_client.get_workflow_handle(order_workflow_id("default", order_id)).describe()
