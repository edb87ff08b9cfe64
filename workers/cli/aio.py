"""Run an async CLI body with the saga client connected, turning the usual
failures into one readable line and a non-zero exit."""
from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any, Awaitable, Callable, TypeVar

import typer

from workers.config.settings import Settings
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import NotFound, Refused, SagaCallError, Unreachable

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"wooerp: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def with_sagas(settings: Settings, body: Callable[[SagaClient], Awaitable[T]]) -> T:
    async def main() -> T:
        return await body(await SagaClient.connect(settings))

    try:
        return asyncio.run(main())
    except Unreachable as exc:
        raise fail(f"{exc} (is `wooerp dev` or your cluster running?)") from None
    except Refused as exc:
        raise fail(f"refused: {exc}") from None
    except NotFound as exc:
        raise fail(str(exc)) from None
    except SagaCallError as exc:
        raise fail(str(exc)) from None


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
