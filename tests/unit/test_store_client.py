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
