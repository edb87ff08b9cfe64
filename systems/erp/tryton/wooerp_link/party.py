"A unique wooerp reference on parties (the customer key)."
from trytond.model import Unique, fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    wooerp_ref = fields.Char(
        "wooerp Reference", strip=True,
        help="The customer key wooerp created this party for.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('wooerp_ref_uniq', Unique(t, t.wooerp_ref),
                'wooerp_link.msg_party_wooerp_ref_unique'),
            ]

    @classmethod
    def copy(cls, parties, default=None):
        default = dict(default or {})
        default.setdefault('wooerp_ref', None)
        return super().copy(parties, default=default)
