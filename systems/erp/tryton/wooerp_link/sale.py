"A unique wooerp reference on sales, per company."
from trytond.model import Unique, fields
from trytond.pool import PoolMeta


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    wooerp_ref = fields.Char(
        "wooerp Reference", strip=True,
        help="The external reference wooerp created this sale for "
        "(an order or a refund). Unique per company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The database enforces uniqueness, so concurrent creators of the
        # same order get exactly one sale and the others a UserError.
        cls._sql_constraints += [
            ('wooerp_ref_uniq', Unique(t, t.company, t.wooerp_ref),
                'wooerp_link.msg_sale_wooerp_ref_unique'),
            ]

    @classmethod
    def copy(cls, sales, default=None):
        # A copy (e.g. the return wizard) is a different document.
        default = dict(default or {})
        default.setdefault('wooerp_ref', None)
        return super().copy(sales, default=default)
