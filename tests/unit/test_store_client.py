"""Every activity that calls a store finds its client the same way, and the
client believes the store's paging only so far."""
import pytest
from temporalio.exceptions import ApplicationError

from activities.woocommerce import store_client
from canonical.errors import ErrorType


def test_a_store_this_worker_does_not_know_is_a_configuration_error_not_retried():
    known = object()
    assert store_client({"default": known}, "default") is known
    with pytest.raises(ApplicationError) as refused:
        store_client({"default": known}, "other")
    assert refused.value.non_retryable and refused.value.type == ErrorType.UNKNOWN_STORE
    assert "'other'" in str(refused.value)


def test_a_store_claiming_endless_pages_of_skus_is_read_a_bounded_number_of_times():
    from systems.woocommerce.client import Page, WooClient

    client = WooClient("http://127.0.0.1:9", "ck_x", "cs_x")
    calls = []

    def page(endpoint, params):
        calls.append(params["page"])
        assert len(calls) <= 50, "still paging"
        return Page([{"id": len(calls), "sku": "A"}], 10**9, 10**9)

    client._page = page
    found = client.products_by_skus(["A", "B"])
    assert 1 <= len(calls) <= 10 and len(found) == len(calls)


def _answer(body: bytes, **headers: str):
    import requests

    resp = requests.Response()
    resp.status_code, resp._content = 200, body
    resp.headers.update({"Content-Type": "application/json", **headers})
    return resp


@pytest.mark.parametrize("headers", [{"X-WP-Total": "lots"}, {"X-WP-TotalPages": "1,5"}])
def test_a_paging_header_that_is_not_a_number_is_an_unexpected_answer_retried(headers):
    from systems.woocommerce.client import WooClient
    from systems.woocommerce.errors import WooUnexpectedResponse

    client = WooClient("http://127.0.0.1:9", "ck_x", "cs_x")
    client._call = lambda *a, **k: _answer(b'[{"id": 1}]', **headers)
    with pytest.raises(WooUnexpectedResponse) as refused:
        client.list_orders(None)
    assert refused.value.retryable and next(iter(headers)) in str(refused.value)


def test_a_list_answer_that_is_not_a_list_or_claims_absurd_counts_is_not_believed():
    from systems.woocommerce.client import MAX_COUNT, WooClient
    from systems.woocommerce.errors import WooUnexpectedResponse

    client = WooClient("http://127.0.0.1:9", "ck_x", "cs_x")
    client._call = lambda *a, **k: _answer(b'{"code": "maintenance"}')
    with pytest.raises(WooUnexpectedResponse):
        client.list_orders(None)
    client._call = lambda *a, **k: _answer(b'[{"id": 1}]', **{"X-WP-Total": "-4",
                                                              "X-WP-TotalPages": "9" * 40})
    page = client.list_orders(None)
    assert (page.total, page.total_pages) == (0, MAX_COUNT)
