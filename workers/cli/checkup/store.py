"""The store's side of `wooerp doctor`: can wooerp reach it, sign for it,
write to it, and will the store's webhooks and payment gateways work with it.

Only the REST API a real WooCommerce serves is used, as the worker uses it.
Routes a store may not serve (`system_status`, `settings/*`,
`payment_gateways`, the WordPress index) make their check fall back to what
the orders themselves say, never fail it. The checks run in order and stop
at the first that makes the rest meaningless (unreachable, keys refused).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from systems.woocommerce.client import WooClient
from systems.woocommerce.errors import (WooAuthError, WooClientError, WooError,
                                        WooNotFoundError, WooRetryableError, signed_url_hint)
from systems.woocommerce.webhook_setup import delivery_refusal
from systems.woocommerce.webhooks import ORDER_TOPICS
from workers.cli.checkup.findings import Finding, fail, ok, skipped, warn
from workers.config.settings import Settings, StoreSettings
from workers.sagas.policies import refund_policy
from workflows.refund_types import RefundPolicy

RECENT_ORDERS = 50  # enough to see which gateways the shop uses
MAX_PRODUCTS = 5_000  # a bound on the SKU walk; said when reached


@dataclass
class StoreFacts:
    """What the store checks learnt, for the ERP's checks."""

    currency: str | None = None
    skus: set[str] = field(default_factory=set)
    without_sku: list[str] = field(default_factory=list)
    truncated: bool = False
    reached: bool = False


class StoreCheckup:
    def __init__(self, code: str, cfg: StoreSettings, policy: RefundPolicy,
                 webhook_url: str, ingress_url: str) -> None:
        self.code, self.cfg, self.policy = code, cfg, policy
        self.webhook_url, self.ingress_url = webhook_url, ingress_url
        self.area = f"store {code}"
        self.client = WooClient(cfg.url, cfg.consumer_key.get_secret_value(),
                                cfg.consumer_secret.get_secret_value(),
                                timeout=min(cfg.timeout_seconds, 15.0), verify=cfg.verify_tls)
        self.facts = StoreFacts()
        self.findings: list[Finding] = []

    def run(self) -> tuple[list[Finding], StoreFacts]:
        orders = self._reachable()
        if orders is None:
            for check in ("site URL", "API version", "key permission", "currency and taxes",
                          "webhooks", "payment gateways", "products"):
                self.findings.append(skipped(self.area, check, "the store API did not answer"))
            return self.findings, self.facts
        self.facts.reached = True
        self._site_url()
        self._version()
        self._permission()
        self._currency_and_taxes(orders)
        self._webhooks()
        self._gateways(orders)
        self._products()
        return self.findings, self.facts

    # -- reachable, and the keys accepted --------------------------------------------
    def _reachable(self) -> list[dict] | None:
        url, code = self.cfg.url, self.code
        keys = (f"WOOERP_STORES__{code.upper()}__CONSUMER_KEY / __CONSUMER_SECRET "
                "(or their _FILE)")
        try:
            orders = self.client.recent_orders(RECENT_ORDERS)
        except WooRetryableError as exc:
            self.findings.append(fail(self.area, "reachable", f"{url}: {exc}",
                                      f"check stores.{code}.url and that this machine reaches "
                                      "the store (firewall, proxy, TLS: verify_tls)"))
            return None
        except WooAuthError as exc:
            if exc.code == "woocommerce_rest_authentication_error":
                fix = (f"{signed_url_hint(_origin(url))}" if url.startswith("http://")
                       else f"check {keys}")
            else:  # unknown key: the request went on unauthenticated
                fix = ("create a REST API key with Read/Write permission (WooCommerce > "
                       f"Settings > Advanced > REST API) and set {keys}")
            self.findings.append(fail(self.area, "reachable",
                                      f"{url} refused the key: {exc.code}: {exc.message}", fix))
            return None
        except WooNotFoundError as exc:
            self.findings.append(fail(
                self.area, "reachable", f"no WooCommerce REST API at {url}/wp-json/wc/v3 "
                f"({exc.code})", "check the URL; WooCommerce active; permalinks not 'Plain'"))
            return None
        except WooError as exc:
            self.findings.append(fail(self.area, "reachable", f"{url}: {exc}",
                                      "see the store's answer"))
            return None
        self.findings.append(ok(self.area, "reachable",
                                f"{url} answers wc/v3 ({len(orders)} recent orders read)"))
        return orders

    def _site_url(self) -> None:
        url = self.cfg.url.rstrip("/")
        try:
            index = self.client.site_index()
        except WooRetryableError:
            index = None
        home = str(index.get("home") or index.get("url") or "").rstrip("/") if index else ""
        signed = url.startswith("http://")
        if home and home.lower() != url.lower():
            why = ("OAuth 1.0a signatures are checked against it, so requests signed for "
                   f"{url} fail with 401 woocommerce_rest_authentication_error")
            finding = fail if signed else warn
            self.findings.append(finding(
                self.area, "site URL", f"WordPress's site URL is {home}, wooerp uses {url}"
                + (f": {why}" if signed else ""), f"set stores.{self.code}.url = \"{home}\""))
        elif signed:
            self.findings.append(ok(self.area, "site URL",
                                    f"keys are signed for {url}, which the store verifies "
                                    "(OAuth 1.0a: localhost and 127.0.0.1 are different sites)"))
        else:
            self.findings.append(ok(self.area, "site URL",
                                    f"{url}: https with Basic auth, nothing is signed"))

    def _version(self) -> None:
        try:
            env = self.client.system_status().get("environment") or {}
        except WooClientError:
            env = {}
        version = str(env.get("version") or "")
        if not version:
            self.findings.append(ok(self.area, "API version",
                                    "REST API wc/v3 answers (the store does not report its "
                                    "WooCommerce version: system_status unavailable)"))
            return
        wp = env.get("wp_version") or "?"
        major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
        if major and major < 8:
            self.findings.append(warn(self.area, "API version",
                                      f"WooCommerce {version} (WordPress {wp}): wooerp is tried "
                                      "against 9.x", "upgrade WooCommerce"))
        else:
            self.findings.append(ok(self.area, "API version",
                                    f"WooCommerce {version}, WordPress {wp}, REST API wc/v3"))

    def _permission(self) -> None:
        try:
            self.client.check_write()
        except WooAuthError as exc:
            self.findings.append(fail(self.area, "key permission",
                                      f"read only: {exc.message}",
                                      "edit the key to Read/Write (WooCommerce > Settings > "
                                      "Advanced > REST API): wooerp writes notes, status, "
                                      "refunds and webhooks"))
            return
        except WooError as exc:
            self.findings.append(warn(self.area, "key permission",
                                      f"write permission not confirmed: {exc}"))
            return
        self.findings.append(ok(self.area, "key permission", "read_write"))

    def _currency_and_taxes(self, orders: list[dict]) -> None:
        general = self._settings("general")
        tax = self._settings("tax")
        currency = general.get("woocommerce_currency") or next(
            (o.get("currency") for o in orders if o.get("currency")), None)
        source = "settings" if general.get("woocommerce_currency") else "recent orders"
        self.facts.currency = currency
        if currency is None:
            self.findings.append(warn(self.area, "currency and taxes",
                                      "unknown: no settings route and no orders yet"))
            return
        calc = general.get("woocommerce_calc_taxes")
        taxed = calc == "yes" if calc is not None else any(o.get("tax_lines") for o in orders)
        inclusive = (tax.get("woocommerce_prices_include_tax") == "yes"
                     if "woocommerce_prices_include_tax" in tax
                     else any(o.get("prices_include_tax") for o in orders))
        detail = (f"{currency} (from {source}); taxes "
                  f"{'calculated' if taxed else 'not calculated'}"
                  f"{', prices include tax' if inclusive else ''}")
        if inclusive:
            self.findings.append(warn(
                self.area, "currency and taxes", detail,
                "wooerp books net line totals and the ERP adds its own tax: with prices "
                "including tax, cent differences are within saga.total_tolerance"))
        else:
            self.findings.append(ok(self.area, "currency and taxes", detail))

    def _settings(self, group: str) -> dict:
        try:
            return self.client.settings_group(group)
        except WooClientError:  # route not served, or no capability: fall back
            return {}

    # -- webhooks ------------------------------------------------------------------------
    def _webhooks(self) -> None:
        install = f"wooerp webhooks install {self.code} --ingress-url {self.ingress_url}"
        try:
            hooks = self.client.list_webhooks()
        except WooError as exc:
            self.findings.append(fail(self.area, "webhooks", f"cannot list them: {exc}",
                                      "the key needs Read/Write"))
            return
        ours = {h.get("topic"): h for h in hooks if h.get("delivery_url") == self.webhook_url}
        path = urlsplit(self.webhook_url).path
        stale = sorted({h["delivery_url"] for h in hooks
                        if h.get("delivery_url") != self.webhook_url
                        and urlsplit(str(h.get("delivery_url"))).path == path})
        for topic in ORDER_TOPICS:
            check = f"webhook {topic}"
            hook = ours.get(topic)
            if hook is None:
                self.findings.append(fail(self.area, check,
                                          f"none delivers to {self.webhook_url}", install))
                continue
            failures = hook.get("failure_count")
            count = (f"{failures} failed deliveries in a row" if failures is not None
                     else "failure count not reported over REST")
            status = hook.get("status")
            if status != "active":
                self.findings.append(fail(
                    self.area, check, f"{status} (id {hook['id']}; {count}): WooCommerce "
                    "disables a webhook after more than 5 consecutive failed deliveries",
                    f"make sure the store reaches {self.webhook_url}, then {install} "
                    "(re-activates it)"))
            else:
                self.findings.append(ok(self.area, check, f"active (id {hook['id']}; {count})"))
        if stale:
            self.findings.append(warn(self.area, "other wooerp webhooks",
                                      f"also delivering to {', '.join(stale)}",
                                      "delete them in WooCommerce > Settings > Advanced > "
                                      "Webhooks if that ingress is gone"))
        refusal = delivery_refusal(self.webhook_url, self.cfg.url, self.cfg.webhook_ports)
        if refusal:
            self.findings.append(fail(
                self.area, "delivery URL", f"{self.webhook_url}: {refusal}",
                "run the ingress on port 80, 443 or 8080 (ingress.port), or behind a proxy on "
                f"one, then {install}; if the site allows more ports (http_allowed_safe_ports) "
                f"list them in stores.{self.code}.webhook_ports"))
        else:
            self.findings.append(ok(self.area, "delivery URL",
                                    f"{self.webhook_url} is a URL WordPress delivers to"))

    # -- refunds ---------------------------------------------------------------------------
    def _gateways(self, orders: list[dict]) -> None:
        used = Counter(str(o.get("payment_method") or "") for o in orders)
        if not used:
            self.findings.append(ok(self.area, "payment gateways",
                                    "no recent orders to learn the gateways from"))
            return
        supports = self._refund_support()
        manual, refusal = set(self.policy.manual_gateways), self.policy.on_gateway_refusal
        by_hand = f"stores.{self.code}.refunds.manual_gateways (or [refunds] manual_gateways)"
        for gateway, count in used.most_common(10):
            name, check = gateway or "(none)", f"refunds via {gateway or '(no gateway)'}"
            seen = f"{count} of the last {len(orders)} orders"
            if gateway in manual:
                self.findings.append(ok(self.area, check,
                                        f"{seen}: recorded in the store, money returned by "
                                        "hand, support confirms (manual gateway)"))
            elif supports.get(gateway) is True:
                self.findings.append(ok(self.area, check,
                                        f"{seen}: refunded through the gateway"))
            elif refusal == "return_by_hand":
                known = ("cannot refund by itself" if supports.get(gateway) is False
                         else "not known to refund by itself")
                self.findings.append(warn(
                    self.area, check, f"{seen}: {name} {known}; if it refuses, the refund "
                    "goes by hand (refunds.on_gateway_refusal)",
                    f"add {name} to {by_hand} if it never refunds by itself"))
            else:
                self.findings.append(fail(
                    self.area, check, f"{seen}: {name} may refuse automatic refunds, and "
                    "refunds.on_gateway_refusal = park parks them",
                    f"add {name} to {by_hand}, or set on_gateway_refusal = \"return_by_hand\""))

    def _refund_support(self) -> dict[str, bool]:
        try:
            gateways = self.client.payment_gateways()
        except WooClientError:
            return {}
        return {str(g.get("id")): "refunds" in (g.get("method_supports") or [])
                for g in gateways if isinstance(g, dict)}

    # -- products, for the ERP's SKU check ---------------------------------------------------
    def _products(self) -> None:
        facts = self.facts
        try:
            seen = 0
            for product in self.client.iter_products(limit=MAX_PRODUCTS):
                seen += 1
                if product.get("type") == "variable":
                    for variation in self.client.iter_variations(product["id"]):
                        self._sku(variation, f"{product.get('name')} (variation "
                                             f"{variation.get('id')})")
                else:
                    self._sku(product, str(product.get("name") or product.get("id")))
            facts.truncated = seen >= MAX_PRODUCTS
        except WooError as exc:
            self.findings.append(fail(self.area, "products", f"cannot list them: {exc}",
                                      "the key needs read access to products"))
            return
        detail = f"{len(facts.skus)} SKUs" + (f" (first {MAX_PRODUCTS} products)"
                                              if facts.truncated else "")
        if facts.without_sku:
            shown = ", ".join(facts.without_sku[:10])
            self.findings.append(warn(self.area, "products", f"{detail}; without a SKU: {shown}"
                                      + (" ..." if len(facts.without_sku) > 10 else ""),
                                      "give them a SKU: orders with them park"))
        else:
            self.findings.append(ok(self.area, "products", detail))

    def _sku(self, product: dict, name: str) -> None:
        sku = str(product.get("sku") or "")
        if sku:
            self.facts.skus.add(sku)
        elif product.get("status", "publish") == "publish":
            self.facts.without_sku.append(name)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def store_checkups(settings: Settings, codes: list[str], ingress_url: str
                   ) -> list[StoreCheckup]:
    base = ingress_url.rstrip("/")  # the refund policy: the same merge the sagas get
    return [StoreCheckup(code, settings.store(code), refund_policy(settings, code),
                         f"{base}/webhooks/woocommerce/{code}", base) for code in codes]
