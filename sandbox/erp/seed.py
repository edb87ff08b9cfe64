"""Seed a freshly created Tryton database with the sandbox company and catalog.

Run in its own process (`python -m sandbox.erp.seed -c trytond.conf -d DB`)
so that proteus' in-process trytond pool never lives inside the long-running
`wooerp sandbox erp` process. Uses the helpers Tryton ships in its modules'
tests/tools.py, as Tryton's own scenarios do.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from decimal import Decimal
from itertools import groupby

from proteus import Model, config as proteus_config
from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, get_accounts
from trytond.modules.account_invoice.tests.tools import (
    create_payment_term,
    set_fiscalyear_invoice_sequences,
)
from trytond.modules.company.tests.tools import create_company, get_company

from sandbox.catalog import CATALOG, CURRENCY, TAX_NAME, TAX_RATE, CatalogItem

COMPANY_NAME = "wooerp Sandbox Co."
# Service products the ERP adapter books shipping and fee lines on.
SERVICES = (("SHIPPING", "Shipping"), ("FEE", "Fee"))


def seed(database: str, config_file: str) -> dict:
    proteus_config.set_trytond(database=database, user="admin", config_file=config_file)
    party = Model.get("party.party")(name=COMPANY_NAME)
    party.save()
    create_company(party, CURRENCY)
    company = get_company()
    create_chart(company)
    accounts = get_accounts(company)
    _fiscal_years(company)
    payment_term = _payment_term()
    tax = _sales_tax(company, accounts)
    category = _account_category(accounts, tax)
    products = _products(category)
    _countries()
    warehouse, storage = _locations()
    _initial_stock(storage, products)
    return {
        "company": company.id,
        "tax": tax.id,
        "payment_term": payment_term.id,
        "warehouse": warehouse.id,
        "storage": storage.id,
        "products": {sku: p.id for sku, p in products.items()},
    }


def _fiscal_years(company) -> None:
    # This year and next, so invoices posted around New Year still find a period.
    this_year = dt.date.today().year
    for year in (this_year, this_year + 1):
        fiscal_year = set_fiscalyear_invoice_sequences(
            create_fiscalyear(company, today=(dt.date(year, 1, 1), dt.date(year, 12, 31))))
        fiscal_year.click("create_period")


def _payment_term():
    payment_term = create_payment_term()
    payment_term.save()
    configuration = Model.get("account.configuration")(1)
    configuration.default_customer_payment_term = payment_term
    configuration.save()
    return payment_term


def _sales_tax(company, accounts):
    tax = Model.get("account.tax")(
        name=TAX_NAME, description=TAX_NAME, type="percentage", rate=TAX_RATE,
        invoice_account=accounts["tax"], credit_note_account=accounts["tax"])
    tax.save()
    return tax


def _account_category(accounts, tax):
    category = Model.get("product.category")(name="Shop", accounting=True)
    category.account_revenue = accounts["revenue"]
    category.account_expense = accounts["expense"]
    category.customer_taxes.append(Model.get("account.tax")(tax.id))
    category.save()
    return category


def _products(category) -> dict:
    """One template per catalog product; variations become variants of one template."""
    unit, = Model.get("product.uom").find([("name", "=", "Unit")])
    products = {}
    groups = groupby(sorted(CATALOG, key=_group_key), key=_group_key)
    for _, items in groups:
        items = list(items)
        name = items[0].name.split(" - ")[0] if items[0].parent_sku else items[0].name
        template = _template(name, items[0].price, "goods", unit, category)
        for index, item in enumerate(items):
            product = template.products[0] if index == 0 else template.products.new()
            product.suffix_code = item.sku
            product.cost_price = (item.price / 2).quantize(Decimal("0.0001"))
        template.save()
        products.update({p.code: p for p in template.products})
    for sku, name in SERVICES:
        template = _template(name, Decimal(0), "service", unit, category)
        template.products[0].suffix_code = sku
        template.save()
        products[sku] = template.products[0]
    return products


def _group_key(item: CatalogItem) -> str:
    return item.parent_sku or item.sku


def _template(name, price, type_, unit, category):
    template = Model.get("product.template")(
        name=name, type=type_, salable=True, list_price=price,
        default_uom=unit, sale_uom=unit, account_category=category)
    if type_ == "goods":
        template.cost_price_method = "fixed"
    return template


def _countries() -> None:
    # The country module ships no data; the adapter creates others on demand.
    Country = Model.get("country.country")
    for code, name in (("US", "United States"), ("CA", "Canada"), ("GB", "United Kingdom"),
                       ("DE", "Germany"), ("FR", "France")):
        Country(name=name, code=code).save()


def _locations():
    Location = Model.get("stock.location")
    warehouse, = Location.find([("type", "=", "warehouse")], limit=1)
    return warehouse, warehouse.storage_location


def _initial_stock(storage, products) -> None:
    inventory = Model.get("stock.inventory")(location=storage, empty_quantity="keep")
    for item in CATALOG:
        line = inventory.lines.new()
        line.product = products[item.sku]
        line.quantity = item.stock
    inventory.save()
    inventory.click("confirm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-o", "--out", required=True, help="where to write the seeded ids (JSON)")
    args = parser.parse_args()
    facts = seed(args.database, args.config)
    with open(args.out, "w") as fp:
        json.dump(facts, fp, indent=2)


if __name__ == "__main__":
    main()
