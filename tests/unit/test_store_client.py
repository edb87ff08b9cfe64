"""Every activity that calls a store finds its client the same way."""
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
