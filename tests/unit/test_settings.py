"""Settings come from WOOERP_* env, a TOML file and secret files, with clear errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from activities.refs import Queue

from workers.config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    import os
    for name in list(os.environ):
        if name.startswith("WOOERP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def test_defaults_are_the_embedded_stack(tmp_path):
    s = load_settings()
    assert s.data_dir == tmp_path / "xdg" / "wooerp"
    assert s.database_url == f"sqlite:///{tmp_path / 'xdg' / 'wooerp' / 'ledger.sqlite'}"
    assert (s.temporal.address, s.temporal.namespace, s.temporal.ui_port) == ("127.0.0.1:7233", "default", 8233)
    assert s.temporal.activities_per_second.for_queue(Queue.LEDGER) is None


def test_env_overrides_toml_and_secrets_come_from_files(tmp_path, monkeypatch):
    secret = tmp_path / "cs"
    secret.write_text("cs_from_file\n")
    config = tmp_path / "wooerp.toml"
    config.write_text(f"""
database_url = "postgresql+psycopg://app@db/wooerp"
[temporal]
address = "temporal:7233"
[temporal.activities_per_second]
erp = 5
[stores.default]
name = "Main shop"
url = "https://shop.example"
consumer_key = "ck_toml"
consumer_secret_file = "{secret}"
""")
    monkeypatch.setenv("WOOERP_CONFIG", str(config))
    monkeypatch.setenv("WOOERP_TEMPORAL__ADDRESS", "env-temporal:7233")
    monkeypatch.setenv("WOOERP_STORES__DEFAULT__WEBHOOK_SECRET", "whsec")
    monkeypatch.setenv("WOOERP_ERP__PASSWORD_FILE", str(secret))
    s = load_settings()
    assert s.temporal.address == "env-temporal:7233"
    assert s.database_url == "postgresql+psycopg://app@db/wooerp"
    assert s.temporal.activities_per_second.for_queue(Queue.ERP) == 5
    assert s.temporal.activities_per_second.for_queue(Queue.WOOCOMMERCE) == 20
    shop = s.store("default")
    assert shop.name == "Main shop"
    assert shop.consumer_secret.get_secret_value() == "cs_from_file"
    assert shop.webhook_secret.get_secret_value() == "whsec"
    assert s.erp.password.get_secret_value() == "cs_from_file"
    assert "cs_from_file" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message", "hidden"),
    [
        ({"WOOERP_ERP__PASSWORD_FILE": "/no/such/file"}, "secret file /no/such/file does not exist",
         None),  # a path, named on purpose
        ({"WOOERP_ERP__PASSWORD": "hunter2-pw", "WOOERP_ERP__PASSWORD_FILE": "/etc/hostname"},
         "either password or password_file", "hunter2-pw"),
        ({"WOOERP_INGRESS__PORT": "eighty"}, "ingress.port [WOOERP_INGRESS__PORT]", "eighty"),
        ({"WOOERP_ERP__PASWORD": "typo-secret"}, "erp.pasword", "typo-secret"),
        ({"WOOERP_CONFIG": "/no/such.toml"}, "config file /no/such.toml does not exist", None),
        ({"WOOERP_STORES__SHOP__URL": "http://x", "WOOERP_STORES__SHOP__CONSUMER_SECRET": "cs_leak"},
         "stores.shop.consumer_key", "cs_leak"),
    ],
)
def test_bad_input_gives_a_clear_error(monkeypatch, env, message, hidden):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as e:
        load_settings()
    assert message in str(e.value)
    if hidden is not None:  # inputs (maybe secrets) are never echoed
        assert hidden not in str(e.value) and hidden not in repr(e.value)


def test_unknown_store_names_the_known_ones(monkeypatch):
    monkeypatch.setenv("WOOERP_STORES__DEFAULT__URL", "http://x")
    monkeypatch.setenv("WOOERP_STORES__DEFAULT__CONSUMER_KEY", "k")
    monkeypatch.setenv("WOOERP_STORES__DEFAULT__CONSUMER_SECRET", "s")
    with pytest.raises(SettingsError, match="unknown store 'eu' .known: default"):
        load_settings().store("eu")
