"""`wooerp sandbox store`: run the WooCommerce store emulator."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sandbox.cli import sandbox_app
from sandbox.store.credentials import ENV_KEY, ENV_SECRET


@sandbox_app.command("store")
def store(
    port: int = typer.Option(8081, help="HTTP port (OAuth 1.0a auth)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    data_dir: Path = typer.Option(Path(".wooerp/store"), help="SQLite data, credentials, TLS cert."),
    tls_port: Optional[int] = typer.Option(None, help="Also serve HTTPS here (Basic / query-string auth)."),
    home_url: Optional[str] = typer.Option(None, help="Site URL OAuth signatures must use; default: the request's Host."),
    utc_offset_minutes: int = typer.Option(0, help="Site timezone as a fixed UTC offset (local vs *_gmt dates)."),
    consumer_key: Optional[str] = typer.Option(None, envvar=ENV_KEY, help="API key to accept."),
    consumer_secret: Optional[str] = typer.Option(None, envvar=ENV_SECRET, help="API secret to accept."),
    webhook_timeout: float = typer.Option(60.0, help="Delivery timeout in seconds (WooCommerce: 60)."),
    trust_forwarded_proto: bool = typer.Option(False, help="Treat X-Forwarded-Proto: https as HTTPS."),
    fault_rest_5xx_rate: float = typer.Option(0.0, help="Share of REST calls answered 5xx."),
    fault_rest_5xx_mode: str = typer.Option("before", help="'before' (not applied) or 'after' (applied, answer lost)."),
    fault_rest_429_rate: float = typer.Option(0.0, help="Share of REST calls answered 429."),
    fault_retry_after: int = typer.Option(1, help="Retry-After seconds sent with a 429."),
    fault_latency_ms: int = typer.Option(0, help="Latency added to REST calls."),
    fault_latency_rate: float = typer.Option(1.0, help="Share of REST calls that get the latency."),
    fault_webhook_drop_rate: float = typer.Option(0.0, help="Share of webhook deliveries dropped."),
    fault_webhook_duplicate_rate: float = typer.Option(0.0, help="Share delivered twice."),
    fault_webhook_reorder_rate: float = typer.Option(0.0, help="Share held back so later ones overtake."),
    fault_webhook_delay_ms: int = typer.Option(0, help="Delay before every webhook delivery."),
    fault_seed: Optional[int] = typer.Option(None, help="Seed for the fault RNG (reproducible chaos)."),
    fault_rest_html_rate: float = typer.Option(0.0, help="Share of REST calls answered with an HTML captcha page."),
    fault_rest_html_status: int = typer.Option(200, help="HTTP status of that page (200 or 503)."),
    webhook_payload: str = typer.Option("delivery", help="'delivery': body built when the delivery runs "
                                        "(WooCommerce); 'event': a snapshot taken at the event."),
    webhook_coalesce: bool = typer.Option(True, help="Merge an event into a pending delivery of the same "
                                          "webhook and resource (WooCommerce)."),
    webhook_max_failures: int = typer.Option(5, help="woocommerce_max_webhook_delivery_failures: a failure "
                                             "above this count disables the webhook."),
    webhook_retries: int = typer.Option(0, help="Re-queue a failed delivery this often (WooCommerce: 0)."),
    webhook_cron: str = typer.Option("runner", help="'runner': a cron runner delivers; 'page_view': "
                                     "WP-Cron, only after the next request to the site."),
    webhook_cron_delay_ms: int = typer.Option(0, help="How long after it is queued (runner) or after the "
                                              "page view (page_view) a delivery runs."),
    manual_gateways: str = typer.Option("bacs,cheque,cod", help="Payment gateways that cannot refund "
                                        "automatically: api_refund=true is refused (HTTP 500)."),
) -> None:
    """Serve a WooCommerce-compatible store (REST v3 + webhooks), persisted to SQLite."""
    from sandbox.store.faults import Faults
    from sandbox.store.server import StoreConfig, serve
    from sandbox.store.settings import StoreSettings

    faults = Faults(
        rest_5xx_rate=fault_rest_5xx_rate, rest_5xx_mode=fault_rest_5xx_mode,
        rest_429_rate=fault_rest_429_rate, retry_after=fault_retry_after,
        latency_ms=fault_latency_ms, latency_rate=fault_latency_rate,
        webhook_drop_rate=fault_webhook_drop_rate, webhook_duplicate_rate=fault_webhook_duplicate_rate,
        webhook_reorder_rate=fault_webhook_reorder_rate, webhook_delay_ms=fault_webhook_delay_ms,
        seed=fault_seed, rest_html_rate=fault_rest_html_rate, rest_html_status=fault_rest_html_status,
    )
    try:
        settings = StoreSettings(
            webhook_payload=webhook_payload, webhook_coalesce=webhook_coalesce,
            webhook_max_failures=webhook_max_failures, webhook_retries=webhook_retries,
            webhook_cron=webhook_cron, webhook_cron_delay_ms=webhook_cron_delay_ms).validate()
        faults.validate()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    serve(StoreConfig(
        data_dir=data_dir, host=host, port=port, tls_port=tls_port, home_url=home_url,
        utc_offset_minutes=utc_offset_minutes, consumer_key=consumer_key,
        consumer_secret=consumer_secret, webhook_timeout=webhook_timeout,
        trust_forwarded_proto=trust_forwarded_proto, faults=faults, settings=settings,
        manual_gateways=frozenset(g.strip() for g in manual_gateways.split(",") if g.strip()),
    ))


@sandbox_app.command("history")
def history(
    from_: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    to: str = typer.Option(..., help="Last day, YYYY-MM-DD (included)."),
    per_day: int = typer.Option(10, min=1, max=1000, help="Orders made on each day."),
    store_code: str = typer.Option("default", "--store", help="The store (a sandbox) to fill."),
    sku: Optional[list[str]] = typer.Option(None, help="What the orders buy, repeatable "
                                            "(default: the demo catalog's simple products)."),
) -> None:
    """Make historical orders in a running sandbox store, as a store that adopts
    wooerp has them: on past days, in final states (completed, refunded,
    cancelled, failed), with its webhooks paused. `wooerp backfill` then books them."""
    from datetime import date as _date
    from sandbox.catalog import CATALOG
    from sandbox.store.history import is_sandbox, make_history
    from systems.woocommerce.oauth import StoreAPI
    from workers.cli.common import settings_or_exit
    from workers.config.settings import SettingsError

    try:
        first, last = _date.fromisoformat(from_), _date.fromisoformat(to)
    except ValueError:
        raise typer.BadParameter("days look like 2024-01-31") from None
    if last < first:
        raise typer.BadParameter("--to is before --from")
    settings = settings_or_exit(None)
    try:
        store = settings.store(store_code)
    except SettingsError as exc:
        typer.secho(f"wooerp sandbox history: {exc} (is `wooerp dev` running?)", err=True,
                    fg=typer.colors.RED)
        raise typer.Exit(2) from None
    if not is_sandbox(store.url):
        typer.secho(f"wooerp sandbox history: {store.url} is not a sandbox store (it has no "
                    "admin clock); history is only made there", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    skus = sku or [c.sku for c in CATALOG if c.parent_sku is None]
    api = StoreAPI(url=store.url, consumer_key=store.consumer_key.get_secret_value(),
                   consumer_secret=store.consumer_secret.get_secret_value(), timeout=60)
    try:
        made = make_history(api, store.url, first, last, per_day, skus,
                            progress=lambda day: typer.echo(f"  {day}: {per_day} orders"))
    except (RuntimeError, ValueError) as exc:
        typer.secho(f"wooerp sandbox history: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    counts = ", ".join(f"{len(ids)} {kind}" for kind, ids in made.items())
    typer.echo(f"made {sum(map(len, made.values()))} orders ({counts}); book them with:\n"
               f"  wooerp backfill start {store_code} --from {first} --to {last}")
