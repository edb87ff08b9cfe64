"""wooerp_link: the Tryton side of the wooerp integration.

* A unique external reference (`wooerp_ref`) on sales (orders and the
  return sales that carry credit notes) and on parties, so that wooerp can
  create first and, on a uniqueness error, read the existing record: that
  is race-safe where search-then-create is not (RECIPE.md 4.4).
* `sale.sale.wooerp_accept`: a store order accepted in one RPC and one
  transaction (sale.py).
* Notifications to wooerp after commit when stock moves, a wooerp sale's
  shipment is done or cancelled, or its invoice is posted (notify.py).

README.md says how to install it on an existing Tryton server. Found by
trytond through the `trytond.modules` entry point in pyproject.toml.
Classes are registered from tryton.cfg, the Tryton 8.2 way.
"""

# No register() here: trytond 8.2 warns that it is deprecated when present.
