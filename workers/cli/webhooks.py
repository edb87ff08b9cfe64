"""`wooerp webhooks install`: point a store's order webhooks at the ingress."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from systems.woocommerce.client import WooClient
from systems.woocommerce.errors import WooError
from systems.woocommerce.webhook_setup import ensure_webhooks
from workers.cli import app
from workers.cli.aio import fail
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.settings import SettingsError

webhooks_app = typer.Typer(help="The store's webhooks.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command()
def install(store: str,
            ingress_url: Annotated[Optional[str], typer.Option(
                help="Public base URL of the ingress (default: from settings).")] = None,
            config: ConfigOption = None) -> None:
    """Create (or re-activate) the order webhooks, signed with the store's webhook secret."""
    settings = settings_or_exit(config)
    try:
        cfg = settings.store(store)
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    if cfg.webhook_secret is None:
        raise fail(f"store {store!r} has no webhook_secret "
                   f"(WOOERP_STORES__{store.upper()}__WEBHOOK_SECRET)", 2)
    base = ingress_url or f"http://{settings.ingress.host}:{settings.ingress.port}"
    url = f"{base.rstrip('/')}/webhooks/woocommerce/{store}"
    client = WooClient(cfg.url, cfg.consumer_key.get_secret_value(),
                       cfg.consumer_secret.get_secret_value(), timeout=cfg.timeout_seconds,
                       verify=cfg.verify_tls)
    try:
        changes = ensure_webhooks(client, url, cfg.webhook_secret.get_secret_value())
    except WooError as exc:
        raise fail(f"store {store!r}: {exc}") from None
    for change in changes:
        typer.echo(f"{change.topic:<15} webhook {change.webhook_id} {change.action} -> {url}")
