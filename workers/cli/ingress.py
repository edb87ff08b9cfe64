"""`wooerp ingress`: webhooks, support API, /healthz and /metrics."""
from __future__ import annotations

from typing import Annotated, Optional

import typer
import uvicorn

from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.ingress.app import create_app


@app.command()
def ingress(host: Annotated[Optional[str], typer.Option(help="Listen address.")] = None,
            port: Annotated[Optional[int], typer.Option(help="Listen port.")] = None,
            config: ConfigOption = None) -> None:
    """Serve the ingress (webhook endpoint, support API, health, metrics)."""
    settings = settings_or_exit(config)
    host = host or settings.ingress.host
    port = port or settings.ingress.port
    typer.echo(f"wooerp ingress on http://{host}:{port} "
               f"(webhooks: /webhooks/woocommerce/<store>)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)
