"""The ERP's side of `wooerp doctor`: Tryton reachable, the login, the
wooerp_link module (the unique reference that makes booking race-safe), the
company's currency against the store's, and every SKU the store sells
mapped to an ERP product before an order with it parks."""
from __future__ import annotations

from systems.erp.errors import ErpError, ErpRetryableError
from systems.erp.tryton.adapter import FEE_SKU, SHIPPING_SKU, TrytonErp
from workers.cli.checkup.findings import Finding, fail, ok, skipped, warn
from workers.cli.checkup.store import StoreFacts
from workers.config.settings import Settings

AREA = "erp"
SHOWN = 20  # unmapped SKUs listed by name; the rest counted


async def erp_findings(settings: Settings, stores: dict[str, StoreFacts]) -> list[Finding]:
    cfg = settings.erp
    password = cfg.password.get_secret_value() if cfg.password else ""
    erp = TrytonErp.connect(cfg.url, cfg.database, cfg.user, password,
                            timeout=min(cfg.timeout_seconds, 15.0))
    findings: list[Finding] = []
    try:
        try:
            version = await erp.rpc.server_version()
        except ErpError as exc:
            findings.append(fail(AREA, "reachable", f"{cfg.url}: {exc}",
                                 "start the ERP, or check erp.url"))
            return findings + [skipped(AREA, c, "the ERP did not answer")
                               for c in ("login", "wooerp_link", "currency", "SKUs mapped")]
        findings.append(ok(AREA, "reachable", f"Tryton {version} at {cfg.url}"))
        try:
            await erp.rpc.login()
        except ErpError as exc:
            findings.append(fail(AREA, "login", f"{cfg.user}@{cfg.database}: {exc}",
                                 "check erp.user, erp.password (or WOOERP_ERP__PASSWORD_FILE) "
                                 "and erp.database"))
            return findings + [skipped(AREA, c, "no ERP session")
                               for c in ("wooerp_link", "currency", "SKUs mapped")]
        findings.append(ok(AREA, "login", f"{cfg.user} on database {cfg.database}"))
        findings.append(await _link_module(erp))
        findings += await _currency(erp, stores)
        findings += await _skus(erp, stores)
    except ErpRetryableError as exc:  # went away halfway
        findings.append(fail(AREA, "reachable", f"stopped answering: {exc}", "check the ERP"))
    finally:
        await erp.aclose()
    return findings


async def _link_module(erp: TrytonErp) -> Finding:
    rows = await erp.rpc.search_read("ir.module", [["name", "=", "wooerp_link"]], ["state"])
    state = rows[0]["state"] if rows else "not installed"
    if state == "activated":
        return ok(AREA, "wooerp_link", "activated: sales are unique per store order")
    return fail(AREA, "wooerp_link", f"{state}: without its unique reference, two "
                "deliveries of one order racing could book two sales",
                f"trytond-admin -d {erp.rpc.database} -u wooerp_link --activate-dependencies "
                "(the module ships in systems/erp/tryton/wooerp_link)")


async def _currency(erp: TrytonErp, stores: dict[str, StoreFacts]) -> list[Finding]:
    currency = (await erp.products()).currency
    found = []
    for code, facts in stores.items():
        if facts.currency is None:
            continue
        if facts.currency == currency:
            found.append(ok(AREA, f"currency ({code})", f"{currency}, as the store"))
        else:
            found.append(fail(AREA, f"currency ({code})",
                              f"the ERP company books {currency}, the store sells in "
                              f"{facts.currency}", "use one currency on both sides"))
    return found


async def _skus(erp: TrytonErp, stores: dict[str, StoreFacts]) -> list[Finding]:
    products = await erp.products()
    found = []
    for code, facts in stores.items():
        if not facts.reached:
            found.append(skipped(AREA, f"SKUs mapped ({code})", "the store did not answer"))
            continue
        wanted = sorted(facts.skus | {SHIPPING_SKU, FEE_SKU})
        mapped = await products.by_skus(wanted)
        unmapped = [s for s in sorted(facts.skus) if s not in mapped]
        check = f"SKUs mapped ({code})"
        if unmapped:
            shown = ", ".join(unmapped[:SHOWN]) + (f" and {len(unmapped) - SHOWN} more"
                                                   if len(unmapped) > SHOWN else "")
            found.append(fail(AREA, check, f"{len(unmapped)} of {len(facts.skus)} store SKUs "
                              f"have no ERP product: {shown}",
                              "create them in the ERP (product code = the SKU) or correct the "
                              "SKU in the store: orders with them park in needs_attention"))
        else:
            found.append(ok(AREA, check, f"all {len(facts.skus)} store SKUs"
                            + (" (first products only)" if facts.truncated else "")))
        for special, what in ((SHIPPING_SKU, "shipping lines"), (FEE_SKU, "fee lines")):
            if special not in mapped:
                found.append(warn(AREA, f"{special} product", f"no ERP product coded "
                                  f"{special}: orders with {what} park",
                                  f"create a service product coded {special}"))
    return found
