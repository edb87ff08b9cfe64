"""The embedded stack's data directory is private: 0700, databases and
secrets 0600, whoever creates them (workers/devstack/private.py, stack.py)."""
from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from systems.ledger import Ledger
from workers.config.settings import load_settings
from workers.devstack.devserver import DevServer, DevServerConfig
from workers.devstack.ports import free_port
from workers.devstack.stack import DevPorts, DevStack
from workers.devstack.supervisor import Child, ChildSpec


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def restore_umask() -> Iterator[None]:
    before = os.umask(0o022)  # what a login shell usually has
    try:
        yield
    finally:
        os.umask(before)


def stack_in(data_dir: Path, temporal: DevServerConfig) -> DevStack:
    settings = load_settings(data_dir=data_dir)
    return DevStack(settings, temporal, DevPorts(erp=free_port(), store=free_port(),
                                                 ingress=free_port()))


async def test_what_an_earlier_run_left_open_is_tightened_and_new_files_are_private(
        tmp_path, restore_umask):
    data = tmp_path / "wooerp"
    (data / "logs").mkdir(parents=True)
    (data / "store").mkdir()
    data.chmod(0o755)
    old = {data / "ledger.sqlite": 0o644, data / "temporal.sqlite-wal": 0o644,
           data / "logs" / "store.log": 0o644, data / "store" / "store.sqlite": 0o664,
           data / "notes.txt": 0o644}  # the last is not ours: left alone
    for path, m in old.items():
        path.write_text("x")
        path.chmod(m)
    (data / "store").chmod(0o755)
    shared = tmp_path / "shared-cache"
    shared.write_text("y")
    shared.chmod(0o644)
    (data / "erp").symlink_to(shared)  # a link to something shared: not followed

    temporal = DevServerConfig(port=free_port(), ui_port=None, http_port=free_port(),
                               metrics_port=free_port(), db_file=data / "temporal.sqlite")
    stack = stack_in(data, temporal)

    assert mode(data) == 0o700 and mode(data / "store") == 0o700 and mode(data / "logs") == 0o700
    for path in list(old)[:-1]:
        assert mode(path) == 0o600, path
    assert mode(data / "notes.txt") == 0o644 and mode(shared) == 0o644
    assert mode(data / "dev-secrets.json") == 0o600 and mode(stack.codec_keys) == 0o600

    # Created after: by this process (the ledger) and by children (Temporal, the store).
    (data / "ledger.sqlite").unlink()
    ledger = Ledger(stack.settings.database_url)
    ledger.migrate()
    ledger.close()
    assert mode(data / "ledger.sqlite") == 0o600
    (data / "temporal.sqlite-wal").unlink()
    async with DevServer(temporal):
        assert mode(data / "temporal.sqlite") == 0o600
    store_dir = data / "store" / "fresh"
    port = free_port()
    store = Child(ChildSpec("store", [str(Path(sys.executable).parent / "wooerp"), "sandbox",
                                      "store", "--port", str(port), "--data-dir", str(store_dir)],
                            ready=_exists(store_dir / "credentials.json"), ready_timeout=30))
    await store.start()
    try:
        await store.wait_ready()
        assert mode(store_dir) == 0o700
        assert mode(store_dir / "store.sqlite") == 0o600
    finally:
        await store.stop()


def test_dev_secrets_of_an_earlier_release_gain_the_codec_token_and_keep_the_rest(
        tmp_path, restore_umask):
    data = tmp_path / "wooerp"
    data.mkdir()
    earlier = {"consumer_key": "ck_" + "1" * 40, "consumer_secret": "cs_" + "2" * 40,
               "webhook_secret": "w", "support_token": "s"}
    (data / "dev-secrets.json").write_text(json.dumps(earlier))
    stack = stack_in(data, DevServerConfig(port=free_port(), ui_port=8233))
    kept = json.loads((data / "dev-secrets.json").read_text())
    assert {k: kept[k] for k in earlier} == earlier and len(kept["codec_token"]) >= 24
    assert stack.secrets.codec_token == kept["codec_token"]
    assert mode(data / "dev-secrets.json") == 0o600
    # The same key and token on the next start: histories stay readable.
    again = stack_in(data, DevServerConfig(port=free_port(), ui_port=8233))
    assert again.secrets == stack.secrets
    assert again.codec_keys.read_text() == stack.codec_keys.read_text()
    # The Web UI is pointed at the ingress's codec endpoint with that token.
    temporal_argv = next(s for s in again.specs() if s.name == "temporal").argv
    endpoint = temporal_argv[temporal_argv.index("--ui-codec-endpoint") + 1]
    assert endpoint == f"{again.ingress_url}/codec/{kept['codec_token']}"
    env = again.product_env()
    assert env["WOOERP_TEMPORAL__CODEC__ENDPOINT_TOKEN"] == kept["codec_token"]
    assert env["WOOERP_TEMPORAL__UI_PORT"] == "8233"


def _exists(path: Path):
    async def ready() -> bool:
        return path.is_file()
    return ready
