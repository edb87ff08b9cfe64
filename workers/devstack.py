"""The embedded stack `wooerp dev` runs: which children, in which order.

Order matters: each child may depend on the ones before it being ready, and
they stop in reverse. Today: the Temporal dev server. The ERP, the sandbox
store, the worker and ingress are appended here as they land.
"""
from __future__ import annotations

from pathlib import Path

from workers.devserver import DevServerConfig, dev_server_spec
from workers.settings import Settings
from workers.supervisor import ChildSpec


def dev_stack(settings: Settings, temporal: DevServerConfig) -> list[ChildSpec]:
    logs = settings.data_dir / "logs"
    return [dev_server_spec(temporal, log_file=logs / "temporal.log")]


def describe(settings: Settings, temporal: DevServerConfig) -> list[tuple[str, str]]:
    """What `wooerp dev` prints once everything is ready."""
    rows = [
        ("Temporal", f"{temporal.address} (namespace {temporal.namespace})"),
        ("Temporal Web UI", temporal.ui_url or "off (headless)"),
        ("Temporal state", str(temporal.db_file) if temporal.db_file else "in memory"),
        ("Ledger", settings.database_url),
        ("Logs", str(Path(settings.data_dir) / "logs")),
    ]
    return rows
