"""The e2e stack: one worker and one ingress for the whole tests/e2e package,
on the session's Temporal dev server, Tryton and sandbox store.

Package scope on purpose: the store's webhooks point at this ingress only
while the e2e tests run, so orders other test modules create in the shared
store never start sagas.
"""
from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from systems.ledger import Ledger
from systems.woocommerce.webhook_setup import ensure_webhooks
from tests.e2e.shop import Shop
from tests.e2e.stack import E2EStack, product_env
from workers.devstack.ports import free_port


@pytest.fixture(scope="package")
async def e2e(temporal_server, temporal_client, sandbox_store, tryton_server, erp,
              tmp_path_factory) -> AsyncIterator[E2EStack]:
    data_dir = tmp_path_factory.mktemp("e2e")
    port, secret = free_port(), secrets.token_urlsafe(24)
    env = product_env(data_dir=data_dir, temporal_address=temporal_server.address,
                      store=sandbox_store, webhook_secret=secret, tryton=tryton_server,
                      ingress_port=port)
    ledger = Ledger(env["WOOERP_DATABASE_URL"])
    ledger.migrate()  # once, before two processes would race to do it
    stack = E2EStack(env=env, data_dir=data_dir, ingress_url=f"http://127.0.0.1:{port}",
                     webhook_secret=secret, store=sandbox_store, tryton=tryton_server,
                     erp=erp, client=temporal_client, ledger=ledger)
    hooks = []
    try:
        await stack.start_ingress()
        await stack.start_worker()
        hooks = ensure_webhooks(sandbox_store.client(), stack.webhook_url, secret)
        yield stack
    finally:
        api = sandbox_store.api()
        for hook in hooks:
            api.delete(f"webhooks/{hook.webhook_id}", params={"force": True})
        await stack.stop()
        ledger.close()


@pytest.fixture(scope="package")
def shop(sandbox_store) -> Shop:
    return Shop(sandbox_store)
