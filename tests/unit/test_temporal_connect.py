"""`temporal.tls` and `temporal.api_key` (Temporal Cloud, secured clusters)
reach the Temporal client of every process, from env, TOML or a secret file."""
from __future__ import annotations

import pytest

from workers.config.settings import load_settings
from workers.sagas import connect as connect_module


@pytest.fixture
def connected(monkeypatch):
    seen: dict = {}

    async def fake_connect(address, **kwargs):
        seen.update(address=address, **kwargs)
        return "client"

    monkeypatch.setattr(connect_module.Client, "connect", staticmethod(fake_connect))
    for name in ("WOOERP_TEMPORAL__TLS", "WOOERP_TEMPORAL__API_KEY", "WOOERP_TEMPORAL__API_KEY_FILE",
                 "WOOERP_TEMPORAL__ADDRESS", "WOOERP_TEMPORAL__NAMESPACE", "WOOERP_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return seen


async def test_tls_and_the_api_key_from_env_reach_the_client(connected, monkeypatch, tmp_path):
    monkeypatch.setenv("WOOERP_TEMPORAL__ADDRESS", "acme.a1b2c.tmprl.cloud:7233")
    monkeypatch.setenv("WOOERP_TEMPORAL__NAMESPACE", "acme.a1b2c")
    monkeypatch.setenv("WOOERP_TEMPORAL__TLS", "true")
    monkeypatch.setenv("WOOERP_TEMPORAL__API_KEY", "key-from-env")
    settings = load_settings(data_dir=tmp_path)
    assert "key-from-env" not in repr(settings)
    assert await connect_module.connect(settings.temporal) == "client"
    assert (connected["address"], connected["namespace"]) == ("acme.a1b2c.tmprl.cloud:7233",
                                                              "acme.a1b2c")
    assert connected["tls"] is True and connected["api_key"] == "key-from-env"


async def test_the_api_key_from_a_secret_file_and_plaintext_by_default(connected, monkeypatch,
                                                                       tmp_path):
    key = tmp_path / "temporal-api-key"
    key.write_text("key-from-file\n")
    monkeypatch.setenv("WOOERP_TEMPORAL__API_KEY_FILE", str(key))
    await connect_module.connect(load_settings(data_dir=tmp_path).temporal)
    assert connected["api_key"] == "key-from-file" and connected["tls"] is False

    monkeypatch.delenv("WOOERP_TEMPORAL__API_KEY_FILE")
    await connect_module.connect(load_settings(data_dir=tmp_path).temporal)
    assert connected["tls"] is False and connected["api_key"] is None  # the embedded stack
