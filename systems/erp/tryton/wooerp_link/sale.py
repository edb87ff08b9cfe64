"""A unique wooerp reference on sales, per company, and acceptance in one call.

`sale.sale.wooerp_accept(reference, order)` does in one ERP transaction what
wooerp's adapter otherwise does in a dozen JSON-RPC calls: find or create
the customer's party, find the products by SKU, create the sale and its
lines, quote, confirm and process it (shipments and the draft invoice), and
answer the sale as wooerp reads it. It is idempotent by `reference`.
"""
from trytond.model import Unique, fields
from trytond.model.modelsql import SQLConstraintError
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from .exceptions import WooerpError, lost_race
from .order import InvalidOrder, parse_order

MAX_REFERENCE = 255


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
        cls.__rpc__.update({
                'wooerp_accept': RPC(readonly=False),
                })

    @classmethod
    def copy(cls, sales, default=None):
        # A copy (e.g. the return wizard) is a different document.
        default = dict(default or {})
        default.setdefault('wooerp_ref', None)
        return super().copy(sales, default=default)

    @classmethod
    def wooerp_accept(cls, reference, order):
        """Book and confirm the store order `order` as the sale `reference`.

        A repeat returns the sale already made (moved on to confirmed if a
        crash left it earlier); racing callers get one sale between them.
        Raises WooerpError (a UserError) for an unknown SKU or currency, a
        malformed order, or a cancelled sale.
        """
        # wooerp_ref strips what it stores: look up what it would store.
        reference = reference.strip() if isinstance(reference, str) else ''
        if not 0 < len(reference) <= MAX_REFERENCE:
            raise WooerpError('invalid_reference')
        try:
            order = parse_order(order)
        except InvalidOrder as error:
            raise WooerpError('invalid_order', reason=str(error)) from error
        sale = cls._wooerp_find(reference)
        created = sale is None
        if created:
            sale = cls._wooerp_create(reference, order)
        cls._wooerp_advance(sale)
        return cls(sale.id).wooerp_view(created=created)

    @classmethod
    def _wooerp_find(cls, reference):
        found = cls.search([('wooerp_ref', '=', reference)], limit=1)
        return found[0] if found else None

    @classmethod
    def _wooerp_create(cls, reference, order):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.wooerp_ensure(order)
        values = {
            'party': party.id,
            'invoice_address': Party.wooerp_address(party, order.billing).id,
            'shipment_address': Party.wooerp_address(
                party, order.shipping or order.billing).id,
            'currency': _currency(order.currency),
            'wooerp_ref': reference,
            'reference': order.number,
            'description': order.description,
            'invoice_method': 'order',
            'shipment_method': 'order',
            'lines': [('create', _lines(order))],
            }
        try:
            sale, = cls.create([values])
        except SQLConstraintError as error:
            lost_race(cls, error)  # the retry finds the racer's sale
        return sale

    @classmethod
    def _wooerp_advance(cls, sale):
        "Quote and confirm the sale, from wherever an earlier call left it."
        if sale.state == 'cancelled' or sale.wooerp_voided:
            raise WooerpError('sale_cancelled', reference=sale.wooerp_ref)
        if sale.state == 'draft':
            cls.quote([sale])
            sale = cls(sale.id)
        if sale.state == 'quotation':
            cls._wooerp_confirm(cls(sale.id))

    @classmethod
    def _wooerp_confirm(cls, sale):
        """Confirm and process the sale in this transaction.

        `confirm` queues `process` (shipments, invoice) to run after the
        commit; wooerp needs them in the answer, so it runs here instead and
        the queued duplicate, which would only redo the same checks, is
        dropped. A company that delays processing (sale_process_after)
        keeps its queue and gets a confirmed sale back.
        """
        pool = Pool()
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        known = len(transaction.create_records['ir.queue'])
        cls.confirm([sale])
        sale = cls(sale.id)
        if sale.process_after:
            return
        queued = transaction.create_records['ir.queue'][known:]
        with without_check_access():
            redundant = [
                t for t in Queue.browse(queued)
                if t.data.get('model') == cls.__name__
                and t.data.get('method') == 'process'
                and list(t.data.get('instances') or ()) == [sale.id]]
            if redundant:
                ids = {t.id for t in redundant}
                Queue.delete(redundant)
                transaction.tasks[:] = [
                    t for t in transaction.tasks if t not in ids]
            # As the queue would run it: without the caller's access checks.
            cls.process([sale])

    @property
    def wooerp_voided(self):
        """A processing sale undone: every document cancelled, so Tryton
        closed it `done` with nothing shipped and nothing invoiced."""
        documents = [*self.shipments, *self.shipment_returns, *self.invoices]
        return (self.state == 'done' and self.shipment_state == 'none'
            and self.invoice_state == 'none' and bool(documents)
            and all(d.state == 'cancelled' for d in documents))

    def wooerp_view(self, created=False):
        "The sale as wooerp reads it (its adapter's ErpSale)."
        def documents(records):
            return [{'id': r.id, 'number': r.number, 'state': r.state}
                for r in records]
        return {
            'id': self.id,
            'number': self.number,
            'external_ref': self.wooerp_ref,
            'created': created,
            'party': self.party.id,
            'state': self.state,
            'shipment_state': self.shipment_state,
            'invoice_state': self.invoice_state,
            'shipments': documents(self.shipments),
            'return_shipments': documents(self.shipment_returns),
            'invoices': [{
                    'id': i.id, 'number': i.number, 'state': i.state,
                    'total_amount': i.total_amount,
                    'kind': 'credit_note' if (i.total_amount or 0) < 0
                    else 'invoice',
                    } for i in self.invoices],
            'currency': self.currency.code,
            'untaxed_amount': self.untaxed_amount,
            'tax_amount': self.tax_amount,
            'total_amount': self.total_amount,
            }


def _currency(code):
    Currency = Pool().get('currency.currency')
    found = Currency.search([('code', '=', code)], limit=1)
    if not found:
        raise WooerpError('unknown_currency', currency=code)
    return found[0].id


def _lines(order):
    """One sale line per order, shipping and fee line; every value explicit
    (unit, price, taxes), exactly as wooerp's adapter sends them over RPC."""
    Product = Pool().get('product.product')
    wanted = [s for s in order.skus if s]
    products = {p.code: p for p in Product.search([('code', 'in', wanted)])}
    for sku in order.skus:
        if sku not in products:
            raise WooerpError(
                'unknown_sku', detail=sku or '', sku=sku if sku else '')
    lines = []
    for line in order.lines:
        product = products[line.sku]
        values = {
            'type': 'line',
            'product': product.id,
            'description': line.description,
            'quantity': float(line.quantity),
            'unit': (product.sale_uom or product.default_uom).id,
            'unit_price': line.unit_price,
            }
        # The ERP recomputes the tax from its own table when the store
        # charged any: the customer taxes of the product's category.
        category = product.account_category
        taxes = [t.id for t in category.customer_taxes_used] if category else []
        if line.taxed and taxes:
            values['taxes'] = [('add', taxes)]
        lines.append(values)
    return lines
