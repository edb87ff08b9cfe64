"""One way to reach Temporal from every wooerp process: same converter, same
namespace, a bounded connect."""
from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from workers.config.settings import TemporalSettings

# Payloads are pydantic models (canonical, contracts): one converter everywhere.
CONVERTER = pydantic_data_converter


async def connect(cfg: TemporalSettings, *, timeout: float = 10.0) -> Client:
    """Connect, or raise ConnectionError after `timeout` seconds."""
    api_key = cfg.api_key.get_secret_value() if cfg.api_key else None
    try:
        return await asyncio.wait_for(
            Client.connect(cfg.address, namespace=cfg.namespace, tls=cfg.tls, api_key=api_key,
                           data_converter=CONVERTER),
            timeout=timeout)
    except (asyncio.TimeoutError, RuntimeError, OSError) as exc:
        raise ConnectionError(f"cannot reach Temporal at {cfg.address}: {exc}") from exc
