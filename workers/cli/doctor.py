"""`wooerp doctor [STORE]`: check a deployment end to end and say how to fix
what is wrong. Exit status 1 when anything fails, so it can gate a deploy."""
from __future__ import annotations

import asyncio
import json
from typing import Annotated, Optional

import typer

from workers.cli import app
from workers.cli.checkup.erp import erp_findings
from workers.cli.checkup.findings import Finding, fail, healthy, render
from workers.cli.checkup.store import StoreFacts, store_checkups
from workers.cli.checkup.temporal import temporal_findings
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.settings import Settings, SettingsError


async def checkup(settings: Settings, codes: list[str], ingress_url: str) -> list[Finding]:
    findings: list[Finding] = []
    facts: dict[str, StoreFacts] = {}
    if not codes:
        findings.append(fail("store", "configured", "no store is configured",
                             "set WOOERP_STORES__DEFAULT__URL, __CONSUMER_KEY and "
                             "__CONSUMER_SECRET (or [stores.default] in the TOML file)"))
    for check in store_checkups(settings, codes, ingress_url):
        found, facts[check.code] = await asyncio.to_thread(check.run)
        findings += found
    erp, temporal = await asyncio.gather(erp_findings(settings, facts),
                                         temporal_findings(settings))
    return findings + erp + temporal


@app.command()
def doctor(
    store: Annotated[Optional[str], typer.Argument(
        help="Store code to check (default: every configured store).")] = None,
    ingress_url: Annotated[Optional[str], typer.Option(
        help="Base URL the store delivers webhooks to (default: from ingress settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per check.")] = False,
    config: ConfigOption = None,
) -> None:
    """Check the store, the ERP and Temporal; print each problem with its fix."""
    settings = settings_or_exit(config)
    codes = [store] if store else sorted(settings.stores)
    try:
        for code in codes:
            settings.store(code)
    except SettingsError as exc:
        typer.secho(f"wooerp: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    base = ingress_url or f"http://{settings.ingress.host}:{settings.ingress.port}"
    findings = asyncio.run(checkup(settings, codes, base))
    if as_json:
        for finding in findings:
            typer.echo(json.dumps(finding.as_dict()))
    else:
        render(findings)
    good = healthy(findings)
    if not as_json:
        typer.echo("all good" if good else "wooerp doctor found problems (see fix column)")
    raise typer.Exit(0 if good else 1)
