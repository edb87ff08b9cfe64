"""One way to reach Temporal from every wooerp process: same converter, same
namespace, a bounded connect."""
from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from workers.config.settings import TemporalSettings
from workers.sagas import codec

# Payloads are pydantic models (canonical, contracts): one converter everywhere.
CONVERTER = pydantic_data_converter


def converter(cfg: TemporalSettings) -> DataConverter:
    """CONVERTER, with the payload codec when `temporal.codec.keys` is set."""
    return codec.data_converter(cfg.codec.key_ring())


async def connect(cfg: TemporalSettings, *, timeout: float = 10.0) -> Client:
    """Connect, or raise ConnectionError after `timeout` seconds."""
    api_key = cfg.api_key.get_secret_value() if cfg.api_key else None
    try:
        return await asyncio.wait_for(
            Client.connect(cfg.address, namespace=cfg.namespace, tls=cfg.tls, api_key=api_key,
                           data_converter=converter(cfg)),
            timeout=timeout)
    except (asyncio.TimeoutError, RuntimeError, OSError) as exc:
        raise ConnectionError(f"cannot reach Temporal at {cfg.address}: {exc}") from exc
