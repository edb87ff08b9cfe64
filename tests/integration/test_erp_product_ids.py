"""SKU -> ERP product ids kept in the ledger's id map: shared by every worker
process, checked against the ERP, and forgotten on request."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from systems.erp.tryton.adapter import TrytonErp
from systems.ledger import Ledger
from systems.ledger.product_ids import LedgerProductIds

pytestmark = pytest.mark.tryton

WOOERP = Path(sys.executable).parent / "wooerp"


class Counting:
    """Counts the product searches by code an adapter sends to Tryton."""

    def __init__(self, adapter: TrytonErp) -> None:
        self.by_code, self.by_id = 0, 0
        real = adapter.rpc.search_read

        async def search_read(model, domain, *args, **kwargs):
            if model == "product.product":
                fields = {clause[0] for clause in domain}
                self.by_code += "code" in fields
                self.by_id += "id" in fields
            return await real(model, domain, *args, **kwargs)

        adapter.rpc.search_read = search_read


def adapter(tryton_server, ids: LedgerProductIds) -> TrytonErp:
    return TrytonErp.connect(tryton_server.url, tryton_server.database, tryton_server.user,
                             tryton_server.password(), timeout=60, product_ids=ids)


async def test_a_second_worker_reads_the_product_by_the_id_the_first_one_found(
        tryton_server, ledger: Ledger, uniq: str):
    ids = LedgerProductIds(ledger, system=f"erp-{uniq}")
    first, second = adapter(tryton_server, ids), adapter(tryton_server, ids)
    try:
        mug = await first.product_by_sku("WOO-MUG")
        assert ids.ids_for(["WOO-MUG"]) == {"WOO-MUG": mug.id}
        calls = Counting(second)
        assert (await second.product_by_sku("WOO-MUG")).id == mug.id
        assert (calls.by_code, calls.by_id) == (0, 1)
        assert await second.product_by_sku("NOT-IN-ERP") is None
        assert ids.ids_for(["NOT-IN-ERP"]) == {}  # unknown SKUs are not remembered
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_stale_id_is_dropped_and_the_sku_found_again(
        tryton_server, ledger: Ledger, uniq: str):
    ids = LedgerProductIds(ledger, system=f"erp-{uniq}")
    erp = adapter(tryton_server, ids)
    try:
        shirt = await erp.product_by_sku("WOO-TSHIRT")
        erp._products._cache.clear()  # a fresh process  # noqa: SLF001
        ids.remember("WOO-MUG", shirt.id)  # as if the MUG's product was recoded since
        assert ids.ids_for(["WOO-TSHIRT"]) == {}  # one id, one SKU
        mug = await erp.product_by_sku("WOO-MUG")
        assert mug.sku == "WOO-MUG" and mug.id != shirt.id
        assert ids.ids_for(["WOO-MUG", "WOO-TSHIRT"]) == {"WOO-MUG": mug.id}
    finally:
        await erp.aclose()


async def test_forget_products_makes_a_running_worker_look_the_sku_up_again(
        tryton_server, ledger: Ledger, uniq: str):
    ids = LedgerProductIds(ledger, system=f"erp-{uniq}")
    erp = adapter(tryton_server, ids)
    try:
        await erp.product_by_sku("WOO-MUG")
        calls = Counting(erp)
        await erp.product_by_sku("WOO-MUG")
        assert calls.by_code == 0  # cached
        assert ids.forget(["WOO-MUG"]) == 1
        await erp.product_by_sku("WOO-MUG")
        assert calls.by_code == 1  # the forgotten SKU was searched again...
        assert "WOO-MUG" in ids.ids_for(["WOO-MUG"])  # ...and remembered
    finally:
        await erp.aclose()


def test_the_cli_forgets_the_named_skus_or_all(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = Ledger(url)
    ledger.migrate()
    ids = LedgerProductIds(ledger)
    for n, sku in enumerate(["A", "B", "C"], start=1):
        ids.remember(sku, n)
    env = dict(os.environ, WOOERP_DATABASE_URL=url)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(WOOERP), "ledger", "forget-products", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    refused = cli()
    assert refused.returncode == 2 and "--all" in refused.stderr
    assert ids.ids_for(["A", "B", "C"]) == {"A": 1, "B": 2, "C": 3}
    named = cli("A")
    assert named.returncode == 0 and "forgot 1" in named.stdout
    assert ids.ids_for(["A", "B", "C"]) == {"B": 2, "C": 3}
    everything = cli("--all")
    assert everything.returncode == 0 and "forgot 2" in everything.stdout
    assert ids.ids_for(["A", "B", "C"]) == {}
    ledger.close()
