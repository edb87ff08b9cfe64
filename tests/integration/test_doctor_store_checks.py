"""`wooerp doctor`'s store checks against the sandbox store over HTTP: a key
signed for the wrong site URL, a read-only key, webhooks on a port WordPress
will not deliver to, and a refund policy that would park a gateway."""
from __future__ import annotations

import pytest
from pydantic import SecretStr

from systems.woocommerce.errors import WooAuthError
from tests.fixtures.store import SandboxStore
from workers.cli.checkup.findings import Status
from workers.cli.checkup.store import StoreCheckup
from workers.config.settings import StoreSettings
from workflows.refund_types import RefundPolicy


@pytest.fixture(scope="module")
def localhost_site(tmp_path_factory) -> SandboxStore:
    """A store whose site URL is http://localhost:P, reached at 127.0.0.1:P."""
    root = tmp_path_factory.mktemp("localhost-site")
    store = SandboxStore(root / "data", root / "store.log")
    store.extra_args = ("--home-url", f"http://localhost:{store.port}")
    store.start()
    yield store
    store.stop()


def checkup(url: str, key: str, secret: str, *, ingress: str = "http://127.0.0.1:8080",
            policy: RefundPolicy | None = None, ports: list[int] | None = None) -> StoreCheckup:
    cfg = StoreSettings(url=url, consumer_key=SecretStr(key), consumer_secret=SecretStr(secret),
                        webhook_ports=ports or [80, 443, 8080])
    return StoreCheckup("default", cfg, policy or RefundPolicy(),
                        f"{ingress}/webhooks/woocommerce/default", ingress)


def by_check(findings) -> dict:
    return {f.check: f for f in findings}


def test_a_key_signed_for_another_site_url_fails_with_the_reason(localhost_site):
    wrong = localhost_site.url  # http://127.0.0.1:P, the site says http://localhost:P
    with pytest.raises(WooAuthError) as err:  # what the worker would log
        localhost_site.client().get_order(1)
    assert f"signed for {wrong}" in str(err.value) and "site URL" in str(err.value)

    findings, facts = checkup(wrong, localhost_site.consumer_key,
                              localhost_site.consumer_secret).run()
    reachable = by_check(findings)["reachable"]
    assert reachable.status == Status.FAIL and "woocommerce_rest_authentication_error" in (
        reachable.detail)
    assert "localhost:PORT and http://127.0.0.1:PORT" in reachable.fix
    assert not facts.reached and by_check(findings)["webhooks"].status == Status.SKIPPED

    right = f"http://localhost:{localhost_site.port}"
    findings, _ = checkup(right, localhost_site.consumer_key,
                          localhost_site.consumer_secret).run()
    assert by_check(findings)["reachable"].status == Status.OK


def test_a_read_only_key_and_missing_webhooks_fail(sandbox_store):
    key = sandbox_store.admin("POST", "keys", {"permissions": "read"})
    found = by_check(checkup(sandbox_store.url, key["consumer_key"],
                             key["consumer_secret"]).run()[0])
    assert found["reachable"].status == Status.OK
    assert found["key permission"].status == Status.FAIL
    assert "Read/Write" in found["key permission"].fix
    assert found["webhook order.created"].status == Status.FAIL  # none points at :8080
    assert "wooerp webhooks install default" in found["webhook order.created"].fix
    assert found["delivery URL"].status == Status.OK  # 8080 is a port WordPress allows


def test_a_delivery_url_on_another_port_fails_unless_the_site_allows_it(sandbox_store):
    ingress = "http://127.0.0.1:8099"
    found = by_check(checkup(sandbox_store.url, sandbox_store.consumer_key,
                             sandbox_store.consumer_secret, ingress=ingress).run()[0])
    assert found["delivery URL"].status == Status.FAIL
    assert "port 8099" in found["delivery URL"].detail
    allowed = by_check(checkup(sandbox_store.url, sandbox_store.consumer_key,
                               sandbox_store.consumer_secret, ingress=ingress,
                               ports=[80, 443, 8080, 8099]).run()[0])
    assert allowed["delivery URL"].status == Status.OK


def test_gateways_in_use_are_checked_against_the_refund_policy(sandbox_store):
    api = sandbox_store.api()
    for method in ("cheque", "stripe"):
        assert api.post("orders", {"line_items": [{"sku": "WOO-MUG"}], "set_paid": True,
                                   "payment_method": method}).status_code == 201
    park = RefundPolicy(manual_gateways=["cheque"], on_gateway_refusal="park")
    found = by_check(checkup(sandbox_store.url, sandbox_store.consumer_key,
                             sandbox_store.consumer_secret, policy=park).run()[0])
    assert found["refunds via cheque"].status == Status.OK
    assert "by hand" in found["refunds via cheque"].detail
    # the store does not say whether stripe refunds by itself; parking would be the policy
    assert found["refunds via stripe"].status == Status.FAIL
    assert "on_gateway_refusal" in found["refunds via stripe"].fix
    by_hand = by_check(checkup(sandbox_store.url, sandbox_store.consumer_key,
                               sandbox_store.consumer_secret).run()[0])
    assert by_hand["refunds via stripe"].status == Status.WARN
