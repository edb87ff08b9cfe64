"""What an ERP administrator does with console access to Tryton: change a
line of a confirmed sale. Over JSON-RPC Tryton refuses it (the line is
read-only once the sale is confirmed); in the server's own process, as
`trytond-console` runs, nothing stops it. So this runs a short script in a
separate Python process against the served database, as the admin would,
and lets Tryton recompute the sale's stored totals."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

from tests.fixtures.erp import TrytonServerInfo

SCRIPT = r"""
import sys
from decimal import Decimal

from trytond.config import config
config.update_etc(sys.argv[1])
from trytond.pool import Pool
from trytond.transaction import Transaction

database, ref, price = sys.argv[2], sys.argv[3], Decimal(sys.argv[4])
Pool.start()
pool = Pool(database)
pool.init()
with Transaction().start(database, 0, context={"company": 1}) as transaction:
    Sale, Line = pool.get("sale.sale"), pool.get("sale.line")
    sale, = Sale.search([("wooerp_ref", "=", ref)])
    line = next(l for l in sale.lines if l.type == "line" and l.product
                and l.product.code not in ("SHIPPING", "FEE"))
    Line.write([line], {"unit_price": price})
    Sale.store_cache([Sale(sale.id)])
    transaction.commit()
    print(Sale(sale.id).total_amount)
"""


def set_unit_price(tryton: TrytonServerInfo, ref: str, price: Decimal) -> Decimal:
    """Reprice the first goods line of the sale `ref`; its new total."""
    conf = tryton.server.data_dir / "trytond.conf"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(conf), tryton.database, ref,
                           str(price)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"the console edit failed: {done.stderr[-2000:]}")
    return Decimal(done.stdout.strip().splitlines()[-1])
