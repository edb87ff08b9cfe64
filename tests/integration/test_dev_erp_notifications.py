"""`wooerp dev` wires Tryton's notifications to its own ingress: the sandbox
ERP gets the ingress's /webhooks/erp/tryton and a secret file (0600) only it
and the ingress know, and the ingress the same secret in its settings."""
from __future__ import annotations

import stat

from workers.config.settings import load_settings
from workers.devstack.devserver import DevServerConfig
from workers.devstack.ports import free_port
from workers.devstack.stack import DevPorts, DevStack


def test_the_dev_erp_notifies_the_dev_ingress_with_a_private_secret(tmp_path):
    temporal = DevServerConfig(port=free_port(), ui_port=None, db_file=tmp_path / "t.sqlite")
    stack = DevStack(load_settings(data_dir=tmp_path), temporal,
                     DevPorts(erp=free_port(), store=free_port(), ingress=free_port()))
    erp = next(s for s in stack.specs() if s.name == "erp")
    args = list(erp.argv)
    url = args[args.index("--notify-url") + 1]
    secret_file = args[args.index("--notify-secret-file") + 1]
    assert url == f"{stack.ingress_url}/webhooks/erp/tryton"
    secret = open(secret_file).read()
    assert len(secret) >= 24 and stat.S_IMODE((tmp_path / "erp-notify.secret").stat().st_mode) == 0o600
    ingress = next(s for s in stack.specs() if s.name == "ingress")
    assert ingress.env["WOOERP_ERP__NOTIFY_SECRET"] == secret
    again = DevStack(load_settings(data_dir=tmp_path), temporal, stack.ports)
    assert again.secrets.erp_notify_secret == secret  # kept across restarts of the stack
