"""Invoices and credit notes of wooerp sales, notified to wooerp when posted.

The event is queued before the transition runs so that a failed posting
rolls it back; it is sent only after commit (notify.py).
"""
from trytond.pool import PoolMeta

from .notify import moving, notify, settings


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def post(cls, invoices):
        if settings() is not None:
            skus, refs = {}, {}
            for invoice in moving(cls, invoices, 'posted'):
                sale_refs = {s.wooerp_ref for s in invoice.sales} - {None}
                if sale_refs:  # only invoices of sales wooerp made
                    refs[invoice.id] = sale_refs
                    skus[invoice.id] = {
                        l.product.code for l in invoice.lines if l.product}
            notify('invoice', cls.__name__, 'posted', list(refs), skus, refs)
        return super().post(invoices)
