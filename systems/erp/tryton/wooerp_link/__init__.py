"""wooerp_link: the Tryton side of the wooerp integration.

Adds a unique external reference (`wooerp_ref`) to sales (orders and the
return sales that carry credit notes) and to parties, so that wooerp can
create first and, on a uniqueness error, read the existing record: that is
race-safe where search-then-create is not (RECIPE.md 4.4).

Found by trytond through the `trytond.modules` entry point in pyproject.toml.
Classes are registered from tryton.cfg, the Tryton 8.2 way.
"""

# No register() here: trytond 8.2 warns that it is deprecated when present.
