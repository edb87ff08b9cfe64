"""Stock moves and shipments of wooerp sales, notified to wooerp after commit.

Each hook queues its event before calling the transition, so that anything
the transition raises rolls the event back with everything else; the event
is sent only once the transaction commits (notify.py). The hooks do not
re-apply `Workflow.transition`: its second state write would hit the
records the first one already moved (a cancelled shipment refuses it).
"""
from trytond.pool import PoolMeta

from .notify import moving, notify, settings


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    # Stock on hand changes when moves are done; what can still be sold
    # changes when they are assigned (reserved) or cancelled (released).
    @classmethod
    def assign(cls, moves):
        _notify_moves(cls, moves, 'assigned')
        return super().assign(moves)

    @classmethod
    def do(cls, moves):
        _notify_moves(cls, moves, 'done')
        return super().do(moves)

    @classmethod
    def cancel(cls, moves):
        _notify_moves(cls, moves, 'cancelled')
        return super().cancel(moves)


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    @classmethod
    def do(cls, shipments):
        _notify_shipments(cls, shipments, 'done')
        return super().do(shipments)

    @classmethod
    def cancel(cls, shipments):
        _notify_shipments(cls, shipments, 'cancelled')
        return super().cancel(shipments)


class ShipmentOutReturn(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out.return'

    @classmethod
    def do(cls, shipments):
        _notify_shipments(cls, shipments, 'done')
        return super().do(shipments)

    @classmethod
    def cancel(cls, shipments):
        _notify_shipments(cls, shipments, 'cancelled')
        return super().cancel(shipments)


def _notify_moves(Move, moves, state):
    if settings() is None:
        return
    moves = moving(Move, moves, state)
    skus = {m.id: [m.product.code] for m in moves}
    refs = {m.id: [m.sale.wooerp_ref] for m in moves if m.sale}
    notify('stock', 'stock.move', state, [m.id for m in moves], skus, refs)


def _notify_shipments(Shipment, shipments, state):
    if settings() is None:
        return
    skus, refs = {}, {}
    for shipment in moving(Shipment, shipments, state):
        sale_refs = {m.sale.wooerp_ref for m in shipment.moves if m.sale} - {None}
        if sale_refs:  # only shipments of sales wooerp made
            refs[shipment.id] = sale_refs
            skus[shipment.id] = {m.product.code for m in shipment.moves}
    notify('shipment', Shipment.__name__, state, list(refs), skus, refs)
