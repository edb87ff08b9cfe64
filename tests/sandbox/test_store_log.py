"""The store's output is a log file under `wooerp dev` (logs/store.log): it
names where the API keys are, never the keys."""
from __future__ import annotations

from tests.fixtures.store import SandboxStore


def test_the_store_log_holds_no_consumer_key_or_secret(sandbox_store: SandboxStore):
    log = sandbox_store.log_path.read_text()
    assert "credentials.json" in log  # it did print its start-up lines
    assert sandbox_store.consumer_key and sandbox_store.consumer_key not in log
    assert sandbox_store.consumer_secret and sandbox_store.consumer_secret not in log
