"A unique wooerp reference on parties (the customer key), and finding or creating them."
from trytond.model import Unique, fields
from trytond.model.modelsql import SQLConstraintError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import WooerpError, lost_race


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

    @classmethod
    def wooerp_ensure(cls, order):
        """The party keyed by the order's customer, created with its
        contacts and addresses when new.

        An existing party is used as it is (wooerp's adapter does the same):
        its addresses are matched or added per sale by `wooerp_address`.
        """
        key = order.party_key
        with Transaction().set_context(active_test=False):
            found = cls.search([('wooerp_ref', '=', key)], limit=1)
        if found:
            party, = found
            if not party.active:
                raise WooerpError('party_archived', key=key)
            return party
        values = {
            'name': order.party_name,
            'wooerp_ref': key,
            'contact_mechanisms': [('create', [
                        {'type': type_, 'value': value}
                        for type_, value in order.contacts])],
            'addresses': [('create', [
                        _address_values(a) for a in order.party_addresses])],
            }
        try:
            party, = cls.create([values])
        except SQLConstraintError as error:
            # A racer created this customer first (unique wooerp_ref), or
            # drew the same party code (SQLite numbers codes by reading
            # then writing): start over with the table locked.
            lost_race(cls, error)
        return party

    @classmethod
    def wooerp_address(cls, party, address):
        "The party's address with this content, created if new."
        Address = Pool().get('party.address')
        values = _address_values(address)
        domain = [('party', '=', party.id)] + [
            (name, '=', values.get(name)) for name in (
                'street_unstructured', 'postal_code', 'city', 'country',
                'party_name')]
        found = Address.search(domain, limit=1)
        if found:
            return found[0]
        address, = Address.create([{**values, 'party': party.id}])
        return address


def _address_values(address):
    return {
        'party_name': address.full_name or None,
        'street_unstructured': address.street or None,
        'postal_code': address.postcode or None,
        'city': address.city or None,
        'country': _country(address.country) if address.country else None,
        }


def _country(code):
    "The country's id, created when the ERP lacks it rather than drop it."
    Country = Pool().get('country.country')
    code = code.upper()
    found = Country.search([('code', '=', code)], limit=1)
    if not found:
        found = Country.create([{'name': code, 'code': code}])
    return found[0].id
