"""The e2e stack: one worker and one ingress for the whole tests/e2e package,
on the session's Temporal dev server, Tryton and sandbox store.

Package scope on purpose: the store's webhooks point at this ingress only
while the e2e tests run, so orders other test modules create in the shared
store never start sagas.

The store delivers as a stock WooCommerce does (WP-Cron): a delivery waits
for the next request to the site, merged with any later event of the same
order, its body built when it is sent. `site_traffic` plays the shop's
visitors, one page view a second, so the sagas face late, merged deliveries.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from systems.ledger import Ledger
from systems.woocommerce.webhook_setup import ensure_webhooks
from tests.e2e.shop import Shop
from tests.e2e.stack import E2EStack, product_env
from workers.devstack.ports import free_port


VISIT_EVERY = 1.0  # seconds between page views: how late WP-Cron may deliver


@pytest.fixture(scope="package", autouse=True)
def site_traffic(sandbox_store) -> Iterator[None]:
    """WP-Cron delivery for the whole package, with a visitor keeping it going."""
    stop = threading.Event()

    def visit() -> None:
        while not stop.wait(VISIT_EVERY):
            try:
                sandbox_store.admin("POST", "page_view")
            except Exception:  # a test restarting the store: the next visit will do
                pass

    with sandbox_store.settings(webhook_cron="page_view"):
        visitor = threading.Thread(target=visit, name="site-visitor", daemon=True)
        visitor.start()
        try:
            yield
        finally:
            stop.set()
            visitor.join(timeout=5)


@pytest.fixture(scope="package")
async def e2e(site_traffic, temporal_server, temporal_client, sandbox_store, tryton_server, erp,
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
