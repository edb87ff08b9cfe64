"""Run an async CLI body with Temporal connected, turning the usual failures
into one readable line and a non-zero exit."""
from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any, Awaitable, Callable, TypeVar

import typer
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from workers import support_service as svc
from workers.settings import Settings
from workers.temporal_client import connect

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"wooerp: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def with_temporal(settings: Settings, body: Callable[[Client], Awaitable[T]]) -> T:
    async def main() -> T:
        client = await connect(settings.temporal)
        return await body(client)

    try:
        return asyncio.run(main())
    except ConnectionError as exc:
        raise fail(f"{exc} (is `wooerp dev` or your cluster running?)") from None
    except WorkflowUpdateFailedError as exc:
        raise fail(f"refused: {getattr(exc.cause, 'message', exc.cause)}") from None
    except svc.Refused as exc:
        raise fail(f"refused: {exc}") from None
    except (RPCError, RPCTimeoutOrCancelledError) as exc:
        if svc.unanswered(exc):
            raise fail(svc.NO_ANSWER) from None
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise fail(f"not found: {exc.message}") from None
        raise fail(f"Temporal said: {exc.message}") from None


_DURATION = re.compile(r"^(\d+)([smhd])$")


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `1h`, `2d`."""
    match = _DURATION.match(text.strip())
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration like 90s, 30m, 1h or 2d")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: n})


def show(model: Any) -> None:
    """Print a status model as aligned `key: value` lines."""
    data = model.model_dump(mode="json") if hasattr(model, "model_dump") else dict(model)
    width = max(len(k) for k in data)
    for key, value in data.items():
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            value = f"{value['amount']} {value['currency']}"
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        typer.echo(f"{key.ljust(width)}  {'-' if value is None else value}")
