"""Settings come from WOOERP_* env, a TOML file and secret files, with clear errors."""
from __future__ import annotations

import json
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


def _running_stack(data_dir: Path, port: int = 27001, own_store=None):
    """What `wooerp dev` writes on a data directory once it is up."""
    from workers.devstack.devserver import DevServerConfig
    from workers.devstack.stack import DevPorts, DevStack
    stack = DevStack(load_settings(data_dir=data_dir, dev_stack=False),
                     DevServerConfig(port=port), DevPorts(erp=27002, store=27003, ingress=27004),
                     own_store=own_store)
    (data_dir / "erp").mkdir(exist_ok=True)
    (data_dir / "erp" / "admin.pass").write_text("admin")  # the sandbox ERP's, once it runs
    stack.write_dev_json()  # this process plays `wooerp dev`: its pid is alive
    return stack


def test_a_command_beside_a_running_dev_stack_reaches_it_with_nothing_exported(
        tmp_path, monkeypatch):
    data = tmp_path / "xdg" / "wooerp"
    stack = _running_stack(data)
    s = load_settings()  # the default data directory: the stack's
    assert s.temporal.address == "127.0.0.1:27001"
    store = s.store("default")
    assert store.url == "http://127.0.0.1:27003"
    assert store.consumer_secret.get_secret_value() == stack.secrets.consumer_secret
    assert s.erp.url == stack.erp_url
    # What the operator sets still wins; the stack itself reads only its own.
    monkeypatch.setenv("WOOERP_TEMPORAL__ADDRESS", "temporal.example:7233")
    assert load_settings().temporal.address == "temporal.example:7233"
    assert load_settings(dev_stack=False).stores == {}
    assert oct((data / "dev.env").stat().st_mode & 0o777) == "0o600"


def test_a_stopped_dev_stack_configures_nothing(tmp_path):
    data = tmp_path / "xdg" / "wooerp"
    stack = _running_stack(data)
    stack.remove_dev_json()
    assert load_settings().stores == {} and not (data / "dev.env").exists()
    with pytest.raises(SettingsError, match="unknown store 'default'"):
        load_settings().store("default")


def test_the_files_of_a_dev_stack_killed_before_its_cleanup_configure_nothing(tmp_path):
    data = tmp_path / "xdg" / "wooerp"
    _running_stack(data)
    info = json.loads((data / "dev.json").read_text())
    (data / "dev.json").write_text(json.dumps({**info, "pid": 2 ** 22 + 12345}))  # no such pid
    assert (data / "dev.env").is_file() and load_settings().stores == {}


def test_a_dev_stack_on_an_own_store_with_a_config_file_leaves_commands_working(tmp_path):
    from workers.devstack.stack import OwnStore
    config = tmp_path / "wooerp.toml"
    config.write_text('[stores.shop]\nurl = "https://shop.example"\n'
                      'consumer_key = "ck_x"\nconsumer_secret = "cs_x"\n')
    data = tmp_path / "xdg" / "wooerp"
    _running_stack(data, own_store=OwnStore(code="shop", url="https://shop.example",
                                            consumer_key="ck_x", consumer_secret="cs_x",
                                            webhook_secret=None, config_file=config))
    # The store's keys are the user's own: given the same file as the stack,
    # a command gets them, and the stack's endpoints from dev.env.
    s = load_settings(config)
    assert s.temporal.address == "127.0.0.1:27001"
    assert s.stores["shop"].consumer_key.get_secret_value() == "ck_x"
    with pytest.raises(SettingsError, match="WOOERP_STORES__SHOP__CONSUMER_KEY"):
        load_settings()  # without it, the error names what is missing
